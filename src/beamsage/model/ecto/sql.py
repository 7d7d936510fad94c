"""PostgreSQL DDL as migration operations.

Migrations change the database with the Ecto DSL, but also with raw SQL in
`execute "..."`, and a project may keep `priv/repo/structure.sql` (the
`pg_dump --schema-only` file `mix ecto.dump` writes) instead of, or as the
starting point for, its migrations. This module reads that SQL with the real
parser `sqlglot` and turns it into the same `MigrationOp`s the DSL gives, so
the database model is replayed from one kind of fact.

What is understood: CREATE/DROP TABLE, CREATE/DROP INDEX, ALTER INDEX ...
RENAME TO, and the ALTER TABLE actions that change columns, keys, foreign keys,
unique constraints and names. Statements that change no table structure
(functions, triggers, types, sequences, grants, data changes, ...) give no op.
Anything else that may change a table, or that sqlglot cannot read, becomes an
`unknown` op naming the tables it mentions, so the model knows what it cannot
trust. Nothing here raises on bad SQL.

Names follow Postgres folding: unquoted names are lower-cased, quoted ones
keep their case; the `public` schema is the default one (prefix None).

Text kept from the SQL: column types are sqlglot's normalised spelling,
lower-cased (`character varying(255)` and `varchar(255)` both read
"varchar(255)"), so a migration and a dump compare; defaults, index
expressions and WHERE predicates are kept as written, like the DSL keeps
them. `on_delete` uses the DSL's spelling (":delete_all", ...) for the same
reason.

Gaps the op structs impose: `ADD PRIMARY KEY` after the table exists gives
only the unique index Postgres builds for it (an op cannot mark key columns
after create_table); composite foreign keys give nothing (a Reference has one
column); DROP DEFAULT gives a bare modify; VALIDATE CONSTRAINT gives nothing.

sqlglot is imported inside functions: it costs ~100 ms and most files never
need it.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

import msgspec

from beamsage.model.ecto.facts import Change, Column, Index, MigrationOp, Reference

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.tokens import Token

__all__ = ["sql_operations", "structure_operations"]

# Leading words of statements that change no table structure.
_SKIP_FIRST = frozenset({
    "SET", "RESET", "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "WITH", "VALUES", "COMMENT",
    "GRANT", "REVOKE", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE",
    "DO", "REFRESH", "ANALYZE", "ANALYSE", "VACUUM", "REINDEX", "CLUSTER", "NOTIFY", "LISTEN",
    "UNLISTEN", "LOCK", "TRUNCATE", "COPY", "SHOW", "EXPLAIN", "SECURITY", "DISCARD", "CHECKPOINT",
    "PREPARE", "DEALLOCATE", "DECLARE", "FETCH", "CLOSE", "MOVE", "CALL", "EXECUTE", "IMPORT", "LOAD",
    "PERFORM",
})
# Words between CREATE/ALTER/DROP and the kind of object.
_MODIFIERS = frozenset({"OR", "REPLACE", "UNIQUE", "UNLOGGED", "GLOBAL", "LOCAL"})
# First words of ALTER TABLE actions that leave columns, keys and names alone.
_HARMLESS_ACTIONS = frozenset({
    "OWNER", "ENABLE", "DISABLE", "FORCE", "NO", "VALIDATE", "CLUSTER", "REPLICA", "RESET", "INHERIT",
    "ATTACH", "DETACH",
})
# ALTER COLUMN sub-actions the model tracks (the others set statistics, storage, identity...).
_COLUMN_CHANGES = (("TYPE",), ("SET", "DATA"), ("SET", "NOT"), ("DROP", "NOT"), ("SET", "DEFAULT"), ("DROP", "DEFAULT"))
# Postgres referential actions in the DSL's words, as `references(on_delete: ...)` writes them.
_ON_DELETE = {
    "CASCADE": ":delete_all",
    "SET NULL": ":nilify_all",
    "RESTRICT": ":restrict",
    "NO ACTION": ":nothing",
    "SET DEFAULT": ":default_all",
}
# Words that start a column constraint, so end the DEFAULT expression before them.
_CONSTRAINT_WORDS = frozenset({
    "NOT", "NULL", "CONSTRAINT", "CHECK", "UNIQUE", "PRIMARY", "REFERENCES", "GENERATED", "COLLATE",
    "DEFERRABLE", "INITIALLY",
})
# A broken structure.sql is retried paragraph by paragraph, joining at most this many.
_MAX_JOIN = 64


class _Unsupported(Exception):
    """A statement shape this module does not model: it becomes an `unknown` op."""


# -- public API -------------------------------------------------------------------


def sql_operations(sql: str, line: int) -> list[MigrationOp]:
    """The operations of the SQL of one `execute` call starting at source `line`."""
    with _quiet_sqlglot():
        tokens = _try_tokenize(sql)
        if tokens is None:  # an unterminated quote or comment: nothing can be trusted
            return [_unknown(line)]
        ops: list[MigrationOp] = []
        for stmt in _statements(tokens):
            ops.extend(_statement_ops(stmt, sql, line, dump=False))
        return ops


def partly_known_operations(template: str, line: int) -> list[MigrationOp]:
    """SQL built with interpolation (`"CREATE INDEX ... ON events (#{expr})"`, the interpolations already
    replaced): not knowable, but the tables it names are. Each statement makes only those tables uncertain;
    one that names none, or cannot even be split, the whole database."""
    with _quiet_sqlglot():
        tokens = _try_tokenize(template)
        if tokens is None:
            return [_unknown(line)]
        return [_unknown(line, _mentioned_tables(stmt)) for stmt in _statements(tokens)
                if _classify(_words(stmt)) != "skip"]


def structure_operations(text: str) -> tuple[list[tuple[int, MigrationOp]], set[int]]:
    """The operations of a `structure.sql` file, each with the line its statement
    starts on, and the migration versions recorded in `schema_migrations`."""
    newlines = [i for i, char in enumerate(text) if char == "\n"]
    ops: list[tuple[int, MigrationOp]] = []
    versions: set[int] = set()
    with _quiet_sqlglot():
        for offset, chunk, tokens in _dump_units(text):
            if tokens is None:
                line = bisect_left(newlines, offset) + 1
                ops.append((line, _unknown(line)))
                continue
            for stmt in _statements(tokens):
                line = bisect_left(newlines, offset + stmt[0].start) + 1
                if _is_migrations_insert(stmt):
                    versions |= _versions(stmt, chunk)
                else:
                    ops.extend((line, op) for op in _statement_ops(stmt, chunk, line, dump=True))
    return ops, versions


# -- tokens and statements ---------------------------------------------------------


@lru_cache(maxsize=1)
def _dialect() -> Postgres:
    from sqlglot.dialects.postgres import Postgres

    return Postgres()


def _try_tokenize(sql: str) -> list[Token] | None:
    """The tokens, or None when sqlglot's tokenizer gives up (TokenError on an
    unterminated quote, dollar quote or comment, or anything else it raises)."""
    try:
        return _dialect().tokenize(sql)
    except Exception:  # noqa: BLE001 - any failure means the same: no tokens
        return None


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for each statement it falls back to reading as a
    bare command (CREATE EXTENSION, ALTER TABLE ... OWNER TO, ...): noise here."""
    logger = logging.getLogger("sqlglot")
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def _statements(tokens: list[Token]) -> list[list[Token]]:
    """Split at semicolons; the tokenizer already kept quoted, dollar-quoted and
    commented `;` out. psql meta-commands (`\\restrict key`, which recent pg_dump
    writes) run to the end of their line and are dropped."""
    from sqlglot.tokens import TokenType

    statements: list[list[Token]] = []
    current: list[Token] = []
    meta_line = -1
    for token in tokens:
        if token.token_type == TokenType.BACKSLASH and not current:
            meta_line = token.line
        elif token.line == meta_line:
            continue
        elif token.token_type == TokenType.SEMICOLON:
            if current:
                statements.append(current)
            current = []
        else:
            current.append(token)
    if current:
        statements.append(current)
    return statements


def _dump_units(text: str) -> Iterator[tuple[int, str, list[Token] | None]]:
    """(offset, chunk, tokens) covering the file; tokens is None for a chunk that
    cannot be tokenized. Normally one chunk. When a stray quote breaks the
    tokenizer, retry by paragraphs (pg_dump puts a blank line between objects),
    joining the next ones until the chunk tokenizes and ends a statement, so a
    function body with blank lines stays whole."""
    tokens = _try_tokenize(text)
    if tokens is not None:
        yield 0, text, tokens
        return
    from sqlglot.tokens import TokenType

    starts = _paragraph_starts(text)
    ends = [*starts[1:], len(text)]
    i = 0
    while i < len(starts):
        for j in range(i, min(i + _MAX_JOIN, len(starts))):
            chunk = text[starts[i] : ends[j]]
            tokens = _try_tokenize(chunk)
            if tokens is None:
                continue
            if not tokens or tokens[-1].token_type == TokenType.SEMICOLON or j == len(starts) - 1:
                yield starts[i], chunk, tokens
                i = j + 1
                break
        else:
            yield starts[i], text[starts[i] : ends[i]], None
            i += 1


def _paragraph_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n\n")
    while at != -1:
        starts.append(at + 2)
        at = text.find("\n\n", at + 2)
    return starts


def _words(stmt: list[Token], count: int = 8) -> list[str]:
    return [token.text.upper() for token in stmt[:count]]


def _split_top(tokens: list[Token]) -> list[list[Token]]:
    """Split at commas outside parentheses and brackets."""
    from sqlglot.tokens import TokenType

    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        kind = token.token_type
        if kind in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        elif kind == TokenType.COMMA and depth == 0:
            parts.append([])
            continue
        parts[-1].append(token)
    return [part for part in parts if part]


def _source(sql: str, tokens: list[Token]) -> str:
    """The text the tokens were read from, as written."""
    return sql[tokens[0].start : tokens[-1].end + 1]


# -- one statement -------------------------------------------------------------------


def _statement_ops(stmt: list[Token], sql: str, line: int, dump: bool) -> list[MigrationOp]:
    verdict = _classify(_words(stmt))
    if verdict == "skip" or (dump and _is_serial_default(stmt)):
        return []
    if verdict == "unknown":
        return [_unknown(line, _mentioned_tables(stmt))]
    try:
        if _words(stmt, 2) == ["ALTER", "TABLE"] and _harmless_alter(stmt):
            return _validated_constraints(stmt, line)
        if _words(stmt, 2) == ["DROP", "INDEX"]:
            return _drop_indexes(stmt, sql, line)
        return _with_written_defaults(_convert(_parse(stmt, sql), stmt, sql, line), stmt, sql)
    except Exception:  # noqa: BLE001 - sqlglot's ParseError, or a tree shape not foreseen: say so, never raise
        return [_unknown(line, _mentioned_tables(stmt))]


def _classify(words: list[str]) -> str:
    """"parse" for DDL that may change tables, "skip" for what cannot, "unknown"
    for statements not recognised at all."""
    first = words[0]
    if first in ("CREATE", "ALTER", "DROP"):
        rest = [word for word in words[1:] if word not in _MODIFIERS]
        kind = rest[0] if rest else ""
        if kind in ("TABLE", "INDEX"):
            return "parse"
        # DROP SCHEMA ... CASCADE drops its tables; which ones is not written down.
        return "unknown" if (first, kind) == ("DROP", "SCHEMA") else "skip"
    return "skip" if first in _SKIP_FIRST else "unknown"


def _is_serial_default(stmt: list[Token]) -> bool:
    """pg_dump spells `bigserial` as a sequence plus `ALTER TABLE ... ALTER COLUMN
    id SET DEFAULT nextval(...)`: sequence plumbing, skipped like the sequence."""
    words = [token.text.upper() for token in stmt]
    return words[:2] == ["ALTER", "TABLE"] and "NEXTVAL" in words and "," not in words


def _harmless_alter(stmt: list[Token]) -> bool:
    """Whether every action of an ALTER TABLE leaves columns, keys and names alone
    (OWNER TO, ENABLE TRIGGER, SET STATISTICS...). Checked on tokens, before
    parsing, since sqlglot reads most of these only as an opaque command."""
    _, actions = _altered(stmt)
    return bool(actions) and all(_harmless_action(_words(action, 6)) for action in actions)


def _validated_constraints(stmt: list[Token], line: int) -> list[MigrationOp]:
    """`ALTER TABLE t VALIDATE CONSTRAINT c`: the one harmless action the model
    records, since a validated CHECK lets Postgres skip later scans."""
    parts, actions = _altered(stmt)
    if not parts:
        return []
    table, prefix = parts[-1], (parts[0] if len(parts) > 1 and parts[0] != "public" else None)
    ops = []
    for action in actions:
        name = _read_name(action, 2)[0] if _words(action, 2) == ["VALIDATE", "CONSTRAINT"] else None
        if name:
            ops.append(MigrationOp(kind="validate_constraint", line=line, table=table, prefix=prefix, name=name[-1]))
    return ops


def _altered(stmt: list[Token]) -> tuple[list[str], list[list[Token]]]:
    """The table name parts and the actions of `ALTER TABLE [IF EXISTS] [ONLY] name [*] action, ...`."""
    i = 2
    while i < len(stmt) and stmt[i].text.upper() in ("IF", "EXISTS", "ONLY"):
        i += 1
    parts, i = _read_name(stmt, i)
    if i < len(stmt) and stmt[i].text == "*":
        i += 1
    return parts, _split_top(stmt[i:])


def _harmless_action(words: list[str]) -> bool:
    first = words[0]
    if first in _HARMLESS_ACTIONS:
        return True
    if first == "SET":  # SET LOGGED, SET TABLESPACE, SET (fillfactor = 70)... but not SET SCHEMA
        return words[1:2] != ["SCHEMA"]
    if first == "ALTER":
        rest = words[2:] if words[1:2] == ["COLUMN"] else words[1:]
        sub = rest[1:]  # after the column name
        return not any(tuple(sub[: len(change)]) == change for change in _COLUMN_CHANGES)
    return False


def _parse(stmt: list[Token], sql: str) -> exp.Expression:
    from sqlglot.tokens import TokenType

    # sqlglot does not know `CREATE INDEX ... ON ONLY parent`, written by pg_dump
    # for partitioned tables; the index is the same without ONLY.
    tokens = [
        token
        for k, token in enumerate(stmt)
        if not (token.token_type == TokenType.ONLY and k and stmt[k - 1].token_type == TokenType.ON)
    ]
    trees = _dialect().parser().parse(tokens, sql)
    if len(trees) != 1 or trees[0] is None:
        raise _Unsupported
    return trees[0]


def _convert(tree: exp.Expression, stmt: list[Token], sql: str, line: int) -> list[MigrationOp]:
    from sqlglot import exp

    kind = str(tree.args.get("kind") or "").upper()
    if isinstance(tree, exp.Create) and kind == "TABLE":
        return _create_table(tree, line)
    if isinstance(tree, exp.Create) and kind == "INDEX":
        return [_create_index(tree, stmt, sql, line)]
    if isinstance(tree, exp.Drop) and kind == "TABLE":
        return [_drop_table(table, tree, line) for table in tree.args.get("tables") or []]
    if isinstance(tree, exp.Alter) and kind == "TABLE":
        return _alter_table(tree, line)
    if isinstance(tree, exp.Alter) and kind == "INDEX":
        return _alter_index(tree, line)
    raise _Unsupported  # e.g. the opaque command sqlglot falls back to


def _unknown(line: int, tables: tuple[str, ...] = ()) -> MigrationOp:
    return MigrationOp(kind="unknown", line=line, tables=tables)


# -- names ---------------------------------------------------------------------------


def _ident(node: exp.Expression) -> str:
    """A name as Postgres stores it: unquoted names fold to lower case."""
    from sqlglot import exp

    if isinstance(node, (exp.Column, exp.Table)) and isinstance(node.this, exp.Identifier):
        node = node.this
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    return node.name.lower()


def _table(node: exp.Expression) -> tuple[str, str | None]:
    """(name, prefix) of a table reference; `public` is the default schema."""
    schema = node.args.get("db")
    prefix = _ident(schema) if schema else None
    return _ident(node), (None if prefix == "public" else prefix)


def _is_name(token: Token) -> bool:
    from sqlglot.tokens import TokenType

    if token.token_type == TokenType.IDENTIFIER:
        return True
    literal = token.token_type in (TokenType.STRING, TokenType.NUMBER, TokenType.HEREDOC_STRING)
    return not literal and (token.text[:1].isalpha() or token.text[:1] == "_")


def _read_name(stmt: list[Token], i: int) -> tuple[list[str], int]:
    """The parts of a dotted name starting at token i, and the index after it."""
    from sqlglot.tokens import TokenType

    parts: list[str] = []
    while i < len(stmt) and _is_name(stmt[i]):
        token = stmt[i]
        parts.append(token.text if token.token_type == TokenType.IDENTIFIER else token.text.lower())
        i += 1
        if i < len(stmt) and stmt[i].token_type == TokenType.DOT:
            i += 1
        else:
            break
    return parts, i


def _mentioned_tables(stmt: list[Token]) -> tuple[str, ...]:
    """Best effort, from tokens alone (the statement may not parse): the names
    after TABLE, REFERENCES, LIKE, PARTITION OF, and ON in index statements."""
    from sqlglot.tokens import TokenType

    index_statement = "INDEX" in _words(stmt, 4)
    names: list[str] = []
    for k, token in enumerate(stmt):
        word = token.text.upper() if token.token_type != TokenType.IDENTIFIER else ""
        if word in ("TABLE", "REFERENCES", "LIKE", "OF") or (word == "ON" and index_statement):
            i = k + 1
            while i < len(stmt) and stmt[i].text.upper() in ("IF", "NOT", "EXISTS", "ONLY"):
                i += 1
            parts, _ = _read_name(stmt, i)
            if parts and parts[-1] not in names:
                names.append(parts[-1])
    return tuple(names)


def _default_name(table: str, parts: list[str], suffix: str) -> str:
    """The name Postgres gives an unnamed index or constraint (without its
    truncation to 63 bytes)."""
    return "_".join([table, *parts, suffix])


# -- SQL text ---------------------------------------------------------------------------


def _sql(node: exp.Expression) -> str:
    return node.sql(dialect="postgres", normalize_functions="lower")


def _type(node: exp.Expression) -> str:
    return _sql(node).lower().removeprefix("public.")


def _on_delete(options: list) -> str | None:
    for option in options:
        text = str(option).upper()
        if text.startswith("ON DELETE "):
            action = text.removeprefix("ON DELETE ")
            return _ON_DELETE.get(action, action.lower())
    return None


def _with_written_defaults(ops: list[MigrationOp], stmt: list[Token], sql: str) -> list[MigrationOp]:
    """Put back each column default as written (`now()`, `'{}'::jsonb`), where
    sqlglot would respell it (`CURRENT_TIMESTAMP`, `CAST('{}' AS JSONB)`). The
    ops list their defaults in the order the statement writes them; when the
    token reading finds another count, sqlglot's spelling stays."""
    written = _default_texts(stmt, sql)
    found = sum(change.column.default is not None for op in ops for change in op.changes)
    if not found or found != len(written):
        return ops
    texts = iter(written)
    return [
        msgspec.structs.replace(op, changes=tuple(_written_default(change, texts) for change in op.changes))
        if op.changes
        else op
        for op in ops
    ]


def _written_default(change: Change, texts: Iterator[str]) -> Change:
    if change.column.default is None:
        return change
    return Change(change.action, msgspec.structs.replace(change.column, default=next(texts)))


def _default_texts(stmt: list[Token], sql: str) -> list[str]:
    """The source of every `DEFAULT expr` in a statement. Not DROP DEFAULT,
    GENERATED BY DEFAULT nor ON DELETE SET DEFAULT, which have no expression."""
    from sqlglot.tokens import TokenType

    texts = []
    for k, token in enumerate(stmt[:-1]):
        before = stmt[k - 1].text.upper() if k else ""
        two_before = stmt[k - 2].text.upper() if k > 1 else ""
        if token.token_type != TokenType.DEFAULT or before in ("DROP", "BY") or two_before in ("DELETE", "UPDATE"):
            continue
        texts.append(_source(sql, stmt[k + 1 : _expression_end(stmt, k + 1)]))
    return texts


def _expression_end(stmt: list[Token], start: int) -> int:
    """Where a default expression ends: at a comma or closing parenthesis of the
    enclosing list, or at the next column constraint (a default is a `b_expr`
    in Postgres's grammar: a bare NOT, NULL, ... after it starts a constraint)."""
    from sqlglot.tokens import TokenType

    depth = 0
    for k in range(start, len(stmt)):
        kind = stmt[k].token_type
        if kind in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET):
            if depth == 0:
                return k
            depth -= 1
        elif depth == 0 and k > start and (kind == TokenType.COMMA or stmt[k].text.upper() in _CONSTRAINT_WORDS):
            return k
    return len(stmt)


# -- columns and constraints ----------------------------------------------------------------


def _reference(node: exp.Expression, validate: bool = True) -> Reference:
    from sqlglot import exp

    target = node.this
    columns = target.expressions if isinstance(target, exp.Schema) else []
    table, prefix = _table(target.this if isinstance(target, exp.Schema) else target)
    return Reference(
        table=table,
        column=_ident(columns[0]) if columns else "id",  # Postgres: the referenced primary key
        on_delete=_on_delete(node.args.get("options") or []),
        prefix=prefix,
        validate=validate,
    )


def _column(node: exp.Expression, line: int) -> tuple[Column, bool]:
    """A column definition, and whether it is declared UNIQUE."""
    from sqlglot import exp

    kind = node.args.get("kind")
    fields: dict = {"type": _type(kind) if kind else None}
    unique = False
    for constraint in node.args.get("constraints") or []:
        rule = constraint.args.get("kind")
        if isinstance(rule, exp.NotNullColumnConstraint):
            fields["null"] = bool(rule.args.get("allow_null"))  # NULL / NOT NULL
        elif isinstance(rule, exp.PrimaryKeyColumnConstraint):
            fields.update(primary_key=True, null=False)
        elif isinstance(rule, exp.DefaultColumnConstraint):
            fields["default"] = _sql(rule.this)
        elif isinstance(rule, exp.Reference):
            fields["references"] = _reference(rule)
        elif isinstance(rule, exp.UniqueColumnConstraint):
            unique = True
        elif isinstance(rule, (exp.ComputedColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)):
            fields["generated"] = True
    return Column(_ident(node.this), line, **fields), unique


def _table_constraints(node: exp.Expression) -> Iterator[tuple[str | None, exp.Expression]]:
    """(name, constraint) of a table constraint, `CONSTRAINT name ...` or bare."""
    from sqlglot import exp

    if isinstance(node, exp.Constraint):
        for inner in node.expressions:
            yield _ident(node.this), inner
    else:
        yield None, node


def _constraint(node: exp.Expression) -> tuple[str, list[str], Reference | None]:
    """("pk" | "unique" | "fk" | "ignore", columns, reference) of a table constraint."""
    from sqlglot import exp

    if isinstance(node, exp.PrimaryKey):
        return "pk", [_ident(c) for c in node.expressions], None
    if isinstance(node, exp.UniqueColumnConstraint) and node.this is not None:
        return "unique", [_ident(c) for c in node.this.expressions], None
    if isinstance(node, exp.ForeignKey):
        return "fk", [_ident(c) for c in node.expressions], _reference(node.args["reference"])
    if isinstance(node, exp.CheckColumnConstraint):
        return "check", [], None
    if isinstance(node, exp.ExcludeColumnConstraint):
        return "ignore", [], None  # no column, key or unique index the model tracks
    raise _Unsupported


def _unique_index(
    table: str, prefix: str | None, columns: list[str], name: str | None, suffix: str, line: int
) -> MigrationOp:
    """The unique index Postgres builds behind a UNIQUE or PRIMARY KEY constraint."""
    name = name or _default_name(table, [] if suffix == "pkey" else columns, suffix)
    index = Index(table, tuple(columns), name, line, unique=True, prefix=prefix)
    return MigrationOp(kind="create_index", line=line, table=table, prefix=prefix, index=index)


# -- CREATE TABLE ------------------------------------------------------------------------------


def _create_table(tree: exp.Expression, line: int) -> list[MigrationOp]:
    """create_table with every column, then one create_index per UNIQUE
    constraint. One-column foreign keys and the primary key written as table
    constraints are folded into their columns."""
    from sqlglot import exp

    schema = tree.this
    if not isinstance(schema, exp.Schema) or tree.args.get("expression"):
        raise _Unsupported  # CREATE TABLE ... AS SELECT, PARTITION OF: columns not written
    table, prefix = _table(schema.this)
    columns: dict[str, Column] = {}
    primary_key: list[str] = []
    indexes: list[MigrationOp] = []
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            column, unique = _column(item, line)
            columns[column.name] = column
            primary_key += [column.name] if column.primary_key else []
            if unique:
                indexes.append(_unique_index(table, prefix, [column.name], None, "key", line))
            continue
        for name, constraint in _table_constraints(item):
            kind, names, reference = _constraint(constraint)
            if kind == "pk":
                primary_key += names
            elif kind == "unique":
                indexes.append(_unique_index(table, prefix, names, name, "key", line))
            elif kind == "fk" and len(names) == 1 and names[0] in columns:
                columns[names[0]] = msgspec.structs.replace(columns[names[0]], references=reference)
    for key in primary_key:
        if key in columns:
            columns[key] = msgspec.structs.replace(columns[key], primary_key=True, null=False)
    properties = tree.args.get("properties")
    inherits = properties is not None and any(
        isinstance(prop, exp.InheritsProperty) for prop in properties.expressions)
    op = MigrationOp(
        kind="create_table",
        line=line,
        table=table,
        prefix=prefix,
        if_exists=bool(tree.args.get("exists")),
        changes=tuple(Change("add", column) for column in columns.values()),
        primary_key=tuple(primary_key),
        opaque=inherits,  # INHERITS: the parent's columns too
    )
    return [op, *indexes]


# -- CREATE INDEX -------------------------------------------------------------------------------


def _create_index(tree: exp.Expression, stmt: list[Token], sql: str, line: int) -> MigrationOp:
    index = tree.this
    table, prefix = _table(index.args["table"])
    params = index.args.get("params")
    nodes = params.args.get("columns") or []
    written = _index_column_texts(stmt, sql)
    if len(written) != len(nodes):  # our token reading disagrees with sqlglot's: trust sqlglot
        written = [_sql(node) for node in nodes]
    using = params.args.get("using")
    name = _ident(index.this) if index.this else _default_name(table, [_name_part(n) for n in nodes], "idx")
    facts = Index(
        table=table,
        columns=tuple(_index_column(node, text) for node, text in zip(nodes, written)),
        name=name,
        line=line,
        unique=bool(tree.args.get("unique")),
        where=_where_text(params.args.get("where"), stmt, sql),
        using=using.name.lower() if using else None,
        concurrently=bool(tree.args.get("concurrently")),
        prefix=prefix,
    )
    return MigrationOp(
        kind="create_index",
        line=line,
        table=table,
        prefix=prefix,
        if_exists=bool(tree.args.get("exists")),
        index=facts,
    )


def _index_column(node: exp.Expression, written: str) -> str:
    """A plain column reads as its name, `col opclass` as "col opclass" (without
    the `public.` pg_dump adds), anything else as written."""
    from sqlglot import exp

    if isinstance(node, exp.Ordered) and not node.args.get("desc") and not node.args.get("nulls_first"):
        node = node.this
    if isinstance(node, exp.Column) and not node.table:
        return _ident(node)
    if isinstance(node, exp.Opclass) and isinstance(node.this, exp.Column) and not node.this.table:
        opclass, schema = _table(node.expression)
        return f"{_ident(node.this)} {schema + '.' if schema else ''}{opclass}"
    return written


def _name_part(node: exp.Expression) -> str:
    """What Postgres puts in an unnamed index's name for one of its columns."""
    from sqlglot import exp

    while isinstance(node, (exp.Ordered, exp.Opclass)):
        node = node.this
    if isinstance(node, exp.Column):
        return _ident(node)
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return "expr"


def _index_column_texts(stmt: list[Token], sql: str) -> list[str]:
    """The index columns as written: the parenthesised list after `ON table`."""
    from sqlglot.tokens import TokenType

    on = next((k for k, token in enumerate(stmt) if token.token_type == TokenType.ON), None)
    if on is None:
        return []
    opening = next((k for k in range(on, len(stmt)) if stmt[k].token_type == TokenType.L_PAREN), None)
    closing = _closing_paren(stmt, opening) if opening is not None else None
    if closing is None:
        return []
    return [_source(sql, part) for part in _split_top(stmt[opening + 1 : closing])]


def _closing_paren(stmt: list[Token], opening: int) -> int | None:
    from sqlglot.tokens import TokenType

    depth = 0
    for k in range(opening, len(stmt)):
        if stmt[k].token_type == TokenType.L_PAREN:
            depth += 1
        elif stmt[k].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return k
    return None


def _where_text(where: exp.Expression | None, stmt: list[Token], sql: str) -> str | None:
    """The predicate of a partial index as written, without the parentheses
    pg_dump wraps it in. WHERE ends the statement in Postgres's grammar."""
    from sqlglot import exp
    from sqlglot.tokens import TokenType

    if where is None:
        return None
    at = max((k for k, token in enumerate(stmt) if token.token_type == TokenType.WHERE), default=None)
    body = stmt[at + 1 :] if at is not None else []
    if len(body) > 2 and isinstance(where.this, exp.Paren) and _closing_paren(body, 0) == len(body) - 1:
        body = body[1:-1]
    return _source(sql, body) if body else _sql(where.this)


# -- DROP ----------------------------------------------------------------------------------------


def _drop_table(node: exp.Expression, tree: exp.Expression, line: int) -> MigrationOp:
    table, prefix = _table(node)
    return MigrationOp(kind="drop_table", line=line, table=table, prefix=prefix, if_exists=bool(tree.args.get("exists")))


def _drop_indexes(stmt: list[Token], sql: str, line: int) -> list[MigrationOp]:
    """One drop_index per name. sqlglot reads one name only, so each further
    name is parsed as `DROP INDEX name` on its own."""
    parts = _split_top(stmt)
    trees = [_parse(parts[0], sql)] + [_parse(stmt[:2] + part, sql) for part in parts[1:]]
    if_exists = bool(trees[0].args.get("exists"))
    concurrently = bool(trees[0].args.get("concurrently"))
    ops = []
    for tree in trees:
        for node in tree.args.get("tables") or []:
            name, prefix = _table(node)
            ops.append(MigrationOp(kind="drop_index", line=line, prefix=prefix, if_exists=if_exists, name=name,
                                   concurrently=concurrently))
    return ops


# -- ALTER ----------------------------------------------------------------------------------------


def _alter_index(tree: exp.Expression, line: int) -> list[MigrationOp]:
    """Only RENAME TO matters to the model; SET TABLESPACE, ATTACH PARTITION... do not."""
    from sqlglot import exp

    old, prefix = _table(tree.this)
    return [
        MigrationOp(kind="rename_index", line=line, prefix=prefix, name=_table(action.this)[0], column=old)
        for action in tree.args.get("actions") or []
        if isinstance(action, exp.AlterRename)
    ]


def _alter_table(tree: exp.Expression, line: int) -> list[MigrationOp]:
    """Column changes gather into alter_table ops; other actions (renames,
    constraints) become their own ops, in the order written."""
    from sqlglot import exp

    table, prefix = _table(tree.this)
    if_exists = bool(tree.args.get("exists"))
    validate = not tree.args.get("not_valid")
    # `RENAME old TO new` without COLUMN: sqlglot reads a table rename whose
    # target is `old`, and keeps `TO new` apart.
    column_to = next((o for o in tree.args.get("options") or [] if isinstance(o, exp.ToTableProperty)), None)
    if column_to is not None:
        actions = tree.args.get("actions") or []
        if len(actions) != 1 or not isinstance(actions[0], exp.AlterRename):
            raise _Unsupported
        old, new = _table(actions[0].this)[0], _table(column_to.this)[0]
        return [MigrationOp(kind="rename_column", line=line, table=table, prefix=prefix, column=old, name=new)]
    ops: list[MigrationOp] = []
    changes: list[Change] = []
    for action in tree.args.get("actions") or []:
        new_changes, new_ops = _alter_action(action, table, prefix, line, validate)
        changes += new_changes
        if new_ops and changes:
            ops.append(_alter_op(table, prefix, if_exists, changes, line))
            changes = []
        ops += new_ops
    if changes:
        ops.append(_alter_op(table, prefix, if_exists, changes, line))
    return ops


def _alter_op(table: str, prefix: str | None, if_exists: bool, changes: list[Change], line: int) -> MigrationOp:
    return MigrationOp(
        kind="alter_table", line=line, table=table, prefix=prefix, if_exists=if_exists, changes=tuple(changes)
    )


def _alter_action(
    action: exp.Expression, table: str, prefix: str | None, line: int, validate: bool
) -> tuple[list[Change], list[MigrationOp]]:
    """(column changes, other ops) of one ALTER TABLE action."""
    from sqlglot import exp

    same = {"line": line, "table": table, "prefix": prefix}
    if isinstance(action, exp.ColumnDef):
        column, unique = _column(action, line)
        change = Change("add_if_not_exists" if action.args.get("exists") else "add", column)
        return [change], [_unique_index(table, prefix, [column.name], None, "key", line)] if unique else []
    if isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "COLUMN":
        verb = "remove_if_exists" if action.args.get("exists") else "remove"
        return [Change(verb, Column(_ident(node), line)) for node in action.args.get("tables") or []], []
    if isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "CONSTRAINT":
        if_exists = bool(action.args.get("exists"))
        nodes = action.args.get("tables") or []
        return [], [MigrationOp(kind="drop_constraint", if_exists=if_exists, name=_ident(n), **same) for n in nodes]
    if isinstance(action, exp.AlterColumn):
        return [Change("modify", _modified_column(action, line))], []
    if isinstance(action, exp.RenameColumn):
        old, new = _ident(action.this), _ident(action.args["to"])
        return [], [MigrationOp(kind="rename_column", column=old, name=new, **same)]
    if isinstance(action, exp.AlterRename):
        return [], [MigrationOp(kind="rename_table", name=_table(action.this)[0], **same)]
    if isinstance(action, exp.AddConstraint):
        return _added_constraints(action, table, prefix, line, validate)
    return [], [_unknown(line, (table,))]


def _modified_column(action: exp.Expression, line: int) -> Column:
    """ALTER COLUMN: TYPE, SET/DROP NOT NULL, SET DEFAULT. DROP DEFAULT gives a
    bare modify: Column has no way to say "no default any more"."""
    dtype, default, allow_null = (action.args.get(key) for key in ("dtype", "default", "allow_null"))
    if dtype is None and default is None and allow_null is None and not action.args.get("drop"):
        raise _Unsupported  # some ALTER COLUMN form sqlglot reads but we do not model
    return Column(
        _ident(action.this),
        line,
        type=_type(dtype) if dtype is not None else None,
        null=bool(allow_null) if allow_null is not None else None,
        default=_sql(default) if default is not None else None,
    )


def _added_constraints(
    action: exp.Expression, table: str, prefix: str | None, line: int, validate: bool
) -> tuple[list[Change], list[MigrationOp]]:
    """ADD CONSTRAINT. A UNIQUE or PRIMARY KEY constraint becomes the unique
    index Postgres builds for it (a primary key added this way sets nothing
    else: no op can mark columns as the key after create_table). A one-column
    FOREIGN KEY becomes a modify of its column with the reference, a named
    CHECK a create_constraint."""
    same = {"line": line, "table": table, "prefix": prefix}
    changes: list[Change] = []
    ops: list[MigrationOp] = []
    for node in action.expressions:
        for name, constraint in _table_constraints(node):
            kind, columns, reference = _constraint(constraint)
            if kind == "pk":
                ops.append(_unique_index(table, prefix, columns, name, "pkey", line))
            elif kind == "unique":
                ops.append(_unique_index(table, prefix, columns, name, "key", line))
            elif kind == "fk" and len(columns) == 1:
                reference = msgspec.structs.replace(reference, validate=validate)
                changes.append(Change("modify", Column(columns[0], line, references=reference)))
            elif kind == "check" and name:
                check = _sql(constraint.this)
                ops.append(MigrationOp(kind="create_constraint", name=name, check=check, validate=validate, **same))
    return changes, ops


# -- schema_migrations -------------------------------------------------------------------------------


def _is_migrations_insert(stmt: list[Token]) -> bool:
    words = _words(stmt, 6)
    return words[:2] == ["INSERT", "INTO"] and "SCHEMA_MIGRATIONS" in words


def _versions(stmt: list[Token], sql: str) -> set[int]:
    """The versions of `INSERT INTO schema_migrations (version) VALUES (1), (2)`,
    also one row per INSERT and string versions, as older dumps write them."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = _parse(stmt, sql)
    except (SqlglotError, _Unsupported):
        return set()
    target = tree.this
    names = [_ident(c) for c in target.expressions] if isinstance(target, exp.Schema) else []
    at = names.index("version") if "version" in names else 0
    values = tree.expression
    versions = set()
    for row in values.expressions if isinstance(values, exp.Values) else []:
        items = row.expressions if isinstance(row, exp.Tuple) else [row]
        value = items[at] if at < len(items) else None
        if isinstance(value, exp.Literal) and value.name.isdigit():
            versions.add(int(value.name))
    return versions
