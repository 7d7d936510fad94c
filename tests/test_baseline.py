"""Baselines and fingerprints: old findings stay quiet across unrelated edits."""

from __future__ import annotations

import json

from conftest import run_cli
from projects import demo_project

CONTROLLER = "lib/demo_web/controllers/sort_controller.ex"


def test_baseline_survives_inserted_lines_and_whitespace(tmp_path):
    project = demo_project(tmp_path / "p")
    baseline = tmp_path / "baseline.json"
    written = run_cli("review", str(project), "--write-baseline", str(baseline))
    assert written.returncode == 0 and written.stdout == ""
    recorded = json.loads(baseline.read_text())
    assert recorded["beamsage-baseline"] == 1 and len(recorded["findings"]) == 2

    path = project / CONTROLLER
    source = path.read_text()
    # Lines inserted above, re-indentation, extra spaces inside the call.
    source = source.replace("  use DemoWeb, :controller\n", "  use DemoWeb, :controller\n\n  @moduledoc false\n\n")
    source = source.replace("String.to_atom(sort)", "String.to_atom( sort )")
    source = source.replace("    json(conn, ", "        json(conn, ")
    path.write_text(source)

    result = run_cli("review", str(project), "--baseline", str(baseline))
    assert result.returncode == 0, result.stdout
    assert "No findings" in result.stdout and "2 in baseline" in result.stdout


def test_new_findings_are_reported_over_a_baseline(tmp_path):
    project = demo_project(tmp_path / "p")
    baseline = tmp_path / "baseline.json"
    run_cli("review", str(project), "--write-baseline", str(baseline))
    path = project / CONTROLLER
    path.write_text(path.read_text().replace(
        "  def restore(conn",
        "  def again(conn, %{\"x\" => x}), do: json(conn, String.to_atom(x))\n\n  def restore(conn",
    ))
    doc = json.loads(run_cli("review", str(project), "--baseline", str(baseline), "-f", "json").stdout)
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("Security.UnsafeAtomConversion", 9)]
    assert doc["summary"]["baselined"] == 2


def test_identical_findings_in_one_file_get_distinct_fingerprints(tmp_path):
    project = demo_project(tmp_path / "p", **{
        "lib/demo_web/controllers/twice_controller.ex":
            "defmodule DemoWeb.TwiceController do\n  use DemoWeb, :controller\n"
            "  def a(conn, p), do: json(conn, String.to_atom(p[\"k\"]))\n"
            "  def b(conn, p), do: json(conn, String.to_atom(p[\"k\"]))\nend\n",
    })
    doc = json.loads(run_cli("review", str(project), "-f", "json").stdout)
    prints = [f["fingerprint"] for f in doc["findings"] if f["path"].endswith("twice_controller.ex")]
    assert len(prints) == 2 and len(set(prints)) == 2


def test_bad_baseline_file_is_one_error_line(tmp_path):
    project = demo_project(tmp_path / "p")
    for content in ("{not json", json.dumps({"findings": []}), json.dumps({"beamsage-baseline": 1, "findings": [1]})):
        bad = tmp_path / "bad.json"
        bad.write_text(content)
        result = run_cli("review", str(project), "--baseline", str(bad))
        assert result.returncode == 2
        assert result.stderr.startswith(f"beamsage: error: {bad}: not a beamsage baseline")
        assert result.stderr.count("\n") == 1
    missing = run_cli("review", str(project), "--baseline", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "cannot read baseline" in missing.stderr
