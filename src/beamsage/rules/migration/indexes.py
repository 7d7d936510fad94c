"""Migration rules about indexes: how they are built and dropped on tables in use."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ...model.ecto.database import Database, Step
from ...model.ecto.facts import MigrationOp
from ...model.ecto.migrations import default_index_name
from ...model.project import Project
from ..base import Confidence, Finding, ProjectRule, Severity, register
from ..fixes import camel, migration_module, new_migration
from .common import alterations, column_span, final_table, op_span, steps, table_age


def _index_ops(step: Step) -> Iterator[tuple[MigrationOp, str | None, bool]]:
    """`(op, table, concurrently)` for each index created or dropped."""
    for op in step.migration.ops:
        if op.kind not in ("create_index", "drop_index"):
            continue
        concurrently = op.index.concurrently if op.index is not None else op.concurrently
        table = op.index.table if op.index is not None else None
        if op.kind == "drop_index":  # Postgres drops by name: the table is the one that has it
            table = next((t.name for t in step.before.values() if op.name in t.indexes), table)
        yield op, table, concurrently


def _concurrent_statement(op: MigrationOp) -> str:
    """The DSL statement of an index operation, done concurrently."""
    index = op.index
    if index is None:  # `DROP INDEX name` in SQL
        return f'execute "DROP INDEX CONCURRENTLY {op.name}", ""'
    verb = "create" if op.kind == "create_index" else "drop"
    kind = "unique_index" if index.unique and verb == "create" else "index"
    columns = ", ".join(f":{c}" if re.fullmatch(r"\w+", c) else f'"{c}"' for c in index.columns)
    options = [f"name: :{index.name}"] if index.name != default_index_name(index.table, index.columns) else []
    options += [f'where: "{index.where}"'] if index.where else []
    options += [f"using: :{index.using}"] if index.using else []
    options.append("concurrently: true")
    return f"{verb} {kind}(:{index.table}, [{columns}], {', '.join(options)})"


def _new(project: Project, database: Database, name: str, body: str) -> str:
    """A whole migration, named from `name` ("create orders_status_index concurrently"), that runs concurrently."""
    return new_migration(migration_module(project, database, camel(*name.split())), body, concurrent=True)


@register
class IndexNotConcurrent(ProjectRule):
    """An index built or dropped on a table in use, without `concurrently: true`.

    ## What it finds

    `create index`/`create unique_index` (or `CREATE INDEX` in `execute`
    SQL) on a table that existed before the migration, without
    `concurrently: true`; `drop index` on such a table likewise (medium
    confidence: dropping is quick once it has its lock); and a primary key
    added to such a table (`modify :id, :bigint, primary_key: true`), which
    builds its unique index under an ACCESS EXCLUSIVE lock. Not reported
    for a table the same migration creates.

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
    in a migration of its own. For a primary key, build its unique index
    concurrently, then `ADD CONSTRAINT ... PRIMARY KEY USING INDEX`.
    """

    id = "Migration.IndexNotConcurrent"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database, step in steps(project):
            for op, table, concurrently in _index_ops(step):
                if concurrently or table not in step.before:
                    continue
                if op.kind == "create_index":
                    confidence, note = table_age(step, step.before[table], Confidence.HIGH)
                    message = (
                        f"builds index `{op.index.name}` on the existing table `{table}` without "
                        f"`concurrently: true`: every write to `{table}` waits until the build finishes{note}"
                    )
                else:
                    message = (
                        f"drops index `{op.name}` of `{table}` without `concurrently: true`: it takes an ACCESS "
                        f"EXCLUSIVE lock, so reads and writes of `{table}` queue behind it (and it behind any "
                        "long-running query)"
                    )
                    confidence = Confidence.MEDIUM
                name = f"{'create' if op.kind == 'create_index' else 'drop'} {op.name or table} concurrently"
                fix = "in a migration of its own:\n" + _new(project, database, name, _concurrent_statement(op))
                yield self.finding(step.path, op_span(op), message, confidence=confidence, fix=fix)
        for database, step, op, column, action, table in alterations(project):
            if column.primary_key and action in ("add", "modify"):
                yield self._primary_key(project, database, step, table, column)

    def _primary_key(self, project, database, step, table, column) -> Finding:
        confidence, note = table_age(step, table, self.confidence)
        message = (
            f"adds a primary key on `{column.name}` to the existing table `{table.name}`: Postgres builds its "
            f"unique index while holding an ACCESS EXCLUSIVE lock, so every query on `{table.name}` waits{note}"
        )
        index, key = f"{table.name}_{column.name}_index", f"{table.name}_pkey"
        body = f'execute "CREATE UNIQUE INDEX CONCURRENTLY {index} ON {table.name} ({column.name})", ' \
               f'"DROP INDEX {index}"'
        fix = (
            "build the index first, in a migration of its own:\n"
            + _new(project, database, f"create {index} concurrently", body)
            + f'\nthen: execute "ALTER TABLE {table.name} ADD CONSTRAINT {key} PRIMARY KEY USING INDEX {index}", '
            f'"ALTER TABLE {table.name} DROP CONSTRAINT {key}"'
        )
        return self.finding(step.path, column_span(column), message, confidence=confidence, fix=fix)


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
        for database, step in steps(project):
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
                yield self.finding(step.path, op_span(op), message, confidence=confidence, fix=fix)


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
        for database, step in steps(project):
            for op in step.migration.ops:
                index = op.index
                if op.kind != "create_index" or index is None or index.unique or len(index.columns) <= 3:
                    continue
                final = final_table(database, index.table)
                if final is None or index.name not in final.indexes:
                    continue
                columns = ", ".join(index.columns)
                message = (
                    f"index `{index.name}` spans {len(index.columns)} columns ({columns}): every write to "
                    f"`{index.table}` maintains it, while queries mostly use its leading columns"
                )
                fix = f"index the leading columns your queries filter on, e.g. create index(:{index.table}, " \
                      f"[:{index.columns[0]}, :{index.columns[1]}])"
                yield self.finding(step.path, op_span(op), message, fix=fix)
