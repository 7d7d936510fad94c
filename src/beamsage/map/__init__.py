"""`beamsage map`: the architecture of a project, rendered for people, diagrams and agents."""

from .formats import FORMATS

__all__ = ["FORMATS"]
