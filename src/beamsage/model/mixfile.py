"""What a `mix.exs` declares, read from source (never evaluated).

Only the keys that shape a review: the app name, `apps_path` (umbrella),
`elixirc_paths` (literal lists, or a helper such as
`elixirc_paths(Mix.env())` whose clauses return literal lists: all of them
are taken, since a review covers every environment) and the deps' names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..source.parse import parse
from ..source.syntax import Outline, atom_value, keyword_pairs, string_value, walk


@dataclass(frozen=True)
class MixProject:
    app: str | None = None
    apps_path: str | None = None
    elixirc_paths: tuple[str, ...] = ("lib",)
    deps: tuple[str, ...] = ()
    elixir: str | None = None  # the `elixir: "~> 1.15"` requirement, as written


def read_mix_project(path: Path) -> MixProject:
    """Read `path` (a mix.exs). Unreadable or unparsable files give the defaults."""
    try:
        data = path.read_bytes()
    except OSError:
        return MixProject()
    outline = Outline.build(parse("elixir", data))
    project = next((c for c in outline.clauses if c.name == "project" and c.arity == 0), None)
    if project is None or project.body is None:
        return MixProject()
    settings = dict(keyword_pairs(_keyword_list(project.body)))
    app = atom_value(settings.get("app"))
    apps_path = string_value(settings.get("apps_path"))
    paths = _elixirc_paths(settings.get("elixirc_paths"), outline)
    deps = _deps(settings.get("deps"), outline)
    return MixProject(app=app, apps_path=apps_path, elixirc_paths=paths or ("lib",), deps=deps,
                      elixir=string_value(settings.get("elixir")))


def _keyword_list(body):
    """The keyword list a function body ends with (a `do:` value or a do block)."""
    node = body
    if node.type == "do_block":
        children = [c for c in node.named_children]
        node = children[-1] if children else None
    return node


def _strings(node) -> list[str]:
    if node is None:
        return []
    return [s for n in walk(node) if n.type == "string" and (s := string_value(n)) is not None]


def _helper_result(node, outline: Outline) -> list:
    """The bodies of a local helper called as `name(...)` in the project settings."""
    if node is None or node.type != "call":
        return [node] if node is not None else []
    target = node.child_by_field_name("target")
    if target is None or target.type != "identifier":
        return [node]
    name = target.text.decode()
    return [c.body for c in outline.clauses if c.name == name and c.body is not None]


def _elixirc_paths(node, outline: Outline) -> tuple[str, ...]:
    paths: list[str] = []
    for body in _helper_result(node, outline):
        paths.extend(_strings(body))
    return tuple(dict.fromkeys(p.rstrip("/") for p in paths if p))


def _deps(node, outline: Outline) -> tuple[str, ...]:
    names: list[str] = []
    for body in _helper_result(node, outline):
        for item in walk(body):
            if item.type == "tuple" and item.named_children:
                name = atom_value(item.named_children[0])
                if name:
                    names.append(name)
    return tuple(dict.fromkeys(names))
