"""The supervision tree: the children `Application.start/2` and each supervisor's `init/1` start, in order.

Read the way a reviewer reads `application.ex`: the lists in `start/2`
(or, in a `use Supervisor` module, the `init/1` that calls `Supervisor.init/2`)
(`children = [...]`, `children ++ [...]`, `if ..., do: [...], else: []`)
and the lists helper functions of the same module return, in source order,
which is the order the supervisor starts them. Each child keeps its module
(`Shop.Repo`, `{Phoenix.PubSub, name: ...}` -> `Phoenix.PubSub`), whether it
is started only under a condition, and the options a later `beamsage map`
or a rule needs (`name:`, `max_children:`, `strategy:`). Plain data, cached
with the file's facts.

Also per file: the process modules whose `init/1` subscribes to PubSub, and
the DynamicSupervisors (a `{DynamicSupervisor, ...}` child, or a module
calling `DynamicSupervisor.init/1`) with the `start_child/2` sites that add
their children at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import msgspec
from tree_sitter import Node

from ..source.syntax import Clause, ModuleDef, arguments, call_target_name, keyword_pairs, module_reference, text

if TYPE_CHECKING:
    from .parsed import ParsedFile
    from .project import Project

_CONDITIONALS = frozenset({"if", "unless", "case", "cond"})
_OPTIONS = ("name", "strategy", "max_children")  # start options, by convention of the libraries that take them
_OVERRIDES = ("id", "restart", "shutdown")  # `Supervisor.child_spec(spec, restart: :temporary)`


class ChildFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One child of an application's supervisor, in start order."""

    module: str  # resolved: "Shop.Repo", "Phoenix.PubSub", "Oban"; "" when not a module
    code: str  # the child spec as written, whitespace collapsed
    line: int
    column: int
    end_line: int
    end_column: int
    conditional: bool = False  # started only under an `if`/`case` (or a helper's)
    options: tuple[tuple[str, str], ...] = ()  # name/strategy/max_children as written; child_spec's id/restart/shutdown


class SupervisionFacts(msgspec.Struct, frozen=True, gc=False):
    """The children an application's `start/2`, or a supervisor module's `init/1`, starts, and its strategy."""

    supervisor: str  # the module
    children: tuple[ChildFacts, ...] = ()
    strategy: str = ""
    kind: str = "application"  # or "supervisor": a nested `use Supervisor` module


class DynamicSupervisorFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A DynamicSupervisor: its name (the `name:` of a child spec, or the module that calls
    `DynamicSupervisor.init/1`) and whether `max_children` bounds it."""

    name: str
    bounded: bool
    line: int
    column: int
    end_line: int
    end_column: int


class StartChildFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`DynamicSupervisor.start_child(supervisor, spec)` in a function of the project."""

    supervisor: str  # the supervisor as resolved ("Demo.GameSupervisor"); "" for a variable
    module: str  # the calling function
    function: str
    arity: int
    line: int
    column: int
    end_line: int
    end_column: int
    keyed: bool = False  # one child per key: the function handles `:already_started` or looks the key up first
    child: str = ""  # the child's module, from the spec (`{Demo.Game, id}`, `%{start: {Demo.Game, ...}}`)


class DynamicFacts(msgspec.Struct, frozen=True, gc=False):
    supervisors: tuple[DynamicSupervisorFacts, ...] = ()
    start_children: tuple[StartChildFacts, ...] = ()


class DynamicIndex:
    """Project-wide: the DynamicSupervisors' names, and the `start_child` sites by the function that holds them."""

    def __init__(self, project: Project):
        self.supervisors: set[str] = set()
        self.starts_in: dict[tuple, list[StartChildFacts]] = {}
        for facts in project.files.values():
            if facts.dynamic is None:
                continue
            self.supervisors.update(sup.name for sup in facts.dynamic.supervisors)
            for start in facts.dynamic.start_children:
                key = project.calls.function(start.module, start.function, start.arity)
                if key is not None:
                    self.starts_in.setdefault(key, []).append(start)


def supervision_facts(file: ParsedFile) -> Iterator[SupervisionFacts]:
    if "lib" not in file.kinds:
        return
    for module in file.outline.modules:
        kinds = file.kinds_of(module)
        if "application" in kinds:
            kind, starts = "application", _clauses(file, module, "start", 2)
        elif "supervisor" in kinds:
            kind, starts = "supervisor", [c for c in _clauses(file, module, "init", 1) if _inits_supervisor(file, c)]
        else:
            continue
        if not starts:
            continue
        helpers = {c.name: c for c in file.outline.clauses_of(module) if c.body is not None and c.arity == 0}
        children: list[ChildFacts] = []
        for node, conditional in _lists(starts[0].body, helpers, False, 0):
            children.extend(_children(file, module, node, conditional))
        yield SupervisionFacts(module.name, tuple(children), _strategy(starts[0]), kind)


def _clauses(file: ParsedFile, module: ModuleDef, name: str, arity: int) -> list[Clause]:
    return [c for c in file.outline.clauses_of(module) if c.name == name and c.arity == arity and c.body is not None]


def _inits_supervisor(file: ParsedFile, clause: Clause) -> bool:
    """`init/1` hands a children list to `Supervisor.init/2` (a DynamicSupervisor has none)."""
    return any(call.owner is clause and call.is_("Supervisor", "init") for call in file.outline.calls)


def _lists(node: Node, helpers: dict[str, Clause], conditional: bool, depth: int) -> Iterator[tuple[Node, bool]]:
    """Top-level list literals under `node` in source order (not keyword lists), expanding zero-arity
    helper functions of the module once."""
    if depth > 3:
        return
    if node.type == "list":
        if not _keyword_list(node):
            yield node, conditional
        return
    if node.type == "call":
        name = call_target_name(node)
        target = node.child_by_field_name("target")
        if name in helpers and target is not None and target.type == "identifier":
            yield from _lists(helpers[name].body, helpers, conditional, depth + 1)
            return
        if name in _CONDITIONALS:
            conditional = True
    for child in node.named_children:
        yield from _lists(child, helpers, conditional, depth)


def _keyword_list(node: Node) -> bool:
    items = [c for c in node.named_children if c.type != "comment"]
    return bool(items) and all(c.type == "keywords" for c in items)


def _children(file: ParsedFile, module: ModuleDef, node: Node, conditional: bool) -> Iterator[ChildFacts]:
    for item in node.named_children:
        if item.type in ("comment", "keywords"):
            continue
        head, options = item, ()
        if item.type == "tuple" and item.named_children:
            head = item.named_children[0]
            if len(item.named_children) > 1:
                options = tuple((k, " ".join(text(v).split())) for k, v in keyword_pairs(_last(item))
                                if k in _OPTIONS)
        elif item.type == "call":  # `Shop.Worker.child_spec(arg)`, `Supervisor.child_spec({...}, id: ...)`
            target = item.child_by_field_name("target")
            if target is not None and target.type == "dot":
                head = target.child_by_field_name("left")
                if text(head) == "Supervisor" and arguments(item):
                    yield from _children_of_spec(file, module, item, arguments(item)[0], conditional)
                    continue
        span = file.span(item)
        yield ChildFacts(module_reference(head, module) or "", " ".join(text(item).split()), span.line, span.column,
                         span.end_line, span.end_column, conditional, options)


def _children_of_spec(file: ParsedFile, module: ModuleDef, call: Node, spec: Node,
                      conditional: bool) -> Iterator[ChildFacts]:
    head = spec.named_children[0] if spec.type == "tuple" and spec.named_children else spec
    args = arguments(call)
    overrides = tuple((k, " ".join(text(v).split())) for k, v in keyword_pairs(args[1] if len(args) > 1 else None)
                      if k in _OVERRIDES)
    span = file.span(call)
    yield ChildFacts(module_reference(head, module) or "", " ".join(text(call).split()), span.line, span.column,
                     span.end_line, span.end_column, conditional, overrides)


def _last(node: Node) -> Node:
    items = [c for c in node.named_children if c.type != "comment"]
    return items[-1]


def _strategy(clause: Clause) -> str:
    for _, node in _strategy_pairs(clause.body):
        return " ".join(text(node).split())
    return ""


def _strategy_pairs(node: Node) -> Iterator[tuple[str, Node]]:
    if node.type == "keywords":
        for key, value in keyword_pairs(node):
            if key == "strategy":
                yield key, value
        return
    for child in node.named_children:
        yield from _strategy_pairs(child)


# -- PubSub subscribers and DynamicSupervisors ----------------------------------------------------

_PROCESS_KINDS = frozenset({"genserver", "gen_statem"})


def pubsub_subscribers(file: ParsedFile) -> Iterator[str]:
    """Process modules whose `init/1` (or a private helper it calls) subscribes to PubSub
    (`Phoenix.PubSub.subscribe/2`, or an endpoint's `subscribe/1`)."""
    if "lib" not in file.kinds or b"subscribe" not in file.doc.data:
        return
    for module in file.outline.modules:
        if _PROCESS_KINDS.isdisjoint(file.kinds_of(module)):
            continue
        clauses = file.outline.clauses_of(module)
        inits = {id(c) for c in clauses if c.name == "init" and c.arity == 1}
        helpers = {c.name for c in clauses if c.kind == "defp"}
        calls = [c for c in file.outline.calls if c.module_def is module and c.owner is not None]
        called = {c.name for c in calls if id(c.owner) in inits and c.module is None and c.name in helpers}
        for call in calls:
            owner = call.owner
            if not (id(owner) in inits or (owner.kind == "defp" and owner.name in called)):
                continue
            if call.name == "subscribe" and call.module is not None and (
                    call.module == "Phoenix.PubSub" or call.module.endswith("Endpoint")):
                yield module.name
                break


def _keyed(clause: Clause) -> bool:
    """Children started once per key (a Registry name): the caller handles `{:error, {:already_started, pid}}`
    or looks the key up in a Registry first, so their number is bounded by the keys, not by requests."""
    code = clause.node.text or b""
    return b"already_started" in code or b"Registry.lookup" in code


def _child_module(spec: Node, module: ModuleDef) -> str:
    """The module a child spec starts: `Demo.Game`, `{Demo.Game, arg}`, `%{start: {Demo.Game, :start_link, _}}`."""
    if spec.type == "map":
        content = next((c for c in spec.named_children if c.type == "map_content"), None)
        pairs = next((c for c in content.named_children if c.type == "keywords"), None) if content else None
        spec = next((value for key, value in keyword_pairs(pairs) if key == "start"), spec)
    if spec.type == "tuple" and spec.named_children:
        spec = spec.named_children[0]
    return module_reference(spec, module) or ""


def dynamic_facts(file: ParsedFile) -> DynamicFacts | None:
    """The file's DynamicSupervisors and `DynamicSupervisor.start_child/2` sites; None when it has neither."""
    if "lib" not in file.kinds or b"DynamicSupervisor" not in file.doc.data:
        return None
    supervisors: list[DynamicSupervisorFacts] = []
    for tree in supervision_facts(file):
        for child in tree.children:
            if child.module != "DynamicSupervisor":
                continue
            options = dict(child.options)
            name = options.get("name")
            if name:
                supervisors.append(DynamicSupervisorFacts(name, "max_children" in options, child.line, child.column,
                                                          child.end_line, child.end_column))
    starts: list[StartChildFacts] = []
    for call in file.outline.calls:
        if call.module != "DynamicSupervisor" or call.owner is None or call.module_def is None:
            continue
        if call.name == "init" and call.args:
            bounded = any(key == "max_children" for key, _ in keyword_pairs(call.args[-1]))
            span = file.span(call.node)
            supervisors.append(DynamicSupervisorFacts(call.module_def.name, bounded, span.line, span.column,
                                                      span.end_line, span.end_column))
        elif call.name == "start_child" and len(call.args) == 2:
            span = file.span(call.node)
            starts.append(StartChildFacts(module_reference(call.args[0], call.module_def) or "",
                                          call.module_def.name, call.owner.name, call.owner.arity, span.line,
                                          span.column, span.end_line, span.end_column, _keyed(call.owner),
                                          _child_module(call.args[1], call.module_def)))
    if not supervisors and not starts:
        return None
    return DynamicFacts(tuple(supervisors), tuple(starts))
