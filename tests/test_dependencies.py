"""Security.KnownVulnerableDependency: `mix.lock` read from source, versions
compared the way Elixir does, and the shipped advisory data kept honest."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from beamsage.engine.config import Config
from beamsage.model.lockfile import parse_lock, read_lock
from beamsage.rules import Confidence, Severity
from beamsage.rules.security.dependencies import load_advisories, parse_range, parse_version

from conftest import ROOT, review_project, write

RULE = "Security.KnownVulnerableDependency"
ALL = Config(min_confidence=Confidence.LOW)
MIX_EXS = 'defmodule App.MixProject do\n  use Mix.Project\n  def project, do: [app: :app, version: "0.1.0"]\nend\n'


def hex_entry(name: str, version: str, *, package: str | None = None, repo: str = "hexpm") -> str:
    checksum = "0" * 64
    return (f'  "{name}": {{:hex, :{package or name}, "{version}", "{checksum}", [:mix], [], '
            f'"{repo}", "{checksum}"}},\n')


def lock(*entries: str) -> str:
    return "%{\n" + "".join(entries) + "}\n"


def findings(root: Path):
    return [f for f in review_project(root, ALL).findings if f.rule == RULE]


# -- versions ---------------------------------------------------------------------


@pytest.mark.parametrize("lower, higher", [
    ("1.7.0-rc.0", "1.7.0"),
    ("1.7.0-rc.2", "1.7.0-rc.10"),  # numeric identifiers compare as numbers
    ("1.7.0-rc.1", "1.7.0-rc.1.1"),  # a longer set of identifiers sorts higher
    ("1.0.0-alpha.9", "1.0.0-alpha.beta"),  # numeric below alphanumeric
    ("1.0.0-alpha", "1.0.0-beta"),
    ("1.2.9", "1.2.10"),
    ("1.9.9", "1.10.0"),
    ("0.20.17", "1.0.0-rc.0"),
])
def test_versions_sort_as_elixir_sorts_them(lower, higher):
    assert parse_version(lower) < parse_version(higher)


def test_build_metadata_is_ignored_and_junk_is_not_a_version():
    assert parse_version("1.2.3+build.7") == parse_version("1.2.3")
    for junk in ("", "1.2", "v1.2.3", "1.2.3.4", "main", None, "1.2.x"):
        assert parse_version(junk) is None


def test_ranges_are_parsed_strictly():
    assert len(parse_range(">= 1.2.0, < 1.2.3")) == 2
    assert parse_range("= 2.2.0")[0][0] == "="
    for bad in ("~> 1.2", ">= 1.2", "< x", "", ">= 1.0.0,"):
        with pytest.raises(ValueError):
            parse_range(bad)


# -- the shipped data ---------------------------------------------------------------

DATA = ROOT / "src" / "beamsage" / "data" / "advisories.toml"
_ID = re.compile(r"^(GHSA(-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,})$")


def test_shipped_advisories_are_versioned_and_well_formed():
    text = DATA.read_text("utf-8")
    assert re.search(r"^schema = 1$", text, re.M)
    updated = re.search(r'^updated = "(\d{4}-\d{2}-\d{2})"$', text, re.M)
    assert updated and date.fromisoformat(updated.group(1))
    advisories = [a for items in load_advisories().values() for a in items]
    assert len(advisories) >= 20
    ids = [a.id for a in advisories]
    assert len(ids) == len(set(ids)), "an advisory is listed twice"
    for advisory in advisories:
        assert _ID.match(advisory.id), advisory.id
        assert all(_ID.match(alias) for alias in advisory.aliases), advisory.id
        assert advisory.url.startswith("https://"), advisory.id
        assert advisory.summary and len(advisory.summary) <= 110 and "\n" not in advisory.summary, advisory.id
        assert advisory.package == advisory.package.lower(), advisory.id
        assert advisory.fixed, advisory.id
        for fixed in advisory.fixed:
            version = parse_version(fixed)
            assert version is not None and not advisory.affects(version), f"{advisory.id}: {fixed} is not a fix"
    packages = {a.package for a in advisories}
    assert {"plug", "phoenix", "phoenix_html", "phoenix_live_view", "ecto"} <= packages


def test_every_advisory_says_where_it_came_from():
    """Each [[advisory]] table is preceded by a comment naming its source."""
    for before in DATA.read_text("utf-8").split("[[advisory]]")[:-1]:
        assert before.rstrip().splitlines()[-1].startswith("#"), f"no source comment after: {before[-200:]!r}"


def test_data_ships_in_the_wheel():
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"data/*.toml"' in pyproject


@pytest.mark.parametrize("package, version, expected", [
    ("phoenix", "1.7.21", {"GHSA-628h-q48j-jr6q", "GHSA-6983-jfq8-485w", "GHSA-63mc-hw7g-86rr"}),
    ("phoenix", "1.7.22", {"GHSA-6983-jfq8-485w", "GHSA-63mc-hw7g-86rr"}),
    ("phoenix", "1.7.24", set()),
    ("phoenix", "1.7.0-rc.2", {"GHSA-6983-jfq8-485w", "GHSA-63mc-hw7g-86rr"}),  # 628h starts at 1.7.0
    ("phoenix", "1.2.2", {"GHSA-cmfh-8f8r-fj96", "GHSA-p8f7-22gq-m7j9", "GHSA-6983-jfq8-485w",
                          "GHSA-63mc-hw7g-86rr"}),
    ("plug", "1.3.1", {"GHSA-2q6v-32mr-8p8x", "GHSA-5v4m-c73v-c7gq", "GHSA-9h73-w7ch-rh73", "GHSA-wpmj-jh88-rpgm"}),
    ("plug", "1.18.5", set()),
    ("ecto", "2.2.0", {"GHSA-2xxx-fhc8-9qvq"}),
    ("ecto", "2.2.1", set()),
    ("phoenix_html", "3.0.3", {"GHSA-5g2h-9x5v-5h3x"}),
    ("phoenix_html", "4.1.1", set()),
])
def test_affected_ranges(package, version, expected):
    key = parse_version(version)
    found = {a.id for a in load_advisories().get(package, ()) if a.affects(key)}
    assert found == expected


def test_bad_advisory_data_is_refused_with_a_reason():
    good = 'schema = 1\nupdated = "2026-01-01"\n'
    entry = ('[[advisory]]\npackage = "plug"\nid = "GHSA-aaaa-bbbb-cccc"\nsummary = "x"\n'
             'affected = ["< 1.0.0"]\nfixed = ["1.0.0"]\nurl = "https://example.org"\n')
    assert load_advisories(good + entry)["plug"][0].id == "GHSA-aaaa-bbbb-cccc"
    for bad, reason in [
        ('schema = 2\n' + entry, "schema"),
        (good + entry.replace('["< 1.0.0"]', '["~> 1.0"]'), "range"),
        (good + entry.replace('package = "plug"\n', ""), "package"),
        (good + entry + 'severity = "urgent"\n', "severity"),
        ("schema = [", "TOML"),
    ]:
        with pytest.raises(ValueError, match=reason):
            load_advisories(bad)


# -- reading mix.lock ----------------------------------------------------------------


def test_lock_entries_of_every_kind():
    data = lock(
        hex_entry("plug", "1.16.1"),
        hex_entry("my_plug", "1.3.0", package="plug"),
        hex_entry("acme_auth", "0.4.0", repo="hexpm:acme"),
        '  "lv": {:git, "https://github.com/phoenixframework/phoenix_live_view.git", "abc123", [branch: "main"]},\n',
        '  "local": {:path, "../local", []},\n',
        '  "old": {:hex, :old, "0.1.0", "abc"},\n',
    ).encode()
    deps = {d.name: d for d in parse_lock(data).deps}
    assert deps["plug"].package == "plug" and deps["plug"].version == "1.16.1" and deps["plug"].public_hex
    assert deps["plug"].line == 2 and deps["plug"].column == 3
    assert deps["my_plug"].package == "plug"
    assert not deps["acme_auth"].public_hex
    assert deps["lv"].manager == "git" and deps["lv"].version is None and not deps["lv"].public_hex
    assert deps["local"].manager == "path"
    assert deps["old"].version == "0.1.0" and deps["old"].repo is None and deps["old"].public_hex
    assert parse_lock(data).error_line is None


def test_old_arrow_form_and_options_inside_entries_are_not_mistaken_for_deps():
    data = b'%{"plug" => {:hex, :plug, "1.3.0", "abc", [:mix], [{:mime, "~> 1.0", [hex: :mime, optional: false]}]}}'
    assert [d.name for d in parse_lock(data).deps] == ["plug"]


@pytest.mark.parametrize("data", [
    b"",
    b"%{}",
    b"\x00\x01\x02binary",
    b"%{\n  \"plug\": {:hex, :plug, ",
    b"%{\n<<<<<<< HEAD\n  \"plug\": {:hex, :plug, \"1.3.0\", \"a\"},\n=======\n"
    b"  \"plug\": {:hex, :plug, \"1.3.5\", \"a\"},\n>>>>>>> main\n}\n",
    b"[1, 2, 3]",
    "%{\"pl\u00fcg\": {:hex, :pl\u00fcg, \"1.0.0\", \"x\"}}".encode(),
    b"%{\"a\": {:hex, 42, \"1.0.0\"}, \"b\": {:hex}, \"c\": {}, \"d\": 5}",
])
def test_broken_locks_never_raise(data):
    parsed = parse_lock(data)
    assert all(d.name for d in parsed.deps)


def test_missing_or_unreadable_lock_is_none(tmp_path):
    assert read_lock(tmp_path / "mix.lock") is None
    (tmp_path / "mix.lock").mkdir()
    assert read_lock(tmp_path / "mix.lock") is None


# -- the rule -------------------------------------------------------------------------


def test_vulnerable_version_is_reported_at_its_lock_line(tmp_path):
    write(tmp_path, {"mix.exs": MIX_EXS, "mix.lock": lock(hex_entry("jason", "1.4.4"), hex_entry("phoenix", "1.7.21"))})
    found = findings(tmp_path)
    assert {f.location.path for f in found} == {"mix.lock"}
    assert {f.location.line for f in found} == {3}
    longpoll = next(f for f in found if "GHSA-628h-q48j-jr6q" in f.message)
    assert "CVE-2026-32689" in longpoll.message and "fixed in 1.7.22" in longpoll.message
    assert longpoll.severity is Severity.ERROR and longpoll.confidence is Confidence.HIGH
    assert "mix deps.update phoenix" in longpoll.fix and "1.7.22" in longpoll.fix
    assert len(found) == 3


def test_aliased_dep_is_judged_by_its_hex_package(tmp_path):
    write(tmp_path, {"mix.exs": MIX_EXS, "mix.lock": lock(hex_entry("web_plug", "1.16.1", package="plug"))})
    messages = [f.message for f in findings(tmp_path)]
    assert messages and all("web_plug (Hex package plug)" in m for m in messages)


def test_git_path_and_private_deps_are_not_judged(tmp_path):
    write(tmp_path, {"mix.exs": MIX_EXS, "mix.lock": lock(
        '  "phoenix": {:git, "https://github.com/phoenixframework/phoenix.git", "0123abc", [tag: "v1.2.0"]},\n',
        '  "plug": {:path, "../plug", []},\n',
        hex_entry("phoenix_html", "2.0.0", repo="hexpm:acme"),
    )})
    assert findings(tmp_path) == []


def test_broken_lock_gives_one_clear_finding_and_what_parses(tmp_path):
    broken = ("%{\n" + hex_entry("phoenix", "1.7.21") + "<<<<<<< HEAD\n" + hex_entry("plug", "1.3.0")
              + "=======\n" + hex_entry("plug", "1.3.5") + ">>>>>>> main\n}\n")
    write(tmp_path, {"mix.exs": MIX_EXS, "mix.lock": broken})
    found = findings(tmp_path)
    info = [f for f in found if f.severity is Severity.INFO]
    assert len(info) == 1 and info[0].location.line == 3 and "does not parse" in info[0].message
    assert any("GHSA-628h-q48j-jr6q" in f.message for f in found)


def test_garbage_lock_does_not_stop_the_review(tmp_path):
    write(tmp_path, {"mix.exs": MIX_EXS, "mix.lock": b"\x00\xff\xfe not a lock",
                     "lib/app.ex": "defmodule App do\nend\n"})
    result = review_project(tmp_path, ALL)
    assert not any(f.rule == "Source.AnalysisError" for f in result.findings)
    assert [f.message for f in result.findings if f.rule == RULE][0].startswith("`mix.lock` does not parse")


def test_umbrella_and_poncho_locks(tmp_path):
    umbrella = tmp_path / "umbrella"
    write(umbrella, {
        "mix.exs": 'defmodule U.MixProject do\n  use Mix.Project\n  def project, do: [apps_path: "apps"]\nend\n',
        "mix.lock": lock(hex_entry("plug", "1.16.1")),
        "apps/web/mix.exs": 'defmodule Web.MixProject do\n  use Mix.Project\n'
                            '  def project, do: [app: :web, lockfile: "../../mix.lock"]\nend\n',
    })
    assert {f.location.path for f in findings(umbrella)} == {"mix.lock"}
    poncho = tmp_path / "poncho"
    write(poncho, {
        "core/mix.exs": MIX_EXS,
        "core/mix.lock": lock(hex_entry("ecto", "2.2.0")),
        "web/mix.exs": MIX_EXS.replace(":app", ":web"),
        "web/mix.lock": lock(hex_entry("phoenix_html", "3.0.3")),
    })
    assert {f.location.path for f in findings(poncho)} == {"core/mix.lock", "web/mix.lock"}


def test_no_lock_no_findings(tmp_path):
    write(tmp_path, {"mix.exs": MIX_EXS})
    assert findings(tmp_path) == []
