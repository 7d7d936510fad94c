"""Every rule is documented beside its code, in four parts."""

from __future__ import annotations

import pytest

from beamsage.rules import all_rules
from beamsage.rules.base import RULE_ID

RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_has_id_severity_confidence_and_full_docs(rule):
    assert RULE_ID.match(rule.id)
    docs = rule.docs()
    assert docs.summary.endswith(".") and len(docs.summary) < 100
    for part in (docs.what, docs.why, docs.example, docs.instead):
        assert len(part) > 40, f"{rule.id}: a docs section is missing or too thin"
    if rule.family == "Security":
        assert rule.cwe and rule.security_severity is not None
        assert "```elixir" in docs.example and "```elixir" in docs.instead


def test_ids_are_unique_and_sorted():
    ids = [r.id for r in RULES]
    assert ids == sorted(set(ids))
