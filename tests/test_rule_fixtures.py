"""The fixture convention: annotated lines say what each rule must (not) find.

    String.to_atom(sort)     # expect: Security.UnsafeAtomConversion (high)
    String.to_atom("name")   # ok: Security.UnsafeAtomConversion
    <p>{raw(@x)}</p>         <%!-- expect: Security.XSS --%>

Each folder under `fixtures/rules/` is reviewed as loose files (paths
inside decide a file's kind: `lib/`, `test/`, `config/`), each folder under
`fixtures/apps/` as a Mix project. For every annotated file the findings
must be exactly the `expect` lines (rule, line, and confidence when given),
at every confidence level.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from beamsage.engine.config import Config
from beamsage.rules import Confidence, is_known_rule_name

from conftest import FIXTURES, review_project

_ANNOTATION = re.compile(r"(?:#|<%#|<%!--|<!--)\s*(expect|ok):\s*(.+?)\s*(?:--%>|-->|%>)?\s*$")
_ENTRY = re.compile(r"^([A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9]*)(?:\s*\((high|medium|low)\))?$")
_ALL = Config(min_confidence=Confidence.LOW)


def _fixture_roots() -> list[tuple[Path, bool]]:
    roots = [(p, True) for p in sorted((FIXTURES / "rules").iterdir()) if p.is_dir()]
    apps = FIXTURES / "apps"
    if apps.is_dir():
        roots += [(p, False) for p in sorted(apps.iterdir()) if p.is_dir()]
    return roots


def _annotations(path: Path) -> tuple[set, set]:
    expected, ok = set(), set()
    for number, line in enumerate(path.read_text("utf-8").split("\n"), 1):
        match = _ANNOTATION.search(line)
        if not match:
            continue
        kind, body = match.groups()
        for entry in (e.strip() for e in body.split(",")):
            parsed = _ENTRY.match(entry)
            assert parsed and is_known_rule_name(parsed.group(1)), f"{path}:{number}: bad annotation {entry!r}"
            rule, confidence = parsed.groups()
            (expected if kind == "expect" else ok).add((number, rule, confidence))
    return expected, ok


def _annotated_kind(path: Path) -> bool:
    """Source files, and `mix.lock` (Elixir syntax, so `# expect:` comments fit in it too)."""
    return path.suffix in (".ex", ".exs", ".heex", ".eex", ".leex") or path.name == "mix.lock"


@cache
def _findings(root: Path, loose: bool):
    result = review_project(root, _ALL, no_project=loose)
    return result.findings


def _cases():
    for root, loose in _fixture_roots():
        for path in sorted(root.rglob("*")):
            if _annotated_kind(path) and _annotations(path) != (set(), set()):
                yield pytest.param(root, loose, path, id=str(path.relative_to(FIXTURES)))


@pytest.mark.parametrize("root, loose, path", list(_cases()))
def test_fixture(root: Path, loose: bool, path: Path):
    expected, ok = _annotations(path)
    rel = path.relative_to(root).as_posix()
    found = [f for f in _findings(root, loose) if f.location.path == rel]
    actual = {(f.location.line, f.rule) for f in found}
    assert actual == {(line, rule) for line, rule, _ in expected}, "\n".join(
        f"{f.location.line}: {f.rule} ({f.confidence.value}) {f.message}" for f in found
    )
    confidences = {(f.location.line, f.rule): f.confidence.value for f in found}
    for line, rule, confidence in expected:
        if confidence:
            assert confidences[(line, rule)] == confidence, f"line {line}: {rule}"
    for line, rule, _ in ok:
        assert (line, rule) not in actual


def test_every_rule_family_has_fixtures():
    annotated = set()
    for root, _ in _fixture_roots():
        for path in root.rglob("*"):
            if path.is_file() and _annotated_kind(path):
                expected, ok = _annotations(path)
                annotated |= {rule for _, rule, _ in expected | ok}
    from beamsage.rules import all_rules

    # Source rules are exercised by tests/test_robustness.py with generated files.
    missing = [r.id for r in all_rules() if r.family != "Source" and r.id not in annotated]
    assert not missing, f"rules without fixtures: {missing}"
