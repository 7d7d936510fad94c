"""Migration rules about what a migration runs: data changes, and what rollback cannot undo."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ...model.ecto.database import Step
from ...model.ecto.facts import MigrationOp, Statement
from ...model.ecto.reach import is_write
from ...model.project import Project
from ...source.document import Span
from ..base import Confidence, Finding, ProjectRule, Severity, register
from .common import column_span, op_span, span, statement_span, steps

_INSERTS = frozenset({"insert", "insert!", "insert_all"})
_DML = re.compile(r"^\s*(?:WITH\b[\s\S]*?\)\s*)?(UPDATE|DELETE|INSERT|MERGE)\b", re.IGNORECASE)


@register
class DataChangeInMigration(ProjectRule):
    """Data read or changed inside a schema migration.

    ## What it finds

    Repo calls in a migration under `priv/*/migrations` (`repo().update_all`,
    `MyApp.Repo.all`, `Repo.insert_all`, `repo().query!` with an `UPDATE`)
    and `execute` of `UPDATE`/`DELETE`/`INSERT` SQL, in what runs forwards
    (`change/0` or `up/0` and the functions they call). Inserts into a
    table that existed before the migration are medium confidence; seeding
    a table the migration creates is common and harmless, and not reported. Data migrations kept in their own folder (as
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
        for database, step in steps(project):
            if "migration" not in project.files[step.path].kinds:
                continue  # a data migrations folder
            for statement in step.migration.statements:
                judged = self._judge(statement, step)
                if judged is not None:
                    message, confidence = judged
                    yield self.finding(step.path, statement_span(statement), message, confidence=confidence,
                                       fix=self._fix())

    @staticmethod
    def _judge(statement: Statement, step: Step) -> tuple[str, Confidence] | None:
        dml = _DML.match(statement.sql or "")
        verb = dml.group(1).upper() if dml else None
        if statement.kind == "execute":
            if verb is None:
                return None
            what = f"`execute` of an `{verb}` statement"
        else:
            name = statement.call.rpartition(".")[2].rpartition("/")[0]
            if _setting(statement):
                return None  # DDL or a setting through the repo
            verb = verb or ("INSERT" if name in _INSERTS else "UPDATE" if is_write(name) or name.startswith("query")
                            else "SELECT")
            what = f"`{statement.call}`"
        if verb == "INSERT" and statement.table not in step.before:
            return None  # seeding a table this migration creates (or one not known): nobody else sees it yet
        reads = verb == "SELECT"
        if step.migration.ops:
            cost = "holding the locks its schema changes took for as long as it touches rows"
        else:
            cost = "every row it changes stays locked until the migration commits"
        message = (
            f"{what} {'reads' if reads else 'changes'} data inside a schema migration: it runs in the migration's "
            f"transaction, unbatched, {cost}, and a timeout rolls the whole migration back"
        )
        return message, Confidence.MEDIUM if verb in ("INSERT", "MERGE") else Confidence.HIGH

    @staticmethod
    def _fix() -> str:
        return (
            "move the data change to a data migration (priv/repo/data_migrations, run with "
            "`mix ecto.migrate --migrations-path priv/repo/data_migrations`) or a task, batched, with "
            "@disable_ddl_transaction true"
        )


def _setting(statement: Statement) -> bool:
    """`repo().query!("SET lock_timeout TO '5s'")`: literal SQL that is not DML."""
    return statement.call.rpartition(".")[2].startswith("query") and statement.sql is not None \
        and _DML.match(statement.sql) is None


def _irreversible_ops(op: MigrationOp) -> Iterator[tuple[Span, str]]:
    """What in `change/0` Ecto cannot run backwards."""
    if op.sql:
        return  # judged as its `execute/1`
    if op.kind == "drop_table":
        yield op_span(op), f"`drop table(:{op.table})` (Ecto cannot recreate the table)"
    elif op.kind == "drop_constraint":
        yield op_span(op), f"`drop constraint(:{op.table}, :{op.name})`"
    elif op.kind == "alter_table":
        for change in op.changes:
            column = change.column
            if change.action == "modify" and column.from_type is None:
                yield column_span(column), f"`modify :{column.name}` without `from:`"
            elif change.action == "remove" and column.type is None:
                yield column_span(column), f"`remove :{column.name}` without its type"
            elif change.action in ("add_if_not_exists", "remove_if_exists"):
                yield column_span(column), f"`{change.action} :{column.name}`"


@register
class IrreversibleMigration(ProjectRule):
    """A migration that `mix ecto.rollback` cannot undo.

    ## What it finds

    In `change/0`: `execute/1` (SQL or a function) with no down part,
    `drop table`, `drop constraint`, `modify` without `from:`, `remove`
    without the column's type, `add_if_not_exists`/`remove_if_exists`, and
    Repo calls (`repo().update_all(...)`), which Ecto runs again on
    rollback instead of reversing. And an `up/0` with no `down/0`.

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
        for database, step in steps(project):
            migration = step.migration
            if migration.entry == "up" and not migration.down:
                message = f"`{migration.module}` defines `up/0` but no `down/0`: `mix ecto.rollback` raises"
                yield self.finding(step.path, span(migration.entry_line, migration.entry_column), message,
                                   fix="def down do\n  # undo what up/0 does, in reverse order\nend")
            if migration.entry != "change":
                continue
            for statement in migration.statements:
                if statement.kind == "execute" and not statement.reversible:
                    message = "`execute/1` in `change/0` has no down part: `mix ecto.rollback` raises"
                    fix = 'execute "<up SQL>", "<down SQL>" (or up/0 and down/0)'
                    yield self.finding(step.path, statement_span(statement), message, fix=fix)
                elif statement.kind == "repo" and not _setting(statement):
                    message = (
                        f"`{statement.call}` in `change/0` is not a migration command: Ecto reverses only "
                        "those, so a rollback runs this call again, unchanged, against the schema it is undoing"
                    )
                    fix = "write up/0 and down/0 (and move the data change out of the schema migration)"
                    yield self.finding(step.path, statement_span(statement), message, fix=fix)
            for op in migration.ops:
                for where, what in _irreversible_ops(op):
                    message = f"{what} in `change/0` cannot be reversed: `mix ecto.rollback` raises"
                    yield self.finding(step.path, where, message, fix=self._fix(what))

    @staticmethod
    def _fix(what: str) -> str:
        if "modify" in what:
            return "give the old type: modify :column, :new_type, from: :old_type (or {:old_type, null: true})"
        if "remove" in what and "type" in what:
            return "give the column's type: remove :column, :type"
        return "write up/0 and down/0, with down/0 recreating what up/0 drops"
