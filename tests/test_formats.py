"""Output documents: valid against their schemas, carrying what consumers need."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from conftest import DATA, run_cli, write
from projects import demo_project


@pytest.fixture
def project(tmp_path):
    return demo_project(tmp_path)


def test_json_matches_its_published_schema(project):
    doc = json.loads(run_cli("review", str(project), "-f", "json").stdout)
    schema = json.loads(resources.files("beamsage.review").joinpath("schema/review-v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["schema_version"] == 1
    assert doc["summary"]["by_severity"] == {"info": 0, "warning": 1, "error": 1}
    first = doc["findings"][0]
    assert (first["path"], first["line"], first["rule"]) == (
        "lib/demo_web/controllers/sort_controller.ex", 5, "Security.UnsafeAtomConversion")
    assert first["confidence"] == "high" and len(first["fingerprint"]) == 20


def test_sarif_is_valid_sarif_2_1_0(project):
    doc = json.loads(run_cli("review", str(project), "-f", "sarif").stdout)
    schema = json.loads((DATA / "sarif-2.1.0.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    run = doc["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    atom = rules["Security.UnsafeAtomConversion"]
    assert "external/cwe/cwe-400" in atom["properties"]["tags"]
    assert atom["properties"]["security-severity"] == "7.5"
    assert "## Why it matters" in atom["help"]["markdown"]
    results = run["results"]
    assert {r["ruleId"] for r in results} == set(rules)
    for result in results:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"]["beamsage/v1"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_sarif_and_github_paths_are_relative_to_the_git_repository(tmp_path):
    (tmp_path / ".git").mkdir()
    project = demo_project(tmp_path / "backend")
    sarif = json.loads(run_cli("review", str(project), "-f", "sarif").stdout)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "backend/lib/demo_web/controllers/sort_controller.ex"
    assert sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    github = run_cli("review", str(project), "-f", "github").stdout
    assert "file=backend/lib/demo_web/controllers/sort_controller.ex," in github


def test_github_annotations_escape_their_data(tmp_path):
    project = write(tmp_path, {
        "mix.exs": "defmodule D.MixProject do\n  use Mix.Project\n  def project, do: [app: :d]\nend\n",
        "lib/a,b.ex": "defmodule A do\n  def f(x), do: Code.eval_string(x)\nend\n",
    })
    line = run_cli("review", str(project), "-f", "github", "--min-confidence", "low").stdout.strip()
    assert line.startswith("::error file=lib/a%2Cb.ex,line=2,col=17,endLine=2,endColumn=36,title=Security.CodeEvaluation (low confidence)::")
    assert "%0AFix%3A" not in line and "%0AFix: " in line


def test_markdown_is_a_pr_comment(project):
    out = run_cli("review", str(project), "-f", "markdown").stdout
    assert "**❌ fails** at `warning`" in out
    assert "| 🔴 error | `Security.UnsafeBinaryToTerm` | `lib/demo_web/controllers/sort_controller.ex:10` |" in out
    assert "<details><summary><code>Security.UnsafeAtomConversion</code>" in out


def test_clean_project_documents(tmp_path):
    from projects import clean_project

    project = clean_project(tmp_path)
    sarif = json.loads(run_cli("review", str(project), "-f", "sarif").stdout)
    jsonschema.Draft202012Validator(json.loads((DATA / "sarif-2.1.0.json").read_text())).validate(sarif)
    assert sarif["runs"][0]["results"] == []
    assert run_cli("review", str(project), "-f", "github").stdout == ""
    assert "✅ passes" in run_cli("review", str(project), "-f", "markdown").stdout
    text = run_cli("review", str(project)).stdout
    # the quality checklist (reported, never a finding) comes before the verdict
    assert text.startswith("Quality checklist") and text.endswith("\n\nNo findings in 2 files.\n")


def test_text_shows_the_part_of_a_long_line_that_matters(tmp_path):
    padding = ", ".join(f"k{i}: {i}" for i in range(60))
    write(tmp_path, {
        "mix.exs": "defmodule A.MixProject do\n  use Mix.Project\n  def project, do: [app: :a]\nend\n",
        "lib/a_web/c.ex": "defmodule AWeb.C do\n  use AWeb, :controller\n"
                          f"  def i(conn, p), do: json(conn, %{{{padding}, s: String.to_atom(p[\"s\"])}})\nend\n",
    })
    out = run_cli("review", str(tmp_path)).stdout
    shown = [line for line in out.splitlines() if line.strip().startswith("3 |")]
    assert shown and len(shown[0]) < 140 and "String.to_atom" in shown[0] and "| ..." in shown[0]


def test_text_underlines_a_whole_line_finding_from_its_code_not_its_indentation():
    from conftest import ROOT

    out = run_cli("review", str(ROOT / "examples" / "shop" / "lib" / "shop" / "catalog" / "product.ex"),
                  "--no-cache").stdout
    source = "    21 |     field :weight_grams, :integer\n"
    assert source + "       |     " + "^" * len("field :weight_grams, :integer") + "\n" in out
