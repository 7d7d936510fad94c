"""What `config/*.exs` files set: `config :app, Key, opts` and `config :app, opts`.

Rules read project settings from here (a repo's `migration_lock`, Oban's
queues, an endpoint's options) without evaluating any Elixir: values are
kept as written, and a call whose options are not a literal keyword list
records no options.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import msgspec
from tree_sitter import Node

from ..source.syntax import Call, atom_value, keyword_pairs, module_reference, text

if TYPE_CHECKING:
    from .parsed import ParsedFile


class ConfigEntry(msgspec.Struct, frozen=True, gc=False, array_like=True):
    app: str  # "my_app" for `config :my_app, ...`
    key: str | None  # "MyApp.Repo" or "logger" for `config :my_app, MyApp.Repo, ...`; None without one
    line: int
    options: tuple[tuple[str, str], ...] = ()  # top-level keyword options, values as written

    def option(self, name: str) -> str | None:
        return next((value for key, value in self.options if key == name), None)


def config_calls(file: ParsedFile) -> Iterator[tuple[Call, str, str | None, Node]]:
    """`config :app, Key, opts` calls: the call, its app, its key (`MyAppWeb.Endpoint`, or None
    for `config :app, opts`) and its options, as written."""
    for call in file.outline.calls:
        if call.name == "config" and call.module in (None, "Config", "Mix.Config") and len(call.args) >= 2:
            app = atom_value(call.args[0])
            if app is None:
                continue
            key = None
            if len(call.args) >= 3:
                key = atom_value(call.args[1]) or module_reference(call.args[1], None)
            yield call, app, key, call.args[-1]


def config_entries(file: ParsedFile) -> list[ConfigEntry]:
    return [ConfigEntry(app, key, call.line, tuple((name, text(value)) for name, value in keyword_pairs(options)))
            for call, app, key, options in config_calls(file)]
