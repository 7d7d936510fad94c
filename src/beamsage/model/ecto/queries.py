"""Ecto queries in the forms people write them, read from one function:

    Repo.all(from p in Post, where: p.slug == ^slug, order_by: p.inserted_at)
    Post |> where([p], p.active) |> order_by(desc: :inserted_at) |> Repo.all()
    query = from(p in Post, preload: [:author]); Repo.one(query)
    Repo.get_by(Post, slug: slug)

Each becomes a `QueryFacts`: the schema of the first binding, the
conditions on it, the ordering and the preloads. Steps the function does not
show (a query passed in, a helper that adds clauses) make it incomplete,
and rules that judge the whole query leave incomplete ones alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tree_sitter import Node

from ...source.syntax import (
    Call,
    arguments,
    atom_value,
    call_target_name,
    keyword_pairs,
    module_reference,
    operator,
    string_value,
    text,
    walk,
)
from .facts import Condition, QueryFacts
from .literals import names

if TYPE_CHECKING:
    from ..parsed import ParsedFile

# Repo functions whose first argument is a query (or a schema).
_QUERYING = frozenset(
    {"all", "one", "one!", "get_by", "get_by!", "exists?", "aggregate", "stream", "update_all", "delete_all"}
)
# Ecto.Query macros a query passes through; only these keep it complete.
_MACROS = frozenset(
    {"where", "or_where", "order_by", "preload", "select", "select_merge", "limit", "offset", "distinct",
     "group_by", "having", "lock", "join", "exclude", "windows", "combinations", "first", "last"}
)
_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">=", "in"})
_MAX_DEPTH = 30


def query_facts(file: ParsedFile) -> list[QueryFacts]:
    return [
        query for call in file.outline.calls
        if call.name in _QUERYING and (query := read_query(file, call)) is not None
    ]


def read_query(file: ParsedFile, call: Call) -> QueryFacts | None:
    """The query a Repo call (`Repo.all(q)`, `Repo.get!(Post, id)`...) runs, when its schema is known."""
    if not is_repo_call(call) or call.owner is None or not call.args:
        return None
    return _Reader(file, call).read()


# Repo functions that do not talk to the database.
_NOT_QUERIES = frozenset(
    {"config", "load", "get_dynamic_repo", "put_dynamic_repo", "in_transaction?", "rollback", "to_sql",
     "default_options", "prepare_query", "start_link", "child_spec", "init", "stop", "__adapter__", "checked_out?"}
)


def runs_query(name: str) -> bool:
    """Whether the Repo function `name` talks to the database (`all`, `insert`...; not `config`)."""
    return name not in _NOT_QUERIES


def is_repo_call(call: Call) -> bool:
    """A call to a module named `Repo` or `*.Repo` (not a capture `&Repo.get/2`)."""
    module = call.module or ""
    return (module == "Repo" or module.endswith(".Repo")) and not call.capture


@dataclass
class _Query:
    schema: str | None = None
    table: str | None = None
    complete: bool = True
    alternatives: bool = False
    selects: bool = False
    root: str | None = None  # the variable naming the first binding
    conditions: list[Condition] = field(default_factory=list)
    order_by: list[str] = field(default_factory=list)
    preloads: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, file: ParsedFile, call: Call):
        self.file = file
        self.call = call
        self.module = call.module_def
        self.assignments = _assignments(file, call)

    def read(self) -> QueryFacts | None:
        call = self.call
        query = _Query()
        self.source(call.args[0], query, 0)
        if call.name in ("get_by", "get_by!") and len(call.args) > 1:
            self.keyword_conditions(call.args[1], query)
        if query.schema is None and query.table is None:
            return None
        span = self.file.span(call.node)
        return QueryFacts(
            repo=call.module, function=call.name, line=span.line, column=span.column, end_line=span.end_line,
            end_column=span.end_column, schema=query.schema, table=query.table, complete=query.complete,
            alternatives=query.alternatives, selects=query.selects, conditions=tuple(query.conditions),
            order_by=tuple(query.order_by), preloads=tuple(dict.fromkeys(query.preloads)),
        )

    # -- the query's source and steps ----------------------------------------

    def source(self, node: Node | None, query: _Query, depth: int) -> None:
        if node is None or depth > _MAX_DEPTH:
            query.complete = False
            return
        if node.type == "alias":
            query.schema = module_reference(node, self.module)
        elif string_value(node) is not None:
            query.table = string_value(node)
        elif node.type == "identifier" and text(node) in self.assignments:
            self.source(self.assignments[text(node)], query, depth + 1)
        elif node.type == "binary_operator" and operator(node) == "|>":
            self.source(node.child_by_field_name("left"), query, depth + 1)
            self.step(node.child_by_field_name("right"), query, piped=True)
        elif node.type == "call" and call_target_name(node) == "from":
            self.from_(node, query, depth)
        elif node.type == "call" and call_target_name(node) in _MACROS:
            args = arguments(node)
            self.source(args[0] if args else None, query, depth + 1)
            self.step(node, query, piped=False)
        else:
            query.complete = False  # a variable passed in, a helper's result...

    def from_(self, node: Node, query: _Query, depth: int) -> None:
        args = arguments(node)
        binding = args[0] if args else None
        if binding is not None and binding.type == "binary_operator" and operator(binding) == "in":
            query.root = text(binding.child_by_field_name("left"))
            self.source(binding.child_by_field_name("right"), query, depth + 1)
        else:
            self.source(binding, query, depth + 1)
        options = args[1] if len(args) > 1 else None
        for key, value in keyword_pairs(options):
            self.clause(key, value, query)

    def step(self, node: Node | None, query: _Query, *, piped: bool) -> None:
        name = call_target_name(node) if node is not None and node.type == "call" else None
        if name not in _MACROS:
            query.complete = False  # `|> Blog.published()`: clauses we cannot see
            return
        args = arguments(node)[0 if piped else 1:]
        if args and args[0].type == "list" and len(args) > 1:  # the bindings: where([p, c], expr)
            first = args[0].named_children[0] if args[0].named_children else None
            query.root = query.root or (text(first) if first is not None and first.type == "identifier" else None)
            args = args[1:]
        if args:
            self.clause(name, args[0], query)

    def clause(self, name: str, value: Node, query: _Query) -> None:
        if name in ("where", "or_where"):
            if name == "or_where":
                query.alternatives = True
            if value.type in ("keywords", "list"):
                self.keyword_conditions(value, query)
            else:
                self.conditions(value, query, 0)
        elif name == "order_by":
            query.order_by.extend(self.fields(value, query))
        elif name == "preload":
            loaded = preload_names(value, self.module)
            if loaded is None:
                query.complete = False  # `preload: ^assocs`: which ones is decided at run time
            else:
                query.preloads.extend(loaded)
        elif name in ("select", "select_merge"):
            query.selects = True
        # `join`, `limit`...: the first binding stays the one judged.

    # -- conditions ---------------------------------------------------------

    def conditions(self, node: Node, query: _Query, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        if node.type == "binary_operator":
            op = operator(node)
            if op in ("and", "&&", "or", "||"):
                query.alternatives = query.alternatives or op in ("or", "||")
                self.conditions(node.child_by_field_name("left"), query, depth + 1)
                self.conditions(node.child_by_field_name("right"), query, depth + 1)
                return
            if op in _COMPARISONS:
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                column = self.field_of(left, query) or (self.field_of(right, query) if op != "in" else None)
                if column:
                    self.add(query, column, op, node)
                return
        if node.type == "parenthesized_expression" or node.type == "block":
            for child in node.named_children:
                self.conditions(child, query, depth + 1)
        elif node.type == "call" and call_target_name(node) in ("like", "ilike", "is_nil"):
            args = arguments(node)
            column = self.field_of(args[0], query) if args else None
            if column:
                pattern = args[1] if len(args) > 1 else None
                self.add(query, column, call_target_name(node), node, self.leading_wildcard(pattern))

    def keyword_conditions(self, node: Node, query: _Query) -> None:
        for key, value in keyword_pairs(node):
            self.add(query, key, "==", value.parent)

    def add(self, query: _Query, column: str, op: str, node: Node, wildcard: bool = False) -> None:
        span = self.file.span(node)
        query.conditions.append(
            Condition(column, op, span.line, span.column, span.end_line, span.end_column, wildcard)
        )

    def field_of(self, node: Node | None, query: _Query) -> str | None:
        """`slug` for `p.slug` (or `field(p, :slug)`) when `p` is the first binding."""
        if node is None:
            return None
        if node.type == "call":
            target = node.child_by_field_name("target")
            if target is not None and target.type == "dot" and not arguments(node) and node.child_count == 1:
                left, right = target.child_by_field_name("left"), target.child_by_field_name("right")
                if left is not None and left.type == "identifier" and text(left) == query.root and right is not None:
                    return text(right)
            if call_target_name(node) == "field":
                args = arguments(node)
                if len(args) == 2 and args[0].type == "identifier" and text(args[0]) == query.root:
                    return atom_value(args[1])
        return None

    def fields(self, node: Node, query: _Query) -> list[str]:
        found = []
        for current in walk(node):
            name = self.field_of(current, query) or (atom_value(current) if current.type == "atom" else None)
            if name and name not in ("asc", "desc") and not name.endswith(("_nulls_first", "_nulls_last")):
                found.append(name)
        return found

    def leading_wildcard(self, node: Node | None, depth: int = 0) -> bool:
        """The pattern starts with `%`: `^"%#{term}%"`, `^("%" <> term)`, or a
        variable assigned such a string in the same function."""
        if node is None or depth > 5:
            return False
        if node.type == "unary_operator" and operator(node) == "^":
            return self.leading_wildcard(node.named_children[0] if node.named_children else None, depth + 1)
        if node.type == "parenthesized_expression" or node.type == "block":
            return self.leading_wildcard(node.named_children[0] if node.named_children else None, depth + 1)
        if node.type == "string":
            first = node.named_children[0] if node.named_children else None
            return first is not None and first.type == "quoted_content" and text(first).startswith("%")
        if node.type == "binary_operator" and operator(node) == "<>":
            return self.leading_wildcard(node.child_by_field_name("left"), depth + 1)
        if node.type == "identifier" and text(node) in self.assignments:
            return self.leading_wildcard(self.assignments[text(node)], depth + 1)
        return False


def _assignments(file: ParsedFile, call: Call) -> dict[str, Node]:
    """Variables of the call's clause assigned exactly once (`name = expr`),
    before the call: their value is that expression."""
    body = call.owner.body if call.owner is not None else None
    if body is None:
        return {}
    seen: dict[str, list[Node]] = {}
    for node in file.outline.values.get(call.in_template, {}).get("match", ()):
        if body.start_byte <= node.start_byte < body.end_byte:
            left = node.child_by_field_name("left")
            if left.type == "identifier":
                seen.setdefault(text(left), []).append(node)
    return {
        name: nodes[0].child_by_field_name("right")
        for name, nodes in seen.items()
        if len(nodes) == 1 and nodes[0].end_byte <= call.node.start_byte
    }


def preload_names(node: Node, module) -> list[str] | None:
    """Top-level association names of a preload (`[:author, comments: :user]`,
    `[author: a]` after a join), or None when they are not written out."""
    found = names(node, module)
    if found is not None:
        return list(found)
    found = []
    items = node.named_children if node.type == "list" else [node]
    for item in items:
        if item.type == "keywords":
            found.extend(key for key, _ in keyword_pairs(item))
        else:
            listed = names(item, module)
            if listed is None:
                return None
            found.extend(listed)
    return found
