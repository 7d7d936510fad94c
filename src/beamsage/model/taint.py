"""Dangerous calls (sinks) and untrusted data reaching them across functions.

A sink is an argument of a call that does harm when an attacker chooses it:
the SQL text of `Repo.query/2`, the path of `File.read/1`, the `external:`
target of `redirect/2`, the string `String.to_atom/1` turns into an atom, the
attributes `cast/3` copies into a changeset (with the fields it permits).
Each has a kind (`sql`, `command`, `path`, `cast`...), which is also what a
sanitiser makes a value safe for (see `flow`).

Within a function, `flow` decides whether a sink's value is untrusted. Across
functions, each file records two facts, cached with it:

- `SinkParam`: parameter `i` of function `f` reaches a sink (say, `run(term)`
  interpolates `term` into `Repo.query!/1`);
- `ArgFlow`: a call passes an untrusted value, or one of its caller's own
  parameters, as argument `i` of a project function.

`TaintPaths` joins them over the whole project: parameters that reach a sink
through any chain of project functions, and the call sites that hand them
untrusted data. Those are the paths a rule reports with high confidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from tree_sitter import Node

from ..source.syntax import Call, Clause, keyword, text
from .calls import project_callee
from .ecto.literals import names
from .ecto.queries import is_repo_call
from .facts import ArgFlow, SinkParam

if TYPE_CHECKING:
    from .parsed import ParsedFile
    from .project import Project

# Where the SQL text is, by module: (function names, argument index).
_SQL_TEXT = {
    "Ecto.Adapters.SQL": ({"query", "query!", "query_many", "query_many!", "stream"}, 1),
    "Postgrex": ({"query", "query!", "query_many", "query_many!", "stream"}, 1),
    "MyXQL": ({"query", "query!", "query_many", "query_many!", "stream"}, 1),
}
_PREPARED = {"Postgrex": {"prepare", "prepare!", "prepare_execute", "prepare_execute!"}, "MyXQL": {"prepare",
             "prepare!", "prepare_execute", "prepare_execute!"}}
_REPO_SQL = frozenset({"query", "query!", "query_many", "query_many!"})
_FILE_FUNCTIONS = frozenset(
    {"read", "read!", "write", "write!", "rm", "rm!", "rm_rf", "rm_rf!", "cp", "cp!", "cp_r", "cp_r!", "ln", "ln!",
     "ln_s", "ln_s!", "rename", "rename!", "stream!", "open", "open!", "mkdir", "mkdir!", "mkdir_p", "mkdir_p!",
     "ls", "ls!", "touch", "touch!", "chmod", "chmod!", "copy", "copy!", "read_link", "rmdir", "rmdir!"}
)
_TWO_PATHS = frozenset({"cp", "cp!", "cp_r", "cp_r!", "ln", "ln!", "ln_s", "ln_s!", "rename", "rename!", "copy",
                        "copy!"})
# Functions whose first argument becomes atoms, a term or code.
_FIRST_ARGUMENT = {
    ("String", "to_atom"): "atom", ("List", "to_atom"): "atom", (":erlang", "binary_to_atom"): "atom",
    (":erlang", "list_to_atom"): "atom", (":erlang", "binary_to_term"): "term",
    **{("Code", name): "code" for name in ("eval_string", "eval_quoted", "eval_quoted_with_env", "eval_file",
                                           "compile_string", "compile_quoted", "require_file")},
    ("EEx", "eval_string"): "code", ("EEx", "eval_file"): "code",
}
_SHELLS = frozenset({"sh", "bash", "zsh", "/bin/sh", "/bin/bash", "cmd", "cmd.exe", "powershell"})


# Every function name a sink can have: most calls are ruled out by this set alone.
_SINK_NAMES = frozenset(
    {name for _, name in _FIRST_ARGUMENT} | _REPO_SQL | _FILE_FUNCTIONS
    | {name for names, _ in _SQL_TEXT.values() for name in names} | {n for ns in _PREPARED.values() for n in ns}
    | {"cast", "send_file", "send_download", "redirect", "shell", "cmd", "open"}
)


@dataclass(frozen=True)
class Sink:
    kind: str  # sql, command, argument, path, redirect, code, atom, term
    value: Node | None  # the argument that must not be attacker-chosen (None: in another file)
    what: str  # "`Repo.query!/1`", for messages
    call: Call | None = None
    detail: tuple[str, ...] = ()  # for `cast`: the fields it permits


def sinks(call: Call) -> list[Sink]:
    """The sink arguments of a call (most calls have none)."""
    if call.capture or not call.args or call.name not in _SINK_NAMES:
        return []
    return [replace(sink, call=call) for sink in _sinks(call)]


def _sinks(call: Call) -> list[Sink]:
    name, module, args = call.name or "", call.module, call.args
    label = f"`{module + '.' if module else ''}{name}/{call.arity}`"
    kind = _FIRST_ARGUMENT.get((module or "", name))
    if kind is not None:
        return [Sink(kind, args[0], label)]
    if name == "cast" and module in (None, "Ecto.Changeset") and len(args) >= 3:
        fields = names(args[2], call.module_def)
        return [Sink("cast", args[1], label, detail=fields)] if fields else []
    sql = _sql_text(call)
    if sql is not None:
        return [Sink("sql", sql, label)] if sql is not False else []
    if module == "File" and name in _FILE_FUNCTIONS:
        count = 2 if name in _TWO_PATHS else 1
        return [Sink("path", a, label) for a in args[:count]]
    if name in ("send_file", "send_download") and module in (None, "Plug.Conn", "Phoenix.Controller"):
        return _file_response(name, args, label)
    if name == "redirect" and module in (None, "Phoenix.Controller", "Phoenix.LiveView"):
        target = keyword(args[-1], "external")
        return [Sink("redirect", target, label)] if target is not None else []
    return _command(call, label)


def _sql_text(call: Call) -> Node | None | bool:
    """The SQL text argument of a query call; False for a query call without
    one, None for any other call."""
    name, module, args = call.name, call.module or "", call.args
    if name in _REPO_SQL and is_repo_call(call):
        index = 0
    elif name in _SQL_TEXT.get(module, ((), 0))[0]:
        index = _SQL_TEXT[module][1]
    elif name in _PREPARED.get(module, ()):
        index = 2  # prepare(conn, name, statement)
    else:
        return None
    return args[index] if index < len(args) else False


def _file_response(name: str, args: list[Node], label: str) -> list[Sink]:
    if name == "send_file" and len(args) >= 3:
        return [Sink("path", args[2], label)]
    if name == "send_download" and len(args) >= 2 and args[1].type == "tuple":
        parts = args[1].named_children
        if len(parts) == 2 and text(parts[0]) == ":file":
            return [Sink("path", parts[1], label)]
    return []


def _command(call: Call, label: str) -> list[Sink]:
    name, module, args = call.name, call.module, call.args
    if module == "System" and name == "shell" or module == ":os" and name == "cmd":
        return [Sink("command", args[0], label)]
    if module == "System" and name == "cmd":
        found = [Sink("command", args[0], label)]
        program = text(args[0]).strip('"')
        if len(args) > 1 and program in _SHELLS:
            found.append(Sink("command", args[1], label))  # `sh -c <script>`
        elif len(args) > 1:
            found.append(Sink("argument", args[1], label))
        return found
    if module == "Port" and name == "open" and args[0].type == "tuple":
        parts = args[0].named_children
        if len(parts) == 2 and text(parts[0]) in (":spawn", ":spawn_executable"):
            return [Sink("command", parts[1], label)]
    return []


# -- facts recorded per file ---------------------------------------------------------


def taint_facts(file: ParsedFile) -> tuple[list[SinkParam], list[ArgFlow]]:
    """The file's cross-function taint facts (empty for files that do not run at run time)."""
    params = [found for call, sink in file.sink_calls if (found := _sink_param(file, call, sink)) is not None]
    flows: list[ArgFlow] = []
    own = file.own_functions
    for call in file.outline.calls:
        clause = call.owner
        if clause is None or clause.module is None or not call.runs_at_runtime or not clause.params:
            continue
        callee = project_callee(call, own)
        if callee is not None and callee[0] is not None and call.args:
            flows.extend(_arg_flows(file, clause, call, callee))
    return params, flows


def _sink_param(file: ParsedFile, call: Call, sink: Sink) -> SinkParam | None:
    """The parameter of the calling function that reaches the sink, if one does."""
    clause = call.owner
    if clause is None or clause.module is None or not clause.params:
        return None
    flow = file.flow(clause)
    origin = flow.parameter(sink.value, sink.kind)
    if origin is None or flow.validated(sink.value) or flow.origin(sink.value, sink.kind) is not None:
        return None  # no parameter reaches it, or the file already shows untrusted data there
    span = file.span(call.node)
    return SinkParam(clause.module.name, clause.name, clause.arity, origin.param, sink.kind, sink.what,
                     text(sink.value)[:200], span.line, span.column, span.end_line, span.end_column, sink.detail)


def _arg_flows(file: ParsedFile, clause: Clause, call: Call, callee: tuple) -> Iterator[ArgFlow]:
    carriers = [(i, v) for i, v in enumerate(call.args) if not _literal(v)]
    if not carriers:
        return
    flow = file.flow(clause)
    span = file.span(call.node)
    caller = (clause.module.name, clause.name, clause.arity)
    for index, value in carriers:
        if flow.validated(value):
            continue
        untrusted, param = flow.origin(value), flow.parameter(value)
        base = (callee[0], callee[1], callee[2], index, *caller, span.line, span.column)
        if untrusted is not None:
            yield ArgFlow(*base, source=untrusted.describe(text(value)), cleaned=tuple(sorted(untrusted.cleaned)))
        elif param is not None:
            yield ArgFlow(*base, param=param.param, cleaned=tuple(sorted(param.cleaned)))


_LITERALS = frozenset({"integer", "float", "atom", "boolean", "nil", "alias", "char"})


def _literal(node: Node) -> bool:
    """A literal leaf: it carries nobody's data (cheaper than `is_constant`)."""
    if node.type == "string":
        return not any(child.type == "interpolation" for child in node.children)
    return node.type in _LITERALS


# -- across the project ----------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """A function parameter that reaches a sink, and the calls on the way."""

    kind: str
    sink: str
    value: str  # the sink's argument, as written
    path: str  # the sink's file
    line: int
    column: int
    end_line: int
    end_column: int
    through: tuple[str, ...]  # "`Search.run/1`", outermost first
    detail: tuple[str, ...] = ()

    @property
    def at(self) -> tuple:
        return (self.kind, self.path, self.line, self.column)

    def called_by(self, caller: str) -> Reach:
        return Reach(self.kind, self.sink, self.value, self.path, self.line, self.column, self.end_line,
                     self.end_column, (caller, *self.through), self.detail)


@dataclass(frozen=True)
class TaintPath:
    """Untrusted data handed to a function that passes it on to a sink."""

    reach: Reach
    source: str  # "comes from the request params of ..."
    caller: str  # the module that hands the value on
    call_path: str
    call_line: int
    call_column: int


FunctionParam = tuple[str, str, int, int]  # module, name, arity, parameter index
_MAX_CHAIN = 6


class TaintPaths:
    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def reaches(self) -> dict[FunctionParam, list[Reach]]:
        """Every function parameter that reaches a sink, directly or through
        other project functions (to a fixed point)."""
        found: dict[FunctionParam, list[Reach]] = {}
        for path, facts in self.project.files.items():
            for p in facts.sink_params:
                reach = Reach(p.kind, p.sink, p.value, path, p.line, p.column, p.end_line, p.end_column,
                              (f"`{p.module}.{p.name}/{p.arity}`",), p.detail)
                found.setdefault((p.module, p.name, p.arity, p.param), []).append(reach)
        # Walk back from each parameter that reaches a sink to the functions that pass theirs on to it.
        passed_to: dict[FunctionParam, list[ArgFlow]] = {}
        for _, flow, key in self._flows:
            if flow.param is not None:
                passed_to.setdefault(key, []).append(flow)
        work = [key for key in found if key in passed_to]
        while work:
            key = work.pop()
            for flow in passed_to.get(key, ()):
                caller = (flow.caller_module, flow.caller_name, flow.caller_arity, flow.param)
                known = found.setdefault(caller, [])
                grew = False
                for reach in found[key]:
                    if reach.kind in flow.cleaned or len(reach.through) >= _MAX_CHAIN:
                        continue
                    if not any(k.at == reach.at for k in known):
                        name = f"`{flow.caller_module}.{flow.caller_name}/{flow.caller_arity}`"
                        known.append(reach.called_by(name))
                        grew = True
                if grew:
                    work.append(caller)
        return found

    def paths(self, kind: str) -> list[TaintPath]:
        """Untrusted values passed to project functions that hand them to a sink of `kind`."""
        return self._paths.get(kind, [])

    @cached_property
    def _paths(self) -> dict[str, list[TaintPath]]:
        found: dict[str, list[TaintPath]] = {}
        for path, flow, key in self._flows:
            if flow.source is None:
                continue
            for reach in self.reaches.get(key, ()):
                if reach.kind not in flow.cleaned:
                    found.setdefault(reach.kind, []).append(
                        TaintPath(reach, flow.source, flow.caller_module, path, flow.line, flow.column))
        return found

    @cached_property
    def _flows(self) -> list[tuple[str, ArgFlow, FunctionParam]]:
        """Every recorded argument flow, with the parameter it lands in."""
        graph = self.project.calls
        resolved = []
        for path, facts in self.project.files.items():
            for flow in facts.arg_flows:
                target = graph.function(flow.module, flow.name, flow.arity)
                if target is not None:
                    resolved.append((path, flow, (*target, flow.index)))
        return resolved
