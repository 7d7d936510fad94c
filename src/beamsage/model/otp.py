"""The process model: which OTP behaviour a module implements, its callbacks, its registered name.

Read from one file's outline, the way a reviewer reads a GenServer: the
behaviour from `use`/`@behaviour`, the callback clauses by name and arity,
the private helpers a callback calls, and the `name:` its `start_link`
registers (an atom or `__MODULE__`: a singleton every caller goes through;
`{:via, Registry, ...}`: one process per key; `{:global, ...}`: one per
cluster).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from tree_sitter import Node

from ..source.syntax import Call, Clause, ModuleDef, atom_value, module_reference, string_value, text
from .facts import BroadcastFacts, MessageSite, OtpFacts, ProcessFacts, ReachedCall
from .kinds import REQUEST_HANDLERS

if TYPE_CHECKING:
    from .parsed import ParsedFile

# Module kinds (`model/kinds.py`) that run as long-lived server processes.
SERVERS = frozenset({"genserver", "gen_statem", "agent"})

# Callbacks each behaviour defines, `(name, arity)`.
CALLBACKS: dict[str, frozenset[tuple[str, int]]] = {
    "genserver": frozenset({("init", 1), ("handle_call", 3), ("handle_cast", 2), ("handle_info", 2),
                            ("handle_continue", 2), ("terminate", 2), ("code_change", 3),
                            ("format_status", 1), ("format_status", 2)}),
    "gen_statem": frozenset({("init", 1), ("callback_mode", 0), ("handle_event", 4), ("terminate", 3),
                             ("code_change", 4), ("format_status", 1), ("format_status", 2)}),
    "supervisor": frozenset({("init", 1)}),
    "application": frozenset({("start", 2), ("stop", 1), ("prep_stop", 1), ("config_change", 3),
                              ("start_phase", 3)}),
    "live_view": frozenset({("mount", 3), ("render", 1), ("handle_params", 3), ("handle_event", 3),
                            ("handle_info", 2), ("handle_call", 3), ("handle_cast", 2), ("handle_async", 3),
                            ("terminate", 2)}),
    "live_component": frozenset({("mount", 1), ("update", 2), ("update_many", 1), ("render", 1),
                                 ("handle_event", 3), ("handle_async", 3)}),
    "channel": frozenset({("join", 3), ("handle_in", 3), ("handle_out", 3), ("handle_info", 2),
                          ("handle_call", 3), ("handle_cast", 2), ("terminate", 2), ("code_change", 3)}),
    "oban_worker": frozenset({("perform", 1), ("backoff", 1), ("timeout", 1)}),
}

# Calls whose last argument is a timeout: `:infinity` makes the caller wait forever.
WAITS = {
    "GenServer": frozenset({"call"}), ":gen_server": frozenset({"call"}), ":gen_statem": frozenset({"call"}),
    "Task": frozenset({"await", "await_many", "yield"}),
    "Agent": frozenset({"get", "update", "get_and_update"}),
}

_START = frozenset({"start_link", "start"})
_STARTERS = frozenset({"GenServer", "Agent", ":gen_statem", "GenStage"})
_SERVER_CALLS = frozenset({"call", "cast"})


@dataclass(eq=False)
class Process:
    """One module that implements a process behaviour."""

    module: ModuleDef
    kinds: tuple[str, ...]
    clauses: list[Clause]
    callbacks: dict[tuple[str, int], list[Clause]] = field(default_factory=dict)
    helpers: dict[str, list[Clause]] = field(default_factory=dict)  # private functions by name
    name_kind: str | None = None  # "atom", "module", "via", "global", "dynamic", or None (unnamed)
    name_text: str = ""

    @property
    def is_server(self) -> bool:
        return bool(SERVERS.intersection(self.kinds))

    @property
    def singleton(self) -> bool:
        """Registered under one fixed local or global name: every caller goes through this one process."""
        return self.name_kind in ("atom", "module", "global")

    def callback(self, name: str, arity: int) -> list[Clause]:
        return self.callbacks.get((name, arity), [])

    @property
    def expected_callbacks(self) -> frozenset[tuple[str, int]]:
        """The `(name, arity)` callbacks the module's behaviours call."""
        return frozenset().union(*(CALLBACKS.get(kind, frozenset()) for kind in self.kinds))


def processes(file: ParsedFile, kinds: frozenset[str] | None = None) -> list[Process]:
    """Every module in the file whose kinds meet `kinds` (default: any behaviour with callbacks)."""
    wanted = kinds if kinds is not None else frozenset(CALLBACKS) | {"agent"}
    found = []
    for module in file.outline.modules:
        module_kinds = file.kinds_of(module)
        if wanted.isdisjoint(module_kinds):
            continue
        found.append(_process(file, module, module_kinds))
    return found


def warms_table(file: ParsedFile, process: Process) -> bool:
    """`init/1` (or a private helper) creates a named ETS table and fills it: readers go to the table directly,
    so it must be filled before the process reports started; loading it in `init/1` is the point, not a mistake."""
    calls = [call for call in file.outline.calls if call.module_def is process.module and _at_start(process, call)]
    return any(call.is_(":ets", "new") and len(call.args) >= 2 and "named_table" in text(call.args[1])
               for call in calls) and any(call.is_(":ets", "insert", "insert_new") for call in calls)


def _at_start(process: Process, call: Call) -> bool:
    """The call runs while the process starts: in `init/1` or a private helper."""
    owner = call.owner
    return owner is not None and (owner.kind == "defp" or (owner.name == "init" and owner.arity == 1))


def _runs_inside(process: Process, call: Call) -> bool:
    """The call runs in the process: in a callback or a private helper."""
    owner = call.owner
    return owner is not None and (owner.kind == "defp" or (owner.name, owner.arity) in process.expected_callbacks)


def otp_facts(file: ParsedFile) -> OtpFacts | None:
    """The file's processes and PubSub broadcasts, for rules that look across files."""
    if "lib" not in file.kinds or file.doc.language.value != "elixir":
        return None
    found = [_facts(file, process) for process in processes(file)]
    broadcasts = list(_broadcasts(file))
    waits = tuple(_reached_calls(file, waits_forever)) if b":infinity" in file.doc.data else ()
    spawns = tuple(_reached_calls(file, starts_unsupervised))
    messages = tuple(_messages(file))
    if not (found or broadcasts or waits or spawns or messages):
        return None
    return OtpFacts(tuple(found), tuple(broadcasts), waits, spawns, messages)


_MESSAGING = {"GenServer": ("call", "cast", "multi_call", "abcast"), "Agent": ("get", "update", "get_and_update", "cast"),
              ":gen_statem": ("call", "cast"), "Process": ("send", "send_after")}


def _messages(file: ParsedFile) -> Iterator[MessageSite]:
    """Calls, casts and sends whose target is a process named by a module (`Shop.Cache`, `__MODULE__`) or an
    atom: who talks to which named process, for the map."""
    for call in file.outline.calls:
        owner = call.owner
        if owner is None or owner.module is None or not call.args or call.capture:
            continue
        if not (call.name in _MESSAGING.get(call.module or "", ()) or (call.name == "send" and call.module is None)):
            continue
        target = module_reference(call.args[0], owner.module) or (f":{name}" if (name := atom_value(call.args[0])) else None)
        if target:
            via = f"{call.module}.{call.name}" if call.module else call.name
            yield MessageSite(target, via, f"{owner.module.name}.{owner.name}/{owner.arity}", file.span(call.node).line)


def waits_forever(call: Call) -> bool:
    """`GenServer.call(server, msg, :infinity)`, `Task.await(task, :infinity)`, `Agent.get(a, f, :infinity)`."""
    if call.capture or call.name not in WAITS.get(call.module or "", ()) or len(call.args) < 2:
        return False
    if call.module == "Agent" and len(call.args) < 3:
        return False
    return atom_value(call.args[-1]) == "infinity" and call.runs_at_runtime


def starts_unsupervised(call: Call) -> bool:
    """`Task.start(fn)` or a bare `spawn`: a process no supervisor knows."""
    if call.capture or not call.runs_at_runtime:
        return False
    if call.name in ("spawn", "spawn_link") and call.module in (None, "Kernel", "Process") and call.arity <= 3:
        return True
    return call.is_("Task", "start")


def _reached_calls(file: ParsedFile, wanted) -> Iterator[ReachedCall]:
    """The `wanted` calls in functions outside request handlers and Mix tasks."""
    for call in file.outline.calls:
        owner = call.owner
        if owner is None or owner.module is None or not wanted(call):
            continue
        if not REQUEST_HANDLERS.isdisjoint(file.kinds_of(owner.module)) or owner.module.name.startswith("Mix.Tasks."):
            continue
        span = file.span(call.node)
        yield ReachedCall(owner.module.name, owner.name, owner.arity, f"{call.module or 'Kernel'}.{call.name}/"
                          f"{call.arity}", span.line, span.column, span.end_line, span.end_column)


def _facts(file: ParsedFile, process: Process) -> ProcessFacts:
    infos = process.callback("handle_info", 2)
    tags = [pattern_tag(c.params[0]) for c in infos]
    specific = bool(tags) and not any(t in ("*", None) for t in tags)
    head = file.span(infos[0].params[0]) if specific else None
    topics = []
    for call in file.outline.calls:
        # A public client function's `subscribe` runs in the caller's process, not this one.
        if not (call.module_def is process.module and _runs_inside(process, call)):
            continue
        if call.is_("Phoenix.PubSub", "subscribe") and len(call.args) >= 2:
            topic = string_value(call.args[1])
            if topic:
                topics.append(topic)
    return ProcessFacts(
        process.module.name, process.kinds, process.name_kind, process.name_text,
        info_tags=tuple(t for t in tags if t) if specific else (),
        info_line=head.line if head else 0, info_column=head.column if head else 0,
        subscriptions=tuple(dict.fromkeys(topics)),
        detached=tuple((n.start_point[0] + 1, n.end_point[0] + 1) for n in detached(file, process.module)),
        warms_table=warms_table(file, process))


_DETACHING = {"Task": frozenset({"start", "start_link", "async"}),
              "Task.Supervisor": frozenset({"start_child", "async", "async_nolink"}),
              "Kernel": frozenset({"spawn", "spawn_link", "spawn_monitor", "assign_async", "start_async"}),
              "Phoenix.LiveView": frozenset({"assign_async", "start_async"}),
              "Process": frozenset({"spawn"})}


def detached(file: ParsedFile, module: ModuleDef) -> list[Node]:
    """Anonymous functions the module hands to a Task, `spawn` or a LiveView's `assign_async`/`start_async`:
    their code runs in another process."""
    found = []
    for call in file.outline.calls:
        names = _DETACHING.get(call.module or "Kernel")
        if call.module_def is module and names and call.name in names:
            found.extend(arg for arg in call.args if arg.type == "anonymous_function")
    return found


_BROADCASTS = {"broadcast": 1, "broadcast!": 1, "local_broadcast": 1, "broadcast_from": 2, "broadcast_from!": 2,
               "local_broadcast_from": 2, "direct_broadcast": 2, "direct_broadcast!": 2}


def _broadcasts(file: ParsedFile) -> Iterator[BroadcastFacts]:
    """Broadcasts with a literal topic and a message of a known shape (`{:created, post}`)."""
    for call in file.outline.calls:
        index = _BROADCASTS.get(call.name or "") if call.module == "Phoenix.PubSub" else None
        if index is None or len(call.args) < index + 2 or not call.runs_at_runtime:
            continue
        topic, message = string_value(call.args[index]), call.args[index + 1]
        tag = pattern_tag(message)
        if topic and tag not in (None, "*", "{}"):
            span = file.span(call.node)
            yield BroadcastFacts(topic, tag, text(message)[:60], span.line, span.column)


def _process(file: ParsedFile, module: ModuleDef, kinds: tuple[str, ...]) -> Process:
    clauses = file.outline.clauses_of(module)
    process = Process(module, kinds, clauses)
    known = process.expected_callbacks
    for clause in clauses:
        if clause.public and (clause.name, clause.arity) in known:
            process.callbacks.setdefault((clause.name, clause.arity), []).append(clause)
        elif clause.kind == "defp":
            process.helpers.setdefault(clause.name, []).append(clause)
    process.name_kind, process.name_text = _registered_name(file, module)
    return process


def _registered_name(file: ParsedFile, module: ModuleDef) -> tuple[str | None, str]:
    """The `name:` option of the module's own `GenServer.start_link(__MODULE__, ..., name: ...)`."""
    dynamic = None
    for call in file.outline.calls:
        if call.module_def is not module or call.name not in _START or call.module not in _STARTERS:
            continue
        value = call.keyword("name")
        if value is None:
            continue
        kind = name_kind(value, module)
        if kind != "dynamic":
            return kind, text(value)
        dynamic = text(value)
    if dynamic is not None:
        # `name: name` with callers that reach `__MODULE__`: a singleton in practice.
        if any(call.module_def is module and call.module == "GenServer" and call.name in _SERVER_CALLS
               and call.args and name_kind(call.args[0], module) == "module" for call in file.outline.calls):
            return "module", "__MODULE__"
        return "dynamic", dynamic
    return None, ""


def name_kind(node: Node, module: ModuleDef) -> str:
    """What a `name:` value registers: an atom, the module, a Registry key, a global name."""
    if node.type == "identifier" and text(node) == "__MODULE__":
        return "module"
    if node.type == "alias":
        return "module" if module.resolve(text(node)) == module.name else "atom"
    if atom_value(node) is not None:
        return "atom"
    if node.type == "tuple" and node.named_children:
        tag = atom_value(node.named_children[0])
        if tag == "via":
            return "via"
        if tag == "global":
            return "global"
    return "dynamic"


def pattern_tag(node: Node | None) -> str | None:
    """The shape a message pattern matches: `:tick` for `:tick` or `{:tick, ...}`, `*` for a catch-all
    (a variable or `_`), `{}` for a tuple whose first element is not an atom (`{ref, result}`),
    None when unknown."""
    if node is None:
        return None
    if node.type == "binary_operator" and text(node.child_by_field_name("operator")) == "=":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        tags = [pattern_tag(left), pattern_tag(right)]
        specific = [t for t in tags if t != "*"]
        return specific[0] if specific else "*"
    if node.type == "identifier":
        return "*"
    atom = atom_value(node)
    if atom is not None:
        return atom
    if node.type == "tuple":
        items = node.named_children
        first = atom_value(items[0]) if items else None
        return first if first is not None else "{}"
    return None


def tuple_size(node: Node | None) -> int:
    return len(node.named_children) if node is not None and node.type == "tuple" else -1
