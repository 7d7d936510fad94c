"""beamsage: a senior Elixir/Phoenix engineer in a Python package."""

__version__ = "0.1.0"
