"""Bad input never stops a review: each bad file becomes a finding of its own."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beamsage.engine.config import Config
from beamsage.engine.worker import analyze_file
from beamsage.rules import Confidence

from conftest import review_project, run_cli
from projects import demo_project

BAD_FILES = {
    "lib/broken.ex": "defmodule Broken do\n  def f(x) do\n    case x do\n      1 -> :one\n  end\nend\n",
    "lib/binary.ex": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "lib/latin1.ex": "defmodule L do\n  def s, do: \"caf\xe9\"\nend\n".encode("latin-1"),
    "lib/empty.ex": "",
    "lib/blank.ex": "  \n\n",
    "lib/huge.ex": "# " + "x" * (5 * 1024 * 1024) + "\n",
    "lib/deep.ex": "defmodule Deep do\n  def f, do: " + "{" * 20000 + "1" + "}" * 20000 + "\nend\n",
    "lib/broken.html.heex": "<div>\n  <p class=\"open>\n</div>\n",
}


@pytest.fixture(scope="module")
def bad_project(tmp_path_factory):
    return demo_project(tmp_path_factory.mktemp("bad"), **BAD_FILES)


def test_each_bad_file_is_a_finding_and_good_files_are_still_reviewed(bad_project):
    result = review_project(bad_project, Config(min_confidence=Confidence.LOW))
    found = {(f.location.path, f.rule, f.location.line) for f in result.findings}
    assert ("lib/broken.ex", "Source.ParseError", 6) in found or any(
        p == "lib/broken.ex" and r == "Source.ParseError" for p, r, _ in found)
    assert ("lib/binary.ex", "Source.BinaryFile", 1) in found
    assert ("lib/latin1.ex", "Source.InvalidEncoding", 2) in found
    assert ("lib/empty.ex", "Source.EmptyFile", 1) in found
    assert ("lib/blank.ex", "Source.EmptyFile", 1) in found
    assert ("lib/huge.ex", "Source.FileTooLarge", 1) in found
    assert any(p == "lib/broken.html.heex" and r == "Source.ParseError" for p, r, _ in found)
    # The good files' findings are all still there.
    good = {(f.rule, f.location.line) for f in result.findings
            if f.location.path == "lib/demo_web/controllers/sort_controller.ex"}
    assert good == {("Security.UnsafeAtomConversion", 5), ("Security.UnsafeBinaryToTerm", 10)}
    assert not any(f.rule == "Source.AnalysisError" for f in result.findings)


def test_encoding_finding_points_at_the_bad_byte(bad_project):
    result = review_project(bad_project)
    latin = next(f for f in result.findings if f.rule == "Source.InvalidEncoding")
    assert (latin.location.line, latin.location.column) == (2, 18)
    assert "0xe9" in latin.message


def test_cli_on_bad_files_reports_without_traceback(bad_project):
    result = run_cli("review", str(bad_project), "-f", "json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr == ""


def test_max_file_size_is_configurable(tmp_path):
    project = demo_project(tmp_path, **{"lib/mid.ex": "defmodule Mid do\nend\n" + "# pad\n" * 2000})
    (project / ".beamsage.toml").write_text("max-file-size = 1000\n")
    rules = {(f.location.path, f.rule) for f in review_project(project).findings}
    assert ("lib/mid.ex", "Source.FileTooLarge") in rules


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    project = demo_project(tmp_path, **{"lib/secret.ex": "defmodule S do\nend\n"})
    (project / "lib/secret.ex").chmod(0)
    try:
        rules = {(f.location.path, f.rule) for f in review_project(project).findings}
    finally:
        (project / "lib/secret.ex").chmod(0o644)
    assert ("lib/secret.ex", "Source.Unreadable") in rules


PATHS = st.sampled_from(["lib/a.ex", "test/a_test.exs", "lib/a.html.heex", "lib/a.html.eex", "config/c.exs"])
ELIXIR_BITS = st.sampled_from([
    "defmodule ", "def ", "defp ", " do\n", "end\n", "String.to_atom(", "params[\"x\"]", ")", "(", "|>", "~H\"\"\"\n",
    "\"\"\"\n", "<%= ", " %>", "{", "}", "@x", ":\"a#{", "fn x -> ", "quote do\n", "&", "/1", ",", "%{", "=>", "<div>",
    "</div>", "# beamsage:disable-next-line ", "Security", "\n", " ", "\x00", "é", "\\", "'", "\"",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=PATHS, parts=st.lists(ELIXIR_BITS, max_size=60))
def test_analysing_any_source_text_never_raises(path, parts):
    result = analyze_file(path, "".join(parts).encode("utf-8"))
    assert result.facts.path == path
    assert not any(issue.kind == "internal_error" for issue in result.facts.issues), result.facts.issues


@settings(max_examples=200, deadline=None)
@given(path=PATHS, data=st.binary(max_size=2000))
def test_analysing_any_bytes_never_raises(path, data):
    result = analyze_file(path, data)
    assert not any(issue.kind == "internal_error" for issue in result.facts.issues), result.facts.issues
