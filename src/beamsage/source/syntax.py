"""The syntax helper layer: Elixir code as modules, function clauses and calls.

Rules and the model use these views instead of raw tree-sitter nodes:

- `Outline.build(tree)` finds every module (`defmodule`, `defimpl`,
  `defprotocol`), every function clause (`def`, `defp`, `defmacro`, ...) with
  its parameters, guard and body, and every call.
- A `Call` knows its module resolved through `alias` (also `alias A.{B, C}`
  and `as:`), `import ..., only:` and `__MODULE__`; a pipe `x |> f(y)` is seen
  as `f(x, y)`; a capture `&M.f/1` is a call with `capture=True` (a local
  `&load/1` is one too, in `local_captures`).
- Each call knows the clause it sits in (`owner`), so rules can tell code that
  runs at run time from code that runs at compile time (module bodies) and
  from code inside `quote`.
- `string_value`/`atom_value` read literals; `is_constant` tells literals and
  compile-time constants from values computed at run time; `variables`
  lists the variables an expression or pattern mentions.

Everything walks with explicit stacks or bounded depth: a deeply nested file
never raises RecursionError.
"""

from __future__ import annotations

from bisect import bisect_left

from dataclasses import dataclass, field
from typing import Iterable, Iterator

from tree_sitter import Node, Tree

from .parse import query

DEFINITIONS = frozenset(
    {"def", "defp", "defmacro", "defmacrop", "defguard", "defguardp", "defdelegate", "defn", "defnp"}
)
MODULE_DEFINITIONS = frozenset({"defmodule", "defimpl", "defprotocol"})
# Attributes whose values are types, not code.
TYPESPEC_ATTRIBUTES = frozenset(
    {"spec", "type", "typep", "opaque", "callback", "macrocallback", "optional_callbacks"}
)
MAX_DEPTH = 200

_QUERY = """
(call) @call
(unary_operator operator: "&" operand: (binary_operator left: (identifier) @local_capture right: (integer)))
(unary_operator operator: "@" operand: (call) @attribute)
(comment) @comment
(sigil) @sigil
(quoted_atom (interpolation)) @dynamic_atom
(quoted_keyword (interpolation)) @dynamic_atom
"""
# Found in the same pass: the constructs that bind variables, for data flow
# (`model/ecto/loads.py`); field reads (`x.name`) are collected with the calls.
_BINDING_QUERY = """
(binary_operator operator: "=") @match
(binary_operator operator: "<-") @generator
(stab_clause) @stab
(binary_operator operator: ["in" "==" "==="]) @check
"""
_DIRECTIVES = frozenset({"alias", "import", "use", "require"})


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def operator(node: Node) -> str:
    """The operator of a binary or unary operator node ("" for other nodes)."""
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def arguments(call: Node) -> list[Node]:
    """The argument nodes of a call node, as written (no pipe normalisation)."""
    for child in call.children:
        if child.type == "arguments":
            return _without_comments(child.named_children)
    return []


def _without_comments(nodes: list[Node]) -> list[Node]:
    """Comments between arguments (`socket "/live", M, # why\n websocket: [...]`) are not arguments."""
    return [n for n in nodes if n.type != "comment"]  # one pass: cheaper than looking for one first


def do_block(call: Node) -> Node | None:
    for child in call.children:
        if child.type == "do_block":
            return child
    return None


def call_target_name(call: Node) -> str | None:
    """`foo` for `foo(x)`; None for remote calls (`M.foo(x)`) and the like."""
    target = call.child_by_field_name("target")
    return text(target) if target is not None and target.type == "identifier" else None


def keyword_pairs(node: Node | None) -> Iterator[tuple[str, Node]]:
    """`(key, value)` for each pair of a keyword list (`[a: 1]` or trailing `a: 1`)."""
    if node is None:
        return
    if node.type == "list":
        node = next((c for c in node.named_children if c.type == "keywords"), None)
        if node is None:
            return
    if node.type != "keywords":
        return
    for pair in node.named_children:
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if key is not None and value is not None:
            yield text(key).rstrip().rstrip(":").strip('"'), value


def keyword(node: Node | None, name: str) -> Node | None:
    for key, value in keyword_pairs(node):
        if key == name:
            return value
    return None


def string_value(node: Node | None) -> str | None:
    """The value of a plain string literal (no interpolation), else None."""
    if node is None or node.type not in ("string", "charlist"):
        return None
    parts = []
    for child in node.named_children:
        if child.type not in ("quoted_content", "escape_sequence"):
            return None
        parts.append(text(child))
    return "".join(parts)


def atom_value(node: Node | None) -> str | None:
    """`foo` for `:foo` (and for the keyword `foo:`), else None."""
    if node is None:
        return None
    if node.type == "atom":
        return text(node)[1:]
    if node.type == "quoted_atom" and not any(c.type == "interpolation" for c in node.children):
        return "".join(text(c) for c in node.named_children if c.type == "quoted_content")
    return None


def is_interpolated(node: Node) -> bool:
    return any(child.type == "interpolation" for child in node.children)


_LITERAL_LEAVES = frozenset(
    {"integer", "float", "char", "boolean", "nil", "atom", "alias", "quoted_content", "escape_sequence"}
)
_LITERAL_CONTAINERS = frozenset(
    {"list", "tuple", "map", "map_content", "keywords", "pair", "keyword", "struct", "string",
     "charlist", "quoted_atom", "quoted_keyword", "sigil", "sigil_name", "sigil_modifiers", "bitstring"}
)


def is_constant(node: Node | None, *, in_template: bool = False) -> bool:
    """True when a node's value is fixed when the code is written.

    Literals (strings without interpolation, atoms, numbers, lists, tuples and
    maps of them), module names, module attributes (`@x` is a compile-time
    value, except in templates where it reads an assign) and `<>` of those.
    """
    if node is None:
        return False
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        kind = current.type
        if kind in _LITERAL_LEAVES:
            continue
        if kind == "interpolation":
            return False
        if kind == "unary_operator" and operator(current) == "@":
            if in_template:
                return False
            continue
        if kind == "binary_operator" and operator(current) in ("<>", "++"):
            pass
        elif kind == "identifier" and text(current) == "__MODULE__":
            continue
        elif kind not in _LITERAL_CONTAINERS:
            return False
        stack.extend((child, depth + 1) for child in current.named_children)
    return True


def variables(node: Node | None) -> set[str]:
    """Names of the variables an expression or pattern mentions (`_x` and `_` excluded).

    Identifiers that are call targets, keyword keys, field names after a dot
    and pinned names in patterns are not variables and are left out.
    """
    names: set[str] = set()
    if node is None:
        return names
    if node.type == "identifier":  # the common case: a plain parameter or variable
        name = text(node)
        return names if name.startswith("_") or name in ("__MODULE__", "__CALLER__", "__ENV__") else {name}
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            break
        if current.type == "identifier":
            name = text(current)
            if not name.startswith("_") and name not in ("__MODULE__", "__CALLER__", "__ENV__"):
                names.add(name)
            continue
        if current.type == "call":
            # Only arguments (and a dynamic call's receiver) carry variables.
            target = current.child_by_field_name("target")
            if target is not None and target.type == "dot":
                left = target.child_by_field_name("left")
                if left is not None:
                    stack.append((left, depth + 1))
            stack.extend((child, depth + 1) for child in current.children if child.type in ("arguments", "do_block"))
            continue
        if current.type == "dot":
            left = current.child_by_field_name("left")
            if left is not None:
                stack.append((left, depth + 1))
            continue
        if current.type == "unary_operator" and operator(current) in ("@", "^"):
            continue  # a module attribute, or a pinned value matched, not bound
        stack.extend((child, depth + 1) for child in current.named_children)
    return names


def walk(node: Node) -> Iterator[Node]:
    """Every node under `node` (itself included), depth first, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


@dataclass(eq=False)
class Use:
    module: str
    argument: str | None  # `:controller` in `use MyAppWeb, :controller` (and in `{:controller, opts}`)
    node: Node


def _use_argument(opts: Node | None) -> str | None:
    """The argument of `use`, as written; `{:live_view, container: ...}` (Phoenix's documented way to pass
    options to a web module's role) reads as its role, `:live_view`: the options don't change what it is."""
    if opts is None:
        return None
    parts = opts.named_children if opts.type == "tuple" else []
    if len(parts) == 2 and parts[0].type == "atom":
        return text(parts[0])
    return text(opts)


@dataclass(eq=False)
class ModuleDef:
    """A `defmodule` (or `defimpl`/`defprotocol`) and what its body declares."""

    name: str
    kind: str
    node: Node
    parent: ModuleDef | None
    aliases: dict[str, str] = field(default_factory=dict)
    imports: list[tuple[str, Node | None]] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    behaviours: list[str] = field(default_factory=list)
    attributes: dict[str, list[Node]] = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1

    def resolve(self, name: str) -> str:
        """Expand an alias as written in this module (`Repo` -> `MyApp.Repo`)."""
        head, _, rest = name.partition(".")
        module: ModuleDef | None = self
        while module is not None:
            full = module.aliases.get(head)
            if full is not None:
                return f"{full}.{rest}" if rest else full
            module = module.parent
        return name

    def imported_from(self, name: str, arity: int) -> str | None:
        """The module an unqualified call comes from, when an `import ..., only:` says so."""
        module: ModuleDef | None = self
        while module is not None:
            for imported, only in module.imports:
                if only is not None and any(
                    key == name and text(value) == str(arity) for key, value in keyword_pairs(only)
                ):
                    return imported
            module = module.parent
        return None


@dataclass(eq=False)
class Clause:
    """One clause of a function definition: `def name(params) when guard do body end`."""

    kind: str
    name: str
    params: list[Node]
    guard: Node | None
    body: Node | None
    node: Node
    module: ModuleDef | None
    defaults: int = 0

    @property
    def arity(self) -> int:
        return len(self.params)

    @property
    def min_arity(self) -> int:
        return len(self.params) - self.defaults

    @property
    def public(self) -> bool:
        return self.kind in ("def", "defmacro", "defguard", "defdelegate", "defn")

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1

    @property
    def qualified_name(self) -> str:
        prefix = f"{self.module.name}." if self.module else ""
        return f"{prefix}{self.name}/{self.arity}"


@dataclass(eq=False, slots=True)
class Call:
    """A call with its module resolved and pipes normalised.

    `module` is the resolved module (`"String"`, `":erlang"`, `"MyApp.Repo"`),
    or None for a local call nothing imports and for dynamic calls
    (`mod.fun(x)`). `args` includes the piped-in value first.
    """

    node: Node
    name: str | None
    module: str | None
    args: list[Node]
    arity: int
    piped: bool = False
    capture: bool = False
    owner: Clause | None = None
    module_def: ModuleDef | None = None
    in_quote: bool = False
    in_template: bool = False

    def is_(self, module: str, *names: str) -> bool:
        return self.module == module and (not names or self.name in names)

    def keyword(self, name: str) -> Node | None:
        """The value of option `name` in the call's trailing keyword list."""
        return keyword(self.args[-1], name) if self.args else None

    @property
    def runs_at_runtime(self) -> bool:
        """False for code in module bodies, macros (outside `quote`) and `quote` blocks."""
        if self.in_template:
            return True
        if self.owner is None or self.in_quote:
            return False
        return not self.owner.kind.startswith("defmacro")

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1


class Outline:
    """Modules, function clauses, calls, comments and sigils of one file."""

    def __init__(self) -> None:
        self.modules: list[ModuleDef] = []
        self.clauses: list[Clause] = []
        self.calls: list[Call] = []
        # `&load/1`: references to local functions, kept apart from `calls` (their node is the
        # identifier, not a call) for the call graph.
        self.local_captures: list[Call] = []
        self.comments: list[Node] = []
        self.sigils: list[Node] = []
        self.dynamic_atoms: list[Node] = []
        # Per tree (False: the file's Elixir, True: the Elixir in its templates): field
        # reads (`access`: `x.name` with no parentheses), the `match` (`=`),
        # `generator` (`<-`) and `stab` (`x -> ...`) nodes that bind variables,
        # and the `check`s (`x in ...`, `x == ...`) that may test a value.
        self.values: dict[bool, dict[str, list[Node]]] = {}
        self._quotes: list[Node] = []
        self._merged: dict[tuple[str, ...], list[tuple[int, str, Node]]] = {}
        self._starts: dict[tuple[str, ...], list[int]] = {}

    @classmethod
    def build(cls, tree: Tree | None, templates: Iterable[Tree] = ()) -> Outline:
        """Outline an Elixir tree; `templates` are trees of Elixir code embedded
        in the same file (HEEx/EEx), in the file's own positions."""
        outline = cls()
        captures = query("elixir", _QUERY + _BINDING_QUERY).captures(tree.root_node) if tree is not None else {}
        if tree is not None:
            outline.values[False] = _values(captures)
        outline.comments = _sorted(captures.get("comment", []))
        outline.sigils = _sorted(captures.get("sigil", []))
        outline.dynamic_atoms = _sorted(captures.get("dynamic_atom", []))
        attributes = {node.id for node in captures.get("attribute", [])}
        code = [(node, False) for node in outline._declarations(_sorted(captures.get("call", [])), attributes)]
        if captures.get("local_capture"):  # `&load/1`: a call of the module's own (or an imported) function
            code = sorted(code + [(node, False) for node in captures["local_capture"]], key=lambda c: c[0].start_byte)
        for embedded in templates:
            found = query("elixir", "(call) @call" + _BINDING_QUERY).captures(embedded.root_node)
            outline.values[True] = _values(found)
            code.extend((c, True) for c in found.get("call", []))
            code.sort(key=lambda item: item[0].start_byte)
        outline._calls(code)
        return outline

    # -- declarations -------------------------------------------------------

    def _declarations(self, calls: list[Node], attributes: set[int]) -> list[Node]:
        """Record modules, clauses, attributes, aliases, imports and uses, in
        document order (so a module is known before what it contains); return
        the call nodes that are calls rather than declarations."""
        heads: set[int] = set()
        types_end = -1  # calls inside a typespec (`@spec f(t) :: t`) are types
        code = []
        for node in calls:
            if node.id in heads or node.start_byte < types_end:
                continue
            target = node.child(0)
            name = target.text.decode() if target is not None and target.type == "identifier" else None
            if name is None:
                code.append(node)
            elif name in MODULE_DEFINITIONS:
                self._module(node, name)
            elif name in DEFINITIONS:
                head = self._clause(node, name)
                if head is not None:
                    heads.add(head.id)
            elif node.id in attributes:
                if name in TYPESPEC_ATTRIBUTES:
                    types_end = node.end_byte
                else:
                    self._attribute(node, name)
            else:
                if name in _DIRECTIVES:
                    self._directive(node, name)
                elif name == "quote":
                    self._quotes.append(node)
                code.append(node)
        return code

    def _module(self, node: Node, kind: str) -> None:
        args = arguments(node)
        parent = self.module_at(node.start_byte)
        if kind == "defimpl":
            protocol = parent.resolve(text(args[0])) if parent and args else text(args[0]) if args else "?"
            target = keyword(args[-1], "for") if len(args) > 1 else None
            name = f"{protocol}.{text(target) if target is not None else '?'}"
        else:
            raw = text(args[0]) if args else "?"
            name = self._module_name(args[0], parent) if args else raw
            if parent is not None and args and args[0].type == "alias":
                parent.aliases.setdefault(raw.partition(".")[0], f"{parent.name}.{raw.partition('.')[0]}")
        # Calls arrive in document order, so `modules` stays sorted by position.
        self.modules.append(ModuleDef(name=name, kind=kind, node=node, parent=parent))

    @staticmethod
    def _module_name(node: Node, parent: ModuleDef | None) -> str:
        written = module_reference(node, parent)
        if node.type == "alias" and parent is not None:
            return f"{parent.name}.{text(node)}"
        return written or text(node)

    def _clause(self, node: Node, kind: str) -> Node | None:
        args = arguments(node)
        if not args:
            return None
        head, guard = args[0], None
        if head.type == "binary_operator" and operator(head) == "when":
            head, guard = head.child_by_field_name("left"), head.child_by_field_name("right")
        if head is None:
            return None
        if head.type == "call":
            name = call_target_name(head)
            params = arguments(head)
        elif head.type == "identifier":
            name, params = text(head), []
        else:  # operator definitions (`def a + b`) and the like
            return None
        if name is None:
            return None
        body = do_block(node)
        if body is None and len(args) > 1:
            body = keyword(args[-1], "do")
        defaults = sum(1 for p in params if p.type == "binary_operator" and operator(p) == "\\\\")
        clause_params = [
            (p.child_by_field_name("left") or p) if p.type == "binary_operator" and operator(p) == "\\\\" else p
            for p in params
        ]
        if kind == "defdelegate":
            body = None
        self.clauses.append(
            Clause(kind, name, clause_params, guard, body, node, self.module_at(node.start_byte), defaults)
        )
        return head if head.type == "call" else None

    def _attribute(self, node: Node, name: str) -> None:
        module = self.module_at(node.start_byte)
        args = arguments(node)
        if module is None or not args:
            return
        module.attributes.setdefault(name, []).append(args[0])
        if name == "behaviour":
            module.behaviours.append(module_reference(args[0], module) or text(args[0]))

    def _directive(self, node: Node, name: str) -> None:
        module = self.module_at(node.start_byte)
        args = arguments(node)
        if module is None or not args:
            return
        opts = args[1] if len(args) > 1 else None
        if name == "use":
            target = module_reference(args[0], module) or text(args[0])
            module.uses.append(Use(target, _use_argument(opts), node))
        elif name == "import":
            target = module_reference(args[0], module)
            if target:
                module.imports.append((target, keyword(opts, "only")))
        elif name == "alias" or (name == "require" and keyword(opts, "as") is not None):
            for full, short in _alias_targets(args[0], module):
                module.aliases[short] = full
            as_node = keyword(opts, "as")
            if as_node is not None:
                full = module_reference(args[0], module)
                if full:
                    module.aliases[text(as_node)] = full

    # -- calls --------------------------------------------------------------

    def _calls(self, nodes: list[tuple[Node, bool]]) -> None:
        clauses = sorted(self.clauses, key=lambda c: c.node.start_byte)
        points = [n for n, _ in nodes]
        owners = innermost([c.node for c in clauses], points)
        quotes = self._quotes
        quoted = innermost(quotes, points) if quotes else [None] * len(points)
        for (node, in_template), owner, quote in zip(nodes, owners, quoted):
            clause = clauses[owner] if owner is not None else None
            module_def = clause.module if clause is not None else self.module_at(node.start_byte)
            call = self._call(node, module_def)
            if call is None:
                if node.child(0).type == "dot" and node.child_count == 1:
                    self.values[in_template]["access"].append(node)
                continue
            call.owner = clause
            call.module_def = module_def
            call.in_quote = quote is not None and quotes[quote].id != node.id
            call.in_template = in_template
            if call.module is None and call.name and module_def is not None and not in_template:
                call.module = module_def.imported_from(call.name, call.arity)
            (self.local_captures if node.type == "identifier" else self.calls).append(call)

    @staticmethod
    def _call(node: Node, module_def: ModuleDef | None) -> Call | None:
        if node.type == "identifier":  # a local capture, `&load/1`
            number = text(node.parent.child_by_field_name("right"))
            if operator(node.parent) != "/" or not number.isdigit():
                return None
            return Call(node, text(node), None, [], int(number), capture=True)
        children = node.children
        target = children[0]
        args_node = block = None
        for child in children[1:]:
            if child.type == "arguments":
                args_node = child
            elif child.type == "do_block":
                block = child
        module: str | None = None
        if target.type == "identifier":
            name = target.text.decode()
        elif target.type == "dot":
            left, right = target.child_by_field_name("left"), target.child_by_field_name("right")
            if right is None:  # anonymous function call: f.(x)
                return None
            name = right.text.decode()
            module = module_reference(left, module_def) if left is not None else None
            if module is None and args_node is None:
                return None  # field access: `user.name`
        else:
            return None
        args = _without_comments(args_node.named_children) if args_node is not None else []
        arity = len(args) + (1 if block is not None and not (args and args[-1].type == "keywords") else 0)
        call = Call(node, name, module, args, arity)
        parent = node.parent
        if parent is not None and parent.type == "binary_operator":
            op = operator(parent)
            if op == "|>" and parent.child_by_field_name("right").start_byte == node.start_byte:
                call.args = [parent.child_by_field_name("left"), *args]
                call.arity += 1
                call.piped = True
            elif op == "/" and args_node is None and parent.parent is not None and operator(parent.parent) == "&":
                number = text(parent.child_by_field_name("right"))
                call.capture = True
                call.arity = int(number) if number.isdigit() else 0
        return call

    # -- lookups ------------------------------------------------------------

    def module_at(self, offset: int) -> ModuleDef | None:
        """The innermost module whose definition contains a byte offset."""
        found = None
        for module in self.modules:
            if module.node.start_byte <= offset < module.node.end_byte:
                found = module
            elif module.node.start_byte > offset:
                break
        return found

    def context_at(self, node: Node) -> tuple[Clause | None, bool]:
        """The innermost clause containing a node, and whether the node sits in `quote`."""
        clause = None
        for candidate in self.clauses:
            if candidate.node.start_byte <= node.start_byte < candidate.node.end_byte:
                if clause is None or candidate.node.start_byte >= clause.node.start_byte:
                    clause = candidate
        parent, depth = node.parent, 0
        while parent is not None and depth < MAX_DEPTH:
            if parent.type == "call" and call_target_name(parent) == "quote":
                return clause, True
            parent, depth = parent.parent, depth + 1
        return clause, False

    def clauses_of(self, module: ModuleDef) -> list[Clause]:
        return [c for c in self.clauses if c.module is module]

    def values_within(self, node: Node, names: tuple[str, ...] = ("match", "generator", "stab", "check")
                      ) -> list[tuple[str, Node]]:
        """`(name, node)` of the `values` (both trees) of the given kinds inside
        `node`, in source order."""
        merged = self._merged.get(names)
        if merged is None:
            merged = sorted(((n.start_byte, name, n) for values in self.values.values() for name in names
                             for n in values.get(name, ())), key=lambda item: item[0])
            self._merged[names] = merged
            self._starts[names] = [start for start, _, _ in merged]
        starts = self._starts[names]
        return [(name, n) for _, name, n in merged[bisect_left(starts, node.start_byte):
                                                    bisect_left(starts, node.end_byte)]]


def _values(captures: dict[str, list[Node]]) -> dict[str, list[Node]]:
    return {"access": [], **{name: captures.get(name, []) for name in ("match", "generator", "stab", "check")}}


def module_reference(node: Node | None, module: ModuleDef | None) -> str | None:
    """The module a node names: `Foo.Bar` (alias-expanded), `__MODULE__`, `:erlang`."""
    if node is None:
        return None
    if node.type == "alias":
        return module.resolve(text(node)) if module else text(node)
    if node.type == "atom":
        return text(node)
    if node.type == "identifier" and text(node) == "__MODULE__":
        return module.name if module else None
    if node.type == "dot":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        base = module_reference(left, module)
        if base and right is not None and right.type == "alias":
            return f"{base}.{text(right)}"
    return None


def _alias_targets(node: Node, module: ModuleDef) -> Iterator[tuple[str, str]]:
    """(full name, short name) for `alias A.B` and `alias A.{B, C.D}`."""
    if node.type == "dot":
        right = node.child_by_field_name("right")
        if right is not None and right.type == "tuple":
            base = module_reference(node.child_by_field_name("left"), module)
            if base:
                for item in right.named_children:
                    if item.type == "alias":
                        written = text(item)
                        yield f"{base}.{written}", written.rsplit(".", 1)[-1]
            return
    full = module_reference(node, module)
    if full:
        yield full, full.rsplit(".", 1)[-1]


def _sorted(nodes: list[Node]) -> list[Node]:
    return sorted(nodes, key=lambda n: n.start_byte)


def innermost(intervals: list[Node], points: list[Node]) -> list[int | None]:
    """For each point node, the index of the innermost interval node containing it.

    Both lists are sorted by start byte; one sweep with a stack of open
    intervals, so the cost is linear in their lengths.
    """
    result: list[int | None] = []
    starts = [n.start_byte for n in intervals]
    stack: list[int] = []
    next_interval = 0
    for point in points:
        position = point.start_byte
        while next_interval < len(intervals) and starts[next_interval] <= position:
            stack.append(next_interval)
            next_interval += 1
        while stack and intervals[stack[-1]].end_byte <= position:
            stack.pop()
        # An interval opened later may have closed while an outer one stays open.
        index = len(stack) - 1
        while index >= 0 and intervals[stack[index]].end_byte <= position:
            index -= 1
        result.append(stack[index] if index >= 0 else None)
    return result

