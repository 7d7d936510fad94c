"""Ecto facts of one file: schemas, migration operations, functions' calls and
queries. Plain msgspec structs, cached with the file's other facts; the
project-level model (`database`, `graph`) is assembled from them each run.
"""

from __future__ import annotations

import msgspec

# -- schemas ------------------------------------------------------------------


class FieldFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    name: str
    type: str  # as written: ":string", "Ecto.Enum", "{:array, :string}"
    line: int
    column: str | None = None  # `source:` when the column is named differently
    default: str | None = None
    virtual: bool = False
    autogenerate: bool = False  # `autogenerate: true`: Ecto fills it on insert
    read_after_writes: bool = False  # `read_after_writes: true`: the database fills it


class AssocFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    kind: str  # belongs_to, has_many, has_one, many_to_many, embeds_one, embeds_many
    name: str
    line: int
    related: str | None = None  # resolved module; None for `through:`
    foreign_key: str | None = None
    references: str | None = None
    define_field: bool = True
    type: str | None = None  # belongs_to `type:`
    through: tuple[str, ...] = ()
    join_through: str | None = None  # a table name or a module
    source: str | None = None  # belongs_to/embeds `source:`: the column when named differently


class ConstraintFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`unique_constraint/3`, `foreign_key_constraint/3`, `assoc_constraint/3`..."""

    kind: str  # unique, foreign_key, assoc, check, exclusion, no_assoc
    fields: tuple[str, ...]
    line: int
    column: int
    end_line: int
    end_column: int
    name: str | None = None  # `name:` when given


class SchemaFacts(msgspec.Struct, frozen=True, gc=False):
    module: str
    line: int
    table: str | None  # None for embedded_schema
    prefix: str | None = None
    primary_key: tuple[str, ...] = ("id",)
    fields: tuple[FieldFacts, ...] = ()
    assocs: tuple[AssocFacts, ...] = ()
    timestamps: tuple[str, ...] = ()  # the column names `timestamps()` adds
    cast: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    constraints: tuple[ConstraintFacts, ...] = ()
    foreign_key_type: str | None = None  # `@foreign_key_type` as written, when the module sets it
    # Fields some public function of the module casts without `validate_required` on its way
    # (through the module's own helpers): not required everywhere.
    optional: tuple[str, ...] = ()
    # What each public function of the module casts (through its own helpers), one set per function
    # that casts anything: which fields are written together.
    cast_sets: tuple[tuple[str, ...], ...] = ()
    # What the source does not tell: "timestamps" (options not written out), "cast"
    # (a cast or validate_required whose field list is not a literal).
    unknown: tuple[str, ...] = ()
    timestamps_line: int = 0  # where `timestamps()` is called (0: no call)

    @property
    def embedded(self) -> bool:
        return self.table is None


# -- queries --------------------------------------------------------------------


class Condition(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A filter on the query's first binding: `p.slug == ^slug`, `ilike(p.name, ^term)`."""

    field: str
    op: str  # ==, !=, in, <, >, <=, >=, is_nil, like, ilike
    line: int
    column: int
    end_line: int
    end_column: int
    leading_wildcard: bool = False  # like/ilike with a pattern that starts with `%`


class QueryFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One query a Repo call runs, as far as the function shows it.

    `complete` is true when every step from the schema to the Repo call is in
    sight (`from`, `where`, `order_by`... and a variable assigned once), so
    the conditions are all the conditions the database sees; a query that
    passes through other functions is not complete.
    """

    repo: str  # the module called, as resolved in the file ("MyApp.Repo")
    function: str  # all, one, get_by, ...
    line: int
    column: int
    end_line: int
    end_column: int
    schema: str | None = None  # the module of the first binding
    table: str | None = None  # a table queried by name: from(c in "comments")
    complete: bool = False
    alternatives: bool = False  # an `or` (or `or_where`) among the conditions
    selects: bool = False  # a `select`: the rows are not the schema's structs
    conditions: tuple[Condition, ...] = ()
    order_by: tuple[str, ...] = ()
    preloads: tuple[str, ...] = ()


# -- loaded associations --------------------------------------------------------

class Origin(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Where a value comes from, as one function shows it: a query run in
    sight, or the result of a project function (`call`), with the
    associations preloaded on the way."""

    line: int
    column: int
    schema: str | None = None  # a query: the schema of the structs it returns
    many: bool = False  # a query: a list of them (`Repo.all`) rather than one
    call: tuple[str | None, str, int] | None = None  # a project function's result
    preloads: tuple[str, ...] = ()  # the query's `preload:` and later `Repo.preload` steps
    element: bool = False  # one element of that value: `p` in `for p <- posts`


class AssocRead(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """`x.assoc.field`, or `x.assoc` enumerated: both raise when `assoc` is not loaded."""

    subject: str  # as written: "post.author", "@post.comments"
    assoc: str
    field: str | None  # the field read through it; None when it is enumerated
    line: int
    column: int
    end_line: int
    end_column: int
    origin: Origin | None = None  # x, when the function shows where it comes from
    assign: str | None = None  # or the template assign x is (`streams.posts` for a stream)
    element: bool = False  # x is one element of that assign: `p` in `:for={p <- @posts}`
    page: str | None = None  # the function whose assigns those are; None: the template file's


class AssignFacts(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A value handed to a template: `render(conn, :index, posts: posts)`,
    `assign(socket, :post, post)`, `stream(socket, :posts, posts)`."""

    key: str  # the assign; `streams.posts` for a stream
    origin: Origin
    line: int
    column: int
    end_line: int
    end_column: int
    template: str | None = None  # a controller's render: the template ("index"); None: a LiveView's render
    element: bool = False  # `stream_insert/3`: one element of the stream


class FieldWrites(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """The fields one function sets on structs it may insert: keys of struct
    literals (`%Post{title: t}`, `%{post | title: t}`), `put_change/3`,
    `change/2`, `cast/3` field lists, `put_assoc`/`cast_assoc`/`build_assoc`
    names, `struct/2`, `Map.put/3`, `Repo.insert_all/3` rows. A write whose
    keys the source does not spell out is `dynamic`: its target schema module
    when written (`struct(Post, attrs)`, `change(%Post{}, attrs)`), else ""."""

    keys: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()


class FunctionLoads(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """What one function returns, reads through associations, hands to templates
    and sets on structs."""

    module: str | None  # None: a template file
    name: str
    arity: int
    returns: Origin | None = None
    reads: tuple[AssocRead, ...] = ()
    assigns: tuple[AssignFacts, ...] = ()
    writes: FieldWrites | None = None  # the schema fields it sets (`model.ecto.writes`)


# -- migrations -----------------------------------------------------------------


class Reference(msgspec.Struct, frozen=True, gc=False, array_like=True):
    table: str
    column: str = "id"
    type: str | None = None
    on_delete: str | None = None
    prefix: str | None = None
    validate: bool = True


class Column(msgspec.Struct, frozen=True, gc=False, array_like=True):
    name: str
    line: int
    type: str | None = None  # ":string", ":bigint"; None when unknown (e.g. `remove :x`)
    null: bool | None = None
    default: str | None = None  # as written
    primary_key: bool = False
    references: Reference | None = None
    from_type: str | None = None  # `modify ..., from: :string` or `from: {:string, null: true}`: the type
    position: int = 1  # the 1-based column where its declaration starts on `line`
    size: int | None = None  # `size:` (varchar length)
    precision: int | None = None
    scale: int | None = None
    from_null: bool | None = None  # `from: {:string, null: true}`: the old nullability
    end_line: int = 0  # where its declaration ends (0: unknown)
    end_column: int = 0
    generated: bool = False  # `generated: "ALWAYS AS (...) STORED"`, GENERATED ... AS: the database computes it


class Change(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One line of a `create table`/`alter table` block."""

    action: str  # add, add_if_not_exists, modify, remove, remove_if_exists
    column: Column


class Index(msgspec.Struct, frozen=True, gc=False, array_like=True):
    table: str
    columns: tuple[str, ...]  # column names, or expressions as written ("lower(email)")
    name: str
    line: int
    unique: bool = False
    where: str | None = None
    using: str | None = None
    concurrently: bool = False
    prefix: str | None = None


class MigrationOp(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One schema change, from the migration DSL or from `execute` SQL.

    kind is one of: create_table, alter_table, drop_table, rename_table,
    rename_column, create_index, drop_index, rename_index, create_constraint,
    validate_constraint, drop_constraint, unknown.
    `unknown` stands for SQL or a dynamic call that changes the schema in a
    way not understood: `tables` names what it may touch (empty = anything).
    """

    kind: str
    line: int
    table: str | None = None
    prefix: str | None = None
    if_exists: bool = False  # create_if_not_exists / drop_if_exists / IF [NOT] EXISTS
    changes: tuple[Change, ...] = ()
    primary_key: tuple[str, ...] | None = None  # create_table only
    index: Index | None = None  # create_index / drop_index
    name: str | None = None  # constraint or index name for drop_*; new name for renames
    column: str | None = None  # rename_column: the old column name
    tables: tuple[str, ...] = ()  # unknown: tables the statement mentions
    position: int = 1  # the 1-based column where the statement starts on `line`
    end_line: int = 0  # where the statement ends (0: unknown)
    end_column: int = 0
    concurrently: bool = False  # drop_index from SQL: DROP INDEX CONCURRENTLY
    check: str | None = None  # create_constraint: the CHECK expression; None for an exclusion constraint
    validate: bool = True  # create_constraint: false for `validate: false` / NOT VALID
    sql: bool = False  # the op comes from `execute` SQL rather than the DSL
    # create_table/alter_table: the block (or the SQL) holds something not understood
    # (a custom macro, a helper call, `INHERITS`): it may add columns the op does not list.
    opaque: bool = False


class Statement(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A call in a migration the rules judge on its own: an `execute`, or a Repo call."""

    kind: str  # execute, repo
    call: str  # as written, shortened: "execute/1", "repo().update_all/2", "Repo.all/1"
    line: int
    column: int
    end_line: int
    end_column: int
    sql: str | None = None  # the SQL it runs (forwards), when its first argument is a literal
    reversible: bool = True  # execute/2 (or execute/1 outside `change/0`)
    table: str | None = None  # the table it writes, when written out: `insert_all("tags", ...)`, `INSERT INTO tags`


class MigrationFacts(msgspec.Struct, frozen=True, gc=False):
    module: str
    version: int  # the timestamp prefix of the file name
    line: int
    ops: tuple[MigrationOp, ...] = ()
    disable_ddl_transaction: bool = False
    disable_migration_lock: bool = False
    entry: str | None = None  # "change" or "up": the function that runs forwards
    entry_line: int = 0  # where that function's definition starts
    entry_column: int = 0
    down: bool = False  # whether `down/0` is defined
    statements: tuple[Statement, ...] = ()
    # Tables whose columns code of the migration not understood may change (a helper
    # called with the table's name); "*": any table.
    opaque: tuple[str, ...] = ()
