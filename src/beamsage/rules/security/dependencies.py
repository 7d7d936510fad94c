"""Dependencies locked at versions with published vulnerabilities.

The advisories ship as data (`beamsage/data/advisories.toml`, versioned with
`schema` and `updated`), so adding one is an edit to that file. Versions
compare the way Elixir's `Version` does (SemVer 2.0: `1.8.0-rc.0` sorts
before `1.8.0`, build metadata is ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ...model.layout import Layout
from ...model.lockfile import LockedDep, read_lock
from ...model.project import Project
from ...source.document import Span
from ..base import Confidence, Finding, ProjectRule, Severity, register

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SCHEMA = 1

# -- versions ---------------------------------------------------------------------

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def parse_version(value: str | None) -> tuple | None:
    """A sort key for an Elixir version (`1.7.0-rc.1`); None when it is not one."""
    match = _VERSION.match((value or "").strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), (1,))
    # Numeric identifiers sort numerically and below alphanumeric ones.
    ids = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split("."))
    return (int(major), int(minor), int(patch), (0, ids))


_OPERATORS = {
    ">=": lambda v, b: v >= b,
    ">": lambda v, b: v > b,
    "<=": lambda v, b: v <= b,
    "<": lambda v, b: v < b,
    "=": lambda v, b: v == b,
    "==": lambda v, b: v == b,
}
_CLAUSE = re.compile(r"^\s*(>=|<=|==|=|>|<)\s*(\S+)\s*$")


def parse_range(text: str) -> tuple[tuple[str, tuple], ...]:
    """`">= 1.2.0, < 1.2.3"` -> ((">=", v1), ("<", v2)); raises ValueError on anything else."""
    clauses = []
    for part in text.split(","):
        match = _CLAUSE.match(part)
        version = parse_version(match.group(2)) if match else None
        if match is None or version is None:
            raise ValueError(f"not a version range: {text!r}")
        clauses.append((match.group(1), version))
    return tuple(clauses)


# -- advisories ---------------------------------------------------------------------


@dataclass(frozen=True)
class Advisory:
    package: str
    id: str
    aliases: tuple[str, ...]
    summary: str
    affected: tuple[tuple[tuple[str, tuple], ...], ...]
    fixed: tuple[str, ...]
    severity: str | None
    url: str

    def affects(self, version: tuple) -> bool:
        return any(all(_OPERATORS[op](version, bound) for op, bound in clauses) for clauses in self.affected)

    def fixed_after(self, version: tuple) -> str | None:
        """The lowest fixed version above `version`: the upgrade that fixes it on its branch."""
        later = [(key, text) for text in self.fixed if (key := parse_version(text)) is not None and key > version]
        return min(later)[1] if later else None


def load_advisories(data: str | None = None) -> dict[str, tuple[Advisory, ...]]:
    """Advisories by package, from `data` (TOML) or the shipped file. Raises ValueError on a bad file."""
    if data is None:
        return _shipped()
    return _parse_advisories(data)


@cache
def _shipped() -> dict[str, tuple[Advisory, ...]]:
    data = resources.files("beamsage").joinpath("data", "advisories.toml").read_text("utf-8")
    return _parse_advisories(data)


def _parse_advisories(data: str) -> dict[str, tuple[Advisory, ...]]:
    try:
        doc = tomllib.loads(data)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"advisory data is not valid TOML: {err}") from None
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"advisory data has schema {doc.get('schema')!r}; this beamsage reads schema {SCHEMA}")
    found: dict[str, list[Advisory]] = {}
    for table in doc.get("advisory", []):
        try:
            advisory = Advisory(
                package=str(table["package"]),
                id=str(table["id"]),
                aliases=tuple(str(a) for a in table.get("aliases", ())),
                summary=str(table["summary"]),
                affected=tuple(parse_range(r) for r in table["affected"]),
                fixed=tuple(str(v) for v in table.get("fixed", ())),
                severity=table.get("severity"),
                url=str(table["url"]),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"advisory {table.get('id', '?')} lacks or mistypes {err}") from None
        if advisory.severity not in (None, "low", "moderate", "high", "critical"):
            raise ValueError(f"advisory {advisory.id}: unknown severity {advisory.severity!r}")
        found.setdefault(advisory.package, []).append(advisory)
    return {package: tuple(items) for package, items in found.items()}


def lock_paths(layout: Layout) -> list[str]:
    """Root-relative paths of the `mix.lock` files of the project: the root's
    (an umbrella's apps share it) and each poncho app's own."""
    paths = []
    for app in layout.apps:
        path = app.join("mix.lock")
        if path not in paths and (layout.root / path).is_file():
            paths.append(path)
    return paths


_SEVERITY = {"critical": Severity.ERROR, "high": Severity.ERROR, "moderate": Severity.WARNING,
             "low": Severity.WARNING}


@register
class KnownVulnerableDependency(ProjectRule):
    """A dependency locked in `mix.lock` at a version with a published vulnerability.

    ## What it finds

    Hex packages in each `mix.lock` (the project's, an umbrella's, each
    poncho app's) whose locked version falls in the affected range of an
    advisory shipped with beamsage: Plug, Phoenix, Phoenix.HTML, LiveView,
    Ecto, Bandit, Cowboy, Mint and others. The finding names the advisory
    (GHSA and CVE ids), what it is about and the first fixed version on your
    branch. Git and path dependencies and packages from private Hex
    repositories are not checked. A lock that does not parse is reported
    once, with where it breaks.

    ## Why it matters

    A published advisory is a recipe: scanners try known flaws in Plug,
    Phoenix and the HTTP servers on every public app within days. The fix is
    usually a patch release away (`mix deps.update plug`), and `mix.lock`,
    not `mix.exs`, decides what runs: `{:plug, "~> 1.16"}` still runs the
    vulnerable 1.16.1 until the lock moves.

    ## Example

    ```elixir
    # mix.lock
    %{
      "phoenix": {:hex, :phoenix, "1.7.14", "a7d0b3f...", [:mix], [...], "hexpm", "c7859bc..."},
    }
    ```

    ## Use instead

    Update the package within its requirement (or widen the requirement),
    and run `mix hex.audit` / `mix deps.audit` in CI:

    ```elixir
    # mix deps.update phoenix
    %{
      "phoenix": {:hex, :phoenix, "1.7.24", "...", [:mix], [...], "hexpm", "..."},
    }
    ```
    """

    id = "Security.KnownVulnerableDependency"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    cwe = (1395,)
    security_severity = 7.5

    def check(self, project: Project) -> Iterable[Finding]:
        advisories = load_advisories()
        for path in lock_paths(project.layout):
            lock = read_lock(project.layout.root / path)
            if lock is None:
                continue
            for dep in lock.deps:
                yield from self._judge(path, dep, advisories)
            if lock.error_line is not None:
                line = lock.error_line
                message = (f"`{path}` does not parse from line {line} (an unresolved merge?), so the versions "
                           "it locks could not all be checked against known advisories")
                yield self.finding(path, Span(line, 1, line, 1), message, severity=Severity.INFO,
                                   fix="Resolve the lock with `mix deps.get` and review again.")

    def _judge(self, path: str, dep: LockedDep, advisories: dict[str, tuple[Advisory, ...]]) -> Iterable[Finding]:
        if not dep.public_hex:
            return
        version = parse_version(dep.version)
        if version is None:
            return
        for advisory in advisories.get(dep.package, ()):
            if not advisory.affects(version):
                continue
            ids = f"{advisory.id} ({', '.join(advisory.aliases)})" if advisory.aliases else advisory.id
            fixed = advisory.fixed_after(version)
            upgrade = f"; fixed in {fixed}" if fixed else ""
            name = dep.package if dep.package == dep.name else f"{dep.name} (Hex package {dep.package})"
            message = f"`{name}` {dep.version} is affected by {ids}: {advisory.summary}{upgrade}"
            target = f" to {fixed} or later" if fixed else ""
            fix = f"Run `mix deps.update {dep.name}`{target} (see {advisory.url})."
            span = Span(dep.line, dep.column, dep.end_line, dep.end_column)
            yield self.finding(path, span, message, severity=_SEVERITY.get(advisory.severity or "", self.severity),
                               fix=fix)
