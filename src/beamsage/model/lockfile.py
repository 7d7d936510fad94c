"""What a `mix.lock` pins: each dependency's package, version and source.

The lock is Elixir syntax (a map of name -> tuple) and is read with the
Elixir grammar, never evaluated:

    "plug": {:hex, :plug, "1.16.1", "<checksum>", [:mix], [...deps], "hexpm", "<checksum>"},
    "lv": {:git, "https://github.com/phoenixframework/phoenix_live_view.git", "<sha>", [branch: "main"]},

Only tuples of a known shape are taken: a lock with a merge conflict or a
syntax error still gives the entries that parse, and says where it broke.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from ..source.parse import first_error, parse
from ..source.syntax import atom_value, operator, string_value, walk

_MAX_LOCK_BYTES = 8 * 1024 * 1024  # far above any real lock; a bigger file is not a lock


@dataclass(frozen=True)
class LockedDep:
    name: str  # the key in the lock (the dep's app name in mix.exs)
    manager: str  # "hex", "git", "path" or another SCM atom
    package: str | None  # the Hex package (`{:my_plug, hex: :plug}` locks package "plug"); None for git/path
    version: str | None  # the Hex version; None for git/path
    repo: str | None  # the Hex repository ("hexpm", "hexpm:myorg"); None when the lock omits it
    line: int  # 1-based line of the entry's key
    column: int
    end_line: int
    end_column: int

    @property
    def public_hex(self) -> bool:
        """A package from the public Hex repository (what public advisories are about)."""
        return self.manager == "hex" and self.package is not None and self.repo in (None, "hexpm")


@dataclass(frozen=True)
class LockFile:
    deps: tuple[LockedDep, ...] = ()
    error_line: int | None = None  # the first syntax error, when the lock does not parse cleanly


def read_lock(path: Path) -> LockFile | None:
    """Read a `mix.lock`; None when there is none (or it cannot be read as text)."""
    try:
        if path.stat().st_size > _MAX_LOCK_BYTES:
            return LockFile(error_line=1)
        data = path.read_bytes()
    except OSError:
        return None
    return parse_lock(data)


def parse_lock(data: bytes) -> LockFile:
    if b"\0" in data[:8192]:
        return LockFile(error_line=1)
    tree = parse("elixir", data)
    error = first_error(tree.root_node)
    deps = [dep for node in walk(tree.root_node) if (dep := _entry(node)) is not None]
    return LockFile(tuple(deps), error.start_point[0] + 1 if error is not None else None)


def _entry(node: Node) -> LockedDep | None:
    """A lock entry: `"name": {...}` (a keyword pair) or `"name" => {...}`."""
    if node.type == "pair":
        key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
        name = _keyword_name(key)
    elif node.type == "binary_operator" and operator(node) == "=>":
        key, value = node.child_by_field_name("left"), node.child_by_field_name("right")
        name = string_value(key)
    else:
        return None
    if not name or key is None or value is None or value.type != "tuple" or value.has_error:
        return None
    items = value.named_children
    manager = atom_value(items[0]) if items else None
    if manager is None:
        return None
    package = version = repo = None
    if manager == "hex":
        if len(items) < 3:
            return None
        package, version = atom_value(items[1]), string_value(items[2])
        if package is None or version is None:
            return None
        repo = string_value(items[6]) if len(items) > 6 else None
    start, end = key.start_point, key.end_point
    # Columns are 1-based characters; lock keys are ASCII, so bytes serve.
    return LockedDep(name, manager, package, version, repo, start[0] + 1, start[1] + 1, end[0] + 1, end[1] + 1)


def _keyword_name(key: Node | None) -> str | None:
    """`plug` for the keyword `"plug":`, the form a lock's keys take."""
    if key is None or key.type != "quoted_keyword" or any(c.type == "interpolation" for c in key.children):
        return None  # lock keys are always quoted; a bare `hex:` is an option inside an entry
    return "".join(c.text.decode("utf-8", "replace") for c in key.named_children if c.type == "quoted_content")
