"""Security findings that cross functions: the same from a warm cache, shaped
by the project's settings, and carried into SARIF with their path."""

from __future__ import annotations

import json
import shutil

from beamsage.engine.config import Config
from beamsage.rules import Confidence

from conftest import DATA, FIXTURES, review_project, run_cli, write

FLOW = FIXTURES / "apps" / "security_flow"
ACCESS = FIXTURES / "apps" / "security_access"
_ALL = Config(min_confidence=Confidence.LOW)


def _found(result):
    return sorted((f.location.path, f.location.line, f.rule, f.confidence.value, f.message) for f in result.findings)


def test_paths_across_functions_survive_the_cache(tmp_path):
    for project in (FLOW, ACCESS):
        cache = tmp_path / project.name
        cold = review_project(project, _ALL, cache_dir=cache)
        warm = review_project(project, _ALL, cache_dir=cache)
        assert warm.cached == cold.files and _found(warm) == _found(cold)


def test_a_path_replaces_the_guess_at_the_same_call(tmp_path):
    result = review_project(FLOW, _ALL, cache_dir=tmp_path)
    at_sink = [f for f in result.findings if (f.location.path, f.location.line) == ("lib/demo/search.ex", 6)]
    assert [(f.rule, f.confidence) for f in at_sink] == [("Security.SQLInjection", Confidence.HIGH)]
    finding = at_sink[0]
    assert "passed to `Demo.Search.run/1`" in finding.message
    callers = {(r.location.path, r.location.line) for r in finding.related}
    assert callers == {("lib/demo_web/controllers/search_controller.ex", 35), ("lib/demo_web/live/report_live.ex", 5)}


def test_privileged_fields_setting_adds_fields(tmp_path):
    project = shutil.copytree(ACCESS, tmp_path / "app")
    user = project / "lib" / "demo" / "accounts" / "user.ex"
    user.write_text(user.read_text().replace("[:email, :name, :role]", "[:email, :name, :plan]"))
    rules = {f.rule for f in review_project(project, _ALL, cache_dir=tmp_path / "c1").findings}
    assert "Security.MassAssignment" not in rules
    write(project, {".beamsage.toml": 'privileged-fields = ["plan"]\n'})
    found = [f for f in review_project(project, cache_dir=tmp_path / "c2").findings
             if f.rule == "Security.MassAssignment"]
    assert [(f.location.path, f.location.line) for f in found] == [("lib/demo/accounts/user.ex", 17)]
    assert "`:plan`" in found[0].message


def test_sarif_carries_the_path_as_related_locations(tmp_path):
    out = tmp_path / "out.sarif"
    result = run_cli("review", str(FLOW), "-f", "sarif", "-o", str(out))
    assert result.returncode == 1, result.stderr
    doc = json.loads(out.read_text())
    import jsonschema

    jsonschema.Draft202012Validator(json.loads((DATA / "sarif-2.1.0.json").read_text())).validate(doc)
    run = doc["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert "external/cwe/cwe-89" in rules["Security.SQLInjection"]["properties"]["tags"]
    sql = [r for r in run["results"] if r["ruleId"] == "Security.SQLInjection"
           and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("lib/demo/search.ex")]
    assert sql and {loc["physicalLocation"]["region"]["startLine"] for loc in sql[0]["relatedLocations"]} == {35, 5}
