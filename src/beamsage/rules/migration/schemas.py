"""Migration rules that compare a migration with the schema modules: removals and renames."""

from __future__ import annotations

from collections.abc import Iterable

from ...model.ecto.database import Table
from ...model.ecto.facts import SchemaFacts
from ...model.project import Project
from ..base import Confidence, Finding, Location, ProjectRule, Related, Severity, register
from .common import alterations, column_span, final_table, op_span, span, steps


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


def _declared_at(path: str, line: int, message: str) -> Related:
    return Related(Location.of(path, span(line)), message)


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
        for database, step, op, column, action, table in alterations(project):
            if not action.startswith("remove"):
                continue
            final = final_table(database, table.name)
            user = _schema_using(project, table.name, column.name)
            if final is None or column.name in final.columns or user is None:
                continue
            path, schema, line, declaration = user
            message = (
                f"drops `{table.name}.{column.name}`, which `{schema.module}` still declares ({declaration}): "
                f"every query through it fails with `column {column.name} does not exist`"
            )
            related = [_declared_at(path, line, f"{declaration} is still declared here")]
            fix = (
                f"first remove {declaration} from `{schema.module}` and deploy; then drop the column in a "
                f"later migration (remove :{column.name}, {_type_before(table, column.name)})"
            )
            yield self.finding(step.path, column_span(column), message, related=related, fix=fix)


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
        for database, step in steps(project):
            for op in step.migration.ops:
                table = step.before.get(op.table) if op.kind == "rename_column" else None
                if table is None:
                    continue
                old, new = op.column, op.name
                final = final_table(database, table.name)
                stale = _schema_using(project, table.name, old)
                fix = f"keep the column and rename the field: field :{new}, ..., source: :{old}"
                if stale is not None and final is not None and old not in final.columns:
                    path, schema, line, declaration = stale
                    message = (
                        f"renames `{table.name}.{old}` to `{new}`, but `{schema.module}` still reads `{old}` "
                        f"({declaration}): every query through it fails once the migration runs"
                    )
                    related = [_declared_at(path, line, f"{declaration} still names `{old}`")]
                    yield self.finding(step.path, op_span(op), message, severity=Severity.ERROR,
                                       related=related, fix=fix)
                    continue
                known = _schema_using(project, table.name) is not None
                message = (
                    f"renames `{table.name}.{old}` to `{new}`: nodes still running the old code select `{old}` and "
                    "fail until the deploy completes"
                )
                confidence = Confidence.HIGH if known else Confidence.MEDIUM
                yield self.finding(step.path, op_span(op), message, confidence=confidence, fix=fix)


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
        for database, step in steps(project):
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
                    related = [_declared_at(path, line, f'`schema "{old}"` is declared here')]
                    yield self.finding(step.path, op_span(op), message, severity=Severity.ERROR,
                                       related=related, fix=fix)
                    continue
                message = (
                    f"renames table `{old}` to `{new}`: nodes still running the old code query `{old}` and fail "
                    "until the deploy completes"
                )
                yield self.finding(step.path, op_span(op), message, fix=fix)
