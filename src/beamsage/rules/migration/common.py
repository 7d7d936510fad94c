"""What the Migration rules share: the migrations to judge, spans, fixes, table age."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ...model.ecto.database import Database, Step, Table
from ...model.ecto.facts import Column, MigrationOp, Statement
from ...model.ecto.migrations import migration_version
from ...model.project import Project
from ...source.document import Span
from ..base import Confidence


def steps(project: Project) -> Iterator[tuple[Database, Step]]:
    """Every migration the replay ran, with its database."""
    for database in project.ecto.databases:
        for step in database.steps:
            yield database, step


def alterations(project: Project) -> Iterator[tuple[Database, Step, MigrationOp, Column, str, Table]]:
    """`(database, step, op, column, action, table)` for each column change of
    an `alter table` (or `ALTER TABLE` SQL) on a table that existed before the
    migration; `table` is its state just before."""
    for database, step in steps(project):
        for op in step.migration.ops:
            table = step.before.get(op.table) if op.kind == "alter_table" else None
            for change in op.changes if table is not None else ():
                yield database, step, op, change.column, change.action, table


def span(line: int, column: int = 1, end_line: int = 0, end_column: int = 0) -> Span:
    if end_line < line or (end_line == line and end_column <= column):
        return Span(line, column, line, column)  # to the end of the line
    return Span(line, column, end_line, end_column)


def op_span(op: MigrationOp) -> Span:
    return span(op.line, op.position, op.end_line, op.end_column)


def column_span(column: Column) -> Span:
    return span(column.line, column.position, column.end_line, column.end_column)


def statement_span(statement: Statement) -> Span:
    return span(statement.line, statement.column, statement.end_line, statement.end_column)


def final_table(database: Database, name: str) -> Table | None:
    """The table after every migration, when the replay is sure of it."""
    table = database.tables.get(name)
    return table if table is not None and database.is_certain(table) else None



# Column types whose default is a sequence (`nextval`), computed per row.
SERIAL = frozenset({"serial", "bigserial", "smallserial", "identity"})
_SAME_DEPLOY = 86_400  # seconds: migrations written this close together usually ship together


def table_age(step: Step, table: Table, confidence: Confidence) -> tuple[Confidence, str]:
    """How sure a rule can be that `table` holds data when `step` runs, and
    a note for its message. A table an earlier migration created less than a
    day before this one was most likely written in the same change and is
    deployed with it, still empty: one confidence level lower."""
    created = migration_version(table.origin.path)
    age = _seconds_between(created, step.migration.version) if created else None
    if age is None or age >= _SAME_DEPLOY:
        return confidence, ""
    lower = Confidence.LOW if confidence is not Confidence.HIGH else Confidence.MEDIUM
    note = (f" (`{table.name}` is created by {table.origin.path.rpartition('/')[2]} shortly before: if both "
            "deploy together it is still empty)")
    return lower, note


def _seconds_between(earlier: int, later: int) -> float | None:
    try:
        start, end = (datetime.strptime(str(v), "%Y%m%d%H%M%S") for v in (earlier, later))
    except ValueError:  # not a timestamp version (`1_create_users.exs`)
        return None
    return (end - start).total_seconds()
