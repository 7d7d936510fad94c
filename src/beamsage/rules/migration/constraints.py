"""Migration rules about constraints added to tables in use: foreign keys, checks, NOT NULL."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...model.ecto.database import Step, Table
from ...model.ecto.facts import Column, MigrationOp
from ...model.project import Project
from ..base import Confidence, Finding, ProjectRule, Severity, register
from .common import SERIAL, alterations, column_span, op_span, steps, table_age


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
        for database, step, op, column, action, table in alterations(project):
            reference = column.references
            if reference is None or not reference.validate or action not in ("add", "add_if_not_exists", "modify"):
                continue
            parent = reference.table
            constraint = f"{table.name}_{column.name}_fkey"
            later = f'execute "ALTER TABLE {table.name} VALIDATE CONSTRAINT {constraint}", ""'
            confidence, note = table_age(step, table, self.confidence)
            message = (
                f"adds a foreign key from the existing table `{table.name}` to `{parent}` and validates every row "
                f"at once, holding a lock that blocks writes to both `{table.name}` and `{parent}` meanwhile{note}"
            )
            if op.sql:
                fix = f"add the constraint with NOT VALID, then validate it in a later migration:\n{later}"
            else:
                verb = "add" if action.startswith("add") else "modify"
                fix = (f"{verb} :{column.name}, references(:{parent}, validate: false)\n\n"
                       f"and validate it in a later migration:\n{later}")
            yield self.finding(step.path, column_span(column), message, confidence=confidence, fix=fix)


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
        for database, step in steps(project):
            for op in step.migration.ops:
                if op.kind != "create_constraint" or op.check is None or not op.validate:
                    continue
                if op.table not in step.before:
                    continue
                confidence, note = table_age(step, step.before[op.table], self.confidence)
                message = (
                    f"adds CHECK constraint `{op.name}` to the existing table `{op.table}` and validates every row "
                    f"at once, under a lock that blocks all reads and writes of `{op.table}`{note}"
                )
                check = op.check.replace('"', '\\"')
                fix = (
                    f'create constraint(:{op.table}, :{op.name}, check: "{check}", validate: false)\n\n'
                    "and validate it in a later migration:\n"
                    f'execute "ALTER TABLE {op.table} VALIDATE CONSTRAINT {op.name}", ""'
                )
                yield self.finding(step.path, op_span(op), message, confidence=confidence, fix=fix)




# -- NOT NULL ------------------------------------------------------------

_NOT_NULL_CHECK = re.compile(r'^\(*\s*"?(\w+)"?\s+IS\s+NOT\s+NULL\s*\)*$', re.IGNORECASE)


def _checked_not_null(table: Table, column: str) -> bool:
    """Whether a validated `CHECK (column IS NOT NULL)` already proves it,
    which lets Postgres 12+ set NOT NULL without scanning the table."""
    for check in table.checks.values():
        match = _NOT_NULL_CHECK.match(check.expression or "")
        if check.validated and match and match.group(1) == column:
            return True
    return False


def _added_earlier(step: Step, until: MigrationOp, table: str, column: str) -> Column | None:
    """A column this migration added to `table` before `until` (a backfill
    often sits between the `add` and the `modify ..., null: false`)."""
    for op in step.migration.ops:
        if op is until:
            break
        for change in op.changes if op.kind == "alter_table" and op.table == table else ():
            if change.action.startswith("add") and change.column.name == column:
                return change.column
    return None


@register
class NotNullOnExistingColumn(ProjectRule):
    """`null: false` set on a column that already holds data.

    ## What it finds

    `modify :column, type, null: false` (or `ALTER COLUMN ... SET NOT
    NULL`) on a nullable column of a table that existed before the
    migration, also one the migration itself added (and backfilled) a few
    lines earlier. Not reported when the column was already `NOT NULL`, or
    when a validated `CHECK (column IS NOT NULL)` constraint already proves
    it. Only the nullability is judged here;
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
        for database, step, op, column, action, table in alterations(project):
            if action != "modify" or column.null is not False:
                continue
            before = table.columns.get(column.name) or _added_earlier(step, op, table.name, column.name)
            if before is None:
                continue
            was_null = before.null if before.null is not None else column.from_null
            if was_null is False or _checked_not_null(table, column.name):
                continue
            name = column.name
            confidence, note = table_age(step, table, Confidence.MEDIUM if table.uncertain else self.confidence)
            message = (
                f"sets `{table.name}.{name}` NOT NULL: Postgres scans every row of `{table.name}` to prove it, "
                f"holding a lock that blocks all reads and writes until the scan ends{note}"
            )
            constraint = f"{name}_not_null"
            kind = column.type or before.type or ":string"
            fix = (
                f'1. create constraint(:{table.name}, :{constraint}, check: "{name} IS NOT NULL", validate: false)\n'
                f'2. in a later migration: execute "ALTER TABLE {table.name} VALIDATE CONSTRAINT {constraint}", ""\n'
                f"3. then: modify :{name}, {kind}, null: false, from: {{{kind}, null: true}} "
                f"(instant on Postgres 12+), and drop constraint(:{table.name}, :{constraint})"
            )
            yield self.finding(step.path, column_span(column), message, confidence=confidence, fix=fix)


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
        reported = set()  # `timestamps()` adds two columns on one line: one finding
        for database, step, op, column, action, table in alterations(project):
            if action not in ("add", "add_if_not_exists") or column.null is not False or column.default is not None:
                continue
            if column.primary_key or (column.type or "").lstrip(":") in SERIAL:
                continue  # filled by its sequence
            if (step.path, column.line) in reported:
                continue
            reported.add((step.path, column.line))
            confidence, note = table_age(step, table, self.confidence)
            message = (
                f"adds `{table.name}.{column.name}` as NOT NULL without a default: existing rows would hold NULL, "
                f"so the migration fails on any `{table.name}` table with rows{note}"
            )
            kind = column.type or ":string"
            fix = (
                f"add :{column.name}, {kind}, null: false, default: <a constant>\n"
                "(or add it nullable, backfill, then set NOT NULL through a validated check constraint; for "
                'timestamps: timestamps(default: fragment("now()")))'
            )
            yield self.finding(step.path, column_span(column), message, confidence=confidence, fix=fix)
