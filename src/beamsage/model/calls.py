"""Which functions each function calls, and which of those calls run once per
element of a collection. The project's call graph is built from these facts.

A loop is code that runs per element: the callback of an `Enum`/`Stream`
function (an `fn`, or a capture `&load/1`), a `for` body (and every
generator or filter after the first), `Task.async_stream`, a HEEx `:for`
element, a function clause that recurses over `[head | tail]`.

Loops over a collection fixed in the source (`[:a, :b]`, `~w(a b)`,
`1..3`, a module attribute) are bounded and not recorded as loops, nor are
loops over chunks (`Enum.chunk_every(ids, 500)`): one call per batch is the
cure for N+1, not a case of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tree_sitter import Node

from ..source.syntax import (
    Call,
    Clause,
    ModuleDef,
    arguments,
    do_block,
    innermost,
    is_constant,
    keyword,
    keyword_pairs,
    module_reference,
    operator,
    text,
)
from .facts import CallSite, FunctionCalls, LoopFacts

if TYPE_CHECKING:
    from .parsed import ParsedFile

# Calls to these modules never reach project code, so the graph does not need them.
_LIBRARY = frozenset(
    ["Kernel", "Enum", "Stream", "Map", "MapSet", "List", "Keyword", "String", "Integer", "Float", "Atom", "Tuple", "Access", "IO", "File", "Path", "Process", "Logger", "Date", "DateTime", "NaiveDateTime", "Time", "Calendar", "Regex", "URI", "Base", "Jason", "Ecto.Changeset", "Ecto.Query", "Ecto.Multi", "Application", "Code", "Module", "System", "Agent", "GenServer", "Task", "Registry", "Supervisor", "DynamicSupervisor", "Phoenix.PubSub", "Phoenix.Component", "Phoenix.LiveView", "Phoenix.HTML", "Phoenix.Controller", "Plug.Conn", "Decimal", "Bitwise", "Macro", "Inspect", "Protocol", "Exception", "Function", "Range", "Port", "Node", "Stream.Reducers", "Phoenix.LiveView.JS", "Phoenix.Naming", "Gettext", "Oban", "Oban.Job", "Finch", "Req", "Tesla", "HTTPoison"]
)
# Kernel macros and functions: a local call to one never reaches project code.
_KERNEL = frozenset(
    ["if", "unless", "case", "cond", "with", "for", "try", "receive", "raise", "reraise", "throw", "quote", "unquote", "unquote_splicing", "super", "fn", "import", "require", "alias", "use", "send", "spawn", "spawn_link", "spawn_monitor", "self", "is_nil", "is_atom", "is_binary", "is_list", "is_map", "is_integer", "is_function", "is_tuple", "is_boolean", "is_number", "is_float", "is_struct", "is_exception", "is_pid", "is_reference", "is_map_key", "not", "to_string", "to_charlist", "inspect", "elem", "put_elem", "hd", "tl", "length", "map_size", "tuple_size", "byte_size", "abs", "round", "trunc", "div", "rem", "max", "min", "apply", "exit", "match?", "struct", "struct!", "get_in", "put_in", "update_in", "pop_in", "get_and_update_in", "then", "tap", "dbg", "binding", "sigil_H", "sigil_E", "sigil_r", "sigil_w", "sigil_s", "sigil_c", "sigil_D", "sigil_N", "sigil_U", "sigil_T", "sigil_p", "__MODULE__", "__ENV__", "__CALLER__", "__DIR__", "__STACKTRACE__", "defstruct", "defexception", "defoverridable", "node", "make_ref", "function_exported?", "macro_exported?", "binary_part", "bit_size", "ceil", "floor", "make_ref", "iodata_length", "iodata_to_binary"]
)
_LIBRARY_NAMESPACES = ("Ecto.", "Phoenix.", "Plug.", "Oban.", "Ash.", "Absinthe.", ":")
_PER_ELEMENT = {
    "Enum": None,  # every Enum function with a callback calls it per element
    "Stream": None,
    "Map": frozenset({"new", "filter", "reject", "map"}),
    "MapSet": frozenset({"new", "filter", "reject", "map"}),
    "Keyword": frozenset({"new", "filter", "reject", "map"}),
    "List": frozenset({"foldl", "foldr", "keysort", "update_at"}),
    "Task": frozenset({"async_stream"}),
    "Task.Supervisor": frozenset({"async_stream", "async_stream_nolink"}),
    "Flow": None,
}
# Stream functions whose callback produces pages or values, not one call per element.
_NOT_PER_ELEMENT = frozenset({"resource", "unfold", "iterate", "repeatedly", "cycle", "interval", "timer"})
_CHUNKING = frozenset({"chunk_every", "chunk_by", "chunk_while"})
_OVER_MAX = 40


def function_calls(file: ParsedFile) -> tuple[list[FunctionCalls], list[LoopFacts]]:
    """Each function's calls, and the file's loops their `loop` indexes point into."""
    loops = _Loops(file)
    own = file.own_functions
    grouped: dict[tuple[str | None, str, int], tuple[int, list[CallSite]]] = {}
    for call in [*file.outline.calls, *file.outline.local_captures]:
        if not call.runs_at_runtime:
            continue
        key = _function_key(call.owner, call)
        target = project_callee(call, own)
        if key is None or target is None:
            continue
        module = target[0]
        span = file.span(call.node)
        _, sites = grouped.setdefault(key, (call.owner.line if call.owner else 1, []))
        sites.append(CallSite(module, call.name, call.arity, span.line, span.column, span.end_line,
                              span.end_column, loops.index_of(call)))
    for clause in file.outline.clauses:
        if clause.kind == "defdelegate" and clause.module is not None:
            target = delegate_target(clause)
            if target is not None:
                key = (clause.module.name, clause.name, clause.arity)
                span = file.span(clause.node)
                site = CallSite(target[0], target[1], clause.arity, span.line, span.column, span.end_line,
                                span.end_column)
                grouped.setdefault(key, (clause.line, []))[1].append(site)
    functions = [
        FunctionCalls(module, name, arity, line, tuple(sites))
        for (module, name, arity), (line, sites) in grouped.items()
    ]
    return functions, loops.facts


def project_callee(call: Call, own: dict[int, set[tuple[str, int]]]) -> tuple[str | None, str, int] | None:
    """`(module, name, arity)` of a call that may reach project code, else None.

    Library, Kernel and Erlang calls never do. A local call is the module's
    own function when the file defines it (`own`: `ParsedFile.own_functions`);
    otherwise its module is None and only a project import can supply it.
    """
    if call.name is None or _dynamic(call) or call.module in _LIBRARY:
        return None
    if call.module is None and call.name in _KERNEL:
        return None
    if call.module and call.module.startswith(":"):
        return None
    module = call.module
    if module is None and call.module_def is not None:
        if (call.name, call.arity) in own.get(id(call.module_def), ()):
            module = call.module_def.name  # a function of the same module
        elif not _imports_other_code(call.module_def):
            return None  # an import from Ecto, Phoenix...: never project code
    return module, call.name, call.arity


def local_functions(file: ParsedFile) -> dict[int, set[tuple[str, int]]]:
    """Per module, the `(name, arity)` pairs its own functions answer to (defaults included)."""
    found: dict[int, set[tuple[str, int]]] = {}
    for clause in file.outline.clauses:
        if clause.module is not None:
            names = found.setdefault(id(clause.module), set())
            names.update((clause.name, arity) for arity in range(clause.min_arity, clause.arity + 1))
    return found


def _imports_other_code(module: ModuleDef) -> bool:
    """Whether the module (or one around it) imports a module that may be the project's."""
    current: ModuleDef | None = module
    while current is not None:
        if any(not _is_library(name) for name, _ in current.imports):
            return True
        current = current.parent
    return False


def _is_library(module: str) -> bool:
    return module in _LIBRARY or module.startswith(_LIBRARY_NAMESPACES)


def _function_key(owner: Clause | None, call: Call) -> tuple[str | None, str, int] | None:
    if owner is not None:
        return (owner.module.name if owner.module else None, owner.name, owner.arity)
    if call.in_template:
        return (None, "<template>", 0)
    return None  # module body: runs at compile time


def _dynamic(call: Call) -> bool:
    """`repo.all(q)`, `mod.fun(x)`: the receiver is a value, not a module."""
    target = call.node.child(0) if call.node.child_count else None  # none for a local capture
    return call.module is None and target is not None and target.type == "dot"


def delegate_target(clause: Clause) -> tuple[str, str] | None:
    args = arguments(clause.node)
    opts = args[-1] if len(args) > 1 and args[-1].type == "keywords" else None
    module = module_reference(keyword(opts, "to"), clause.module)
    if module is None:
        return None
    alias = keyword(opts, "as")
    return module, text(alias)[1:] if alias is not None and text(alias).startswith(":") else clause.name


class _Loops:
    """The innermost loop around each call, found in one sweep over the file's
    loop regions (callbacks, `for` bodies, `:for` elements); recorded as facts."""

    def __init__(self, file: ParsedFile):
        self.file = file
        self.facts: list[LoopFacts] = []
        regions: list[tuple[Node, int]] = []
        for call in file.outline.calls:
            if call.module is None and call.name == "for":
                regions.extend(self._for(call))
            elif call.module in _PER_ELEMENT:
                regions.extend(self._callbacks(call))
        regions.sort(key=lambda region: region[0].start_byte)
        calls = sorted([*file.outline.calls, *file.outline.local_captures], key=lambda call: call.node.start_byte)
        found = innermost([node for node, _ in regions], [call.node for call in calls]) if regions else []
        self._of = {id(call): regions[i][1] for call, i in zip(calls, found) if i is not None}
        self._for_elements = [loop for template in file.templates for loop in template.for_loops]
        self._recursive = _recursive_over_lists(file)
        self._template_ids: dict[int, int] = {}

    def index_of(self, call: Call) -> int:
        loop = self._of.get(id(call))
        if loop is not None:
            return loop
        if call.in_template and self._for_elements:
            return self._template_loop(call)
        if call.owner is not None and id(call.owner) in self._recursive and not _is_self_call(call, call.owner):
            return self._record(call.owner.node, "recursion", f"{call.owner.name}/{call.owner.arity}")
        return -1

    def _for(self, call: Call) -> list[tuple[Node, int]]:
        """`for x <- xs, y <- f(x), filter(y), do: body`: all but the first generator's source."""
        args = arguments(call.node)
        generator = args[0] if args else None
        source = generator.child_by_field_name("right") if generator is not None and generator.type == "binary_operator" else None
        if source is None or _bounded(source, call.in_template):
            return []
        loop = self._record(call.node, "for", text(source))
        regions = [(node, loop) for node in args[1:] if node.type != "keywords"]
        for node in args[-1:]:
            if node.type == "keywords":
                regions.extend((value, loop) for key, value in keyword_pairs(node) if key == "do")
        body = do_block(call.node)
        if body is not None:
            regions.append((body, loop))
        return regions

    def _callbacks(self, call: Call) -> list[tuple[Node, int]]:
        names = _PER_ELEMENT[call.module]
        if (names is not None and call.name not in names) or call.name in _NOT_PER_ELEMENT or not call.args:
            return []
        collection = call.args[0]
        callbacks = [
            node for node in arguments(call.node)
            if node != collection
            and (node.type == "anonymous_function" or (node.type == "unary_operator" and operator(node) == "&"))
        ]
        if not callbacks or _bounded(collection, call.in_template):
            return []
        loop = self._record(call.node, f"{call.module}.{call.name}", text(collection))
        return [(node, loop) for node in callbacks]

    def _template_loop(self, call: Call) -> int:
        offset = call.node.start_byte
        inside = [loop for loop in self._for_elements if loop[0] <= offset < loop[1] and not loop[2] <= offset < loop[3]]
        if not inside:
            return -1
        start, _, gen_start, gen_end = max(inside, key=lambda loop: loop[0])
        embedded = self.file.embedded
        generator = embedded.root_node.descendant_for_byte_range(gen_start, gen_end) if embedded else None
        source = generator.child_by_field_name("right") if generator is not None and generator.type == "binary_operator" else None
        if source is not None and _bounded(source, True):
            return -1
        if start not in self._template_ids:
            span = self.file.doc.span_of_bytes(start, start + 1)
            self._template_ids[start] = len(self.facts)
            self.facts.append(LoopFacts(":for", span.line, span.column, _short(text(source) if source else "")))
        return self._template_ids[start]

    def _record(self, node: Node, kind: str, over: str) -> int:
        span = self.file.span(node)
        self.facts.append(LoopFacts(kind, span.line, span.column, _short(over)))
        return len(self.facts) - 1


def _bounded(collection: Node, in_template: bool) -> bool:
    """A collection fixed in the source, or one already split into batches."""
    if collection.type == "binary_operator" and operator(collection) in ("..", "..//"):
        return all(child.type in ("integer", "binary_operator") for child in collection.named_children)
    if collection.type == "binary_operator" and operator(collection) == "|>":
        collection = collection.child_by_field_name("right")
    if collection is not None and collection.type == "call" and _function_name(collection) in _CHUNKING:
        return True
    return collection is not None and is_constant(collection, in_template=in_template)


def _function_name(call: Node) -> str | None:
    """`f` for `f(x)` and for `M.f(x)`."""
    target = call.child_by_field_name("target")
    if target is not None and target.type == "dot":
        target = target.child_by_field_name("right")
    return text(target) if target is not None and target.type == "identifier" else None


def _recursive_over_lists(file: ParsedFile) -> set[int]:
    """Clauses like `def each([head | tail]), do: ...each(tail)`: one pass per element."""
    candidates = {
        id(c) for c in file.outline.clauses if any(p.type == "list" and "|" in text(p) for p in c.params)
    }
    return {
        id(call.owner) for call in file.outline.calls
        if call.owner is not None and id(call.owner) in candidates and _is_self_call(call, call.owner)
    }


def _is_self_call(call: Call, clause: Clause) -> bool:
    own = clause.module.name if clause.module else None
    return call.name == clause.name and call.arity == clause.arity and call.module in (None, own)


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= _OVER_MAX else value[: _OVER_MAX - 3] + "..."
