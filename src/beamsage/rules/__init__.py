"""Rules: one family per module, each rule documented beside its code.

Importing this package registers every rule; `all_rules()` lists them.
"""

from __future__ import annotations

from . import accessibility, channel, consistency, ecto, liveview, migration, oban, otp, security, source, tests  # noqa: F401  (registers the rules)
from .base import (
    Confidence,
    FileRule,
    Finding,
    Location,
    ProjectRule,
    Related,
    Rule,
    Severity,
    registered,
)
from .source import is_known_rule_name


def all_rules() -> list[Rule]:
    """One instance of every registered rule, sorted by id."""
    return [cls() for _, cls in sorted(registered().items())]


def get_rule(rule_id: str) -> Rule | None:
    cls = registered().get(rule_id)
    return cls() if cls else None


__all__ = [
    "Confidence",
    "FileRule",
    "Finding",
    "Location",
    "ProjectRule",
    "Related",
    "Rule",
    "Severity",
    "all_rules",
    "get_rule",
    "is_known_rule_name",
]
