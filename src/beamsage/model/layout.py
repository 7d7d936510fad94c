"""Where a Mix project is and which of its files are source.

`discover(path)` finds the project for any path inside it: the nearest
`mix.exs` upward, lifted to the umbrella root when that `mix.exs` belongs to
an umbrella's `apps_path`; failing that, a folder holding several Mix
projects (poncho layout). `source_files(layout)` lists what a review reads:
`lib/`, `test/`, `config/`, `priv/*/migrations/`, every `elixirc_paths`
entry and `mix.exs`, skipping `deps/`, `_build/`, `node_modules/`, `cover/`
and hidden folders.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..source.document import SOURCE_SUFFIXES
from .mixfile import MixProject, read_mix_project

IGNORED_DIRS = frozenset({"deps", "_build", "node_modules", "cover"})
_SEARCH_DEPTH = 3  # how deep to look below a folder with no mix.exs for projects


class ProjectError(Exception):
    """The path given is not a project we can review."""


@dataclass(frozen=True)
class App:
    path: str  # relative to the layout root, POSIX; "" for the root itself
    name: str | None
    elixirc_paths: tuple[str, ...]

    def join(self, sub: str) -> str:
        return f"{self.path}/{sub}" if self.path else sub


@dataclass(frozen=True)
class Layout:
    root: Path
    kind: str  # "single", "umbrella", "multi", "loose"
    apps: tuple[App, ...]
    focus: str = ""  # root-relative path the user asked about ("" = everything)

    def in_focus(self, path: str) -> bool:
        return not self.focus or path == self.focus or path.startswith(self.focus + "/")


def discover(path: Path, *, no_project: bool = False) -> Layout:
    path = path.resolve()
    if not path.exists():
        raise ProjectError(f"path does not exist: {path}")
    start = path if path.is_dir() else path.parent
    found = _nearest_mix_root(start)
    if found is not None:
        root, kind, apps = found
    else:
        apps_found = _mix_projects_below(start)
        if apps_found:
            root, kind, apps = start, "multi", apps_found
        elif no_project:
            # Loose files: the folder given, or just the file given.
            only = "." if path.is_dir() else path.name
            root, kind, apps = start, "loose", (App("", None, (only,)),)
        else:
            raise ProjectError(
                f"no mix.exs found in {start} or its parent folders; "
                "pass --no-project to read loose files"
            )
    focus = "" if path == root else path.relative_to(root).as_posix()
    return Layout(root=root, kind=kind, apps=apps, focus=focus)


def _nearest_mix_root(start: Path):
    for folder in (start, *start.parents):
        if (folder / "mix.exs").is_file():
            umbrella = _umbrella_above(folder)
            if umbrella is not None:
                return umbrella, "umbrella", _umbrella_apps(umbrella, read_mix_project(umbrella / "mix.exs"))
            project = read_mix_project(folder / "mix.exs")
            if project.apps_path:
                return folder, "umbrella", _umbrella_apps(folder, project)
            return folder, "single", (App("", project.app, project.elixirc_paths),)
    return None


def _umbrella_above(folder: Path) -> Path | None:
    """The umbrella root whose `apps_path` holds `folder`, if any."""
    for parent in folder.parents:
        if (parent / "mix.exs").is_file():
            apps_path = read_mix_project(parent / "mix.exs").apps_path
            if apps_path and (parent / apps_path).resolve() == folder.parent:
                return parent
            return None
    return None


def _umbrella_apps(root: Path, project: MixProject) -> tuple[App, ...]:
    apps = [App("", project.app, ())]  # the umbrella root: its config/ and mix.exs
    apps_dir = root / (project.apps_path or "apps")
    if apps_dir.is_dir():
        for child in sorted(apps_dir.iterdir()):
            if (child / "mix.exs").is_file():
                sub = read_mix_project(child / "mix.exs")
                apps.append(App(child.relative_to(root).as_posix(), sub.app, sub.elixirc_paths))
    return tuple(apps)


def _mix_projects_below(start: Path) -> tuple[App, ...]:
    apps: list[App] = []
    stack = [(start, 0)]
    while stack:
        folder, depth = stack.pop()
        if depth > 0 and (folder / "mix.exs").is_file():
            project = read_mix_project(folder / "mix.exs")
            rel = folder.relative_to(start).as_posix()
            if project.apps_path:
                apps.extend(
                    App(f"{rel}/{app.path}" if app.path else rel, app.name, app.elixirc_paths)
                    for app in _umbrella_apps(folder, project)
                )
            else:
                apps.append(App(rel, project.app, project.elixirc_paths))
            continue
        if depth < _SEARCH_DEPTH:
            stack.extend((child, depth + 1) for child in _subdirs(folder))
    return tuple(sorted(apps, key=lambda a: a.path))


def _subdirs(folder: Path) -> list[Path]:
    try:
        return [
            Path(entry.path)
            for entry in os.scandir(folder)
            if entry.is_dir(follow_symlinks=False) and not _ignored_dir(entry.name)
        ]
    except OSError:
        return []


def _ignored_dir(name: str) -> bool:
    return name in IGNORED_DIRS or name.startswith(".")


# -- files --------------------------------------------------------------------


def source_files(layout: Layout, excludes: list[str] = ()) -> list[str]:
    """Root-relative POSIX paths of the files a review reads, sorted."""
    matcher = ExcludeMatcher(excludes)
    found: set[str] = set()
    for app in layout.apps:
        for top in _review_roots(layout, app):
            _collect(layout.root, top, matcher, found)
    return sorted(found)


def _review_roots(layout: Layout, app: App) -> list[str]:
    if layout.kind == "loose":
        return ["" if p == "." else p for p in app.elixirc_paths]
    roots = ["lib", "test", "config", "mix.exs", *app.elixirc_paths]
    priv = layout.root / app.join("priv")
    if priv.is_dir():
        roots.extend(f"priv/{d.name}/migrations" for d in _subdirs(priv))
    return [app.join(r) if r != "." else app.path for r in dict.fromkeys(roots)]


def _collect(root: Path, top: str, matcher: ExcludeMatcher, found: set[str]) -> None:
    start = root / top if top else root
    if start.is_file():
        if top.endswith(SOURCE_SUFFIXES) and not matcher.excluded(top):
            found.add(top)
        return
    prefix = len(str(root)) + 1  # plain string slicing: pathlib is slow on big trees
    stack = [str(start)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            rel = entry.path[prefix:].replace(os.sep, "/")
            if entry.is_dir(follow_symlinks=False):
                if not _ignored_dir(entry.name) and not matcher.excluded(rel):
                    stack.append(entry.path)
            elif entry.name.endswith(SOURCE_SUFFIXES) and not matcher.excluded(rel):
                found.add(rel)


class ExcludeMatcher:
    """Glob patterns over root-relative paths.

    `*` matches within one path segment, `**` across segments, `?` one
    character. A pattern without `/` matches a file or folder name anywhere;
    a pattern that matches a folder excludes everything below it.
    """

    def __init__(self, patterns: list[str] = ()):
        self._regexes = [_glob_regex(p.strip().strip("/")) for p in patterns if p.strip().strip("/")]

    def excluded(self, path: str) -> bool:
        return any(regex.match(path) for regex in self._regexes)


def _glob_regex(pattern: str) -> re.Pattern:
    parts = re.split(r"(\*\*/?|\*|\?)", pattern)
    body = []
    for part in parts:
        if part in ("**", "**/"):
            body.append(".*")
        elif part == "*":
            body.append("[^/]*")
        elif part == "?":
            body.append("[^/]")
        else:
            body.append(re.escape(part))
    regex = "".join(body)
    prefix = "" if "/" in pattern else "(?:.*/)?"
    return re.compile(f"{prefix}{regex}(?:/.*)?$")
