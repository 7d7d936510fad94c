"""Migration rules about column types and defaults: rewrites of tables in use, `json`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...model.ecto.facts import Column
from ...model.ecto.types import PgType, change_cost, describe, pg_type
from ...model.project import Project
from ..base import Confidence, Finding, ProjectRule, Severity, register
from .common import SERIAL, alterations, column_span, final_table, steps, table_age


def _type_of(column: Column) -> PgType | None:
    return pg_type(column.type, column.size, column.precision, column.scale)


def _json(kind: PgType | None) -> bool:
    return kind is not None and kind.base == "json"


@register
class ColumnTypeChange(ProjectRule):
    """A `modify` that changes a column's type in a way that rewrites the table.

    ## What it finds

    `modify :column, type` (or `ALTER COLUMN ... TYPE`) whose Postgres type
    differs from the column's type before the migration (from the replayed
    migrations, else from `from:`). Changes Postgres makes in its catalog
    only are not reported: a longer or unbounded `varchar`, `varchar` to
    `text`, a wider `numeric` precision, `:utc_datetime` to
    `:utc_datetime_usec`, `text` to `citext` on an unindexed column (on an
    indexed one, only its indexes are rebuilt: still reported). A `modify`
    that only changes `null:` or `default:` keeps the type and is not
    reported. `timestamp` to `timestamptz` is free only when the
    session time zone is UTC: low confidence. When the old type is not
    known, low confidence too.

    ## Why it matters

    Any other type change rewrites every row and rebuilds every index of the
    table under an ACCESS EXCLUSIVE lock: no query can read or write it
    until the rewrite ends, minutes to hours on a large table. Note that
    `modify :name, :string` on a `size: 500` column changes it back to
    `varchar(255)`: a rewrite too.

    ## Example

    ```elixir
    alter table(:orders) do
      modify :total_cents, :bigint
    end
    ```

    ## Use instead

    Add a new column, write to both, backfill it in batches, switch reads
    to it, then drop the old one:

    ```elixir
    alter table(:orders) do
      add :total_cents_v2, :bigint
    end
    ```

    (for `integer` to `bigint`, the same steps with a trigger keeping the
    columns in sync during the switch).
    """

    id = "Migration.ColumnTypeChange"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step, op, column, action, table in alterations(project):
            before = table.columns.get(column.name)
            if action != "modify" or column.type is None or before is None:
                continue
            new = _type_of(column)
            old = pg_type(before.type, before.size, before.precision, before.scale) if before.type else None
            if old is None or table.uncertain:
                old = pg_type(column.from_type) if column.from_type else old
            if new is None or old is None:
                if new is not None and new.base in ("varchar", "text") or column.references is not None:
                    continue  # the usual no-rewrite changes, when the old type is not known
                message = (
                    f"changes the type of `{table.name}.{column.name}` to `{column.type}` from a type beamsage "
                    "cannot see: unless Postgres can convert it in place, it rewrites the table under an ACCESS "
                    "EXCLUSIVE lock"
                )
                yield self.finding(step.path, column_span(column), message, confidence=Confidence.LOW,
                                   fix=self._fix(table.name, column))
                continue
            indexed = any(column.name in state.columns for state in table.indexes.values())
            cost = change_cost(old, new, indexed)
            if cost in ("none", "metadata"):
                continue
            if cost == "timezone":
                message = (
                    f"changes `{table.name}.{column.name}` from `{describe(old)}` to `{describe(new)}`: free only "
                    "when the session time zone is UTC (Postgres 12+), otherwise a full rewrite under an ACCESS "
                    "EXCLUSIVE lock"
                )
                yield self.finding(step.path, column_span(column), message, confidence=Confidence.LOW,
                                   fix="make sure the migration runs with `SET timezone = 'UTC'`")
                continue
            confidence, note = table_age(step, table, self.confidence)
            change = f"changes `{table.name}.{column.name}` from `{describe(old)}` to `{describe(new)}`"
            if cost == "reindex":
                work = f"no row is rewritten, but Postgres rebuilds the indexes on `{column.name}`"
            else:
                work = f"Postgres rewrites every row of `{table.name}` and rebuilds its indexes"
            message = f"{change}: {work} under an ACCESS EXCLUSIVE lock, so every query on it waits until it ends{note}"
            yield self.finding(step.path, column_span(column), message, confidence=confidence,
                               fix=self._fix(table.name, column))

    @staticmethod
    def _fix(table: str, column: Column) -> str:
        return (
            f"add a new column (add :{column.name}_v2, {column.type}), write to both, backfill it in batches, "
            f"switch reads to it, then remove :{column.name} in a later migration"
        )


# Functions Postgres evaluates per row (VOLATILE): a default that calls one
# makes ADD COLUMN rewrite the table. now()/CURRENT_TIMESTAMP are STABLE.
_VOLATILE = re.compile(
    r"\b(gen_random_uuid|uuid_generate_v1mc|uuid_generate_v1|uuid_generate_v4|uuidv4|uuidv7|random|"
    r"clock_timestamp|timeofday|nextval|gen_random_bytes|txid_current)\s*\(",
    re.IGNORECASE,
)


@register
class VolatileDefault(ProjectRule):
    """A column with a per-row default, added to a table in use.

    ## What it finds

    `add` in `alter table` (or `ADD COLUMN` SQL) on a table that existed
    before the migration, whose default calls a volatile function
    (`fragment("gen_random_uuid()")`, `uuid_generate_v4()`,
    `clock_timestamp()`, `random()`, `nextval(...)`) or whose type is
    `:serial`/`:bigserial`. A constant default, and `now()` or
    `CURRENT_TIMESTAMP` (evaluated once per statement), are instant on
    Postgres 11+ and not reported.

    ## Why it matters

    A volatile default has to be computed for every existing row, so
    Postgres rewrites the whole table under an ACCESS EXCLUSIVE lock: no
    query can read or write it until the rewrite ends.

    ## Example

    ```elixir
    alter table(:orders) do
      add :public_id, :uuid, default: fragment("gen_random_uuid()")
    end
    ```

    ## Use instead

    Add the column without a default, set the default for new rows in a
    second statement, then backfill old rows in batches:

    ```elixir
    alter table(:orders) do
      add :public_id, :uuid
    end

    execute "ALTER TABLE orders ALTER COLUMN public_id SET DEFAULT gen_random_uuid()",
            "ALTER TABLE orders ALTER COLUMN public_id DROP DEFAULT"
    ```
    """

    id = "Migration.VolatileDefault"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step, op, column, action, table in alterations(project):
            if action not in ("add", "add_if_not_exists"):
                continue
            kind = (column.type or "").lstrip(":").lower()
            volatile = _VOLATILE.search(column.default or "")
            if volatile is None and kind not in SERIAL:
                continue
            what = f"a default that calls `{volatile.group(1)}()`" if volatile else f"type `{kind}` (a sequence default)"
            confidence, note = table_age(step, table, self.confidence)
            message = (
                f"adds `{table.name}.{column.name}` with {what}, evaluated once per row: Postgres rewrites every "
                f"row of `{table.name}` under an ACCESS EXCLUSIVE lock, so every query on it waits{note}"
            )
            fix = (
                f"add :{column.name} without a default; then set the default for new rows alone:\n"
                f'execute "ALTER TABLE {table.name} ALTER COLUMN {column.name} SET DEFAULT ...", '
                f'"ALTER TABLE {table.name} ALTER COLUMN {column.name} DROP DEFAULT"\n'
                "then backfill old rows in batches"
            )
            yield self.finding(step.path, column_span(column), message, confidence=confidence, fix=fix)


@register
class JsonColumn(ProjectRule):
    """A `:json` column, where `:map` (`jsonb`) is almost always meant.

    ## What it finds

    A column added or changed as `:json` (or SQL `json`) that is still
    `json` after every migration.

    ## Why it matters

    `json` stores the text as given and reparses it on every read; it has no
    equality operator (so `DISTINCT`, `GROUP BY` and unique indexes fail on
    it) and no GIN indexing. Ecto's `:map` type is `jsonb`: parsed once,
    indexable, comparable. `json` is only right for keeping a payload
    byte for byte (key order, duplicate keys).

    ## Example

    ```elixir
    alter table(:accounts) do
      add :settings, :json
    end
    ```

    ## Use instead

    ```elixir
    add :settings, :map  # jsonb
    ```
    """

    id = "Migration.JsonColumn"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in steps(project):
            for op in step.migration.ops:
                if op.kind not in ("create_table", "alter_table"):
                    continue
                for change in op.changes:
                    column = change.column
                    if "json" not in (column.type or "") or change.action.startswith("remove"):
                        continue
                    if not _json(_type_of(column)):
                        continue
                    final = final_table(database, op.table)
                    state = final.columns.get(column.name) if final else None
                    if state is None or not _json(pg_type(state.type)):
                        continue
                    message = (
                        f"`{op.table}.{column.name}` is `json`: text reparsed on every read, with no equality "
                        "and no GIN index; Ecto's `:map` is `jsonb`"
                    )
                    fix = f"{change.action} :{column.name}, :map"
                    yield self.finding(step.path, column_span(column), message, fix=fix)
