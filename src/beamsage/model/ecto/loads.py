"""Which associations a value has loaded, as far as one file shows.

Ecto never lazy-loads: an association that was not preloaded holds an
`%Ecto.Association.NotLoaded{}`, and reading a field through it
(`post.author.name`) or enumerating it (`for c <- post.comments`) raises.
Per function this reads three things, joined across files by `Loading`:

- **returns**: what a single-clause function ends in, when that is a query
  in sight (`Repo.all(Post)`, `Repo.get!(Post, id) |> Repo.preload(:author)`)
  or another project function's result;
- **reads**: `x.assoc.field` and enumerations of `x.assoc`, where `x` is a
  variable bound where the function shows it (to a query's result, or as
  an element of one in `for` or an `Enum` callback), or a template assign
  (`@post`, `assigns.post`, `p` in `:for={p <- @posts}`);
- **assigns**: what a controller renders a template with
  (`render(conn, :index, posts: posts)`) and what a LiveView assigns
  (`assign/2,3`, `assign_new/3`, `stream/3`, `stream_insert/3`).

Each function's entry also carries the fields it sets (`writes`, read by
`model.ecto.writes`), for rules about columns nothing fills.

A variable is resolved only when exactly one binding of it is visible at
the read (rebinding, patterns like `{:ok, post}`, `case` branches make it
unknown), and unknown values are never judged. Code that checks
`Ecto.assoc_loaded?/1` or matches `%Ecto.Association.NotLoaded{}` is
left alone: it knows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterator

import msgspec
from tree_sitter import Node

from ...source.syntax import (
    Call,
    Clause,
    atom_value,
    innermost,
    operator,
    string_value,
    text,
    variables,
)
from ..assigns import assign_pairs, option_pairs
from ..calls import delegate_target, project_callee
from .facts import AssignFacts, AssocRead, FunctionLoads, Origin
from .queries import is_repo_call, preload_names, read_query
from .writes import write_facts

if TYPE_CHECKING:
    from ..parsed import ParsedFile

# Repo functions that return the schema's structs: name -> a list of them?
_STRUCTS = {"all": True, "one": False, "one!": False, "get": False, "get!": False, "get_by": False, "get_by!": False}
# Functions whose result holds the same structs as their first argument...
_SAME_ITEMS = frozenset(
    ("Enum", name) for name in ("filter", "reject", "sort", "sort_by", "take", "drop", "reverse", "uniq",
                                "uniq_by", "dedup", "slice", "take_while", "drop_while", "shuffle")
)
# ... or one of them.
_ONE_ITEM = frozenset(
    {("Enum", "at"), ("Enum", "find"), ("Enum", "fetch!"), ("Enum", "random"), ("Enum", "min_by"),
     ("Enum", "max_by"), ("List", "first"), ("List", "last"), (None, "hd")}
)
_ENUMERATING = frozenset({"Enum", "Stream"})
_LIVE_ASSIGNS = frozenset({"assign", "assign_new", "stream", "stream_insert"})
_HANDING = _LIVE_ASSIGNS | {"render"}
_PUT_VIEW = frozenset({"put_view", "put_new_view"})
_HANDING_KINDS = frozenset({"controller", "live_view", "live_component"})
_ASSIGN_MODULES = (None, "Phoenix.Component", "Phoenix.LiveView", "Plug.Conn")
# Where `x.assoc` is read through (`dot`) or enumerated (`<-`, `|>`, first argument).
_READ_CONTEXTS = frozenset({"dot", "binary_operator", "arguments"})
_GUARDS = (b"assoc_loaded?", b"Association.NotLoaded")
_MAX_DEPTH = 8
_NOT_APPLICATION = frozenset({"test", "test_support", "config", "migration", "mix"})
_VALUE_NODES = frozenset({"call", "binary_operator", "identifier"})
_OTHER_BLOCKS = frozenset({"rescue_block", "catch_block", "else_block", "after_block"})


@dataclass(frozen=True)
class _Value:
    """A resolved value: an origin in the code, or a template assign."""

    origin: Origin | None = None
    assign: str | None = None
    element: bool = False

    def each(self) -> _Value | None:
        """One element of this value, when it is a collection."""
        if self.element:
            return None
        if self.origin is not None:
            return _Value(msgspec.structs.replace(self.origin, element=True))
        return _Value(assign=self.assign, element=True)


@dataclass(frozen=True)
class _Site:
    """Where a variable is bound, and the part of the code that sees the binding."""

    kind: str  # assign (`x = value`), each (`x <- xs`, `fn x ->` in Enum), other (any pattern)
    node: Node  # the `=`/`<-` node, or the callback
    start: int
    end: int


def load_facts(file: ParsedFile) -> list[FunctionLoads]:
    if _NOT_APPLICATION & file.kinds or file.path.endswith(".exs"):
        return []  # tests, config, migrations and scripts render nothing users see (nor insert for them)
    loads = _Reader(file).facts()
    writes = write_facts(file)
    if not writes:
        return loads
    found = [msgspec.structs.replace(f, writes=writes.pop((f.module, f.name, f.arity), None)) for f in loads]
    return found + [FunctionLoads(module, name, arity, writes=w) for (module, name, arity), w in writes.items()]


class _Reader:
    def __init__(self, file: ParsedFile):
        self.file = file
        self.calls = {call.node.id: call for call in file.outline.calls}
        self.own = file.own_functions
        self.clauses = sorted(file.outline.clauses, key=lambda c: c.node.start_byte)
        self.template_file = file.tree is None
        self._captures = file.outline.values  # per tree: `x.name` accesses and variable bindings
        self._sites: dict[tuple[bool, str], list[_Site]] = {}
        self._patterns: dict[bool, list[tuple[bytes, Node, Callable]]] = {}
        self._parameters: dict[int, set[str]] = {}
        self._for_elements = [loop for template in file.templates for loop in template.for_loops]

    def facts(self) -> list[FunctionLoads]:
        grouped: dict[tuple, dict] = {}
        for key, returns in self.returns():
            grouped.setdefault(key, {})["returns"] = returns
        for key, read in self.reads():
            grouped.setdefault(key, {}).setdefault("reads", []).append(read)
        for key, assign in self.assigns():
            grouped.setdefault(key, {}).setdefault("assigns", []).append(assign)
        return [
            FunctionLoads(module, name, arity, found.get("returns"), tuple(found.get("reads", ())),
                          tuple(found.get("assigns", ())))
            for (module, name, arity), found in grouped.items()
        ]

    # -- what functions return ------------------------------------------------

    def returns(self) -> Iterator[tuple[tuple, Origin]]:
        keys = [(_key(clause), clause) for clause in self.clauses if clause.module is not None]
        counts = Counter(key for key, _ in keys)
        for key, clause in keys:
            if counts[key] != 1:
                continue  # which clause runs is decided at run time
            if clause.kind == "defdelegate":
                target = delegate_target(clause)
                if target is not None:
                    span = self.file.span(clause.node)
                    yield key, Origin(span.line, span.column, call=(*target, clause.arity))
            elif clause.kind in ("def", "defp") and clause.body is not None:
                last = _last_expression(clause.body)
                value = self.value(last, clause, 0) if last is not None and last.type in _VALUE_NODES else None
                if value is not None and value.origin is not None:
                    yield key, value.origin

    # -- association reads ------------------------------------------------------

    def reads(self) -> Iterator[tuple[tuple, AssocRead]]:
        for in_template, captures in self._captures.items():
            accesses = [node for node in captures["access"] if node.parent.type in _READ_CONTEXTS]
            owners = innermost([c.node for c in self.clauses], accesses) if self.clauses else [None] * len(accesses)
            for access, owner in zip(accesses, owners):
                clause = self.clauses[owner] if owner is not None else None
                if clause is None and not (in_template and self.template_file):
                    continue
                read = self.read(access, clause, in_template)
                if read is not None:
                    yield (_key(clause) if clause else (None, "<template>", 0)), read

    def read(self, access: Node, clause: Clause | None, in_template: bool) -> AssocRead | None:
        dot = access.child_by_field_name("target")
        root, assoc = dot.child_by_field_name("left"), text(dot.child_by_field_name("right"))
        field = _field_read_through(access)
        if field is None and not self.enumerated(access):
            return None
        value = self.root(root, clause, in_template)
        if value is None or self.guarded(clause):
            return None
        page = None
        if value.assign is not None and clause is not None:
            page = clause.name  # `~H` or `assigns.x` in `render/1`, or a view function used as a template
        span = self.file.span(access)
        return AssocRead(text(access), assoc, field, span.line, span.column, span.end_line, span.end_column,
                         value.origin, value.assign, value.element, page)

    def root(self, node: Node, clause: Clause | None, in_template: bool) -> _Value | None:
        """What the `x` of `x.assoc` is, for the roots worth judging."""
        if node.type in ("identifier", "unary_operator") and text(node) in ("assigns", "socket", "conn", "@streams"):
            return None
        if node.type == "call" and _is_field_access(node):  # assigns.post
            left = node.child_by_field_name("target").child_by_field_name("left")
            if text(left) == "assigns" and clause is not None and clause.params and text(clause.params[0]) == "assigns":
                return _Value(assign=text(node.child_by_field_name("target").child_by_field_name("right")))
            return None
        if node.type == "unary_operator" and operator(node) == "&" and text(node) == "&1":
            return self.capture_element(node, clause, in_template)
        if node.type in ("identifier", "unary_operator"):
            return self.value(node, clause, 0, in_template)
        return None

    def enumerated(self, access: Node) -> bool:
        """`x.assoc` as a generator's source, an `Enum`/`Stream` function's collection, or `length/1`'s list."""
        parent = access.parent
        if parent.type == "binary_operator":
            op = operator(parent)
            if op == "<-":
                return parent.child_by_field_name("right").id == access.id
            if op == "|>" and parent.child_by_field_name("left").id == access.id:
                call = self.calls.get(parent.child_by_field_name("right").id)
                return call is not None and call.module in _ENUMERATING
        if parent.type == "arguments":
            call = self.calls.get(parent.parent.id)
            if call is not None and call.args and call.args[0].id == access.id:
                return call.module in _ENUMERATING or (call.module is None and call.name == "length")
        return False

    def guarded(self, clause: Clause | None) -> bool:
        code = clause.node.text if clause is not None else self.file.doc.data
        return any(marker in code for marker in _GUARDS)

    # -- values -----------------------------------------------------------------

    def value(self, node: Node | None, clause: Clause | None, depth: int, in_template: bool = False) -> _Value | None:
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.type == "identifier":
            return self.variable(node, clause, depth, in_template)
        if node.type == "unary_operator" and operator(node) == "@":
            target = node.named_children[0] if node.named_children else None
            return _Value(assign=text(target)) if in_template and target is not None and target.type == "identifier" else None
        if node.type == "binary_operator" and operator(node) == "|>":
            node = node.child_by_field_name("right")
        call = self.calls.get(node.id) if node.type == "call" else None
        if call is None:
            return self.stream(node) if in_template else None
        return self.call_value(call, clause, depth, in_template)

    def call_value(self, call: Call, clause: Clause | None, depth: int, in_template: bool) -> _Value | None:
        if is_repo_call(call):
            origin = self.query(call, clause, depth) if call.name in _STRUCTS or call.name == "preload" else None
            return _Value(origin) if origin is not None else None
        if (call.module, call.name) in _SAME_ITEMS and call.args:
            return self.value(call.args[0], clause, depth + 1, in_template)
        if (call.module, call.name) in _ONE_ITEM and call.args:
            collection = self.value(call.args[0], clause, depth + 1, in_template)
            return collection.each() if collection is not None else None
        target = project_callee(call, self.own)
        if target is None or call.capture:
            return None
        span = self.file.span(call.node)
        return _Value(Origin(span.line, span.column, call=target))

    def query(self, call: Call, clause: Clause | None, depth: int) -> Origin | None:
        """The structs a Repo call returns: `Repo.all(q)`, or `Repo.preload(x, assocs)` of a known `x`."""
        if call.name == "preload":
            base = self.value(call.args[0], clause, depth + 1) if len(call.args) > 1 else None
            loaded = preload_names(call.args[1], call.module_def) if base is not None else None
            if base is None or base.origin is None or base.element or loaded is None:
                return None
            return msgspec.structs.replace(base.origin, preloads=tuple(dict.fromkeys((*base.origin.preloads, *loaded))))
        if call.keyword("preload") is not None:
            return None  # an option a custom Repo may act on
        facts = read_query(self.file, call)
        if facts is None or not facts.complete or facts.selects or facts.schema is None:
            return None
        return Origin(facts.line, facts.column, schema=facts.schema, many=_STRUCTS[call.name], preloads=facts.preloads)

    def stream(self, node: Node) -> _Value | None:
        """`@streams.posts` in a template."""
        if node.type == "call" and _is_field_access(node):
            dot = node.child_by_field_name("target")
            if text(dot.child_by_field_name("left")) == "@streams":
                return _Value(assign=f"streams.{text(dot.child_by_field_name('right'))}")
        return None

    def capture_element(self, node: Node, clause: Clause | None, in_template: bool) -> _Value | None:
        """`&1` in `Enum.map(posts, & &1.author.name)`: an element of `posts`."""
        capture = node.parent
        while capture is not None and not (capture.type == "unary_operator" and operator(capture) == "&"):
            capture = capture.parent
        call = self.calls.get(capture.parent.parent.id) if capture is not None and capture.parent.type == "arguments" else None
        if call is None or call.module not in _ENUMERATING or not call.args or call.args[0].id == capture.id:
            return None
        collection = self.value(call.args[0], clause, 1, in_template)
        return collection.each() if collection is not None else None

    # -- variables -------------------------------------------------------------

    def variable(self, node: Node, clause: Clause | None, depth: int, in_template: bool) -> _Value | None:
        name, position = text(node), node.start_byte
        low, high = (clause.node.start_byte, clause.node.end_byte) if clause is not None else (0, len(self.file.doc.data))
        visible = [
            site for site in self.sites(name, in_template)
            if site.start <= position < site.end and low <= site.node.start_byte < high
        ]
        if len(visible) != 1 or (not in_template and clause is not None and name in self.parameters(clause)):
            return None
        site = visible[0]
        if site.kind == "assign":
            return self.value(site.node.child_by_field_name("right"), clause, depth + 1, in_template)
        if site.kind == "each":
            return self.element_of(site.node, clause, depth, in_template)
        return None

    def element_of(self, site: Node, clause: Clause | None, depth: int, in_template: bool) -> _Value | None:
        if site.type == "binary_operator":  # `p <- posts`, `{id, p} <- @streams.posts`
            collection = self.value(site.child_by_field_name("right"), clause, depth + 1, in_template)
            stream = collection is not None and (collection.assign or "").startswith("streams.")
            if site.child_by_field_name("left").type == "tuple" and not stream:
                return None
        else:  # the callback of an Enum function
            call = self.calls.get(site.parent.parent.id)
            collection = self.value(call.args[0], clause, depth + 1, in_template) if call and call.args else None
        return collection.each() if collection is not None else None

    def parameters(self, clause: Clause) -> set[str]:
        if id(clause) not in self._parameters:
            self._parameters[id(clause)] = {name for param in clause.params for name in variables(param)}
        return self._parameters[id(clause)]

    def sites(self, name: str, in_template: bool) -> list[_Site]:
        """Every binding of a variable in the file's code (or in its template code)."""
        key = (in_template, name)
        if key not in self._sites:
            needle = name.encode()
            self._sites[key] = [
                site for pattern, node, bind in self.patterns(in_template) if needle in pattern
                for bound, site in bind(node, in_template) if bound == name
            ]
        return self._sites[key]

    def patterns(self, in_template: bool) -> list[tuple[bytes, Node, Callable]]:
        """`(pattern text, node, reader of its bindings)` for each `=`, `<-` and `->` of a tree."""
        if in_template not in self._patterns:
            captures = self._captures.get(in_template, {})
            self._patterns[in_template] = [
                *((node.child_by_field_name("left").text, node, self._match) for node in captures.get("match", ())),
                *((node.child_by_field_name("left").text, node, self._generator)
                  for node in captures.get("generator", ())),
                *(((node.child_by_field_name("left") or node).text, node, self._clause_params)
                  for node in captures.get("stab", ())),
            ]
        return self._patterns[in_template]

    def _match(self, node: Node, _in_template: bool) -> Iterator[tuple[str, _Site]]:
        left, end = node.child_by_field_name("left"), node.parent.end_byte
        if left.type == "identifier":
            yield text(left), _Site("assign", node, node.end_byte, end)
        else:
            for name in variables(left):
                yield name, _Site("other", node, node.end_byte, end)

    def _generator(self, node: Node, in_template: bool) -> Iterator[tuple[str, _Site]]:
        left, parent = node.child_by_field_name("left"), node.parent
        element = None
        if left.type == "identifier":
            element = text(left)
        elif left.type == "tuple" and len(left.named_children) == 2 and left.named_children[1].type == "identifier":
            element = text(left.named_children[1])  # `{dom_id, post} <- @streams.posts`
        scope = None
        if parent.type == "arguments" and parent.parent.type == "call" and text(parent.parent.child(0)) == "for":
            scope = (node.end_byte, parent.parent.end_byte)
        elif in_template and (loop := self._for_element(node)) is not None:  # HEEx `:for={p <- @posts}`
            scope = loop
        elif parent.type == "arguments" and parent.parent.type == "call":  # `with`: until its end
            scope = (node.end_byte, parent.parent.end_byte)
            element = None
        for name in variables(left):
            kind = "each" if name == element and scope is not None else "other"
            start, end = scope or (node.end_byte, node.parent.end_byte)
            yield name, _Site(kind, node, start, end)

    def _for_element(self, generator: Node) -> tuple[int, int] | None:
        """The element a HEEx `:for` generator repeats, as a byte range."""
        for start, end, gen_start, gen_end in self._for_elements:
            if gen_start <= generator.start_byte < gen_end:
                return start, end
        return None

    def _clause_params(self, stab: Node, _in_template: bool) -> Iterator[tuple[str, _Site]]:
        params = stab.child_by_field_name("left")
        if params is None:
            return
        function = stab.parent
        callback = None
        if function.type == "anonymous_function" and len(function.named_children) == 1 and function.parent.type == "arguments":
            call = self.calls.get(function.parent.parent.id)
            first = params.named_children[0] if params.named_children else None
            if call is not None and call.module in _ENUMERATING and call.args and call.args[0].id != function.id \
                    and first is not None and first.type == "identifier":
                callback = text(first)
        for name in variables(params):
            kind = "each" if name == callback else "other"
            yield name, _Site(kind, function if kind == "each" else stab, stab.start_byte, stab.end_byte)

    # -- what templates are given ----------------------------------------------

    def assigns(self) -> Iterator[tuple[tuple, AssignFacts]]:
        if not _HANDING_KINDS & self.file.kinds:
            return
        for call in self.file.outline.calls:
            if call.name not in _HANDING or call.in_template or call.owner is None or call.module not in _ASSIGN_MODULES:
                continue
            kinds = self.file.kinds_of(call.module_def)
            if call.name == "render" and "controller" in kinds and len(call.args) > 1:
                found = self.rendered(call)
            elif call.name in _LIVE_ASSIGNS and ("live_view" in kinds or "live_component" in kinds):
                found = self.live_assigned(call)
            else:
                continue
            for assign in found:
                yield _key(call.owner), assign

    def rendered(self, call: Call) -> Iterator[AssignFacts]:
        """`render(conn, :index, posts: posts)`, with `assign(conn, :k, v)` steps piped into it."""
        template = atom_value(call.args[1]) or (string_value(call.args[1]) or "").split(".")[0]
        if not template or call.module_def in self.plugged_views:
            return
        pairs = list(option_pairs(call.args[2])) if len(call.args) > 2 else []
        conn = call.args[0]
        for _ in range(_MAX_DEPTH):
            node = _call_node(conn)
            step = self.calls.get(node.id) if node is not None else None
            if step is not None and step.name in _PUT_VIEW:
                return  # the view chosen here renders it, not the conventional one
            if step is None or step.name != "assign" or step.module not in _ASSIGN_MODULES or not step.args:
                break
            pairs.extend(assign_pairs(step))
            conn = step.args[0]
        for key, value, span_node in pairs:
            yield from self.assign_facts(key, value, span_node, call.owner, template=template)

    @cached_property
    def plugged_views(self) -> list:
        """Controllers that choose their view with `plug :put_view, ...`."""
        return [
            call.module_def for call in self.file.outline.calls
            if call.owner is None and call.name == "plug" and call.args and atom_value(call.args[0]) in _PUT_VIEW
        ]

    def live_assigned(self, call: Call) -> Iterator[AssignFacts]:
        if call.name == "assign":
            for key, value, span_node in assign_pairs(call):
                yield from self.assign_facts(key, value, span_node, call.owner)
        elif len(call.args) > 2 and atom_value(call.args[1]):
            key, value = atom_value(call.args[1]), call.args[2]
            if call.name == "assign_new":
                value = _function_result(value)
            elif call.name.startswith("stream"):
                key = f"streams.{key}"
            yield from self.assign_facts(key, value, call.node, call.owner, element=call.name == "stream_insert")

    def assign_facts(self, key: str, value: Node | None, span_node: Node, clause: Clause, template: str | None = None,
                     element: bool = False) -> Iterator[AssignFacts]:
        resolved = self.value(value, clause, 0)
        if resolved is not None and resolved.origin is not None:
            span = self.file.span(span_node)
            yield AssignFacts(key, resolved.origin, span.line, span.column, span.end_line, span.end_column,
                              template, element)


def _key(clause: Clause) -> tuple:
    return (clause.module.name if clause.module else None, clause.name, clause.arity)


def _is_field_access(node: Node) -> bool:
    """`x.name` with no parentheses or block: a field read, not a remote call."""
    return all(child.type not in ("arguments", "do_block") for child in node.children)


def _field_read_through(access: Node) -> str | None:
    """`name` when `access` (`post.author`) is itself read from: `post.author.name`."""
    parent = access.parent
    if parent.type == "dot" and parent.child_by_field_name("left").id == access.id:
        outer = parent.parent
        if outer is not None and outer.type == "call" and _is_field_access(outer):
            return text(parent.child_by_field_name("right"))
    return None


def _last_expression(body: Node) -> Node | None:
    if body.type != "do_block":
        return body
    found = body.named_children
    if not found or any(child.type in _OTHER_BLOCKS for child in found):
        return None  # `rescue`/`catch`/`else`/`after`: another value may be returned
    return found[-1]


def _call_node(node: Node) -> Node | None:
    if node.type == "binary_operator" and operator(node) == "|>":
        return node.child_by_field_name("right")
    return node if node.type == "call" else None


def _function_result(node: Node) -> Node | None:
    """The value `fn -> value end` returns (`assign_new(socket, :k, fn -> ... end)`)."""
    if node.type != "anonymous_function" or len(node.named_children) != 1:
        return None
    body = node.named_children[0].child_by_field_name("right")
    return body.named_children[-1] if body is not None and body.named_children else None

