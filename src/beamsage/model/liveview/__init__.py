"""LiveViews: per-file facts (`facts`, built by `build`) and what they tell across the project (`project`)."""
