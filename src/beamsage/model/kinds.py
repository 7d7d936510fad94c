"""What a file or module is: a schema, a migration, a controller, a LiveView...

Judged the way a Phoenix developer would: by what a module `use`s (directly
or through the web module, `use MyAppWeb, :controller`), the behaviours it
declares, and where a file lives.
"""

from __future__ import annotations

from ..source.syntax import ModuleDef

# `use X` -> kind
_USES = {
    "Ecto.Schema": "schema",
    "Ecto.Migration": "migration",
    "Ecto.Repo": "repo",
    "Phoenix.Controller": "controller",
    "Phoenix.LiveView": "live_view",
    "Phoenix.LiveComponent": "live_component",
    "Phoenix.Component": "component",
    "Phoenix.Router": "router",
    "Phoenix.Channel": "channel",
    "Phoenix.Socket": "socket",
    "Phoenix.Endpoint": "endpoint",
    "Phoenix.Presence": "presence",
    "GenServer": "genserver",
    "Agent": "agent",
    "Supervisor": "supervisor",
    "DynamicSupervisor": "supervisor",
    "Task": "task",
    "GenStage": "genstage",
    "Application": "application",
    "Oban.Worker": "oban_worker",
    "Oban.Pro.Worker": "oban_worker",
    "Plug.Builder": "plug",
    "Plug.Router": "plug",
    "ExUnit.Case": "test_case",
    "ExUnit.CaseTemplate": "case_template",
    "Absinthe.Schema": "graphql_schema",
}

# `use MyAppWeb, :x` -> kind
_WEB_ROLES = {
    ":controller": "controller",
    ":live_view": "live_view",
    ":live_component": "live_component",
    ":html": "component",
    ":component": "component",
    ":router": "router",
    ":channel": "channel",
    ":view": "view",
}

_BEHAVIOURS = {
    "GenServer": "genserver",
    "Supervisor": "supervisor",
    "Application": "application",
    "Plug": "plug",
    ":gen_statem": "gen_statem",
    ":gen_server": "genserver",
    "Oban.Worker": "oban_worker",
}

# Modules that take untrusted input from the network in their callbacks.
REQUEST_HANDLERS = frozenset({"controller", "live_view", "live_component", "channel", "socket", "plug"})


def module_kinds(module: ModuleDef) -> tuple[str, ...]:
    kinds = []
    for use in module.uses:
        kind = _USES.get(use.module) or _WEB_ROLES.get((use.argument or "").strip())
        if kind is None and use.module.endswith((".DataCase", ".ConnCase", ".ChannelCase", ".FeatureCase")):
            kind = "test_case"
        if kind:
            kinds.append(kind)
    kinds.extend(_BEHAVIOURS[b] for b in module.behaviours if b in _BEHAVIOURS)
    return tuple(dict.fromkeys(kinds))


def path_kinds(path: str) -> tuple[str, ...]:
    """Kinds a file has by where it lives (`path` is root-relative, POSIX).

    The first of `lib/`, `test/`, `config/`, `priv/` in the path decides, so
    `lib/my_app/test/helpers.ex` is library code, not a test.
    """
    parts = path.split("/")
    name = parts[-1]
    top = next((p for p in parts[:-1] if p in ("lib", "test", "config", "priv")), None)
    kinds = []
    if name == "mix.exs":
        kinds.append("mix")
    if top == "config" and name.endswith(".exs"):
        kinds.append("config")
    if top == "priv" and "migrations" in parts[:-1]:
        kinds.append("migration")
    if top == "test":
        kinds.append("test_support" if "support" in parts[:-1] else "test")
    if top == "lib":
        kinds.append("lib")
    if name.endswith((".heex", ".eex", ".leex")):
        kinds.append("template")
    return tuple(kinds)
