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
access), string building (`<>`, interpolation) and a few string functions.
Any other function call stops it: the result is unknown, not untrusted. So
when this model says "untrusted" it can show the path, and a rule may say
"high confidence".
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from ..source.syntax import (
    MAX_DEPTH,
    Clause,
    arguments,
    call_target_name,
    do_block,
    is_constant,
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
    None: {"elem", "hd", "to_string", "get_in"},
}


@dataclass(frozen=True)
class Origin:
    """Where an untrusted value came from: a source and the variables it went through."""

    source: str  # "the request params of `ShopWeb.PageController.show/2`"
    via: tuple[str, ...] = ()

    def through(self, name: str) -> Origin:
        return Origin(self.source, self.via + (name,))

    def describe(self, value: str | None = None) -> str:
        """"comes from <source> (via `a` -> `b`)"; `value`, the code shown beside
        this text, is left out of the path."""
        via = self.via[:-1] if self.via and self.via[-1] == value else self.via
        if not via:
            return f"comes from {self.source}"
        return f"comes from {self.source} (via {' -> '.join(f'`{v}`' for v in via)})"


class Flow:
    """Untrusted variables of one function clause."""

    def __init__(self, clause: Clause, module_kinds: tuple[str, ...]):
        self.clause = clause
        self.tainted: dict[str, Origin] = {}
        where = f"`{clause.qualified_name}`"
        for index, what in self._untrusted_params(module_kinds):
            if index < len(clause.params):
                for name in sorted(variables(clause.params[index])):
                    self.tainted[name] = Origin(f"{what} of {where}")
        if clause.body is not None:
            # Two passes let a value assigned late in a loop body reach earlier uses.
            for _ in range(2):
                self._propagate(clause.body)
        self._checks = self._allow_list_checks()

    def _untrusted_params(self, kinds: tuple[str, ...]) -> list[tuple[int, str]]:
        clause = self.clause
        found: list[tuple[int, str]] = []
        for kind in kinds:
            found.extend(_CALLBACK_SOURCES.get((kind, clause.name, clause.arity), []))
        if "controller" in kinds and clause.kind == "def" and clause.arity == 2 and clause.name not in ("init", "call"):
            found.append((1, "the request params"))
        return found

    def _propagate(self, body: Node) -> None:
        for node in walk(body):
            if node.type == "binary_operator" and operator(node) in ("=", "<-"):
                origin = self.origin(node.child_by_field_name("right"))
                if origin is not None:
                    self._taint_pattern(node.child_by_field_name("left"), origin)
            elif node.type == "call" and call_target_name(node) == "case":
                args = arguments(node)
                origin = self.origin(args[0]) if args else None
                block = do_block(node)
                if origin is not None and block is not None:
                    for clause in block.named_children:
                        if clause.type == "stab_clause":
                            self._taint_pattern(clause.child_by_field_name("left"), origin)

    def _allow_list_checks(self) -> list[tuple[str, int]]:
        """`(code, position)` of each `x in [constants]` / `x == constant` test
        in the clause's guard and body."""
        checks = []
        for part in (self.clause.guard, self.clause.body):
            if part is None:
                continue
            for node in walk(part):
                if node.type == "binary_operator" and operator(node) in ("in", "==", "==="):
                    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                    if left is not None and is_constant(right):
                        checks.append((" ".join(text(left).split()), node.start_byte))
        return checks

    def validated(self, value: Node) -> bool:
        """Whether `value` was tested against constants (`when s in ~w(a b)`,
        `if s in @allowed`) before this point: then it can only be one of them."""
        code = " ".join(text(value).split())
        return any(checked == code and position < value.start_byte for checked, position in self._checks)

    def _taint_pattern(self, pattern: Node | None, origin: Origin) -> None:
        for name in variables(pattern):
            if name not in self.tainted:
                self.tainted[name] = origin.through(name)

    def origin(self, node: Node | None, depth: int = 0) -> Origin | None:
        """The untrusted origin of an expression's value, or None if not shown untrusted."""
        if node is None or depth > MAX_DEPTH:
            return None
        kind = node.type
        if kind == "identifier":
            return self.tainted.get(text(node))
        if kind == "access_call":
            return self.origin(node.child_by_field_name("target"), depth + 1)
        if kind in ("string", "charlist", "quoted_atom", "sigil"):
            for child in node.named_children:
                if child.type == "interpolation":
                    for inner in child.named_children:
                        found = self.origin(inner, depth + 1)
                        if found:
                            return found
            return None
        if kind in ("list", "tuple", "map", "map_content", "keywords", "pair", "arguments", "block"):
            for child in node.named_children:
                found = self.origin(child, depth + 1)
                if found:
                    return found
            return None
        if kind == "binary_operator":
            op = operator(node)
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op == "<>":
                return self.origin(left, depth + 1) or self.origin(right, depth + 1)
            if op == "|>" and right is not None and right.type == "call":
                return self._call_origin(right, [left], depth)
            return None
        if kind == "call":
            return self._call_origin(node, [], depth)
        return None

    def _call_origin(self, node: Node, piped: list[Node | None], depth: int) -> Origin | None:
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
                if left.type == "identifier" and "conn" in text(left) and name in _CONN_FIELDS:
                    return Origin(f"`{text(node)}`")
                return self.origin(left, depth + 1)
        else:
            module, name = None, text(target)
        if module in _HTTP_CLIENTS and name.rstrip("!") in _HTTP_VERBS:
            return Origin(f"an HTTP response (`{module}.{name}`)")
        if name in _CONN_READERS and module in (None, "Plug.Conn"):
            return Origin(f"the request (`{name}`)")
        if name in _PASS_THROUGH.get(module, ()) and args:
            return self.origin(args[0], depth + 1)
        return None
