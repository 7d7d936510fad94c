"""Schema rules: each Ecto schema compared with the database its project's
migrations build (`model.ecto.database`).

A schema says which columns Ecto selects, casts and inserts; the migrations
say which columns exist. Where they disagree, the application fails at run
time although it compiles. These rules judge a schema only against a table
beamsage knows completely:

- the table is created by a migration of the project (not a view, not a
  table made by raw SQL the replay cannot read, not a library's table), and
  nothing touched it in a way the replay cannot read: SQL it could not parse,
  a custom macro or helper in a `create table` block, a helper called with
  the table's name, a table name held in a variable;
- the schema reads that table for sure: an `embedded_schema` has none, and a
  schema with `@schema_prefix` (or a table created under a prefix) is judged
  only against a table with the same prefix; when several repos' migrations
  create the table, every one of them must show the problem;
- what the schema declares is known: settings Ecto reads from module
  attributes (`@primary_key`, `@foreign_key_type`, `@timestamps_opts`) are
  trusted only when the module sets them itself or `use`s no module of the
  project that could set them, and repo settings that change what
  migrations create (`migration_primary_key`, `migration_foreign_key`,
  `migration_timestamps` in `config/`) make the rules skip what they affect.

Columns a migration removes or renames while a schema still names them are
left to `Migration.RemoveColumnStillInSchema` and `Migration.RenameColumn`,
which point at that migration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from ..model.ecto.database import ColumnState, Database, Table
from ..model.ecto.facts import AssocFacts, SchemaFacts
from ..model.ecto.types import pg_type
from ..model.project import Project
from .base import Confidence, Finding, Location, ProjectRule, Related, Severity, register
from .migration.common import span

_TIMESTAMPS = frozenset({"inserted_at", "updated_at"})
_INTEGER = frozenset({"integer", "bigint", "smallint"})
_TEXT = frozenset({"varchar", "text", "citext", "char"})
# Ecto field types -> the family of Postgres columns they load from.
_FIELD_FAMILIES = {
    ":id": "integer", ":integer": "integer", ":binary_id": "uuid", "Ecto.UUID": "uuid", ":uuid": "uuid",
    ":string": "text",
}
_TRIGGER = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\b", re.IGNORECASE)


# -- what the rules share --------------------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """A column a schema selects: where and how it declares it."""

    column: str
    line: int
    what: str  # "`field :title`", "`belongs_to :user`", "`timestamps()`", "its primary key"
    kind: str  # field, belongs_to, embed, timestamps, primary_key


class SchemaView:
    """What the Schema rules know of the project: schemas with the tables they
    read, and the settings that change what a schema or a migration means."""

    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def repo_settings(self) -> dict[str, str]:
        """`migration_primary_key` / `migration_foreign_key` / `migration_timestamps`
        set for any repo in `config/`: option -> value as written."""
        found: dict[str, str] = {}
        for facts in self.project.files.values():
            for entry in facts.config:
                for name in ("migration_primary_key", "migration_foreign_key", "migration_timestamps"):
                    value = entry.option(name)
                    if value is not None:
                        found[name] = found.get(name, "") + value
        return found

    def settings_known(self, schema: SchemaFacts) -> bool:
        """Whether the module attributes Ecto reads are all in the module: it
        `use`s no module of the project (whose `__using__` could set them)."""
        entry = self.project.modules.get(schema.module)
        if entry is None:
            return False
        return all(use.module == "Ecto.Schema" or use.module not in self.project.modules for use in entry[1].uses)

    def sets(self, schema: SchemaFacts, attribute: str) -> bool:
        entry = self.project.modules.get(schema.module)
        return entry is not None and attribute in entry[1].attributes

    def schemas(self) -> Iterator[tuple[str, SchemaFacts, list[tuple[Database, Table]]]]:
        """`(path, schema, tables)` for each schema over tables the migrations create."""
        for path, schema in self.project.ecto.schemas.values():
            if schema.embedded:
                continue
            tables = [(db, table) for db, table in self.project.ecto.tables(schema.table)
                      if table.prefix == schema.prefix]
            if tables and len(tables) == len(self.project.ecto.tables(schema.table)):
                yield path, schema, tables

    @cached_property
    def dropped(self) -> set[tuple[str, str]]:
        """`(table, column)` that some migration removes or renames away."""
        found = set()
        for database in self.project.ecto.databases:
            for step in database.steps:
                for op in step.migration.ops:
                    if op.kind == "rename_column" and op.column:
                        found.add((op.table, op.column))
                    for change in op.changes if op.kind == "alter_table" else ():
                        if change.action.startswith("remove"):
                            found.add((op.table, change.column.name))
        return found

    def declared(self, schema: SchemaFacts) -> list[Declared]:
        """The columns the schema selects, as far as its source says for sure."""
        known = self.settings_known(schema)
        found: list[Declared] = []
        key_name = "name" in self.repo_settings.get("migration_primary_key", "")
        if (known or self.sets(schema, "primary_key")) and not key_name:
            found += [Declared(key, schema.line, "its primary key", "primary_key") for key in schema.primary_key]
        timestamp_names = re.search(r"\b(inserted_at|updated_at)\b", self.repo_settings.get("migration_timestamps", ""))
        if schema.timestamps and "timestamps" not in schema.unknown and not timestamp_names and (
                known or self.sets(schema, "timestamps_opts")):
            line = schema.timestamps_line or schema.line
            found += [Declared(column, line, "`timestamps()`", "timestamps") for column in schema.timestamps]
        for assoc in schema.assocs:
            if assoc.kind == "belongs_to" and assoc.define_field:
                found.append(Declared(key_column(assoc), assoc.line, f"`belongs_to :{assoc.name}`", "belongs_to"))
            elif assoc.kind in ("embeds_one", "embeds_many"):
                what = f"`{assoc.kind} :{assoc.name}`"
                found.append(Declared(assoc.source or assoc.name, assoc.line, what, "embed"))
        for field in schema.fields:
            if not field.virtual:
                found.append(Declared(field.column or field.name, field.line, f"`field :{field.name}`", "field"))
        return found


def foreign_key(assoc: AssocFacts) -> str:
    """The field a `belongs_to` defines."""
    return assoc.foreign_key or f"{assoc.name}_id"


def key_column(assoc: AssocFacts) -> str:
    """The column of that field."""
    return assoc.source or foreign_key(assoc)


def _column_at(column: ColumnState, message: str) -> Related:
    return Related(Location.of(column.origin.path, span(column.origin.line, column.origin.column)), message)


def _family(written: str | None) -> str | None:
    kind = pg_type(written) if written else None
    if kind is None:
        return None
    if kind.base in _INTEGER:
        return "integer"
    if kind.base == "uuid":
        return "uuid"
    return "text" if kind.base in _TEXT else None


def _migration_type(field_type: str) -> str:
    return field_type if field_type.startswith((":", "{")) and "Ecto." not in field_type else ":string"


# -- the rules ---------------------------------------------------------------------------------------


@register
class FieldWithoutColumn(ProjectRule):
    """A schema field whose column no migration creates.

    ## What it finds

    A schema over a table the project's migrations create that declares a
    column the replayed table does not have: a `field` (its `source:` name
    when given; not `virtual: true`), the foreign key of a `belongs_to`
    (not `define_field: false`), the column of an `embeds_one` or
    `embeds_many`, a `timestamps()` column (with its `inserted_at:` and
    `updated_at:` names, none for `updated_at: false`), or the primary key
    (`id` unless `@primary_key` says otherwise, none for
    `@primary_key false`). Tables not created by the project's migrations
    (views, tables of a library or another repo), tables changed by code
    beamsage cannot read (raw SQL it cannot parse, custom macros or helpers
    in a `create table` block), `embedded_schema`s and schemas whose
    `@schema_prefix` does not match the table's are not judged.

    ## Why it matters

    Ecto selects every field a schema declares. One missing column makes
    every query through the schema (`Repo.get`, `Repo.all`, preloads of it)
    fail with `column p0.x does not exist`; it compiles, the tests pass when
    they never touch the schema, and production fails on the first read.
    The usual cause: a field added to the schema while its migration was
    never written (or never committed).

    ## Example

    ```elixir
    schema "products" do
      field :name, :string
      field :barcode, :string  # no migration adds products.barcode
    end
    ```

    ## Use instead

    Add the column in a migration (or drop the field, or mark it
    `virtual: true` when it is never stored):

    ```elixir
    alter table(:products) do
      add :barcode, :string
    end
    ```
    """

    id = "Schema.FieldWithoutColumn"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        view = SchemaView(project)
        for path, schema, tables in view.schemas():
            if not all(database.knows_columns(table) for database, table in tables):
                continue
            reported = set()
            for declared in view.declared(schema):
                column = declared.column
                if column in reported or (schema.table, column) in view.dropped:
                    continue
                if any(column in table.columns for _, table in tables):
                    continue
                reported.add(column)
                yield self._finding(path, schema, declared, tables[0][1])

    def _finding(self, path: str, schema: SchemaFacts, declared: Declared, table: Table) -> Finding:
        column = declared.column
        message = (
            f"`{schema.module}` declares `{table.name}.{column}` ({declared.what}), but no migration creates that "
            f"column: every query through the schema fails with `column {column} does not exist`"
        )
        related = [Related(Location.of(table.origin.path, span(table.origin.line, table.origin.column)),
                           f"`{table.name}` is created here")]
        if declared.kind == "primary_key":
            fix = (f"add `@primary_key false` (the table has no `{column}` column) or declare the table's "
                   "real key: @primary_key {:name, :type, autogenerate: ...}")
        elif declared.kind == "timestamps":
            fix = (f"add the column in a migration (alter table(:{table.name}) do timestamps() end), or declare "
                   f"only the columns the table has: timestamps(updated_at: false)")
        elif declared.kind == "belongs_to":
            fix = (f"add the column in a migration: alter table(:{table.name}) do add :{column}, "
                   "references(...) end")
        elif declared.kind == "embed":
            fix = f"add the column in a migration: alter table(:{table.name}) do add :{column}, :map end"
        else:
            field = next((f for f in schema.fields if (f.column or f.name) == column), None)
            kind = _migration_type(field.type) if field is not None else ":string"
            fix = (f"add the column in a migration (alter table(:{table.name}) do add :{column}, {kind} end), or "
                   "mark the field `virtual: true` if it is never stored")
        return self.finding(path, span(declared.line), message, related=related, fix=fix)


@register
class BelongsToTypeMismatch(ProjectRule):
    """A `belongs_to` whose key type is not the type of its column.

    ## What it finds

    `belongs_to :user, User` makes `user_id` a field of the schema's
    foreign key type: `:id` (an integer) unless the association says
    `type:` or the module sets `@foreign_key_type` (`:binary_id` for UUID
    keys). Reported when the replayed column has another kind of type: an
    integer field over a `uuid` column (`references(:users, type: :uuid)`),
    a `:binary_id` field over a `bigint` one. Only when both types are known
    for sure: settings a project module's `__using__` may set, and repo
    settings that change `references/2`'s default type
    (`migration_primary_key`, `migration_foreign_key`), make it skip.

    ## Why it matters

    Ecto casts and loads the key with the field's type. Loading a row whose
    UUID key sits in an `:id` field raises (`cannot load ... as type :id`),
    and passing an integer to a `uuid` column fails in Postgres: every
    read of a row that has the association, and every write of the key,
    fails. It happens when the parent table moved to UUID keys (or was
    created with them) and the child schema was not told.

    ## Example

    ```elixir
    # migration: add :user_id, references(:users, type: :binary_id)
    schema "posts" do
      belongs_to :user, MyApp.Accounts.User
    end
    ```

    ## Use instead

    ```elixir
    schema "posts" do
      belongs_to :user, MyApp.Accounts.User, type: :binary_id
    end
    ```

    (or `@foreign_key_type :binary_id` in the module, for every
    association of the schema).
    """

    id = "Schema.BelongsToTypeMismatch"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        view = SchemaView(project)
        config = view.repo_settings
        default_type_changed = any("type" in config.get(name, "")
                                   for name in ("migration_primary_key", "migration_foreign_key"))
        for path, schema, tables in view.schemas():
            if not all(database.is_certain(table) for database, table in tables):
                continue
            for assoc in schema.assocs:
                if assoc.kind != "belongs_to" or not assoc.define_field:
                    continue
                written = self._field_type(view, schema, assoc)
                family = _FIELD_FAMILIES.get(written or "")
                columns = [table.columns.get(key_column(assoc)) for _, table in tables]
                if family is None or any(column is None for column in columns):
                    continue
                judged = [self._column_type(column, default_type_changed) for column in columns]
                if any(_family(kind) in (None, family) for kind in judged):
                    continue
                yield self._finding(path, schema, assoc, written, columns[0], judged[0])

    @staticmethod
    def _field_type(view: SchemaView, schema: SchemaFacts, assoc: AssocFacts) -> str | None:
        """The type Ecto gives the key field, as written; None when not known for sure."""
        if assoc.type is not None:
            return assoc.type
        if view.sets(schema, "foreign_key_type"):
            return schema.foreign_key_type
        return ":id" if view.settings_known(schema) else None  # Ecto's default `@foreign_key_type`

    @staticmethod
    def _column_type(column: ColumnState, default_changed: bool) -> str | None:
        """The column's type; None when not known for sure (`references/2` without
        `type:` while the repo config changes its default)."""
        reference = column.references
        if reference is not None and reference.type is None and default_changed:
            return None
        return column.type

    def _finding(self, path: str, schema: SchemaFacts, assoc: AssocFacts, written: str, column: ColumnState,
                 column_type: str) -> Finding:
        key = foreign_key(assoc)
        message = (
            f"`belongs_to :{assoc.name}` in `{schema.module}` makes `{key}` a `{written}` field, but the column "
            f"`{schema.table}.{key_column(assoc)}` is `{column_type}`: reading a row with a {assoc.name} fails to "
            "load the key, and writing it fails to cast"
        )
        wanted = ":binary_id" if _family(column_type) == "uuid" else ":id" if _family(column_type) == "integer" \
            else column_type
        fix = f"declare the key's type: belongs_to :{assoc.name}, {assoc.related or '...'}, type: {wanted}"
        related = [_column_at(column, f"`{key}` is created as `{column_type}` here")]
        return self.finding(path, span(assoc.line), message, related=related, fix=fix)


@register
class RequiredButNullable(ProjectRule):
    """A field every changeset requires while its column accepts NULL (advice).

    ## What it finds

    A field in `validate_required` of the schema's changesets, required by
    every public function of the schema module that casts it (directly or
    through the module's own helpers), whose column has no `null: false`
    and no default, while another field the schema requires the same way,
    cast by the same changeset, is `null: false` in the migrations: the
    team pairs "required" with NOT NULL, and this one looks forgotten.
    Schemas whose required fields are all nullable, as `mix
    phx.gen.context` generates them, are not reported; nor is a column
    written `null: true` on purpose, nor a field only a later state change
    writes (`revoke_reason`, cast by `revoke_changeset/2` alone: NULL until
    then is its meaning).

    ## Why it matters

    `validate_required/3` only guards the writes that go through that
    changeset. `Repo.insert_all`, `update_all`, other changesets, seeds,
    a console session or another service can still store NULL, and the
    code that trusts the schema's "required" then meets `nil` at run
    time. `null: false` makes the database keep the promise for every
    writer.

    ## Example

    ```elixir
    # migration: add :email, :string, null: false
    #            add :name, :string
    def changeset(user, attrs) do
      user
      |> cast(attrs, [:email, :name])
      |> validate_required([:email, :name])
    end
    ```

    ## Use instead

    ```elixir
    alter table(:users) do
      modify :name, :string, null: false, from: {:string, null: true}
    end
    ```

    (backfill NULL rows first; on a large table, add a `CHECK (name IS NOT
    NULL) NOT VALID` constraint and validate it separately).
    """

    id = "Schema.RequiredButNullable"
    severity = Severity.INFO
    confidence = Confidence.LOW

    def check(self, project: Project) -> Iterable[Finding]:
        view = SchemaView(project)
        for path, schema, tables in view.schemas():
            if "cast" in schema.unknown or not all(database.is_certain(table) for database, table in tables):
                continue
            fields = {field.name: field for field in schema.fields if not field.virtual}
            required = {name: fields[name].column or name for name in schema.required
                        if name in fields and name in schema.cast and name not in schema.optional}
            for name, column_name in required.items():
                columns = [table.columns.get(column_name) for _, table in tables]
                if any(column is None or not _forgotten(column) for column in columns):
                    continue
                # A NOT NULL field written by the same changeset: the field belongs to the record's creation,
                # not to a later state change (`revoke_reason` cast only by `revoke_changeset/2`).
                paired = sorted(other for other, other_column in required.items()
                                if all(_not_null(table, other_column) for _, table in tables)
                                and any(name in cast and other in cast for cast in schema.cast_sets))
                if not paired:
                    continue
                column = columns[0]
                message = (
                    f"`{schema.module}` requires `{name}` in every changeset that casts it, but "
                    f"`{schema.table}.{column_name}` accepts NULL (unlike `{paired[0]}`, also required, which is "
                    "`null: false`): writes that skip the changeset can still store NULL where the code expects a "
                    "value"
                )
                fix = (f"add NOT NULL in a migration: modify :{column_name}, {column.type or ':string'}, "
                       f"null: false, from: {{{column.type or ':string'}, null: true}} (backfill NULL rows first)")
                related = [_column_at(column, f"`{column_name}` is added without `null: false` here")]
                yield self.finding(path, span(fields[name].line), message, related=related, fix=fix)


def _forgotten(column: ColumnState) -> bool:
    """Nullable with nothing saying so on purpose: no `null:` written, no default, not generated."""
    return column.null is None and column.default is None and not column.generated


def _not_null(table: Table, column: str) -> bool:
    state = table.columns.get(column)
    return state is not None and state.null is False


@register
class NotNullNeverCast(ProjectRule):
    """A `null: false` column without a default that nothing in the project sets.

    ## What it finds

    A field (or `belongs_to` key) of a schema that has changesets, whose
    column is `null: false` with no default, when nothing in the
    application code (tests and scripts aside) sets it: no `cast/3` lists
    it, and no `put_change`, `change`, `put_assoc`, `cast_assoc`,
    `build_assoc`, struct literal (`%Post{field: ...}`), `struct/2`,
    `Map.put` or `insert_all` row names it.

    Conservative by design: a name written anywhere counts for every
    schema. A write whose keys are not written out (`change(post, attrs)`,
    `struct(Post, attrs)`) skips the schema when it is aimed at it, or
    names no target and sits in the schema's module, its context or a
    module that aliases it. Keys Ecto fills through an association
    (`cast_assoc`/`build_assoc` of a `has_many` towards the schema, the keys
    of a `many_to_many` join schema) are not reported; nor are `id`,
    timestamps, fields with a `default:`, `autogenerate: true` or
    `read_after_writes: true`, generated or serial columns, columns added
    by SQL, and tables a trigger may fill.

    ## Why it matters

    Ecto does not send a field that is `nil` in the struct: the column gets
    its database default, and without one Postgres rejects the row with
    `null value in column ... violates not-null constraint`. That is an
    exception, not a changeset error: every insert through the schema
    crashes. It happens when a column is added with `null: false` and the
    changeset is never taught to cast it.

    ## Example

    ```elixir
    # migration: add :currency, :string, null: false
    def changeset(order, attrs) do
      order
      |> cast(attrs, [:total_cents])
      |> validate_required([:total_cents])
    end
    ```

    ## Use instead

    ```elixir
    def changeset(order, attrs) do
      order
      |> cast(attrs, [:total_cents, :currency])
      |> validate_required([:total_cents, :currency])
    end
    ```

    (or give the field a `default:` in the schema, or the column a
    `default:` in the migration).
    """

    id = "Schema.NotNullNeverCast"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM

    def check(self, project: Project) -> Iterable[Finding]:
        view = SchemaView(project)
        written = _Written(project)
        triggers = {id(database): _trigger_sql(database) for database in project.ecto.databases}
        for path, schema, tables in view.schemas():
            if not schema.cast or "cast" in schema.unknown or written.dynamic_for(schema) \
                    or not all(database.is_certain(table) for database, table in tables) \
                    or any(_triggered(triggers[id(database)], table.name) for database, table in tables):
                continue
            skip = set(schema.primary_key) | set(schema.timestamps) | _TIMESTAMPS | {"id"}
            for column_name, line, what, setters in self._settable(project, schema, written):
                columns = [table.columns.get(column_name) for _, table in tables]
                if column_name in skip or any(column is None or not _must_be_given(column) for column in columns):
                    continue
                if setters & written.keys:
                    continue
                message = (
                    f"`{schema.table}.{column_name}` is `null: false` without a default, but nothing in the project "
                    f"sets {what} of `{schema.module}` (no changeset casts or puts it, no struct names it): every "
                    "insert through the schema fails with a not-null violation"
                )
                related = [_column_at(columns[0], f"`{column_name}` is added `null: false` here")]
                fix = (f"cast it in the changeset (cast(attrs, [..., :{column_name}]) and validate_required), "
                       "put_change it, or give the field or the column a default")
                yield self.finding(path, span(line), message, related=related, fix=fix)

    @staticmethod
    def _settable(project: Project, schema: SchemaFacts, written: _Written
                  ) -> Iterator[tuple[str, int, str, set[str]]]:
        """`(column, line, declaration, names whose writing sets it)` for what the schema inserts."""
        belongs = {key_column(a): a for a in schema.assocs if a.kind == "belongs_to"}
        joined = written.join_schema(schema)
        for field in schema.fields:
            if field.virtual or field.default is not None or field.autogenerate or field.read_after_writes:
                continue
            column = field.column or field.name
            setters = {field.name}
            assoc = belongs.get(column)
            if assoc is not None:
                if joined:
                    continue
                setters |= {assoc.name} | written.parents_of(schema)
            yield column, field.line, f"`field :{field.name}`", setters
        for assoc in schema.assocs:
            if assoc.kind == "belongs_to" and assoc.define_field and not joined:
                setters = {foreign_key(assoc), assoc.name} | written.parents_of(schema)
                yield key_column(assoc), assoc.line, f"`{foreign_key(assoc)}` (`belongs_to :{assoc.name}`)", setters


def _must_be_given(column: ColumnState) -> bool:
    """NOT NULL, and the database fills nothing itself: no default, not generated, not serial, not from SQL."""
    kind = pg_type(column.type) if column.type else None
    serial = column.type is not None and ("serial" in column.type or "identity" in column.type)
    return (column.null is False and column.default is None and not column.generated and not column.sql
            and not serial and kind is not None)


def _trigger_sql(database: Database) -> list[str]:
    """The SQL of the migrations' `execute`s that create triggers (read once per database)."""
    return [statement.sql for step in database.steps for statement in step.migration.statements
            if statement.kind == "execute" and statement.sql and _TRIGGER.search(statement.sql)]


def _triggered(trigger_sql: list[str], table: str) -> bool:
    """Whether a trigger the migrations create names `table` (it may fill columns)."""
    pattern = re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE)
    return any(pattern.search(sql) for sql in trigger_sql)


class _Written:
    """Every field name the application writes, its writes whose keys are not
    written out, and the associations through which Ecto fills foreign keys."""

    def __init__(self, project: Project):
        self.project = project
        self.keys: set[str] = set()
        self.dynamic: set[tuple[str | None, str]] = set()  # (module of the function, target)
        for facts in project.files.values():
            for function in facts.loads:
                if function.writes is not None:
                    self.keys.update(function.writes.keys)
                    self.dynamic.update((function.module, target) for target in function.writes.dynamic)
        self._parents: dict[str | None, set[str]] = {}  # related module -> has_many/has_one names towards it
        self._joins: set[str] = set()  # modules and tables `many_to_many` goes through
        for _, schema in project.ecto.schemas.values():
            for assoc in schema.assocs:
                if assoc.kind in ("has_many", "has_one"):
                    self._parents.setdefault(assoc.related, set()).add(assoc.name)
                elif assoc.kind == "many_to_many" and assoc.join_through:
                    self._joins.add(assoc.join_through)

    def parents_of(self, schema: SchemaFacts) -> set[str]:
        """Names of the `has_many`/`has_one` associations towards the schema (or
        `through:` ones, whose target is not known): writing them (`cast_assoc`,
        `put_assoc`, `build_assoc`) fills its foreign key."""
        return self._parents.get(schema.module, set()) | self._parents.get(None, set())

    def join_schema(self, schema: SchemaFacts) -> bool:
        """Whether a `many_to_many` goes through the schema (Ecto fills its keys)."""
        return schema.module in self._joins or schema.table in self._joins

    def dynamic_for(self, schema: SchemaFacts) -> bool:
        """Whether a write with keys not written out may land on the schema: one
        aimed at it, or one whose target the source does not name in the
        schema's module, in a module that aliases it, or in its context."""
        parents = self.parents_of(schema)
        for module, target in self.dynamic:
            if target in (schema.module, f"table:{schema.table}"):
                return True
            if target == "" and self._near(module, schema.module):
                return True
            if target.startswith(":") and target[1:] in parents:
                return True
        return False

    def _near(self, module: str | None, schema: str) -> bool:
        if module is None:
            return False
        if module == schema or schema.startswith(f"{module}."):
            return True
        entry = self.project.modules.get(module)
        return entry is not None and any(full == schema for _, full in entry[1].aliases)
