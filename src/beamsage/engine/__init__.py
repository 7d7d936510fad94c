"""The engine every face shares: configuration, the review pipeline, the
per-file cache, fingerprints and baselines."""
