"""Facts about one file: plain, immutable, cacheable data.

These are what survives a file's parse: the engine caches them by content
hash, cross-file rules and the faces (`map`, `mcp`) read them. They are
msgspec structs so the cache round-trips them fast and validates what it
reads back.
"""

from __future__ import annotations

import msgspec

from ..source.directives import Directive
from ..source.document import Span


class FunctionFacts(msgspec.Struct, frozen=True):
    name: str
    arity: int
    min_arity: int
    kind: str  # def, defp, defmacro, defmacrop, defguard, defguardp, defdelegate
    line: int
    clauses: int


class UseFacts(msgspec.Struct, frozen=True):
    module: str
    argument: str | None = None  # `:controller` in `use MyAppWeb, :controller`


class ModuleFacts(msgspec.Struct, frozen=True):
    name: str
    line: int
    end_line: int
    kinds: tuple[str, ...]  # schema, migration, controller, live_view, genserver, ...
    uses: tuple[UseFacts, ...] = ()
    behaviours: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # (short name, full name)
    attributes: tuple[str, ...] = ()
    functions: tuple[FunctionFacts, ...] = ()


class SourceIssue(msgspec.Struct, frozen=True):
    """Why a file could not be (fully) reviewed."""

    kind: str  # parse_error, binary, encoding, empty, too_large, unreadable, internal_error
    message: str
    span: Span


class FileFacts(msgspec.Struct, frozen=True):
    path: str  # relative to the project root, POSIX separators
    language: str  # elixir, heex, eex
    kinds: tuple[str, ...] = ()  # path kinds (lib, test, config, migration, template, mix) and module kinds
    lines: int = 0
    modules: tuple[ModuleFacts, ...] = ()
    directives: tuple[Directive, ...] = ()
    issues: tuple[SourceIssue, ...] = ()
