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

from ..source.syntax import Call, atom_value, keyword_pairs, module_reference, operator, text

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


# -- which environment a branch runs in ------------------------------------------------


def holds_in_prod(condition: Node, depth: int = 0) -> bool | None:
    """Whether a `config_env() == :prod`-style condition holds in production (None: not such a condition).

    Shared by every reader of `if config_env() ...` branches in config files: the security config rules and
    the router model's view of `check_origin` settings."""
    if depth > 20:
        return None
    if condition.type == "unary_operator" and operator(condition) in ("not", "!"):
        inner = condition.child_by_field_name("operand")
        value = holds_in_prod(inner, depth + 1) if inner is not None else None
        return None if value is None else not value
    if condition.type != "binary_operator":
        return None
    op = operator(condition)
    left, right = condition.child_by_field_name("left"), condition.child_by_field_name("right")
    if op in ("==", "===", "!=", "!=="):
        env = atom_value(right) if is_env_call(left) else atom_value(left) if is_env_call(right) else None
        if env is None:
            return None
        return (env == "prod") == (op in ("==", "==="))
    if op in ("and", "&&", "or", "||"):
        sides = [holds_in_prod(side, depth + 1) if side is not None else None for side in (left, right)]
        if op in ("and", "&&"):
            return False if False in sides else True if sides == [True, True] else None
        return True if True in sides else False if sides == [False, False] else None
    if op in ("in", "not in") and is_env_call(left) and right is not None and right.type == "list":
        envs = [atom_value(item) for item in right.named_children]
        if not envs or not all(envs):
            return None
        return ("prod" in envs) == (op == "in")
    return None


def is_env_call(node: Node | None) -> bool:
    """`config_env()`, `Mix.env()` (also written `Config.config_env()` or `Mix.env`)."""
    return node is not None and "".join(text(node).split()) in (
        "config_env()", "Config.config_env()", "Mix.env()", "Mix.env"
    )
