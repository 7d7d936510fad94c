"""The database as the replay of every migration, in timestamp order.

One `Database` per migrations folder (`priv/repo/migrations`, another repo's
folder, an umbrella app's): each repo has its own database. Where the repo
keeps `structure.sql` (from `mix ecto.dump`), that file is the starting
point and only the migrations it does not record are replayed on top.

Every table, column and index remembers the file and line that created it,
so findings can point at the migration to change. What could not be read
(`unknown` operations) makes the tables it may touch `uncertain`; rules
that claim something is missing stay quiet about uncertain tables. Code that
may add columns the replay cannot list (a custom macro in a `create table`
block, a helper called with the table's name) makes a table `partial`: its
indexes and keys are still known, its column list is not complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import msgspec

from .facts import Change, Index, MigrationFacts, MigrationOp, Reference


class Origin(NamedTuple):
    path: str
    line: int
    column: int = 1


@dataclass
class ColumnState:
    name: str
    type: str | None
    origin: Origin
    null: bool | None = None
    references: Reference | None = None
    size: int | None = None
    precision: int | None = None
    scale: int | None = None
    default: str | None = None  # as written; `modify` without `default:` keeps it
    generated: bool = False  # a generated (or identity) column: the database computes it
    sql: bool = False  # added by `execute` SQL rather than the DSL


@dataclass
class IndexState:
    index: Index
    origin: Origin

    @property
    def columns(self) -> tuple[str, ...]:
        return self.index.columns


@dataclass
class CheckState:
    """A CHECK constraint (`expression` None: an exclusion constraint)."""

    expression: str | None
    validated: bool
    origin: Origin


@dataclass
class Table:
    name: str
    origin: Origin
    prefix: str | None = None
    columns: dict[str, ColumnState] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    indexes: dict[str, IndexState] = field(default_factory=dict)
    checks: dict[str, CheckState] = field(default_factory=dict)
    uncertain: bool = False
    partial: bool = False  # columns may exist that `columns` does not list

    def leading(self, column: str) -> bool:
        """Whether an index (or the primary key) can look rows up by `column`."""
        if self.primary_key[:1] == (column,):
            return True
        return any(state.columns[:1] == (column,) for state in self.indexes.values())

    def copy(self) -> Table:
        """A snapshot later migrations do not change."""
        return replace(
            self,
            columns={name: replace(state) for name, state in self.columns.items()},
            indexes={name: replace(state) for name, state in self.indexes.items()},
            checks={name: replace(state) for name, state in self.checks.items()},
        )


@dataclass
class Step:
    """One replayed migration, with the tables it touches as they were just
    before it ran: what the migration rules judge it against."""

    path: str
    migration: MigrationFacts
    before: dict[str, Table]  # touched tables that existed before it (snapshots)
    uncertain: bool  # the database was already uncertain before it


@dataclass
class Database:
    migrations: str  # the migrations folder, root-relative
    tables: dict[str, Table] = field(default_factory=dict)
    uncertain: bool = False  # something changed the schema in a way not understood
    steps: list[Step] = field(default_factory=list)  # the migrations replayed, in order
    partial: bool = False  # code not understood may have added columns to any table

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def is_certain(self, table: Table) -> bool:
        return not (self.uncertain or table.uncertain)

    def knows_columns(self, table: Table) -> bool:
        """Whether `table.columns` lists every column the table has."""
        return self.is_certain(table) and not (self.partial or table.partial)

    def index_named(self, name: str) -> tuple[Table, IndexState] | None:
        for table in self.tables.values():
            state = table.indexes.get(name)
            if state is not None:
                return table, state
        return None


def build_databases(
    migrations: list[tuple[str, MigrationFacts]], root: Path | None = None
) -> list[Database]:
    """Replay `(path, facts)` migrations, grouped by folder, in version order."""
    folders: dict[str, list[tuple[str, MigrationFacts]]] = {}
    for path, facts in migrations:
        folders.setdefault(path.rpartition("/")[0], []).append((path, facts))
    databases = []
    for folder, entries in sorted(folders.items()):
        database = Database(folder)
        replay = _Replay(database)
        recorded = _structure(folder, root, replay)
        for path, facts in sorted(entries, key=lambda entry: (entry[1].version, entry[0])):
            if facts.version not in recorded:
                database.steps.append(Step(path, facts, replay.snapshot(facts), database.uncertain))
                for op in facts.ops:
                    replay.apply(op, path)
                replay.opaque(facts.opaque)
        databases.append(database)
    return databases


def _structure(folder: str, root: Path | None, replay: _Replay) -> set[int]:
    """Load `structure.sql` beside the migrations folder, if the repo keeps one."""
    if root is None:
        return set()
    relative = f"{folder.rpartition('/')[0]}/structure.sql" if "/" in folder else "structure.sql"
    try:
        text = (root / relative).read_text("utf-8", "replace")
    except OSError:
        return set()
    from .sql import structure_operations

    ops, versions = structure_operations(text)
    for line, op in ops:
        replay.apply(op, relative, line)
    return versions


class _Replay:
    def __init__(self, database: Database):
        self.db = database

    def snapshot(self, migration: MigrationFacts) -> dict[str, Table]:
        """Copies of the existing tables a migration touches. A table the
        migration renames is also found under its new name, as later
        operations of the migration call it."""
        ops = migration.ops
        names = {op.table for op in ops} | {op.index.table for op in ops if op.index is not None}
        names |= {statement.table for statement in migration.statements}
        for op in ops:  # an index is dropped by name, whatever table the DSL names
            found = self.db.index_named(op.name) if op.kind == "drop_index" and op.name else None
            if found is not None:
                names.add(found[0].name)
        before = {name: self.db.tables[name].copy() for name in names if name in self.db.tables}
        for op in ops:
            if op.kind == "rename_table" and op.name and op.table in before and op.name not in before:
                before[op.name] = replace(before[op.table], name=op.name)  # snapshots are never changed
        return before

    def apply(self, op: MigrationOp, path: str, line: int | None = None) -> None:
        origin = Origin(path, line or op.line)
        handler = getattr(self, f"_{op.kind}", None)
        if handler is not None:
            handler(op, origin)

    def opaque(self, names: tuple[str, ...]) -> None:
        """Tables a migration may have changed in ways not read ("*": any)."""
        for name in names:
            if name == "*":
                self.db.partial = True
            elif name in self.db.tables:
                self.db.tables[name].partial = True

    def _create_table(self, op: MigrationOp, origin: Origin) -> None:
        if op.table in self.db.tables and op.if_exists:
            return
        table = Table(op.table, origin, op.prefix, primary_key=op.primary_key or (), partial=op.opaque)
        self.db.tables[op.table] = table
        self._changes(table, op.changes, origin, op.sql)
        for key in table.primary_key:  # the `id` column `create table` adds by itself
            table.columns.setdefault(key, ColumnState(key, ":id", origin, null=False))

    def _alter_table(self, op: MigrationOp, origin: Origin) -> None:
        table = self.db.tables.get(op.table)
        if table is not None:
            table.partial = table.partial or op.opaque
            self._changes(table, op.changes, origin, op.sql)

    def _changes(self, table: Table, changes: tuple[Change, ...], origin: Origin, sql: bool = False) -> None:
        for change in changes:
            column = change.column
            where = Origin(origin.path, column.line or origin.line, column.position)
            if change.action in ("remove", "remove_if_exists"):
                table.columns.pop(column.name, None)
                # Postgres drops the indexes that use a dropped column.
                for name in [n for n, s in table.indexes.items() if column.name in s.columns]:
                    del table.indexes[name]
            elif change.action == "modify" and column.name in table.columns:
                state = table.columns[column.name]
                if column.type is not None:  # `modify` sets the whole type, size included
                    state.type, state.size, state.precision, state.scale = (
                        column.type, column.size, column.precision, column.scale)
                state.null = column.null if column.null is not None else state.null
                state.default = column.default if column.default is not None else state.default
                if column.references is not None:
                    state.references, state.origin = column.references, where  # the line that adds the key
            elif change.action.startswith("add") or change.action == "modify":
                if change.action == "add_if_not_exists" and column.name in table.columns:
                    continue
                table.columns[column.name] = ColumnState(
                    column.name, column.type, where, column.null, column.references,
                    column.size, column.precision, column.scale,
                    default=column.default, generated=column.generated, sql=sql,
                )

    def _drop_table(self, op: MigrationOp, origin: Origin) -> None:
        self.db.tables.pop(op.table, None)

    def _rename_table(self, op: MigrationOp, origin: Origin) -> None:
        table = self.db.tables.pop(op.table, None)
        if table is not None and op.name:
            table.name = op.name  # its indexes keep their names, as in Postgres
            self.db.tables[op.name] = table

    def _rename_column(self, op: MigrationOp, origin: Origin) -> None:
        table = self.db.tables.get(op.table)
        if table is None or op.column not in table.columns or not op.name:
            return
        state = table.columns.pop(op.column)
        state.name = op.name
        table.columns[op.name] = state
        table.primary_key = tuple(op.name if c == op.column else c for c in table.primary_key)
        for index in table.indexes.values():
            columns = tuple(op.name if c == op.column else c for c in index.index.columns)
            index.index = msgspec.structs.replace(index.index, columns=columns)

    def _create_index(self, op: MigrationOp, origin: Origin) -> None:
        index = op.index
        table = self.db.tables.get(index.table) if index else None
        if index is None or table is None:
            return
        if op.if_exists and self.db.index_named(index.name):
            return
        table.indexes[index.name] = IndexState(index, origin)

    def _drop_index(self, op: MigrationOp, origin: Origin) -> None:
        self._drop_named(op.name or (op.index.name if op.index else None))

    def _drop_constraint(self, op: MigrationOp, origin: Origin) -> None:
        self._drop_named(op.name)  # a unique constraint's index goes with it
        table = self.db.tables.get(op.table) if op.table else None
        if table is not None and op.name:
            table.checks.pop(op.name, None)

    def _create_constraint(self, op: MigrationOp, origin: Origin) -> None:
        table = self.db.tables.get(op.table) if op.table else None
        if table is not None and op.name:
            table.checks[op.name] = CheckState(op.check, op.validate, origin)

    def _validate_constraint(self, op: MigrationOp, origin: Origin) -> None:
        table = self.db.tables.get(op.table) if op.table else None
        check = table.checks.get(op.name) if table is not None and op.name else None
        if check is not None:
            check.validated = True

    def _drop_named(self, name: str | None) -> None:
        found = self.db.index_named(name) if name else None
        if found is not None:
            del found[0].indexes[name]

    def _rename_index(self, op: MigrationOp, origin: Origin) -> None:
        found = self.db.index_named(op.column) if op.column else None
        if found is not None and op.name:
            table, state = found
            del table.indexes[op.column]
            state.index = msgspec.structs.replace(state.index, name=op.name)
            table.indexes[op.name] = state

    def _unknown(self, op: MigrationOp, origin: Origin) -> None:
        if not op.tables:
            self.db.uncertain = True
        for name in op.tables:
            if name in self.db.tables:
                self.db.tables[name].uncertain = True

