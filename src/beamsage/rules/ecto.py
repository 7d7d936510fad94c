"""Ecto rules: schemas, the replayed database and the queries that use them.

Shared judgement for every rule here:

- The database is the replay of the project's migrations (or its
  `structure.sql`). A rule that says something is missing from it stays
  quiet about tables that migration code changed in ways beamsage could not
  read (dynamic table names, SQL it could not parse).
- A table no migration creates (a schema over a database another app
  manages) is not judged at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node

from ..model.ecto.database import Database, IndexState, Table
from ..model.ecto.facts import AssocRead, ConstraintFacts, SchemaFacts
from ..model.ecto.loading import Loaded
from ..model.ecto.literals import names
from ..model.ecto.queries import is_repo_call
from ..model.ecto.reach import is_write, module_of
from ..model.parsed import ParsedFile
from ..model.project import Project
from ..source.document import Span
from ..source.syntax import Call, arguments, operator, text, walk
from .base import (
    Confidence,
    FileRule,
    Finding,
    Location,
    ProjectRule,
    Related,
    Severity,
    register,
)
from .fixes import camel, migration_module, new_migration


def _span(line: int, column: int = 1) -> Span:
    return Span(line, column, line, column)


@register
class MissingForeignKeyIndex(ProjectRule):
    """A foreign key column with no index that starts with it.

    ## What it finds

    A column added with `references(...)` whose table, after every migration
    has run, has no index (nor primary key) whose first column is that
    column. Composite indexes count when the foreign key is their leading
    column. A column a schema declares with `belongs_to` but the migrations
    add as a plain column (no `references`, so no constraint either) is
    reported too, with medium confidence.

    ## Why it matters

    Postgres indexes the referenced primary key but never the referencing
    column. Every `Repo.preload(authors, :posts)`, every `has_many` read and
    every delete of a parent (which must check or cascade to children)
    scans the whole child table. It is fast in development and slow in
    production, growing with the table.

    ## Example

    ```elixir
    create table(:reviews) do
      add :book_id, references(:books, on_delete: :delete_all)
    end
    ```

    ## Use instead

    ```elixir
    create table(:reviews) do
      add :book_id, references(:books, on_delete: :delete_all)
    end

    create index(:reviews, [:book_id])
    ```

    On a table that already holds data, add it in a new migration with
    `concurrently: true`, `@disable_ddl_transaction true` and
    `@disable_migration_lock true`.
    """

    id = "Ecto.MissingForeignKeyIndex"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for database in project.ecto.databases:
            if database.uncertain:
                continue
            for table in database.tables.values():
                if table.uncertain:
                    continue
                for column in table.columns.values():
                    if column.references is not None and not table.leading(column.name):
                        yield self._finding(project, database, table, column.name, column.references.table,
                                            column.origin)
        yield from self._belongs_to_only(project)

    def _belongs_to_only(self, project: Project) -> Iterable[Finding]:
        """`belongs_to` columns the migrations add without `references` (no constraint) and without an index."""
        seen = set()
        for path, schema in project.ecto.schemas.values():
            for assoc in schema.assocs if not schema.embedded else ():
                column_name = assoc.foreign_key or f"{assoc.name}_id"
                if assoc.kind != "belongs_to" or (schema.table, column_name) in seen:
                    continue
                seen.add((schema.table, column_name))
                for database, table in project.ecto.tables(schema.table):
                    column = table.columns.get(column_name)
                    if database.uncertain or table.uncertain or column is None or column.references is not None \
                            or table.leading(column_name):
                        continue
                    message = (
                        f"`{table.name}.{column_name}` is `belongs_to :{assoc.name}` in `{schema.module}` but has no "
                        f"index (nor a foreign key constraint): every lookup by `{column_name}` (preloads, has_many "
                        f"reads) scans the whole `{table.name}` table"
                    )
                    origin = column.origin
                    yield self.finding(
                        origin.path, _span(origin.line, origin.column), message, confidence=Confidence.MEDIUM,
                        related=[Related(Location.of(path, _span(assoc.line)), f"`belongs_to :{assoc.name}`")],
                        fix=self._index_migration(project, database, table, column_name),
                    )

    def _finding(self, project, database, table: Table, column: str, parent: str, origin) -> Finding:
        message = (
            f"foreign key `{table.name}.{column}` (references `{parent}`) has no index: every lookup by "
            f"`{column}` (preloads, has_many reads, deletes of `{parent}` rows) scans the whole `{table.name}` table"
        )
        return self.finding(origin.path, _span(origin.line, origin.column), message,
                            fix=self._index_migration(project, database, table, column))

    @staticmethod
    def _index_migration(project, database, table: Table, column: str) -> str:
        """A complete migration that adds the index without locking writes."""
        module = migration_module(project, database, camel("index", table.name, column))
        return new_migration(module, f"create index(:{table.name}, [:{column}], concurrently: true)", concurrent=True)


@register
class UniqueConstraintWithoutIndex(ProjectRule):
    """`unique_constraint/3` with no unique index of that name behind it.

    ## What it finds

    A `unique_constraint` in a schema's changeset whose index, by the name
    Ecto looks for (`name:`, or `<table>_<columns>_index`), is missing from
    the replayed database, is not unique, or exists under another name.

    ## Why it matters

    `unique_constraint/3` checks nothing itself: it only turns the error
    Postgres raises for a unique index into a changeset error. Without a
    unique index the duplicate is inserted; with a unique index under
    another name, Ecto does not recognise the error and raises
    `Ecto.ConstraintError` instead of returning `{:error, changeset}`.

    ## Example

    ```elixir
    # migration
    create index(:users, [:email])
    # schema
    |> unique_constraint(:email)
    ```

    ## Use instead

    ```elixir
    create unique_index(:users, [:email])
    ```

    or point the changeset at the existing index:
    `unique_constraint(:email, name: :users_lower_email_index)`.
    """

    id = "Ecto.UniqueConstraintWithoutIndex"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for path, schema in project.ecto.schemas.values():
            if schema.table is None:
                continue
            tables = project.ecto.tables(schema.table)
            if not tables or any(not db.is_certain(table) for db, table in tables):
                continue
            for constraint in schema.constraints:
                if constraint.kind == "unique":
                    problem = _unique_problem(schema, constraint, tables)
                    if problem is not None:
                        span = Span(constraint.line, constraint.column, constraint.end_line, constraint.end_column)
                        yield self.finding(path, span, problem.message, related=problem.related, fix=problem.fix)


@dataclass(frozen=True)
class _Problem:
    message: str
    fix: str
    related: tuple[Related, ...] = ()


def _unique_problem(schema: SchemaFacts, constraint: ConstraintFacts, tables: list[tuple[Database, Table]]):
    """Why the constraint can never match, or None when one of the tables backs it."""
    columns = tuple(_column_of(schema, field) for field in constraint.fields)
    expected = constraint.name or "_".join((schema.table, *columns, "index"))
    if any(_unique(table.indexes.get(expected)) for _, table in tables):
        return None
    table = tables[0][1]
    named = table.indexes.get(expected)
    where = ", ".join(columns)
    if named is not None:
        return _Problem(
            message=(
                f"`unique_constraint` on {where} needs a unique index, but `{expected}` is not unique: "
                "duplicates are inserted and the changeset error never fires"
            ),
            fix=(
                "in a new migration, once existing duplicates are removed:\n"
                f"drop index(:{schema.table}, {_atoms(named.columns)})\n"
                f"create unique_index(:{schema.table}, {_atoms(columns)})"
            ),
            related=(_related(named, f"`{expected}` is created here without `unique: true`"),),
        )
    other = next((s for s in table.indexes.values() if _unique(s) and set(s.columns) == set(columns)), None)
    if other is not None:
        fields = _atoms(constraint.fields, list_=len(constraint.fields) > 1)
        return _Problem(
            message=(
                f"`unique_constraint` on {where} expects an index named `{expected}`, but the unique index on "
                f"those columns is `{other.index.name}`: a duplicate raises Ecto.ConstraintError instead of "
                "returning a changeset error"
            ),
            fix=f"unique_constraint({fields}, name: :{other.index.name})",
            related=(_related(other, f"the unique index `{other.index.name}` is created here"),),
        )
    return _Problem(
        message=(
            f"`unique_constraint` on {where} has no unique index `{expected}` on `{schema.table}`: duplicates "
            "are inserted and the changeset error never fires"
        ),
        fix=f"create unique_index(:{schema.table}, {_atoms(columns)})",
    )


def _unique(state: IndexState | None) -> bool:
    return state is not None and state.index.unique


def _column_of(schema: SchemaFacts | None, name: str) -> str:
    """The column a schema field reads (`source:` renames it)."""
    for field in schema.fields if schema is not None else ():
        if field.name == name:
            return field.column or name
    return name


def _atoms(names: tuple[str, ...], list_: bool = True) -> str:
    inner = ", ".join(f":{n}" for n in names)
    return f"[{inner}]" if list_ else inner


def _related(state: IndexState, message: str) -> Related:
    return Related(Location.of(state.origin.path, _span(state.origin.line)), message)


# -- queries in loops -------------------------------------------------------------

# Code that runs on a developer's command, not per request: tests, config,
# migrations (their data changes are the Migration rules' concern), scripts.
_NOT_SERVING = frozenset({"test", "test_support", "config", "migration", "mix"})


def _serving(kinds: Iterable[str], path: str) -> bool:
    return _NOT_SERVING.isdisjoint(kinds) and not path.endswith(".exs")


def _loops_with_queries(project: Project):
    """`(caller, site, loop, path, target)` for each call in a loop that reaches a query;
    `path` is None when the call is itself a Repo call."""
    reach = project.ecto.reach
    for caller, site in project.calls.calls():
        if site.loop < 0 or not _serving(project.files[caller.path].kinds, caller.path):
            continue
        resolved = project.calls.resolve(caller, site)
        loop = project.files[caller.path].loops[site.loop]
        if reach.repo_call(site, resolved):
            yield caller, site, loop, None, module_of(resolved)
        elif isinstance(resolved, tuple) and resolved in reach.performs:
            yield caller, site, loop, reach.performs[resolved], resolved


def _site_span(site) -> Span:
    return Span(site.line, site.column, site.end_line, site.end_column)


def _loop_phrase(loop) -> str:
    if loop.kind == "recursion":
        return f"once per element of the list `{loop.over}` recurses over"
    if "|>" in loop.over or len(loop.over) > 30:
        return f"once per element (`{loop.kind}` at line {loop.line})"
    return f"once per element of `{loop.over}` (`{loop.kind}` at line {loop.line})"


@register
class NPlusOne(ProjectRule):
    """A database query run once per element of a collection.

    ## What it finds

    A call inside a loop that runs a query: a `Repo` call, or a call to a
    function anywhere in the project that reaches one (a context function,
    a helper, a `defdelegate`). Loops are `Enum`/`Stream` callbacks (also
    `&load/1` captures), `for` comprehensions, `Task.async_stream`,
    recursion over a list, and `:for` or `for` in HEEx/EEx templates.
    Loops over a list written in the source (`[:a, :b]`, `1..3`, a module
    attribute) and over chunks (`Enum.chunk_every/2`) are bounded and not
    reported.

    ## Why it matters

    Each element costs a round trip to the database: a page of 50 orders
    makes 51 queries. Ecto never batches or caches for you, so the cost
    grows with the data, hidden behind a function name.

    ## Example

    ```elixir
    def index(conn, _params) do
      orders = Orders.list_orders()
      totals = Enum.map(orders, &Orders.total/1)  # Orders.total/1 calls Repo.one/1
    end
    ```

    ## Use instead

    Load what the loop needs in one query: `preload:` in the outer query or
    `Repo.preload(orders, :line_items)` once, a single query with
    `where: x.id in ^ids` (or a `group_by` aggregate) turned into a map, and
    `Repo.insert_all/3` or `Repo.update_all/3` for writes.
    """

    id = "Ecto.NPlusOne"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for caller, site, loop, path, resolved in _loops_with_queries(project):
            if path is None:
                if site.name == "preload":
                    continue  # Ecto.PreloadInLoop
                yield self._direct(caller, site, loop, resolved)
            else:
                yield self._through(caller, site, loop, path, resolved)

    def _direct(self, caller, site, loop, repo: str) -> Finding:
        call = f"{repo}.{site.name}/{site.arity}"
        message = f"`{call}` runs a query {_loop_phrase(loop)}: N+1 queries"
        confidence = Confidence.MEDIUM if is_write(site.name) else Confidence.HIGH
        return self.finding(caller.path, _site_span(site), message, confidence=confidence, fix=_fix_for(site.name))

    def _through(self, caller, site, loop, path, resolved) -> Finding:
        called = f"{resolved[0]}.{resolved[1]}/{resolved[2]}"
        chain = " -> ".join(f"`{target}`" for target in (called, *(step.target for step in path.steps)))
        query = path.query
        message = (
            f"`{called}` runs a query {_loop_phrase(loop)}: N+1 queries "
            f"({chain} at {query.caller.path}:{query.site.line})"
        )
        related = [
            Related(Location.of(step.caller.path, _site_span(step.site)), f"calls `{step.target}`")
            for step in path.steps
        ]
        confidence = Confidence.MEDIUM if path.writes else Confidence.HIGH
        return self.finding(caller.path, _site_span(site), message, confidence=confidence, related=related,
                            fix=_fix_for(query.site.name))


@register
class PreloadInLoop(ProjectRule):
    """`Repo.preload` on one element at a time, inside a loop.

    ## What it finds

    `Repo.preload/2,3` called inside an `Enum`/`Stream` callback, a `for`
    comprehension or a template loop, so each element preloads its own
    associations.

    ## Why it matters

    `Repo.preload` on a list loads an association for every element in one
    query per association. Called per element, it runs one query per
    element instead: the N+1 it exists to prevent.

    ## Example

    ```elixir
    Enum.map(posts, fn post -> Repo.preload(post, :comments) end)
    ```

    ## Use instead

    ```elixir
    posts = Repo.preload(posts, :comments)
    ```

    or `preload: [:comments]` in the query that loads the posts.
    """

    id = "Ecto.PreloadInLoop"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for caller, site, loop, path, resolved in _loops_with_queries(project):
            if path is None and site.name == "preload":
                message = f"`{resolved}.preload/{site.arity}` preloads one element at a time, {_loop_phrase(loop)}"
                yield self.finding(caller.path, _site_span(site), message, fix=_fix_for("preload"))


_WRITE_FIXES = {
    "insert": "Insert the rows in one statement with `Repo.insert_all/3` (validate each row's changeset first "
    "and insert the changes).",
    "update": "When the rows get the same change, update them in one statement: "
    "`Repo.update_all(from(x in X, where: x.id in ^ids), set: [...])`; otherwise run the loop inside one "
    "`Repo.transaction/1` so it commits once.",
    "delete": "Delete the rows in one statement: `Repo.delete_all(from(x in X, where: x.id in ^ids))`.",
}
_READ_FIX = (
    "Load what the loop needs before it: one query with `where: x.id in ^ids` (then `Map.new/2` to look "
    "rows up), `preload:` in the outer query, or a `group_by` aggregate."
)


def _fix_for(name: str) -> str:
    if name == "preload":
        return "Preload the whole list once before the loop (`Repo.preload(list, assoc)`) or use `preload:` in the query."
    base = name.rstrip("!").removesuffix("_all").removesuffix("_or_update")
    return _WRITE_FIXES.get(base, _READ_FIX)


# -- queries and indexes --------------------------------------------------------

_INDEXABLE = frozenset({"==", "in", "<", ">", "<=", ">="})


def _queries(project: Project):
    """`(path, query, schema, tables)` for every query in code that serves
    requests; `tables` are the replayed tables it reads (empty when unknown)."""
    schemas = project.ecto.schemas
    for path, facts in project.files.items():
        if not facts.queries or not _serving(facts.kinds, path):
            continue
        for query in facts.queries:
            if not project.ecto.reach.is_repo(query.repo):
                continue
            schema = schemas.get(query.schema)[1] if query.schema in schemas else None
            table = query.table or (schema.table if schema else None)
            tables = project.ecto.tables(table) if table else []
            yield path, query, schema, tables


@register
class LeadingWildcardSearch(ProjectRule):
    """`like`/`ilike` with a pattern that starts with `%`.

    ## What it finds

    A query condition `like(p.name, ^pattern)` or `ilike(...)` whose
    pattern starts with `%`: written as a literal, interpolated
    (`^"%#{term}%"`), or built earlier in the function (`"%" <> term`).
    Not reported when the column has a GIN or GiST (trigram) index.

    ## Why it matters

    A b-tree index can only match a pattern's fixed prefix. A pattern that
    starts with a wildcard has none, so Postgres reads every row of the
    table for every search, and search is typically the query users run
    most.

    ## Example

    ```elixir
    from p in Product, where: ilike(p.name, ^"%#{term}%")
    ```

    ## Use instead

    A trigram index serves `like`/`ilike` anywhere in the string:

    ```elixir
    execute "CREATE EXTENSION IF NOT EXISTS pg_trgm", "DROP EXTENSION IF EXISTS pg_trgm"
    create index(:products, ["name gin_trgm_ops"], using: :gin)
    ```

    or full-text search (`tsvector` and a GIN index) for words.
    """

    id = "Ecto.LeadingWildcardSearch"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for path, query, schema, tables in _queries(project):
            for condition in query.conditions:
                if not condition.leading_wildcard:
                    continue
                column = _column_of(schema, condition.field)
                if any(_trigram_indexed(table, column) for _, table in tables):
                    continue
                certain = bool(tables) and all(db.is_certain(table) for db, table in tables)
                name = tables[0][1].name if tables else (schema.table if schema and schema.table else "the_table")
                message = (
                    f"`{condition.op}` on `{column}` with a pattern that starts with `%`: no b-tree index can "
                    f"serve it, so every search reads the whole `{name}` table"
                )
                fix = (
                    'execute "CREATE EXTENSION IF NOT EXISTS pg_trgm", "DROP EXTENSION IF EXISTS pg_trgm"\n'
                    f'create index(:{name}, ["{column} gin_trgm_ops"], using: :gin)'
                )
                span = Span(condition.line, condition.column, condition.end_line, condition.end_column)
                confidence = Confidence.HIGH if certain else Confidence.MEDIUM
                yield self.finding(path, span, message, confidence=confidence, fix=fix)


def _trigram_indexed(table: Table, column: str) -> bool:
    for state in table.indexes.values():
        using = (state.index.using or "").lower()
        if using in ("gin", "gist") and any(c.split()[0].strip('"') == column for c in state.columns if c):
            return True
    return False


@register
class UnindexedQuery(ProjectRule):
    """A query that filters only on columns no index can serve (advice).

    ## What it finds

    A query whose every step is visible in one function (`from`, `where`,
    `Repo.get_by`...) and that filters its table only on columns that lead
    no index: not the primary key, not the first column of any index
    (composite indexes serve only their leftmost columns). Boolean columns
    are not counted: an index on them rarely helps. Queries with `or`,
    and tables beamsage cannot fully replay, are left alone.

    ## Why it matters

    Without an index Postgres reads the whole table to find the rows. It is
    invisible with development data and grows with production data; a
    lookup by token, slug or external id is usually called on every request.

    ## Example

    ```elixir
    Repo.get_by(ApiToken, token: token)  # no index on api_tokens.token
    ```

    ## Use instead

    ```elixir
    create unique_index(:api_tokens, [:token])
    ```

    (use `unique_index` when the column is unique; for several equality
    filters, one composite index with the most selective column first).
    """

    id = "Ecto.UnindexedQuery"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM

    def check(self, project: Project) -> Iterable[Finding]:
        for path, query, schema, tables in _queries(project):
            if not query.complete or query.alternatives or not tables:
                continue
            filters = [c for c in query.conditions if c.op in _INDEXABLE]
            if not filters or any(not db.is_certain(table) for db, table in tables):
                continue
            _, table = tables[0]
            columns = list(dict.fromkeys(_column_of(schema, c.field) for c in filters))
            judged = [c for c in columns if c in table.columns and table.columns[c].type != ":boolean"]
            if len(judged) != len(columns) or not judged:
                continue  # a column the replay does not know, or only booleans
            if any(t.leading(c) for _, t in tables for c in judged):
                continue
            first = filters[0]
            message = (
                f"no index serves this query's filter on `{table.name}` ({', '.join(judged)}): Postgres reads "
                f"the whole table"
            )
            fix = f"create index(:{table.name}, {_atoms(tuple(judged))})"
            span = Span(first.line, first.column, first.end_line, first.end_column)
            yield self.finding(path, span, message, fix=fix)


# -- preload then filter ----------------------------------------------------------

_FILTERS = frozenset({"filter", "reject", "find", "split_with", "any?", "all?", "count"})


@register
class PreloadThenFilter(FileRule):
    """Loading an association only to filter rows by its fields in Elixir.

    ## What it finds

    `Repo.preload/2` followed, in the same function, by `Enum.filter`,
    `Enum.reject`, `Enum.find`, `Enum.count`... whose callback reads a field
    of the association just preloaded (`& &1.author.active`), on the
    preloaded list itself (the same variable, or the next step of a pipe).

    ## Why it matters

    Every row and every associated row travels from the database to be
    thrown away in Elixir: two queries and a full load where the database
    could return just the rows wanted. It grows with the tables, not with
    the result.

    ## Example

    ```elixir
    Post
    |> Repo.all()
    |> Repo.preload(:author)
    |> Enum.filter(& &1.author.active)
    ```

    ## Use instead

    ```elixir
    from(p in Post, join: a in assoc(p, :author), where: a.active, preload: [author: a])
    |> Repo.all()
    ```
    """

    id = "Ecto.PreloadThenFilter"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM

    def check(self, file: ParsedFile) -> Iterable[Finding]:
        if not _serving(file.kinds, file.path):
            return
        preloads = {call.node.id: call for call in file.outline.calls if _is_preload(call)}
        if not preloads:
            return
        for call in file.outline.calls:
            if call.module != "Enum" or call.name not in _FILTERS or len(call.args) < 2 or call.owner is None:
                continue
            preload = _preloaded(call.args[0], preloads, call)
            if preload is None:
                continue
            associations = names(preload.args[1], call.module_def) if len(preload.args) > 1 else None
            read = _association_field(call.args[-1], associations or ())
            if read is not None:
                association, field = read
                message = (
                    f"`Enum.{call.name}` filters on `{association}.{field}` after preloading `{association}` "
                    f"(line {preload.line}): every {association} is loaded to be filtered in Elixir; a `join` "
                    f"with `where:` lets the database return only the rows wanted"
                )
                fix = (
                    f"from(x in X, join: a in assoc(x, :{association}), where: a.{field} == ^value, "
                    f"preload: [{association}: a])"
                )
                yield self.finding(file.path, file.span(call.node), message, fix=fix)


def _is_preload(call: Call) -> bool:
    return call.name == "preload" and is_repo_call(call)


def _preloaded(collection: Node, preloads: dict[int, Call], call: Call) -> Call | None:
    """The preload call `collection` is the result of: the previous pipe step,
    or a variable assigned from it earlier in the same clause."""
    if collection.type == "call" and collection.id in preloads:
        return preloads[collection.id]
    if collection.type == "binary_operator" and operator(collection) == "|>":
        right = collection.child_by_field_name("right")
        return preloads.get(right.id) if right is not None else None
    if collection.type != "identifier":
        return None
    name = text(collection)
    for candidate in preloads.values():
        assignment = candidate.node.parent
        while assignment is not None and assignment.type == "binary_operator" and operator(assignment) == "|>":
            assignment = assignment.parent
        if (
            candidate.owner is call.owner
            and assignment is not None
            and assignment.type == "binary_operator"
            and operator(assignment) == "="
            and text(assignment.child_by_field_name("left")) == name
            and assignment.end_byte <= call.node.start_byte
        ):
            return candidate
    return None


def _association_field(callback: Node, associations: tuple[str, ...]) -> tuple[str, str] | None:
    """`(author, active)` when the callback reads `x.author.active` for a preloaded `author`."""
    for node in walk(callback):
        if node.type != "call" or arguments(node) or node.child_count != 1:
            continue
        target = node.child_by_field_name("target")
        inner = target.child_by_field_name("left") if target is not None and target.type == "dot" else None
        if inner is None or inner.type != "call":
            continue
        inner_target = inner.child_by_field_name("target")
        if inner_target is None or inner_target.type != "dot":
            continue
        association = text(inner_target.child_by_field_name("right"))
        if association in associations:
            return association, text(target.child_by_field_name("right"))
    return None


# -- associations read without being loaded ----------------------------------------


@register
class AssociationNotLoaded(ProjectRule):
    """An association read from data that was loaded without it.

    ## What it finds

    A field read through an association (`post.author.name`) or an
    association enumerated (`for c <- post.comments`, `Enum.*`, `length/1`,
    HEEx `:for`) where the data provably comes from a query that does not
    preload it:

    - in the same function: `post = Repo.get!(Post, id)`, also through
      project functions that return a query's result (`Blog.get_post!/1`),
      and elements of such a list (`for p <- posts`, `Enum.map(posts, &...)`);
    - in a controller's template: `render(conn, :index, posts: posts)` into
      the `index` template that reads `post.author.name`;
    - in a LiveView's template or `render/1`: any `assign`, `stream` or
      `stream_insert` of the assign it reads, such as a `handle_event/3`
      that reassigns from a query `mount/3` preloaded and it does not.

    Only certain origins are judged: not parameters, `{:ok, post}` patterns,
    `case` branches, variables bound twice, `preload: ^list`, queries with
    `select`, nor code that checks `Ecto.assoc_loaded?/1`. Embeds are
    always loaded and never reported.

    ## Why it matters

    Ecto never lazy-loads. An association that was not preloaded holds an
    `%Ecto.Association.NotLoaded{}`: reading a field through it raises
    `KeyError`, enumerating it raises `Protocol.UndefinedError`. In a
    template the whole page fails with a 500, and only for the code path
    that loaded the data without it.

    ## Example

    ```elixir
    def index(conn, _params) do
      render(conn, :index, posts: Blog.list_posts())  # Repo.all(Post)
    end
    # index.html.heex: <li :for={post <- @posts}>{post.author.name}</li>
    ```

    ## Use instead

    Preload where the data is loaded: `preload: [:author]` in the query,
    `Repo.preload(posts, :author)` before rendering, or a context function
    that returns the posts with their authors (`Blog.list_posts_with_authors/0`).
    """

    id = "Ecto.AssociationNotLoaded"
    severity = Severity.ERROR
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        yield from self._in_functions(project)
        yield from self._in_templates(project)

    def _in_functions(self, project: Project) -> Iterable[Finding]:
        loading = project.ecto.loading
        for path, facts in project.files.items():
            if not facts.loads or not _serving(facts.kinds, path):
                continue
            for function in facts.loads:
                missing: dict[tuple[int, int], list[tuple[AssocRead, Loaded]]] = {}
                for read in function.reads:
                    loaded = loading.loaded(read.origin, path, function.module) if read.origin else None
                    if loaded is not None and not loaded.many and _not_loaded(project, loaded, read.assoc):
                        missing.setdefault((read.origin.line, read.origin.column), []).append((read, loaded))
                for reads in missing.values():
                    yield self._local(path, reads)

    def _local(self, path: str, reads: list[tuple[AssocRead, Loaded]]) -> Finding:
        first, loaded = reads[0]
        assocs = _assoc_list(read for read, _ in reads)
        variable = first.subject.rpartition(".")[0]
        message = (
            f"`{first.subject}` is not loaded: `{variable}` comes from {_origin_phrase(loaded, path)}, which "
            f"does not preload {assocs}. Ecto never lazy-loads, so {_crash(first)}"
        )
        related = [Related(Location.of(path, _read_span(read)), f"also reads `{read.subject}`") for read, _ in reads[1:]]
        return self.finding(path, _read_span(first), message, related=[*related, *_source_related(loaded)],
                            fix=_preload_fix(loaded, assocs, variable))

    def _in_templates(self, project: Project) -> Iterable[Finding]:
        loading = project.ecto.loading
        for page in loading.pages.values():
            for given in page.assigns:
                if not _serving(project.files[given.path].kinds, given.path):
                    continue
                loaded = loading.loaded(given.assign.origin, given.path, given.function.module)
                if loaded is None:
                    continue
                reads = [
                    seen for seen in page.reads
                    if seen.read.assign == given.assign.key and _fits(loaded, given.assign.element, seen.read.element)
                    and _not_loaded(project, loaded, seen.read.assoc)
                ]
                if reads:
                    yield self._given(given, loaded, reads)

    def _given(self, given, loaded: Loaded, reads) -> Finding:
        assign, first = given.assign, reads[0]
        assocs = _assoc_list(seen.read for seen in reads)
        structs = f"a `{_short_name(loaded.schema)}`" if assign.element or not loaded.many else \
            f"`{_short_name(loaded.schema)}` structs"
        message = (
            f"`@{assign.key}` gets {structs} from {_origin_phrase(loaded, given.path)} without {assocs} loaded, "
            f"and the template reads `{_reads(first.read)}` ({first.path}:{first.read.line}). Ecto never "
            f"lazy-loads, so rendering {_crash(first.read, said=True)}"
        )
        related = [Related(Location.of(seen.path, _read_span(seen.read)), f"reads `{_reads(seen.read)}`")
                   for seen in reads]
        span = Span(assign.line, assign.column, assign.end_line, assign.end_column)
        return self.finding(given.path, span, message, related=[*related, *_source_related(loaded)],
                            fix=_preload_fix(loaded, assocs, assign.key.rpartition(".")[2]))


def _not_loaded(project: Project, loaded: Loaded, name: str) -> bool:
    """Whether `name` is an association of the structs (not an embed) that was not preloaded."""
    entry = project.ecto.schemas.get(loaded.schema)
    assoc = next((a for a in entry[1].assocs if a.name == name), None) if entry else None
    return assoc is not None and not assoc.kind.startswith("embeds") and name not in loaded.preloads


def _fits(loaded: Loaded, given_element: bool, read_element: bool) -> bool:
    """Whether a read sees one struct of what was assigned: the assigned struct
    itself, or an element of an assigned list (`p` in `:for={p <- @posts}`)."""
    if given_element:  # stream_insert: one struct of a stream the template iterates
        return read_element and not loaded.many
    return read_element == loaded.many


def _read_span(read: AssocRead) -> Span:
    return Span(read.line, read.column, read.end_line, read.end_column)


def _assoc_list(reads) -> str:
    return ", ".join(f"`:{name}`" for name in dict.fromkeys(read.assoc for read in reads))


def _reads(read: AssocRead) -> str:
    return f"{read.subject}.{read.field}" if read.field else read.subject


def _crash(read: AssocRead, said: bool = False) -> str:
    """What raises: `post.author.name raises KeyError (...)`, or just `raises ...` when the read was named."""
    subject = "" if said else f"`{_reads(read)}` " if read.field else f"enumerating `{read.subject}` "
    error = "KeyError" if read.field else "Protocol.UndefinedError"
    return f"{subject}raises {error} (`{read.subject}` is an %Ecto.Association.NotLoaded{{}})"


def _origin_phrase(loaded: Loaded, path: str) -> str:
    query = loaded.sources[-1]
    where = f"line {query.line}" if query.path == path else f"{query.path}:{query.line}"
    if len(loaded.sources) == 1:
        return f"the query at {where}"
    return f"{loaded.sources[0].label} (its query at {where})"


def _source_related(loaded: Loaded) -> list[Related]:
    query = loaded.sources[-1]
    return [Related(Location.of(query.path, _span(query.line, query.column)), "the query, without the preload")]


def _short_name(module: str) -> str:
    return module.rpartition(".")[2]


def _preload_fix(loaded: Loaded, assocs: str, value: str) -> str:
    query, names = loaded.sources[-1], assocs.replace("`", "")
    owner = f" of {loaded.sources[-2].label}" if len(loaded.sources) > 1 else ""
    return (
        f"Preload where the data is loaded: add `preload: [{names}]` to the query{owner} at {query.path}:{query.line} "
        f"(or pipe its result through `Repo.preload([{names}])`), or `{value} = Repo.preload({value}, [{names}])` "
        f"before it is used."
    )
