"""`.beamsage.toml` and the options that override it."""

from __future__ import annotations

import json

from conftest import run_cli
from projects import demo_project


def review_json(project, *args):
    result = run_cli("review", str(project), "-f", "json", *args)
    return result.returncode, json.loads(result.stdout) if result.stdout else None, result.stderr


def rules_of(doc):
    return sorted({f["rule"] for f in doc["findings"]})


def test_select_ignore_and_families(tmp_path):
    project = demo_project(tmp_path)
    config = project / ".beamsage.toml"
    config.write_text('select = ["Security"]\nignore = ["Security.UnsafeBinaryToTerm"]\n')
    _, doc, _ = review_json(project)
    assert rules_of(doc) == ["Security.UnsafeAtomConversion"]
    assert doc["summary"]["hidden"] == 1
    _, doc, _ = review_json(project, "--ignore", "Security")
    assert rules_of(doc) == []


def test_severity_overrides_and_fail_on(tmp_path):
    project = demo_project(tmp_path)
    (project / ".beamsage.toml").write_text(
        'fail-on = "error"\n[severity]\n"Security.UnsafeBinaryToTerm" = "info"\nSecurity = "warning"\n'
    )
    code, doc, _ = review_json(project)
    assert code == 0
    assert {(f["rule"], f["severity"]) for f in doc["findings"]} == {
        ("Security.UnsafeAtomConversion", "warning"), ("Security.UnsafeBinaryToTerm", "info")}
    code, _, _ = review_json(project, "--fail-on", "info")
    assert code == 1


def test_min_confidence(tmp_path):
    project = demo_project(tmp_path, **{"lib/demo/util.ex": "defmodule Demo.Util do\n  def key(k), do: String.to_atom(k)\nend\n"})
    _, doc, _ = review_json(project)
    assert not any(f["path"] == "lib/demo/util.ex" for f in doc["findings"])
    _, doc, _ = review_json(project, "--min-confidence", "low")
    assert any(f["path"] == "lib/demo/util.ex" and f["confidence"] == "low" for f in doc["findings"])
    (project / ".beamsage.toml").write_text('min-confidence = "high"\n')
    _, doc, _ = review_json(project)
    assert {f["confidence"] for f in doc["findings"]} == {"high"} and len(doc["findings"]) == 2


def test_exclude_from_config_and_command_line(tmp_path):
    project = demo_project(tmp_path)
    (project / ".beamsage.toml").write_text('exclude = ["lib/demo/**"]\n')
    _, doc, _ = review_json(project)
    assert doc["summary"]["files"] == 2
    _, doc, _ = review_json(project, "--exclude", "lib/demo_web/controllers/*.ex")
    assert doc["summary"]["files"] == 1 and doc["findings"] == []


def test_bad_configurations_are_one_error_line(tmp_path):
    project = demo_project(tmp_path)
    config = project / ".beamsage.toml"
    cases = {
        'select = ["Security.Nope"]\n': "unknown rule or family `Security.Nope` in `select`",
        'ignore = ["Nope"]\n': "unknown rule or family `Nope` in `ignore`",
        '[severity]\n"Security.X" = "error"\n': "unknown rule or family `Security.X` in `severity`",
        'fail-on = "fatal"\n': "Invalid enum value 'fatal' - at `$.fail-on`",
        'selct = ["Security"]\n': "Object contains unknown field `selct`",
        "select = [\n": "not valid TOML",
        "max-file-size = -1\n": "`max-file-size` must be a positive number of bytes",
    }
    for content, message in cases.items():
        config.write_text(content)
        code, doc, err = review_json(project)
        assert code == 2 and doc is None, content
        assert err.startswith(f"beamsage: error: {config}: "), err
        assert message in err and err.count("\n") == 1, err


def test_explicit_config_file(tmp_path):
    project = demo_project(tmp_path / "p")
    other = tmp_path / "ci.toml"
    other.write_text('ignore = ["Security.UnsafeAtomConversion"]\n')
    _, doc, _ = review_json(project, "--config", str(other))
    assert rules_of(doc) == ["Security.UnsafeBinaryToTerm"]
    code, _, err = review_json(project, "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "cannot read" in err
