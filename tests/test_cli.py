"""The command line as users and CI run it: a real subprocess every time."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time

from conftest import run_cli, write
from projects import clean_project, demo_project


def test_exit_codes_follow_fail_on(tmp_path):
    project = demo_project(tmp_path)
    assert run_cli("review", str(project)).returncode == 1
    assert run_cli("review", str(project), "--fail-on", "error").returncode == 1
    only_warning = run_cli("review", str(project), "--fail-on", "error", "--ignore", "Security.UnsafeBinaryToTerm")
    assert only_warning.returncode == 0
    assert "1 finding (1 warning)" in only_warning.stdout
    assert run_cli("review", str(clean_project(tmp_path / "clean"))).returncode == 0


def test_text_output_groups_by_file_and_shows_the_line(tmp_path):
    result = run_cli("review", str(demo_project(tmp_path)))
    out = result.stdout
    assert out.startswith("lib/demo_web/controllers/sort_controller.ex\n")
    assert "5:53  warning  Security.UnsafeAtomConversion  (high confidence)" in out
    assert "    5 |     products = Demo.Catalog.list_products(order_by: String.to_atom(sort))" in out
    assert "      | " + " " * 52 + "^" * 20 + "\n" in out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal
    assert result.stderr == ""  # no progress when stderr is not a terminal


def test_colour_only_on_a_terminal(tmp_path):
    project = demo_project(tmp_path)
    primary, secondary = pty.openpty()
    env = {**os.environ}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "beamsage", "review", str(project), "-q"],
                               stdout=secondary, stderr=subprocess.PIPE, env=env)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    assert b"\x1b[" in b"".join(chunks)


def test_machine_formats_print_only_the_document(tmp_path):
    project = demo_project(tmp_path)
    doc = json.loads(run_cli("review", str(project), "--format", "json").stdout)
    assert doc["summary"]["findings"] == 2
    sarif = json.loads(run_cli("review", str(project), "-f", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    github = run_cli("review", str(project), "-f", "github").stdout.splitlines()
    assert len(github) == 2 and all(line.startswith(("::error ", "::warning ")) for line in github)
    markdown = run_cli("review", str(project), "-f", "markdown").stdout
    assert markdown.startswith("## beamsage review")


def test_output_file_is_written_and_stdout_stays_empty(tmp_path):
    project = demo_project(tmp_path / "p")
    target = tmp_path / "report.sarif"
    result = run_cli("review", str(project), "-f", "sarif", "--output", str(target))
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads(target.read_text())["runs"][0]["results"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_output_into_missing_folder_is_one_error_line(tmp_path):
    result = run_cli("review", str(demo_project(tmp_path)), "-o", str(tmp_path / "nope" / "r.json"), "-f", "json")
    assert result.returncode == 2
    assert result.stderr.startswith("beamsage: error: cannot write") and result.stderr.count("\n") == 1
    assert not (tmp_path / "nope").exists()


def test_path_without_mix_exs(tmp_path):
    write(tmp_path, {"scripts/run.exs": "String.to_atom(System.argv() |> hd())\n"})
    result = run_cli("review", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == f"beamsage: error: no mix.exs found in {tmp_path} or its parent folders; pass --no-project to read loose files\n"
    assert result.stdout == ""
    loose = run_cli("review", str(tmp_path), "--no-project")
    assert loose.returncode == 0, loose.stderr


def test_missing_path_and_bad_options_exit_2(tmp_path):
    missing = run_cli("review", str(tmp_path / "missing"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    bad_format = run_cli("review", str(tmp_path), "--format", "xml")
    assert bad_format.returncode == 2 and "Traceback" not in bad_format.stderr
    unknown_rule = run_cli("review", str(demo_project(tmp_path)), "--select", "Security.Nope")
    assert unknown_rule.returncode == 2
    assert unknown_rule.stderr == "beamsage: error: the command line: unknown rule or family `Security.Nope` in `select`\n"


def test_rules_list_and_docs():
    listing = run_cli("rules")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["RULE", "SEVERITY", "CONFIDENCE", "SUMMARY"]
    assert any(line.startswith("Security.UnsafeAtomConversion") and "warning" in line for line in lines)
    docs = run_cli("rules", "Security.UnsafeAtomConversion")
    for heading in ("What it finds", "Why it matters", "Example", "Use instead", "CWE-400"):
        assert heading in docs.stdout
    family = run_cli("rules", "Security").stdout
    assert "Source." not in family and "Security.CodeEvaluation" in family
    as_json = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {r["id"] for r in as_json} >= {"Security.UnsafeAtomConversion", "Source.ParseError"}
    unknown = run_cli("rules", "Nope.Rule")
    assert unknown.returncode == 2 and unknown.stderr.startswith("beamsage: error: unknown rule")


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and "beamsage" in result.stdout


def test_ctrl_c_exits_cleanly(tmp_path):
    body = "".join(
        f"  def f{i}(conn, params), do: String.to_atom(params[\"k{i}\"])\n" for i in range(120)
    )
    files = {
        f"lib/demo_web/controllers/c{n}_controller.ex":
            f"defmodule DemoWeb.C{n}Controller do\n  use DemoWeb, :controller\n{body}end\n"
        for n in range(1500)
    }
    project = demo_project(tmp_path, **files)
    process = subprocess.Popen([sys.executable, "-m", "beamsage", "review", str(project), "--no-cache"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out[-500:], err)
    assert err.strip() == "beamsage: interrupted"
