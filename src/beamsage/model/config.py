"""What `config/*.exs` files set: `config :app, Key, opts` and `config :app, opts`.

Rules read project settings from here (a repo's `migration_lock`, Oban's
queues, an endpoint's options) without evaluating any Elixir: values are
kept as written, and a call whose options are not a literal keyword list
records no options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from ..source.syntax import atom_value, keyword_pairs, module_reference, text

if TYPE_CHECKING:
    from .parsed import ParsedFile


class ConfigEntry(msgspec.Struct, frozen=True, gc=False, array_like=True):
    app: str  # "my_app" for `config :my_app, ...`
    key: str | None  # "MyApp.Repo" or "logger" for `config :my_app, MyApp.Repo, ...`; None without one
    line: int
    options: tuple[tuple[str, str], ...] = ()  # top-level keyword options, values as written

    def option(self, name: str) -> str | None:
        return next((value for key, value in self.options if key == name), None)


def config_entries(file: ParsedFile) -> list[ConfigEntry]:
    entries = []
    for call in file.outline.calls:
        if call.name != "config" or call.module not in (None, "Config", "Mix.Config") or len(call.args) < 2:
            continue
        app = atom_value(call.args[0])
        if app is None:
            continue
        key = None
        if len(call.args) >= 3:
            key = atom_value(call.args[1]) or module_reference(call.args[1], None)
        options = tuple((name, text(value)) for name, value in keyword_pairs(call.args[-1]))
        entries.append(ConfigEntry(app, key, call.line, options))
    return entries
