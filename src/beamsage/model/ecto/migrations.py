"""Migration modules as facts: the schema changes of `change/0` (or `up/0`),
in order, from the migration DSL and from `execute` SQL.

What the source does not say (a table name held in a variable, SQL built at
run time) becomes an `unknown` operation, so the replayed database knows
where it is unsure instead of guessing.
"""

from __future__ import annotations

import re

import msgspec
from tree_sitter import Node

from ...source.syntax import (
    Call,
    Clause,
    ModuleDef,
    Outline,
    arguments,
    atom_value,
    do_block,
    keyword,
    string_value,
    text,
    walk,
)
from .facts import (
    Change,
    Column,
    Index,
    MigrationFacts,
    MigrationOp,
    Reference,
    Statement,
)
from .literals import attribute, call_name, name_of, names, sigil_name, statements
from .queries import is_repo_call, runs_query

_VERSION = re.compile(r"(?:^|/)(\d+)_[^/]*\.exs$")
_TABLE_BLOCK = {"create": "create_table", "create_if_not_exists": "create_table", "alter": "alter_table"}
_COLUMN_ACTIONS = frozenset({"add", "add_if_not_exists", "modify", "remove", "remove_if_exists"})
_MAX_INLINE = 5  # how deep helper functions of the migration are followed
# Calls of `change/0` that change no table's columns, by their (local) name or module.
_HARMLESS_LOCAL = frozenset({"flush", "repo", "prefix", "direction", "execute", "index", "unique_index",
                             "constraint", "table", "references", "require", "import", "alias"})
_HARMLESS_MODULES = frozenset({"Logger", "IO", "Process", "Application", "System", "Code", "Mix"})
# DSL calls that, found inside a call not understood (`Enum.each(..., fn t -> alter table(t) ...)`),
# mean that call changes tables.
_DSL = frozenset({"create", "create_if_not_exists", "alter", "drop", "drop_if_exists", "rename", "execute",
                  "add", "add_if_not_exists", "modify", "remove", "remove_if_exists", "timestamps"})


def migration_version(path: str) -> int | None:
    match = _VERSION.search(path)
    return int(match.group(1)) if match else None


def migration_facts(outline: Outline, module: ModuleDef, version: int) -> MigrationFacts:
    clauses = {(c.name, c.arity): c for c in outline.clauses_of(module)}
    entry = next((name for name in ("change", "up") if (name, 0) in clauses), None)
    reader = _Reader(module, clauses)
    if entry is not None:
        reader.block(clauses[(entry, 0)].body, 0)
    return MigrationFacts(
        module=module.name,
        version=version,
        line=module.line,
        ops=tuple(reader.ops),
        disable_ddl_transaction=_attribute_true(module, "disable_ddl_transaction"),
        disable_migration_lock=_attribute_true(module, "disable_migration_lock"),
        entry=entry,
        entry_line=clauses[(entry, 0)].line if entry else 0,
        entry_column=clauses[(entry, 0)].node.start_point[1] + 1 if entry else 0,
        down=("down", 0) in clauses,
        statements=tuple(_statements(outline, clauses, entry)),
        opaque=tuple(dict.fromkeys(reader.opaque)),
    )


_INSERT_INTO = re.compile(r'^\s*INSERT\s+INTO\s+(?:\w+\.)?"?(\w+)"?', re.IGNORECASE)
# A transaction's calls are statements of their own.
_WRAPPERS = frozenset({"transaction", "transact", "checkout"})


def _statements(outline: Outline, clauses: dict[tuple[str, int], Clause], entry: str | None) -> list[Statement]:
    """The `execute` calls and the Repo calls (`Repo.update_all`, `repo().insert_all`)
    of what runs forwards: `change/0` or `up/0` and the functions they call."""
    forward = _reachable(outline, clauses, entry)
    found = []
    for call in outline.calls:
        if call.owner is None or id(call.owner) not in forward or call.capture:
            continue
        span = call.node.start_point, call.node.end_point
        where = (span[0][0] + 1, span[0][1] + 1, span[1][0] + 1, span[1][1] + 1)
        first = call.args[0] if call.args else None
        if call.module is None and call.name == "execute" and call.args:
            sql = sql_literal(first, call.module_def)
            into = _INSERT_INTO.match(sql or "")
            found.append(Statement("execute", f"execute/{call.arity}", *where, sql=sql,
                                   reversible=call.arity >= 2 or entry != "change",
                                   table=into.group(1).lower() if into else None))
        elif _data_call(call):
            target = "repo()" if call.module is None else call.module.rpartition(".")[2]
            found.append(Statement("repo", f"{target}.{call.name}/{call.arity}", *where,
                                   sql=sql_literal(first, call.module_def), table=name_of(first)))
    return found


def _reachable(outline: Outline, clauses: dict[tuple[str, int], Clause], entry: str | None) -> set[int]:
    """The clauses (by `id`) that run from `entry`, through local calls."""
    if entry is None:
        return set()
    by_owner: dict[int, list[tuple[str, int]]] = {}
    for call in outline.calls:
        if call.owner is not None and call.module is None and call.name:
            by_owner.setdefault(id(call.owner), []).append((call.name, call.arity))
    todo, seen = [clauses[(entry, 0)]], set()
    while todo:
        clause = todo.pop()
        if id(clause) in seen:
            continue
        seen.add(id(clause))
        todo.extend(clauses[key] for key in by_owner.get(id(clause), ()) if key in clauses)
    return seen


def sql_literal(node: Node | None, module: ModuleDef | None) -> str | None:
    """SQL written as a literal: a string, a heredoc, `~s`/`~S`, or a module attribute holding one."""
    return _literal(node) or _literal(attribute(module, node))


def _literal(node: Node | None) -> str | None:
    if node is not None and node.type == "sigil" and sigil_name(node) in ("s", "S"):
        if any(child.type == "interpolation" for child in node.named_children):
            return None
        return "".join(text(child) for child in node.named_children if child.type == "quoted_content")
    return string_value(node)


def _interpolated_template(node: Node) -> str | None:
    """A string or `~s` sigil with interpolations, each replaced by a placeholder word; None for other nodes."""
    if node.type not in ("string", "sigil") or not any(child.type == "interpolation" for child in node.named_children):
        return None
    parts = {"quoted_content": text, "escape_sequence": text, "interpolation": lambda _: "x"}
    return "".join(parts[child.type](child) for child in node.named_children if child.type in parts)


def _data_call(call: Call) -> bool:
    """A Repo call that reads or writes rows: `Repo.update_all(...)`, `repo().insert_all(...)`."""
    if call.name is None or not runs_query(call.name) or call.name in _WRAPPERS:
        return False
    return is_repo_call(call) or _on_migration_repo(call.node)


def _on_migration_repo(node: Node) -> bool:
    """`repo().update_all(...)`: a call on the repo `Ecto.Migration.repo/0` returns."""
    target = node.child(0)
    left = target.child_by_field_name("left") if target is not None and target.type == "dot" else None
    return left is not None and left.type == "call" and call_name(left) == "repo" and not arguments(left)


def _data_call_node(node: Node) -> bool:
    """`repo().update_all(...)`, `Repo.insert_all(...)`: rows, not columns."""
    name = call_name(node)
    target = node.child(0)
    right = target.child_by_field_name("right") if target is not None and target.type == "dot" else None
    name = text(right) if right is not None else name
    if name is None or not runs_query(name):
        return False
    left = target.child_by_field_name("left")
    return _on_migration_repo(node) or (left is not None and text(left).split(".")[-1] == "Repo")


def _holds_dsl(node: Node) -> bool:
    """Whether a migration DSL call (`alter`, `add`, `execute`...) sits inside `node`."""
    return any(child.type == "call" and call_name(child) in _DSL for child in walk(node) if child is not node)


def _attribute_true(module: ModuleDef, name: str) -> bool:
    values = module.attributes.get(name, [])
    return bool(values) and text(values[-1]) == "true"


def default_index_name(table: str, columns: tuple[str, ...]) -> str:
    """The name `Ecto.Migration.index/3` gives an index when none is passed."""
    parts = [re.sub(r"\W", "_", part).rstrip("_") for part in (table, *columns, "index")]
    return "_".join(parts)


class _Reader:
    def __init__(self, module: ModuleDef, clauses: dict[tuple[str, int], Clause]):
        self.module = module
        self.clauses = clauses
        self.ops: list[MigrationOp] = []
        self.opaque: list[str] = []  # tables code not understood may change ("*": any)

    def block(self, body: Node | None, depth: int) -> None:
        for node in statements(body):
            self.statement(node, depth)

    def statement(self, node: Node, depth: int) -> None:
        name = call_name(node)
        line = node.start_point[0] + 1
        args = arguments(node) if name else []
        if name in ("create", "create_if_not_exists", "alter", "drop", "drop_if_exists") and args:
            self.ddl(name, node, args, line)
        elif name == "rename" and args:
            self.rename(node, args, line)
        elif name == "execute" and args:
            self.execute(node, args[0], line)
        elif not args and (name, 0) in self.clauses and depth < _MAX_INLINE:
            self.block(self.clauses[(name, 0)].body, depth + 1)  # a helper of the migration
        else:
            self.not_understood(node, name, args)
            # `if`, `for`, `Enum.each`...: DSL calls inside still change the schema.
            for child in node.children if node.type == "call" else ():
                if child.type == "do_block":
                    self.block(child, depth + 1)

    def not_understood(self, node: Node, name: str | None, args: list[Node]) -> None:
        """A call the replay does not follow: a helper with arguments
        (`add_audit_columns(:posts)`), a remote helper, `Enum.each` over
        tables. The tables it names may gain columns the replay does not
        see; when it holds DSL calls but names no table, any table may."""
        if node.type != "call" or do_block(node) is not None:
            return  # `if`/`for`/`with` blocks are read statement by statement
        target = node.child(0)
        remote = target is not None and target.type == "dot"
        if name in _HARMLESS_LOCAL or (remote and _data_call_node(node)):
            return
        if remote:
            left = target.child_by_field_name("left")
            if left is not None and text(left).split(".")[0] in _HARMLESS_MODULES:
                return
            args = arguments(node)
        tables = [found for arg in args for found in (names(arg, self.module) or ())]
        if tables:
            self.opaque.extend(tables)
        elif not remote or _holds_dsl(node):
            # A helper of the migration, or one it imports: it may change any table. A remote call
            # naming no table (`Oban.Migrations.up/1`) is taken to manage tables of its own.
            self.opaque.append("*")

    # -- DSL ----------------------------------------------------------------

    def ddl(self, verb: str, node: Node, args: list[Node], line: int) -> None:
        target = args[0]
        kind = call_name(target)
        target_args = arguments(target) if kind else []
        if_exists = verb.endswith(("_if_not_exists", "_if_exists"))
        at = _at(node)
        if kind == "table" and target_args:
            self.table(verb, node, target_args, line, if_exists)
        elif kind in ("index", "unique_index") and target_args:
            index = self.index(kind, target_args, line)
            if index is None:
                self.ops.append(MigrationOp("unknown", line))
            else:
                op = "drop_index" if verb.startswith("drop") else "create_index"
                self.ops.append(MigrationOp(op, table=index.table, prefix=index.prefix, if_exists=if_exists,
                                            index=index, name=index.name, **at))
        elif kind == "constraint" and len(target_args) >= 2:
            table, name = self.name(target_args[0]), self.name(target_args[1])
            if verb.startswith("drop"):
                self.ops.append(MigrationOp("drop_constraint", table=table, name=name, if_exists=if_exists, **at))
            elif table and name:
                opts = target_args[-1] if target_args[-1].type == "keywords" else None
                check = keyword(opts, "check")
                self.ops.append(MigrationOp(
                    "create_constraint", table=table, name=name, if_exists=if_exists,
                    check=(string_value(check) or text(check)) if check is not None else None,
                    validate=text(keyword(opts, "validate")) != "false", **at,
                ))

    def table(self, verb: str, node: Node, args: list[Node], line: int, if_exists: bool) -> None:
        table = self.name(args[0])
        opts = args[-1] if len(args) > 1 and args[-1].type == "keywords" else None
        prefix = name_of(keyword(opts, "prefix"))
        if table is None:
            self.ops.append(MigrationOp("unknown", line))
            return
        if verb.startswith("drop"):
            self.ops.append(MigrationOp("drop_table", table=table, prefix=prefix, if_exists=if_exists, **_at(node)))
            return
        block = do_block(node)
        changes, opaque = self.columns(block)
        options = keyword(opts, "options")
        if options is not None and "INHERITS" in (string_value(options) or text(options)).upper():
            opaque = True  # the parent table's columns too
        primary_key = None
        if verb != "alter":
            implicit = _implicit_key(opts, line)
            changes = ([Change("add", implicit)] if implicit else []) + changes
            primary_key = tuple(c.column.name for c in changes if c.column.primary_key)
        self.ops.append(MigrationOp(_TABLE_BLOCK.get(verb, "create_table"), line, table=table, prefix=prefix,
                                    if_exists=if_exists, changes=tuple(changes), primary_key=primary_key,
                                    position=node.start_point[1] + 1, opaque=opaque))

    def columns(self, block: Node | None) -> tuple[list[Change], bool]:
        """The column changes of a `create table`/`alter table` block, and
        whether it holds anything else (a custom macro, a loop, a helper call,
        options not written out) that may add columns not listed."""
        changes: list[Change] = []
        opaque = False
        for node in statements(block):
            if node.type == "comment":
                continue
            name = call_name(node)
            args = arguments(node) if name else []
            line = node.start_point[0] + 1
            if name == "timestamps" and args:
                resolved = attribute(self.module, args[0])
                if resolved is not None:
                    args = [resolved]
                if args[0].type != "keywords" and not (
                        args[0].type == "list" and all(c.type == "keywords" for c in args[0].named_children)):
                    opaque = True  # `timestamps(@opts)`: the names are not known
            if name not in _COLUMN_ACTIONS | {"timestamps"} or (name != "timestamps" and not (
                    args and atom_value(args[0]))):
                opaque = True
            if name in _COLUMN_ACTIONS and args and atom_value(args[0]):
                column = self.column(atom_value(args[0]), args[1:], line)
                at = _at(node)
                changes.append(Change(name, msgspec.structs.replace(
                    column, position=at["position"], end_line=at["end_line"], end_column=at["end_column"])))
            elif name == "timestamps":
                opts = args[0] if args else None
                null, default = keyword(opts, "null"), keyword(opts, "default")
                for standard in ("inserted_at", "updated_at"):
                    value = keyword(opts, standard)
                    if value is None or text(value) != "false":
                        column = Column(
                            name_of(value) or standard, line, type=_timestamp_type(opts),
                            null=null is not None and text(null) != "false",
                            default=text(default) if default is not None else None,
                            position=node.start_point[1] + 1,
                        )
                        changes.append(Change("add", column))
        return changes, opaque

    def column(self, name: str, rest: list[Node], line: int) -> Column:
        type_node = rest[0] if rest and rest[0].type != "keywords" else None
        opts = rest[-1] if rest and rest[-1].type == "keywords" else None
        reference = self.reference(type_node)
        default = keyword(opts, "default")
        null = keyword(opts, "null")
        from_type, from_null = _from(keyword(opts, "from"), self.reference)
        return Column(
            name=name,
            line=line,
            type=reference.type or ":bigint" if reference else (text(type_node) if type_node is not None else None),
            null=None if null is None else text(null) != "false",
            default=text(default) if default is not None else None,
            primary_key=text(keyword(opts, "primary_key")) == "true",
            references=reference,
            from_type=from_type,
            size=_integer(keyword(opts, "size")),
            precision=_integer(keyword(opts, "precision")),
            scale=_integer(keyword(opts, "scale")),
            from_null=from_null,
            generated=keyword(opts, "generated") is not None,
        )

    def reference(self, node: Node | None) -> Reference | None:
        if node is None or call_name(node) != "references":
            return None
        args = arguments(node)
        table = self.name(args[0]) if args else None
        if table is None:
            return None
        opts = args[-1] if len(args) > 1 and args[-1].type == "keywords" else None
        return Reference(
            table=table,
            column=name_of(keyword(opts, "column")) or "id",
            type=text(keyword(opts, "type")) if keyword(opts, "type") is not None else None,
            on_delete=text(keyword(opts, "on_delete")) if keyword(opts, "on_delete") is not None else None,
            prefix=name_of(keyword(opts, "prefix")),
            validate=text(keyword(opts, "validate")) != "false",
        )

    def index(self, kind: str, args: list[Node], line: int) -> Index | None:
        table = self.name(args[0])
        columns = names(args[1], self.module) if len(args) > 1 and args[1].type != "keywords" else ()
        opts = args[-1] if args[-1].type == "keywords" else None
        if table is None or columns is None:
            return None
        name = name_of(keyword(opts, "name"))
        where = keyword(opts, "where")
        using = keyword(opts, "using")
        return Index(
            table=table,
            columns=columns,
            name=name or default_index_name(table, columns),
            line=line,
            unique=kind == "unique_index" or text(keyword(opts, "unique")) == "true",
            where=(string_value(where) or text(where)) if where is not None else None,
            using=(name_of(using) or text(using)).lower() if using is not None else None,
            concurrently=text(keyword(opts, "concurrently")) == "true",
            prefix=name_of(keyword(opts, "prefix")),
        )

    def rename(self, node: Node, args: list[Node], line: int) -> None:
        at = _at(node)
        opts = args[-1] if args[-1].type == "keywords" else None
        target = keyword(opts, "to")
        if call_name(args[0]) != "table" or target is None:
            return
        table = self.name(arguments(args[0])[0]) if arguments(args[0]) else None
        if len(args) == 3:  # rename table(:t), :old, to: :new
            old, new = atom_value(args[1]), atom_value(target)
            if table and old and new:
                self.ops.append(MigrationOp("rename_column", table=table, column=old, name=new, **at))
                return
        elif call_name(target) == "table":
            new = self.name(arguments(target)[0]) if arguments(target) else None
            if table and new:
                self.ops.append(MigrationOp("rename_table", table=table, name=new, **at))
                return
        self.ops.append(MigrationOp("unknown", line, tables=(table,) if table else ()))

    def execute(self, call: Node, node: Node, line: int) -> None:
        sql = sql_literal(node, self.module)
        if sql is None:
            # `execute(fn -> ... end)`, `execute(&backfill/0, ...)` run Elixir, usually data work.
            if node.type == "anonymous_function" or text(node).startswith("&"):
                return
            template = _interpolated_template(node)
            if template is None:
                self.ops.append(MigrationOp("unknown", line))
                return
            from .sql import partly_known_operations

            self.ops.extend(partly_known_operations(template, line))
            return
        from .sql import (
            sql_operations,  # sqlglot is imported only for migrations that need it
        )

        at = _at(call)
        for op in sql_operations(sql, line):
            # Findings on SQL point at the `execute` call, columns included.
            changes = tuple(
                Change(c.action, msgspec.structs.replace(c.column, line=at["line"], position=at["position"],
                                                         end_line=at["end_line"], end_column=at["end_column"]))
                for c in op.changes
            )
            self.ops.append(msgspec.structs.replace(op, sql=True, changes=changes, **at))

    def name(self, node: Node | None) -> str | None:
        return name_of(node) or name_of(attribute(self.module, node))


def _at(node: Node) -> dict[str, int]:
    """A statement's position, as MigrationOp and Column fields."""
    (line, column), (end_line, end_column) = node.start_point, node.end_point
    return {"line": line + 1, "position": column + 1, "end_line": end_line + 1, "end_column": end_column + 1}


def _from(node: Node | None, reference) -> tuple[str | None, bool | None]:
    """`from: :string` or `from: {:string, null: true}` (or a `references(...)`):
    the old type as written and the old nullability when given."""
    if node is None:
        return None, None
    parts = node.named_children if node.type == "tuple" else [node]
    if not parts:
        return None, None
    old = reference(parts[0])
    old_type = (old.type or ":bigint") if old is not None else text(parts[0])
    opts = next((p for p in parts[1:] if p.type in ("keywords", "list")), None)
    null = keyword(opts, "null")
    return old_type, (text(null) != "false") if null is not None else None


def _integer(node: Node | None) -> int | None:
    value = text(node).replace("_", "")
    return int(value) if value.isdigit() else None


def _implicit_key(opts: Node | None, line: int) -> Column | None:
    """The primary key `create table` adds by itself: `id`, a `:bigserial`
    unless `primary_key: [name: ..., type: ...]` says otherwise (or `false`)."""
    value = keyword(opts, "primary_key")
    if value is not None and text(value) == "false":
        return None
    options = None
    if value is not None and text(value) != "true":
        options = value if value.type == "keywords" else next(
            (c for c in value.named_children if c.type == "keywords"), None)
    kind = keyword(options, "type")
    name = name_of(keyword(options, "name")) or "id"
    return Column(name, line, type=text(kind) if kind is not None else ":bigserial", null=False, primary_key=True)


def _timestamp_type(opts: Node | None) -> str:
    value = keyword(opts, "type")
    return text(value) if value is not None else ":naive_datetime"
