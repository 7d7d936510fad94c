"""Migration rules: what a migration does to a running production database.

Each migration is judged against the database as it was just before it ran:
the replay of every earlier migration (`model.ecto.database`). That history
is what keeps these rules quiet where cruder checkers cry wolf:

- An index, a foreign key or a constraint on a table created earlier in the
  same migration touches an empty table: nothing to lock, no finding.
- A `modify` is a type change only when the type really changes, compared
  with the replayed column (or its `from:`); changing only `null:` or
  `default:` is not, and Postgres changes some types without a rewrite.
- Removing or renaming a column is an error only while a schema still
  declares it.

A table no earlier migration creates (one another app manages) is not
judged: beamsage cannot tell whether it holds data. Migrations that
`structure.sql` records as run are not judged either, and
`migrations-start-after` in `.beamsage.toml` retires older ones. Postgres
11 or newer is assumed. Every finding points at a line of the migration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..model.ecto.database import Database, Step, Table
from ..model.ecto.facts import Column, MigrationOp, SchemaFacts, Statement
from ..model.ecto.types import change_cost, describe, pg_type
from ..model.project import Project
from ..source.document import Span
from .base import (
    Confidence,
    Finding,
    Location,
    ProjectRule,
    Related,
    Severity,
    register,
)
from .fixes import camel, migration_module, new_migration

# -- what the rules share ----------------------------------------------------------


def _steps(project: Project) -> Iterator[tuple[Database, Step]]:
    """Every migration the replay ran, with its database."""
    for database in project.ecto.databases:
        for step in database.steps:
            yield database, step


def _alterations(project: Project) -> Iterator[tuple[Database, Step, MigrationOp, Column, str, Table]]:
    """`(database, step, op, column, action, table)` for each column change of
    an `alter table` (or `ALTER TABLE` SQL) on a table that existed before the
    migration; `table` is its state just before."""
    for database, step in _steps(project):
        for op in step.migration.ops:
            table = step.before.get(op.table) if op.kind == "alter_table" else None
            for change in op.changes if table is not None else ():
                yield database, step, op, change.column, change.action, table


def _span(line: int, column: int = 1, end_line: int = 0, end_column: int = 0) -> Span:
    if end_line < line or (end_line == line and end_column <= column):
        return Span(line, column, line, column)  # to the end of the line
    return Span(line, column, end_line, end_column)


def _op_span(op: MigrationOp) -> Span:
    return _span(op.line, op.position, op.end_line, op.end_column)


def _column_span(column: Column) -> Span:
    return _span(column.line, column.position, column.end_line, column.end_column)


def _statement_span(statement: Statement) -> Span:
    return _span(statement.line, statement.column, statement.end_line, statement.end_column)


def _new(project: Project, database: Database, name: str, body: str, **options) -> str:
    return new_migration(migration_module(project, database, camel(*name.split())), body, **options)


def _schemas_on(project: Project, table: str) -> list[tuple[str, SchemaFacts]]:
    return [(path, schema) for path, schema in project.ecto.schemas.values() if schema.table == table]


def _declared_columns(schema: SchemaFacts) -> dict[str, tuple[int, str]]:
    """The columns a schema selects and writes: column -> (line, declaration)."""
    found = {key: (schema.line, "its primary key") for key in schema.primary_key}
    found.update({column: (schema.line, "`timestamps()`") for column in schema.timestamps})
    for assoc in schema.assocs:
        if assoc.kind == "belongs_to" and assoc.define_field:
            found[assoc.foreign_key or f"{assoc.name}_id"] = (assoc.line, f"`belongs_to :{assoc.name}`")
    for field in schema.fields:
        if not field.virtual:
            found[field.column or field.name] = (field.line, f"`field :{field.name}`")
    return found


def _schema_using(project: Project, table: str, column: str | None = None):
    """`(path, schema, line, declaration)` of the first schema on `table`
    (that declares `column`, when given), or None."""
    for path, schema in _schemas_on(project, table):
        if column is None:
            return path, schema, schema.line, f'`schema "{table}"`'
        declared = _declared_columns(schema).get(column)
        if declared is not None:
            return path, schema, *declared
    return None


def _final_table(database: Database, name: str) -> Table | None:
    """The table after every migration, when the replay is sure of it."""
    table = database.tables.get(name)
    return table if table is not None and database.is_certain(table) else None


# -- indexes -------------------------------------------------------------------------


def _index_ops(step: Step) -> Iterator[tuple[MigrationOp, str | None, bool]]:
    """`(op, table, concurrently)` for each index created or dropped."""
    for op in step.migration.ops:
        if op.kind not in ("create_index", "drop_index"):
            continue
        if op.index is not None:
            yield op, op.index.table, op.index.concurrently
        else:  # `DROP INDEX name` in SQL: the table is the one that had the index
            table = next((t.name for t in step.before.values() if op.name in t.indexes), None)
            yield op, table, op.concurrently


def _index_statement(op: MigrationOp, concurrently: bool) -> str:
    verb = "create" if op.kind == "create_index" else "drop"
    index = op.index
    if index is None:
        return f"drop index(:{op.table or 'the_table'}, [], name: :{op.name}, concurrently: true)"
    kind = "unique_index" if index.unique and verb == "create" else "index"
    columns = ", ".join(f":{c}" if re.fullmatch(r"\w+", c) else f'"{c}"' for c in index.columns)
    options = [f"name: :{index.name}"] if index.name != _default_name(index) else []
    options += [f"where: {index.where!r}".replace("'", '"')] if index.where else []
    options += [f"using: :{index.using}"] if index.using else []
    options += ["concurrently: true"] if concurrently else []
    return f"{verb} {kind}(:{index.table}, [{columns}]{''.join(', ' + o for o in options)})"


def _default_name(index) -> str:
    from ..model.ecto.migrations import default_index_name

    return default_index_name(index.table, index.columns)


@register
class IndexNotConcurrent(ProjectRule):
    """An index built or dropped on a table in use, without `concurrently: true`.

    ## What it finds

    `create index`/`create unique_index` (or `CREATE INDEX` in `execute`
    SQL) on a table that existed before the migration, without
    `concurrently: true`; and `drop index` on such a table likewise
    (medium confidence: dropping is quick once it has its lock). Not
    reported for a table the same migration creates.

    ## Why it matters

    A plain `CREATE INDEX` holds a SHARE lock on the table for the whole
    build: every insert, update and delete waits, for seconds to hours on a
    large table, and requests pile up behind them. `DROP INDEX` takes an
    ACCESS EXCLUSIVE lock: it waits behind any long-running query, and all
    reads and writes queue behind it meanwhile.

    ## Example

    ```elixir
    def change do
      create index(:orders, [:customer_id])
    end
    ```

    ## Use instead

    ```elixir
    @disable_ddl_transaction true
    @disable_migration_lock true

    def change do
      create index(:orders, [:customer_id], concurrently: true)
    end
    ```

    A concurrent build cannot run in a transaction, so keep such an index
    in a migration of its own.
    """

    id = "Migration.IndexNotConcurrent"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in _steps(project):
            for op, table, concurrently in _index_ops(step):
                if concurrently or table not in step.before:
                    continue
                if op.kind == "create_index":
                    message = (
                        f"builds index `{op.index.name}` on the existing table `{table}` without "
                        f"`concurrently: true`: every write to `{table}` waits until the build finishes"
                    )
                    confidence = Confidence.HIGH
                else:
                    message = (
                        f"drops index `{op.name}` of `{table}` without `concurrently: true`: it takes an ACCESS "
                        f"EXCLUSIVE lock, so reads and writes of `{table}` queue behind it (and it behind any "
                        "long-running query)"
                    )
                    confidence = Confidence.MEDIUM
                name = f"{'create' if op.kind == 'create_index' else 'drop'} {op.name or table} concurrently"
                fix = _new(project, database, name, _index_statement(op, True), concurrent=True)
                yield self.finding(step.path, _op_span(op), message, confidence=confidence, fix=fix)


def _advisory_lock(project: Project, database: Database) -> bool:
    """Whether the repo of these migrations takes Ecto's migration lock as a
    Postgres advisory lock (`migration_lock: :pg_advisory_lock`), which holds
    no transaction open and so needs no `@disable_migration_lock`."""
    folder = database.migrations.split("/")
    repo = folder[-2] if len(folder) >= 2 else "repo"  # priv/<repo>/migrations
    settings = {
        entry.key: entry.option("migration_lock")
        for facts in project.files.values()
        for entry in facts.config
        if entry.key and entry.option("migration_lock")
    }
    mine = [value for key, value in settings.items() if _underscore(key.rpartition(".")[2]) == repo]
    return ":pg_advisory_lock" in (mine or settings.values())


def _underscore(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@register
class ConcurrentIndexInTransaction(ProjectRule):
    """`concurrently: true` in a migration that still runs in a transaction.

    ## What it finds

    An index created or dropped with `concurrently: true` (or `CREATE INDEX
    CONCURRENTLY` SQL) in a migration without `@disable_ddl_transaction
    true` (high confidence), or without `@disable_migration_lock true`
    where the repo does not use `migration_lock: :pg_advisory_lock`
    (medium confidence).

    ## Why it matters

    Ecto runs each migration in a transaction, and Postgres refuses to
    build an index concurrently inside one: the migration fails with
    `CREATE INDEX CONCURRENTLY cannot run inside a transaction block`.
    Ecto's default migration lock also holds a transaction open for the
    whole run, and a concurrent build waits for every open transaction to
    end, its own lock's included: the migration can hang.

    ## Example

    ```elixir
    def change do
      create index(:orders, [:customer_id], concurrently: true)
    end
    ```

    ## Use instead

    ```elixir
    @disable_ddl_transaction true
    @disable_migration_lock true

    def change do
      create index(:orders, [:customer_id], concurrently: true)
    end
    ```

    or `config :my_app, MyApp.Repo, migration_lock: :pg_advisory_lock`
    in place of `@disable_migration_lock`.
    """

    id = "Migration.ConcurrentIndexInTransaction"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in _steps(project):
            migration = step.migration
            for op, table, concurrently in _index_ops(step):
                if not concurrently:
                    continue
                if not migration.disable_ddl_transaction:
                    missing = ["@disable_ddl_transaction true"]
                    message = (
                        "builds or drops an index concurrently inside the migration's transaction: Postgres refuses "
                        "(`cannot run inside a transaction block`) and the migration fails"
                    )
                    confidence = Confidence.HIGH
                elif not migration.disable_migration_lock and not _advisory_lock(project, database):
                    missing = []
                    message = (
                        "builds or drops an index concurrently while Ecto's migration lock holds a transaction open: "
                        "the concurrent build waits for that transaction to end, so the migration can hang"
                    )
                    confidence = Confidence.MEDIUM
                else:
                    continue
                if not migration.disable_migration_lock:
                    missing.append("@disable_migration_lock true")
                fix = (
                    f"add to `{migration.module}`:\n" + "\n".join(missing) +
                    "\n(or set `migration_lock: :pg_advisory_lock` in the repo's config instead of the lock attribute)"
                )
                yield self.finding(step.path, _op_span(op), message, confidence=confidence, fix=fix)


@register
class WideIndex(ProjectRule):
    """A non-unique index over more than three columns.

    ## What it finds

    `create index` with four or more columns that is not unique, and still
    exists after every migration.

    ## Why it matters

    Postgres uses a composite index mostly through its leading columns; the
    later ones rarely narrow a search enough to pay for themselves, yet every
    insert and update of the table writes them, and the index is large. It
    is often a guess at one query's shape that a smaller index or a partial
    index (`where:`) serves as well.

    ## Example

    ```elixir
    create index(:events, [:account_id, :kind, :status, :inserted_at])
    ```

    ## Use instead

    Index the columns your queries filter on first, most selective first,
    and check with `EXPLAIN ANALYZE`:

    ```elixir
    create index(:events, [:account_id, :inserted_at])
    create index(:events, [:account_id], where: "status = 'failed'")
    ```
    """

    id = "Migration.WideIndex"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in _steps(project):
            for op in step.migration.ops:
                index = op.index
                if op.kind != "create_index" or index is None or index.unique or len(index.columns) <= 3:
                    continue
                final = _final_table(database, index.table)
                if final is None or index.name not in final.indexes:
                    continue
                columns = ", ".join(index.columns)
                message = (
                    f"index `{index.name}` spans {len(index.columns)} columns ({columns}): every write to "
                    f"`{index.table}` maintains it, while queries mostly use its leading columns"
                )
                fix = f"index the leading columns your queries filter on, e.g. create index(:{index.table}, " \
                      f"[:{index.columns[0]}, :{index.columns[1]}])"
                yield self.finding(step.path, _op_span(op), message, fix=fix)


# -- constraints -----------------------------------------------------------------------


@register
class ReferenceWithoutValidate(ProjectRule):
    """A foreign key added to a table in use and validated in the same step.

    ## What it finds

    `add`/`modify` with `references(...)` in `alter table` (or `ALTER
    TABLE ... ADD FOREIGN KEY` SQL) on a table that existed before the
    migration, without `validate: false` (`NOT VALID`). A `references`
    inside `create table`, or on a table created earlier in the same
    migration, is not reported.

    ## Why it matters

    Adding a foreign key checks every existing row against the parent
    table, and holds a SHARE ROW EXCLUSIVE lock on both tables while it
    does: writes to the child and to the parent table wait until the scan
    ends.

    ## Example

    ```elixir
    alter table(:orders) do
      add :coupon_id, references(:coupons)
    end
    ```

    ## Use instead

    Add the constraint without checking old rows (new rows are checked at
    once), then validate it in a later migration, which locks neither
    table against writes:

    ```elixir
    alter table(:orders) do
      add :coupon_id, references(:coupons, validate: false)
    end

    # next migration
    execute "ALTER TABLE orders VALIDATE CONSTRAINT orders_coupon_id_fkey", ""
    ```
    """

    id = "Migration.ReferenceWithoutValidate"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step, op, column, action, table in _alterations(project):
            reference = column.references
            if reference is None or not reference.validate or action not in ("add", "add_if_not_exists", "modify"):
                continue
            parent = reference.table
            constraint = f"{table.name}_{column.name}_fkey"
            later = f'execute "ALTER TABLE {table.name} VALIDATE CONSTRAINT {constraint}", ""'
            message = (
                f"adds a foreign key from the existing table `{table.name}` to `{parent}` and validates every row "
                f"at once, holding a lock that blocks writes to both `{table.name}` and `{parent}` meanwhile"
            )
            if op.sql:
                fix = f"add the constraint with NOT VALID, then validate it in a later migration:\n{later}"
            else:
                verb = "add" if action.startswith("add") else "modify"
                fix = (f"{verb} :{column.name}, references(:{parent}, validate: false)\n\n"
                       f"and validate it in a later migration:\n{later}")
            yield self.finding(step.path, _column_span(column), message, fix=fix)


@register
class CheckConstraintWithoutValidate(ProjectRule):
    """A CHECK constraint added to a table in use and validated in the same step.

    ## What it finds

    `create constraint(table, name, check: ...)` (or `ALTER TABLE ... ADD
    CONSTRAINT ... CHECK` SQL) on a table that existed before the
    migration, without `validate: false` (`NOT VALID`).

    ## Why it matters

    Postgres checks every existing row while it holds an ACCESS EXCLUSIVE
    lock on the table: no query can read or write it until the scan ends.

    ## Example

    ```elixir
    create constraint(:products, :price_must_be_positive, check: "price_cents > 0")
    ```

    ## Use instead

    ```elixir
    create constraint(:products, :price_must_be_positive, check: "price_cents > 0", validate: false)

    # next migration: scans without blocking reads or writes
    execute "ALTER TABLE products VALIDATE CONSTRAINT price_must_be_positive", ""
    ```
    """

    id = "Migration.CheckConstraintWithoutValidate"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in _steps(project):
            for op in step.migration.ops:
                if op.kind != "create_constraint" or op.check is None or not op.validate:
                    continue
                if op.table not in step.before:
                    continue
                message = (
                    f"adds CHECK constraint `{op.name}` to the existing table `{op.table}` and validates every row "
                    f"at once, under a lock that blocks all reads and writes of `{op.table}`"
                )
                check = op.check.replace('"', '\\"')
                fix = (
                    f'create constraint(:{op.table}, :{op.name}, check: "{check}", validate: false)\n\n'
                    "and validate it in a later migration:\n"
                    f'execute "ALTER TABLE {op.table} VALIDATE CONSTRAINT {op.name}", ""'
                )
                yield self.finding(step.path, _op_span(op), message, fix=fix)


# -- columns ---------------------------------------------------------------------------

_NOT_NULL_CHECK = re.compile(r'^\(*\s*"?(\w+)"?\s+IS\s+NOT\s+NULL\s*\)*$', re.IGNORECASE)


def _checked_not_null(table: Table, column: str) -> bool:
    """Whether a validated `CHECK (column IS NOT NULL)` already proves it,
    which lets Postgres 12+ set NOT NULL without scanning the table."""
    for check in table.checks.values():
        match = _NOT_NULL_CHECK.match(check.expression or "")
        if check.validated and match and match.group(1) == column:
            return True
    return False


@register
class NotNullOnExistingColumn(ProjectRule):
    """`null: false` set on a column that already holds data.

    ## What it finds

    `modify :column, type, null: false` (or `ALTER COLUMN ... SET NOT
    NULL`) on a column that existed, nullable, before the migration.
    Not reported when the column was already `NOT NULL`, when the
    migration added it, or when a validated `CHECK (column IS NOT NULL)`
    constraint already proves it. Only the nullability is judged here;
    `Migration.ColumnTypeChange` judges the type.

    ## Why it matters

    `SET NOT NULL` scans the whole table to prove no row is NULL while it
    holds an ACCESS EXCLUSIVE lock: no query can read or write the table
    until the scan ends.

    ## Example

    ```elixir
    alter table(:products) do
      modify :sku, :string, null: false
    end
    ```

    ## Use instead

    Prove it with a constraint first (Postgres 12+ then skips the scan):

    ```elixir
    # 1. a migration: checks only new rows
    create constraint(:products, :sku_not_null, check: "sku IS NOT NULL", validate: false)

    # 2. the next migration: scans without blocking reads or writes
    execute "ALTER TABLE products VALIDATE CONSTRAINT sku_not_null", ""

    # 3. a third: instant, then the check is redundant
    alter table(:products) do
      modify :sku, :string, null: false, from: {:string, null: true}
    end

    drop constraint(:products, :sku_not_null)
    ```
    """

    id = "Migration.NotNullOnExistingColumn"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step, op, column, action, table in _alterations(project):
            before = table.columns.get(column.name)
            if action != "modify" or column.null is not False or before is None:
                continue
            was_null = before.null if before.null is not None else column.from_null
            if was_null is False or _checked_not_null(table, column.name):
                continue
            name = column.name
            message = (
                f"sets `{table.name}.{name}` NOT NULL: Postgres scans every row of `{table.name}` to prove it, "
                "holding a lock that blocks all reads and writes until the scan ends"
            )
            constraint = f"{name}_not_null"
            kind = column.type or before.type or ":string"
            fix = (
                f'1. create constraint(:{table.name}, :{constraint}, check: "{name} IS NOT NULL", validate: false)\n'
                f'2. in a later migration: execute "ALTER TABLE {table.name} VALIDATE CONSTRAINT {constraint}", ""\n'
                f"3. then: modify :{name}, {kind}, null: false, from: {{{kind}, null: true}} "
                f"(instant on Postgres 12+), and drop constraint(:{table.name}, :{constraint})"
            )
            confidence = Confidence.HIGH if not table.uncertain else Confidence.MEDIUM
            yield self.finding(step.path, _column_span(column), message, confidence=confidence, fix=fix)


@register
class NotNullColumnWithoutDefault(ProjectRule):
    """A `null: false` column without a default, added to a table in use.

    ## What it finds

    `add :column, type, null: false` with no `default:` in `alter table`
    on a table that existed before the migration. Medium confidence: the
    table may be empty in production.

    ## Why it matters

    Every existing row gets NULL in the new column, which the constraint
    forbids: on any table with rows, Postgres rejects the whole migration
    (`column "..." contains null values`) and the deploy stops.

    ## Example

    ```elixir
    alter table(:accounts) do
      add :plan, :string, null: false
    end
    ```

    ## Use instead

    Give existing rows a value: a constant default is instant on
    Postgres 11+.

    ```elixir
    alter table(:accounts) do
      add :plan, :string, null: false, default: "free"
    end
    ```

    Or add the column nullable, backfill it, then make it `NOT NULL` the
    safe way (see `Migration.NotNullOnExistingColumn`).
    """

    id = "Migration.NotNullColumnWithoutDefault"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step, op, column, action, table in _alterations(project):
            if action not in ("add", "add_if_not_exists") or column.null is not False or column.default is not None:
                continue
            if column.primary_key or (column.type or "").lstrip(":") in _SERIAL:
                continue  # filled by its sequence
            message = (
                f"adds `{table.name}.{column.name}` as NOT NULL without a default: existing rows would hold NULL, "
                f"so the migration fails on any `{table.name}` table with rows"
            )
            kind = column.type or ":string"
            fix = (
                f"add :{column.name}, {kind}, null: false, default: <a constant>\n"
                f"(or add it nullable, backfill, then set NOT NULL through a validated check constraint)"
            )
            yield self.finding(step.path, _column_span(column), message, fix=fix)


_SERIAL = frozenset({"serial", "bigserial", "smallserial", "identity"})


def _type_of(column: Column):
    return pg_type(column.type, column.size, column.precision, column.scale)


@register
class ColumnTypeChange(ProjectRule):
    """A `modify` that changes a column's type in a way that rewrites the table.

    ## What it finds

    `modify :column, type` (or `ALTER COLUMN ... TYPE`) whose Postgres type
    differs from the column's type before the migration (from the replayed
    migrations, else from `from:`). Changes Postgres makes in its catalog
    only are not reported: a longer or unbounded `varchar`, `varchar` to
    `text`, a wider `numeric` precision, `:utc_datetime` to
    `:utc_datetime_usec`, `text` to `citext` on an unindexed column. A
    `modify` that only changes `null:` or `default:` keeps the type and is
    not reported. `timestamp` to `timestamptz` is free only when the
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
        for database, step, op, column, action, table in _alterations(project):
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
                yield self.finding(step.path, _column_span(column), message, confidence=Confidence.LOW,
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
                yield self.finding(step.path, _column_span(column), message, confidence=Confidence.LOW,
                                   fix="make sure the migration runs with `SET timezone = 'UTC'`")
                continue
            message = (
                f"changes `{table.name}.{column.name}` from `{describe(old)}` to `{describe(new)}`: Postgres "
                f"rewrites every row of `{table.name}` and rebuilds its indexes under an ACCESS EXCLUSIVE lock, "
                "so every query on it waits until the rewrite ends"
            )
            yield self.finding(step.path, _column_span(column), message, fix=self._fix(table.name, column))

    @staticmethod
    def _fix(table: str, column: Column) -> str:
        return (
            f"add a new column (add :{column.name}_new, {column.type}), write to both, backfill it in batches, "
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
        for database, step, op, column, action, table in _alterations(project):
            if action not in ("add", "add_if_not_exists"):
                continue
            kind = (column.type or "").lstrip(":").lower()
            volatile = _VOLATILE.search(column.default or "")
            if volatile is None and kind not in _SERIAL:
                continue
            what = f"a default that calls `{volatile.group(1)}()`" if volatile else f"type `{kind}` (a sequence default)"
            message = (
                f"adds `{table.name}.{column.name}` with {what}, evaluated once per row: Postgres rewrites every "
                f"row of `{table.name}` under an ACCESS EXCLUSIVE lock, so every query on it waits"
            )
            fix = (
                f"add :{column.name} without a default; then set the default for new rows alone:\n"
                f'execute "ALTER TABLE {table.name} ALTER COLUMN {column.name} SET DEFAULT ...", '
                f'"ALTER TABLE {table.name} ALTER COLUMN {column.name} DROP DEFAULT"\n'
                "then backfill old rows in batches"
            )
            yield self.finding(step.path, _column_span(column), message, fix=fix)


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
        for database, step in _steps(project):
            for op in step.migration.ops:
                if op.kind not in ("create_table", "alter_table"):
                    continue
                for change in op.changes:
                    column = change.column
                    if change.action.startswith("remove") or getattr(_type_of(column), "base", None) != "json":
                        continue
                    final = _final_table(database, op.table)
                    state = final.columns.get(column.name) if final else None
                    if state is None or getattr(pg_type(state.type), "base", None) != "json":
                        continue
                    message = (
                        f"`{op.table}.{column.name}` is `json`: text reparsed on every read, with no equality "
                        "and no GIN index; Ecto's `:map` is `jsonb`"
                    )
                    fix = f"{change.action} :{column.name}, :map"
                    yield self.finding(step.path, _column_span(column), message, fix=fix)


# -- removals and renames ------------------------------------------------------------------


@register
class RemoveColumnStillInSchema(ProjectRule):
    """A column dropped while a schema still declares it.

    ## What it finds

    `remove :column` (or `DROP COLUMN` SQL) where a schema module on that
    table still declares the column (`field`, `belongs_to`, `timestamps`,
    `source:`) and no later migration adds it back. Removing a column no
    schema declares is not reported.

    ## Why it matters

    Ecto selects every field a schema declares. Once the column is gone,
    every query through that schema fails with `column ... does not exist`:
    on the nodes still running the old code during the deploy, and after
    it on every node, since the schema still names it.

    ## Example

    ```elixir
    # the schema still has `field :legacy_code, :string`
    alter table(:products) do
      remove :legacy_code
    end
    ```

    ## Use instead

    Remove the field from the schema first and deploy that; drop the
    column in a later migration:

    ```elixir
    alter table(:products) do
      remove :legacy_code, :string
    end
    ```
    """

    id = "Migration.RemoveColumnStillInSchema"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step, op, column, action, table in _alterations(project):
            if not action.startswith("remove"):
                continue
            final = _final_table(database, table.name)
            user = _schema_using(project, table.name, column.name)
            if final is None or column.name in final.columns or user is None:
                continue
            path, schema, line, declaration = user
            message = (
                f"drops `{table.name}.{column.name}`, which `{schema.module}` still declares ({declaration}): "
                f"every query through it fails with `column {column.name} does not exist`"
            )
            related = [Related(Location.of(path, _span(line)), f"{declaration} is still declared here")]
            fix = (
                f"first remove {declaration} from `{schema.module}` and deploy; then drop the column in a "
                f"later migration (remove :{column.name}, {_type_before(table, column.name)})"
            )
            yield self.finding(step.path, _column_span(column), message, related=related, fix=fix)


def _type_before(table: Table, column: str) -> str:
    state = table.columns.get(column)
    return state.type if state is not None and state.type else ":string"


@register
class RenameColumn(ProjectRule):
    """A column renamed on a table in use.

    ## What it finds

    `rename table(:t), :old, to: :new` (or `RENAME COLUMN` SQL) on a table
    that existed before the migration. An error while a schema still reads
    the old name (and no later migration brings it back), a warning
    otherwise.

    ## Why it matters

    During a deploy the old code keeps running while the migration runs:
    its schemas select the old name and fail with `column ... does not
    exist` until every node runs the new code. A schema that still names
    the old column fails on every node, for good.

    ## Example

    ```elixir
    rename table(:users), :name, to: :full_name
    ```

    ## Use instead

    Keep the column and give the field the new name in the schema:

    ```elixir
    field :full_name, :string, source: :name
    ```

    or add the new column, write to both, backfill, switch reads, and drop
    the old one later.
    """

    id = "Migration.RenameColumn"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in _steps(project):
            for op in step.migration.ops:
                table = step.before.get(op.table) if op.kind == "rename_column" else None
                if table is None:
                    continue
                old, new = op.column, op.name
                final = _final_table(database, table.name)
                stale = _schema_using(project, table.name, old)
                fix = f"keep the column and rename the field: field :{new}, ..., source: :{old}"
                if stale is not None and final is not None and old not in final.columns:
                    path, schema, line, declaration = stale
                    message = (
                        f"renames `{table.name}.{old}` to `{new}`, but `{schema.module}` still reads `{old}` "
                        f"({declaration}): every query through it fails once the migration runs"
                    )
                    related = [Related(Location.of(path, _span(line)), f"{declaration} still names `{old}`")]
                    yield self.finding(step.path, _op_span(op), message, severity=Severity.ERROR,
                                       related=related, fix=fix)
                    continue
                known = _schema_using(project, table.name) is not None
                message = (
                    f"renames `{table.name}.{old}` to `{new}`: nodes still running the old code select `{old}` and "
                    "fail until the deploy completes"
                )
                confidence = Confidence.HIGH if known else Confidence.MEDIUM
                yield self.finding(step.path, _op_span(op), message, confidence=confidence, fix=fix)


@register
class RenameTable(ProjectRule):
    """A table renamed while it is in use.

    ## What it finds

    `rename table(:old), to: table(:new)` (or `ALTER TABLE ... RENAME TO`)
    of a table that existed before the migration. An error while a schema
    still uses the old name (and no later migration brings it back), a
    warning otherwise.

    ## Why it matters

    The old code keeps running during the deploy, and its schemas query
    the old table name: every such query fails until each node runs the
    new code. A schema that still names the old table fails for good.

    ## Example

    ```elixir
    rename table(:posts), to: table(:articles)
    ```

    ## Use instead

    Keep the table and point the renamed schema at it:

    ```elixir
    schema "posts" do  # in MyApp.Blog.Article
    ```

    or create the new table, write to both, backfill, switch reads, and
    drop the old one later.
    """

    id = "Migration.RenameTable"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in _steps(project):
            for op in step.migration.ops:
                if op.kind != "rename_table" or op.table not in step.before:
                    continue
                old, new = op.table, op.name
                stale = _schema_using(project, old)
                fix = f'keep the table and name it in the schema: schema "{old}" do ... end'
                if stale is not None and old not in database.tables and not database.uncertain:
                    path, schema, line, _ = stale
                    message = (
                        f"renames table `{old}` to `{new}`, but `{schema.module}` still uses `{old}`: every query "
                        "through it fails once the migration runs"
                    )
                    related = [Related(Location.of(path, _span(line)), f'`schema "{old}"` is declared here')]
                    yield self.finding(step.path, _op_span(op), message, severity=Severity.ERROR,
                                       related=related, fix=fix)
                    continue
                message = (
                    f"renames table `{old}` to `{new}`: nodes still running the old code query `{old}` and fail "
                    "until the deploy completes"
                )
                yield self.finding(step.path, _op_span(op), message, fix=fix)


# -- what a migration runs ------------------------------------------------------------------

_READ_ONLY = frozenset({"all", "one", "one!", "get", "get!", "get_by", "get_by!", "exists?", "aggregate",
                        "stream", "preload", "reload", "reload!"})
_INSERTS = frozenset({"insert", "insert!", "insert_all"})
_DML = re.compile(r"^\s*(?:WITH\b[\s\S]*?\)\s*)?(UPDATE|DELETE|INSERT|MERGE)\b", re.IGNORECASE)


@register
class DataChangeInMigration(ProjectRule):
    """Data read or changed inside a schema migration.

    ## What it finds

    Repo calls in a migration under `priv/*/migrations` (`repo().update_all`,
    `MyApp.Repo.all`, `Repo.insert_all`, `repo().query!` with an `UPDATE`)
    and `execute` of `UPDATE`/`DELETE`/`INSERT` SQL. Inserts are medium
    confidence: seeding a table the migration creates is common and
    cheap. Data migrations kept in their own folder (as
    `priv/repo/data_migrations`) are not schema migrations and not judged.

    ## Why it matters

    A migration runs in one transaction: a backfill there holds the locks
    the schema changes took (often ACCESS EXCLUSIVE) for as long as it
    touches rows, and rolls everything back if it times out halfway. Code
    that uses schema modules also breaks the migration later, when those
    schemas change and the old migration is run on a fresh database.

    ## Example

    ```elixir
    def change do
      alter table(:users) do
        add :display_name, :string
      end

      flush()
      repo().update_all("users", set: [display_name: "anonymous"])
    end
    ```

    ## Use instead

    Change the schema here and backfill in a separate data migration
    (`mix ecto.migrate --migrations-path priv/repo/data_migrations`) or a
    task, in batches, outside a transaction:

    ```elixir
    @disable_ddl_transaction true
    @disable_migration_lock true

    def up do
      # update rows in batches of 1_000 until none is left, throttled
    end
    ```
    """

    id = "Migration.DataChangeInMigration"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in _steps(project):
            if "migration" not in project.files[step.path].kinds:
                continue  # a data migrations folder
            for statement in step.migration.statements:
                judged = self._judge(statement)
                if judged is not None:
                    message, confidence = judged
                    yield self.finding(step.path, _statement_span(statement), message, confidence=confidence,
                                       fix=self._fix())

    @staticmethod
    def _judge(statement: Statement) -> tuple[str, Confidence] | None:
        dml = _DML.match(statement.sql or "")
        verb = dml.group(1).upper() if dml else None
        if statement.kind == "execute":
            if verb is None:
                return None
            what = f"`execute` of an `{verb}` statement"
        else:
            name = statement.call.rpartition(".")[2].rpartition("/")[0]
            if name.startswith("query") and statement.sql is not None and verb is None:
                return None  # DDL or a setting through the repo
            verb = verb or ("INSERT" if name in _INSERTS else "SELECT" if name in _READ_ONLY else "UPDATE")
            what = f"`{statement.call}`"
        reads = verb == "SELECT"
        message = (
            f"{what} {'reads' if reads else 'changes'} data inside a schema migration: it runs in the migration's "
            "transaction, holding the locks its schema changes took for as long as it touches rows, and a timeout "
            "rolls the whole migration back"
        )
        return message, Confidence.MEDIUM if verb in ("INSERT", "MERGE") else Confidence.HIGH

    @staticmethod
    def _fix() -> str:
        return (
            "move the data change to a data migration (priv/repo/data_migrations, run with "
            "`mix ecto.migrate --migrations-path priv/repo/data_migrations`) or a task, batched, with "
            "@disable_ddl_transaction true"
        )


def _irreversible_ops(op: MigrationOp) -> Iterator[tuple[Span, str]]:
    """What in `change/0` Ecto cannot run backwards."""
    if op.sql:
        return  # judged as its `execute/1`
    if op.kind == "drop_table":
        yield _op_span(op), f"`drop table(:{op.table})` (Ecto cannot recreate the table)"
    elif op.kind == "drop_constraint":
        yield _op_span(op), f"`drop constraint(:{op.table}, :{op.name})`"
    elif op.kind == "alter_table":
        for change in op.changes:
            column = change.column
            if change.action == "modify" and column.from_type is None:
                yield _column_span(column), f"`modify :{column.name}` without `from:`"
            elif change.action == "remove" and column.type is None:
                yield _column_span(column), f"`remove :{column.name}` without its type"
            elif change.action in ("add_if_not_exists", "remove_if_exists"):
                yield _column_span(column), f"`{change.action} :{column.name}`"


@register
class IrreversibleMigration(ProjectRule):
    """A migration that `mix ecto.rollback` cannot undo.

    ## What it finds

    In `change/0`: `execute/1` (SQL or a function) with no down part,
    `drop table`, `drop constraint`, `modify` without `from:`, `remove`
    without the column's type, `add_if_not_exists`/`remove_if_exists`.
    And an `up/0` with no `down/0`.

    ## Why it matters

    `change/0` is run backwards on rollback, and Ecto cannot invent the
    inverse of these commands: `mix ecto.rollback` raises
    `Ecto.MigrationError: cannot reverse migration command` (or
    `UndefinedFunctionError` for a missing `down/0`), usually in the middle
    of an incident, when the rollback was the way out.

    ## Example

    ```elixir
    def change do
      execute "CREATE EXTENSION IF NOT EXISTS citext"
      alter table(:users) do
        modify :email, :citext
      end
    end
    ```

    ## Use instead

    ```elixir
    def change do
      execute "CREATE EXTENSION IF NOT EXISTS citext", "DROP EXTENSION IF EXISTS citext"
      alter table(:users) do
        modify :email, :citext, from: :string
      end
    end
    ```

    or write `up/0` and `down/0`.
    """

    id = "Migration.IrreversibleMigration"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in _steps(project):
            migration = step.migration
            if migration.entry == "up" and not migration.down:
                message = f"`{migration.module}` defines `up/0` but no `down/0`: `mix ecto.rollback` raises"
                yield self.finding(step.path, _span(migration.entry_line, migration.entry_column), message,
                                   fix="def down do\n  # undo what up/0 does, in reverse order\nend")
            if migration.entry != "change":
                continue
            for statement in migration.statements:
                if statement.kind == "execute" and not statement.reversible:
                    message = "`execute/1` in `change/0` has no down part: `mix ecto.rollback` raises"
                    fix = 'execute "<up SQL>", "<down SQL>" (or up/0 and down/0)'
                    yield self.finding(step.path, _statement_span(statement), message, fix=fix)
            for op in migration.ops:
                for span, what in _irreversible_ops(op):
                    message = f"{what} in `change/0` cannot be reversed: `mix ecto.rollback` raises"
                    yield self.finding(step.path, span, message, fix=self._fix(what))

    @staticmethod
    def _fix(what: str) -> str:
        if "modify" in what:
            return "give the old type: modify :column, :new_type, from: :old_type (or {:old_type, null: true})"
        if "remove" in what and "type" in what:
            return "give the column's type: remove :column, :type"
        return "write up/0 and down/0, with down/0 recreating what up/0 drops"
