"""Local data flow: which values in a function clause come from outside.

A first, deliberately narrow flow model used to decide a finding's
confidence. A value is *untrusted* when it comes from

- the parameters a framework fills from the network: a controller action's
  params, a LiveView's `handle_event/3` and `handle_params/3` params and
  `mount/3` URL params, a channel's `join/3` topic and payload and
  `handle_in/3` payload, a socket's `connect` params;
- `conn.params` (and `query_params`, `body_params`, `path_params`,
  `req_headers`, cookies), `get_req_header/2`, `read_body/2`;
- an HTTP client's response (Req, HTTPoison, Finch, Tesla, `:httpc`).

A value tested against constants first (`when sort in ~w(name price)`,
`if dir in @directions`) is *validated*: it can only be one of them.

It flows through assignment and pattern matching (`=`, `<-` in `with`/`for`,
`case` on an untrusted value), access (`params["q"]`, `Map.get/3`, field
access), string building (`<>`, interpolation, `Path.join/2`) and a few
string functions. Any other function call stops it: the result is unknown,
not untrusted. So when this model says "untrusted" it can show the path, and
a rule may say "high confidence".

A sanitiser on the way (`Path.basename/1`, `Path.safe_relative/2`,
`HtmlSanitizeEx`, `html_escape/1`) makes a value safe for one kind of sink
only: a basename is still attacker-chosen text in SQL. A value the code fixes
(`constant`: literals, attributes, `case` branches of literals,
`Application.app_dir/2`) is never reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from ..source.syntax import (
    MAX_DEPTH,
    Clause,
    Outline,
    arguments,
    call_target_name,
    do_block,
    is_constant,
    keyword,
    module_reference,
    operator,
    text,
    variables,
    walk,
)

# (module kind, callback, arity) -> [(parameter index, what it holds)]
_CALLBACK_SOURCES = {
    ("live_view", "handle_event", 3): [(1, "the event params")],
    ("live_component", "handle_event", 3): [(1, "the event params")],
    ("live_view", "handle_params", 3): [(0, "the URL params")],
    ("live_view", "mount", 3): [(0, "the URL params")],
    ("channel", "join", 3): [(0, "the topic"), (1, "the join payload")],
    ("channel", "handle_in", 3): [(0, "the event name"), (1, "the message payload")],
    ("socket", "connect", 3): [(0, "the connect params")],
    ("socket", "connect", 2): [(0, "the connect params")],
}
_CONN_FIELDS = frozenset(
    {"params", "query_params", "body_params", "path_params", "req_headers", "cookies", "req_cookies", "query_string"}
)
# Words without which a clause cannot read outside data (beyond its untrusted parameters).
_SOURCE_HINT = re.compile(rb"conn|Req\b|HTTPoison|Finch|Tesla|httpc|hackney|read_body|get_req_header")
_CONN_READERS = frozenset({"get_req_header", "read_body", "fetch_query_params"})
_HTTP_CLIENTS = frozenset({"Req", "HTTPoison", "Finch", "Tesla", ":httpc", ":hackney"})
_HTTP_VERBS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "request", "run", "options"}
)
# Functions whose result carries their first argument's data.
_PASS_THROUGH = {
    "Map": {"get", "fetch", "fetch!", "get_lazy", "values", "keys", "take"},
    "Keyword": {"get", "fetch", "fetch!", "values", "keys"},
    "Access": {"get", "fetch"},
    "String": {"trim", "downcase", "upcase", "capitalize", "replace", "slice", "split", "trim_leading",
               "trim_trailing", "normalize", "to_charlist"},
    "List": {"first", "last", "wrap", "to_string"},
    "Enum": {"at", "join", "fetch!", "find"},
    "Jason": {"decode", "decode!"},
    "Kernel": {"elem", "hd", "to_string"},
    "Base": {"decode64", "decode64!", "url_decode64", "url_decode64!", "decode16", "decode16!", "decode32",
             "decode32!"},
    "URI": {"decode", "decode_www_form", "decode_query"},
    "Path": {"basename", "rootname", "dirname", "safe_relative", "safe_relative_to", "split"},
    None: {"elem", "hd", "to_string", "get_in"},
}
# Functions whose result carries the data of any of their arguments.
_PASS_ANY = {"Path": {"join", "expand", "absname", "relative_to"}, "Enum": {"concat"}, "IO": {"iodata_to_binary"}}
# Pass-through functions whose result is safe for some uses, by sink kind:
# a basename cannot climb out of a folder, a sanitiser's output is safe HTML.
_SANITISERS: dict[tuple[str | None, str], frozenset[str]] = {
    ("Path", "basename"): frozenset({"path"}),
    ("Path", "safe_relative"): frozenset({"path"}),
    ("Path", "safe_relative_to"): frozenset({"path"}),
    ("Phoenix.HTML", "html_escape"): frozenset({"html"}),
    ("Plug.HTML", "html_escape"): frozenset({"html"}),
    ("Plug.HTML", "html_escape_to_iodata"): frozenset({"html"}),
}
_PATH = frozenset({"path"})
_SANITISER_MODULES = {"HtmlSanitizeEx": frozenset({"html"})}
# Calls whose value the developer fixes (paths inside the release, config).
_FIXED_CALLS = {
    "Application": {"app_dir", "get_env", "fetch_env!", "fetch_env", "compile_env", "compile_env!"},
    ":code": {"priv_dir", "lib_dir"},
    "System": {"tmp_dir", "tmp_dir!"},
    "Path": {"join", "expand", "absname", "dirname", "basename", "rootname"},
    "Atom": {"to_string"},
}


@dataclass(frozen=True)
class _Check:
    """`code in ...` or `code == ...` at `position`; `within` names the
    variable holding the list when it is not a constant."""

    code: str
    position: int
    within: str | None = None


def cleans(module: str | None, name: str) -> frozenset[str]:
    """The sink kinds a call's result is made safe for."""
    return _SANITISERS.get((module, name)) or _SANITISER_MODULES.get(module or "", frozenset())


@dataclass(frozen=True)
class Origin:
    """Where a value came from: an untrusted source, or parameter `param` of
    the function (for summaries across functions), and the variables it went
    through. `cleaned` names the sink kinds a sanitiser on the way made it
    safe for."""

    source: str  # "the request params of `ShopWeb.PageController.show/2`"
    via: tuple[str, ...] = ()
    param: int | None = None
    cleaned: frozenset[str] = frozenset()

    def through(self, name: str) -> Origin:
        return Origin(self.source, self.via + (name,), self.param, self.cleaned)

    def clean(self, kinds: frozenset[str]) -> Origin:
        return Origin(self.source, self.via, self.param, self.cleaned | kinds) if kinds else self

    def describe(self, value: str | None = None) -> str:
        """"comes from <source> (via `a` -> `b`)"; `value`, the code shown beside
        this text, is left out of the path."""
        via = self.via[:-1] if self.via and self.via[-1] == value else self.via
        if not via:
            return f"comes from {self.source}"
        return f"comes from {self.source} (via {' -> '.join(f'`{v}`' for v in via)})"


class Flow:
    """Where the values of one function clause come from.

    Variables hold the untrusted sources they were bound from and, apart,
    the function's own parameters they were bound from (`parameter`): a
    function that hands a parameter to a dangerous call makes each call site
    passing untrusted data a finding.
    """

    def __init__(self, clause: Clause, module_kinds: tuple[str, ...], outline: Outline):
        self.clause = clause
        self.tainted: dict[str, Origin] = {}
        self.params: dict[str, Origin] = {}
        self.bindings: dict[str, list[Node]] = {}  # `x = value` bindings, for `constant`
        self.matched: set[str] = set()  # variables bound by parameters and patterns
        self.destructured: dict[str, list[Node]] = {}  # pattern-bound variables and the values matched
        where = f"`{clause.qualified_name}`"
        untrusted = dict(self._untrusted_params(module_kinds))
        self.parameters: set[str] = set()
        for index, param in enumerate(clause.params):
            names = sorted(variables(param))
            self.matched.update(names)
            self.parameters.update(names)
            uploads = _upload_paths(param)
            for name in names:
                cleaned = _PATH if name in uploads else frozenset()
                if index in untrusted:
                    self.tainted[name] = Origin(f"{untrusted[index]} of {where}", cleaned=cleaned)
                else:
                    self.params[name] = Origin(f"parameter {index + 1} of {where}", param=index, cleaned=cleaned)
        # Most clauses can hold no outside data at all: skip looking for it there.
        self._may_taint = bool(self.tainted) or bool(_SOURCE_HINT.search(clause.node.text))
        matches, self._checks = self._scan(outline)
        bound = [self._record(pattern, value, simple) for pattern, value, simple in matches]
        known = len(self.tainted) + len(self.params)
        for names, value, uploads in bound:
            self._propagate(names, value, uploads)
        if len(self.tainted) + len(self.params) > known:
            # A second pass lets a value assigned late in a loop body reach earlier uses.
            for names, value, uploads in bound:
                self._propagate(names, value, uploads)

    def _untrusted_params(self, kinds: tuple[str, ...]) -> list[tuple[int, str]]:
        clause = self.clause
        found: list[tuple[int, str]] = []
        for kind in kinds:
            found.extend(_CALLBACK_SOURCES.get((kind, clause.name, clause.arity), []))
        if "controller" in kinds and clause.kind == "def" and clause.arity == 2 and clause.name not in ("init", "call"):
            found.append((1, "the request params"))
        return found

    def _scan(self, outline: Outline) -> tuple[list[tuple[Node | None, Node | None, bool]], list[_Check]]:
        """The clause's bindings `(pattern, value, simple)` (`=`, `<-`, the
        clauses of a `case` on a value) and its tests against constants
        (`x in [..]`, `x == ..`) or against a list in a variable
        (`x in allowed`), from the outline."""
        matches: list[tuple[Node | None, Node | None, bool]] = []
        checks = []
        for kind, node in outline.values_within(self.clause.node):
            if kind in ("match", "generator"):
                matches.append((node.child_by_field_name("left"), node.child_by_field_name("right"), kind == "match"))
            elif kind == "stab":
                case = node.parent.parent if node.parent is not None else None
                if case is not None and case.type == "call" and call_target_name(case) == "case" and arguments(case):
                    matches.append((node.child_by_field_name("left"), arguments(case)[0], False))
            else:
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is None or right is None:
                    continue
                code = " ".join(text(left).split())
                if is_constant(right):
                    checks.append(_Check(code, node.start_byte))
                elif right.type == "identifier" and operator(node) == "in":
                    checks.append(_Check(code, node.start_byte, text(right)))
        return matches, checks

    def _record(self, pattern: Node | None, value: Node | None, simple: bool) -> tuple[set[str], Node | None, set[str]]:
        """Note what a binding binds (for `constant` and `values`): `(names, value, upload paths)`."""
        if simple and pattern is not None and pattern.type == "identifier":
            name = text(pattern)
            self.bindings.setdefault(name, []).append(value)
            return {name}, value, set()
        names = variables(pattern)
        self.matched.update(names)
        for name in names:
            self.destructured.setdefault(name, []).append(value)
        return names, value, _upload_paths(pattern)

    def _propagate(self, names: set[str], value: Node | None, uploads: set[str]) -> None:
        for found, table in ((self._find(value, 0, True), self.tainted), (self._find(value, 0, False), self.params)):
            if found is not None:
                for name in names:
                    table.setdefault(name, found.through(name).clean(_PATH if name in uploads else frozenset()))

    def validated(self, value: Node) -> bool:
        """Whether `value` was tested against constants (`when s in ~w(a b)`,
        `if s in @allowed`) or a list the caller chose (`if s in allowed`),
        before this point: then it can only be one of them."""
        code = " ".join(text(value).split())
        return any(check.code == code and check.position < value.start_byte
                   and (check.within is None or check.within not in self.tainted) for check in self._checks)

    # -- questions rules ask -------------------------------------------------

    def origin(self, node: Node | None, kind: str | None = None) -> Origin | None:
        """The untrusted origin of an expression's value, or None if not shown
        untrusted. With `kind`, values a sanitiser made safe for that kind of
        sink do not count."""
        return self._find(node, 0, True, kind)

    def parameter(self, node: Node | None, kind: str | None = None) -> Origin | None:
        """The function parameter an expression's value comes from, if any."""
        return self._find(node, 0, False, kind)

    def sanitised(self, node: Node | None, kind: str) -> bool:
        """Whether the value was produced by a sanitiser for `kind` (directly or
        through a variable bound to its result)."""
        node = _unpiped(node)
        if node is None:
            return False
        if node.type == "identifier":
            values = self.bindings.get(text(node), [])
            return bool(values) and text(node) not in self.matched and all(self.sanitised(v, kind) for v in values)
        if node.type == "call":
            target = node.child_by_field_name("target")
            if target is not None and target.type == "dot":
                module = module_reference(target.child_by_field_name("left"), self.clause.module)
                return kind in cleans(module, text(target.child_by_field_name("right")))
        return False

    def values(self, node: Node, depth: int = 0) -> list[Node]:
        """What an expression may evaluate to, as far as the clause shows: the
        values a variable was bound to and the branches of a `case`/`if`."""
        if depth > 8:
            return [node]
        if node.type == "identifier" and text(node) not in self.parameters:
            bound = self.bindings.get(text(node), []) + self.destructured.get(text(node), [])
            if bound:
                return [v for b in bound for v in self.values(b, depth + 1)]
        if node.type == "call" and (found := branches(node)) is not None:
            return [v for b in found for v in self.values(b, depth + 1)]
        return [node]

    def constant(self, node: Node | None, depth: int = 0) -> bool:
        """Whether the value is fixed by the code: a literal, a module attribute,
        a variable only ever bound to such values, a `case`/`if` whose every
        branch gives one, or a path/config lookup built from them."""
        if node is None or depth > 8:
            return False
        if is_constant(node):
            return True
        kind = node.type
        if kind == "identifier":
            if self.validated(node):
                return True
            name = text(node)
            values = self.bindings.get(name, []) + self.destructured.get(name, [])
            return bool(values) and name not in self.parameters and all(self.constant(v, depth + 1) for v in values)
        if kind in ("string", "list", "tuple", "binary_operator", "arguments", "block"):
            if kind == "binary_operator" and operator(node) not in ("<>", "++", "|>"):
                return False
            parts = [c for c in node.named_children if c.type not in ("quoted_content", "escape_sequence")]
            parts = [p.named_children[0] if p.type == "interpolation" and p.named_children else p for p in parts]
            return all(self.constant(p, depth + 1) for p in parts)
        if kind == "call":
            return self._constant_call(node, depth)
        return False

    def _constant_call(self, node: Node, depth: int) -> bool:
        name = call_target_name(node)
        values = branches(node)
        if values is not None:
            return bool(values) and all(self.constant(v, depth + 1) for v in values)
        target = node.child_by_field_name("target")
        if target is None or target.type != "dot":
            return name == "__DIR__"
        module = module_reference(target.child_by_field_name("left"), self.clause.module)
        if text(target.child_by_field_name("right")) not in _FIXED_CALLS.get(module, ()):
            return False
        return all(self.constant(a, depth + 1) for a in arguments(node))

    # -- tracing -------------------------------------------------------------

    def _find(self, node: Node | None, depth: int, untrusted: bool, kind: str | None = None) -> Origin | None:
        if node is None or depth > MAX_DEPTH or not (self._may_taint if untrusted else self.params):
            return None
        found = self._find_any(node, depth, untrusted, kind)
        if found is not None and kind is not None and kind in found.cleaned:
            return None
        return found

    def _find_any(self, node: Node, depth: int, untrusted: bool, kind: str | None) -> Origin | None:
        node_kind = node.type
        if node_kind == "identifier":
            if self._checks and self.validated(node):
                return None  # checked against constants: it is one of them
            return (self.tainted if untrusted else self.params).get(text(node))
        if node_kind == "access_call":
            return self._find(node.child_by_field_name("target"), depth + 1, untrusted, kind)
        if node_kind in ("string", "charlist", "quoted_atom", "sigil"):
            inner = [i for c in node.named_children if c.type == "interpolation" for i in c.named_children]
            return self._first(inner, depth, untrusted, kind)
        if node_kind in ("list", "tuple", "map", "map_content", "keywords", "pair", "arguments", "block"):
            return self._first(node.named_children, depth, untrusted, kind)
        if node_kind == "binary_operator":
            op = operator(node)
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op in ("<>", "++"):
                return self._first([left, right], depth, untrusted, kind)
            if op == "|>" and right is not None and right.type == "call":
                return self._call_origin(right, [left], depth, untrusted, kind)
            return None
        if node_kind == "call":
            values = branches(node)
            if values is not None:  # `x = case ... do`: the value of any branch
                return self._first(values, depth, untrusted, kind)
            return self._call_origin(node, [], depth, untrusted, kind)
        return None

    def _first(self, nodes, depth: int, untrusted: bool, kind: str | None) -> Origin | None:
        for child in nodes:
            found = self._find(child, depth + 1, untrusted, kind)
            if found is not None:
                return found
        return None

    def _call_origin(self, node: Node, piped: list[Node | None], depth: int, untrusted: bool,
                     kind: str | None) -> Origin | None:
        target = node.child_by_field_name("target")
        if target is None:
            return None
        args = piped + list(arguments(node))
        has_args = any(child.type == "arguments" for child in node.children)
        module_def = self.clause.module
        if target.type == "dot":
            left, right = target.child_by_field_name("left"), target.child_by_field_name("right")
            name = text(right)
            module = module_reference(left, module_def)
            if module is None:
                if has_args or left is None:
                    return None
                # Field access: `conn.params`, `response.body`, `params.user`.
                if untrusted and left.type == "identifier" and "conn" in text(left) and name in _CONN_FIELDS:
                    return Origin(f"`{text(node)}`")
                found = self._find(left, depth + 1, untrusted, None)
                if found is not None and name == "path":  # a `Plug.Upload`'s temporary file, made by Plug
                    found = found.clean(_PATH)
                return None if found is None or kind in found.cleaned else found
        else:
            module, name = None, text(target)
        if untrusted and module in _HTTP_CLIENTS and name.rstrip("!") in _HTTP_VERBS:
            return Origin(f"an HTTP response (`{module}.{name}`)")
        if untrusted and name in _CONN_READERS and module in (None, "Plug.Conn"):
            return Origin(f"the request (`{name}`)")
        if name in _PASS_ANY.get(module, ()):
            found = self._first(args, depth, untrusted, kind)
        elif args and (name in _PASS_THROUGH.get(module, ()) or module in _SANITISER_MODULES):
            found = self._find(args[0], depth + 1, untrusted, None)
        else:
            return None
        if found is None:
            return None
        found = found.clean(cleans(module, name))
        return None if kind is not None and kind in found.cleaned else found


def _upload_paths(pattern: Node | None) -> set[str]:
    """Variables a pattern binds to the `path` of a `%Plug.Upload{}`: a
    temporary file Plug made, whatever the client sent."""
    found: set[str] = set()
    if pattern is None or b"Upload" not in pattern.text:
        return found
    for node in walk(pattern):
        if node.type != "map":
            continue
        struct = next((c for c in node.named_children if c.type == "struct"), None)
        if struct is None or not text(struct).endswith("Upload"):
            continue
        content = next((c for c in node.named_children if c.type == "map_content"), None)
        value = keyword(content.named_children[0] if content and content.named_children else None, "path")
        if value is not None and value.type == "identifier":
            found.add(text(value))
    return found


def _unpiped(node: Node | None) -> Node | None:
    """`x |> f()` -> the call `f()` (its value is the pipe's)."""
    while node is not None and node.type == "binary_operator" and operator(node) == "|>":
        node = node.child_by_field_name("right")
    return node


def branches(node: Node) -> list[Node] | None:
    """The values a `case`/`cond`/`if`/`unless` expression may take (a missing
    `else` is `nil`, left out); None for any other call."""
    name = call_target_name(node)
    if name not in ("case", "if", "unless", "cond"):
        return None
    block = do_block(node)
    if block is not None:
        return [_last(v) for v in _branch_values(block) if v is not None]
    args = arguments(node)
    if name in ("if", "unless") and len(args) == 2:  # `if c, do: a, else: b`
        return [v for v in (keyword(args[1], "do"), keyword(args[1], "else")) if v is not None]
    return None


def _branch_values(block: Node) -> list[Node | None]:
    """The value of each branch of a `case`/`cond` (stab clauses) or an
    `if`/`unless` (the do part and the else part; a missing else is `nil`)."""
    stabs = [c.child_by_field_name("right") for c in block.named_children if c.type == "stab_clause"]
    if stabs:
        return stabs
    else_block = next((c for c in block.named_children if c.type == "else_block"), None)
    body = [c for c in block.named_children if c.type != "else_block"]
    values: list[Node | None] = [body[-1] if body else None]
    if else_block is not None:
        values.append(else_block.named_children[-1] if else_block.named_children else None)
    return values


def _last(node: Node) -> Node:
    """The value of a block: its last expression."""
    while node.type in ("block", "do_block", "else_block", "body") and node.named_children:
        node = node.named_children[-1]
    return node
