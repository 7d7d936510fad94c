"""Column types as Postgres stores them, and what changing one costs.

A migration writes types in Ecto's words (`:string`, `:utc_datetime`,
`{:array, :integer}`, with `size:`/`precision:`/`scale:`); `execute` SQL
and `structure.sql` in Postgres's (`varchar(255)`, `timestamp(0) without
time zone`). Both become one `PgType`, so a `modify` can be compared with
the column it changes, the way the Ecto Postgres adapter would emit it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Ecto type -> Postgres type, as ecto_sql's Postgres adapter emits it.
_ECTO = {
    "id": "integer", "serial": "integer", "bigserial": "bigint", "identity": "bigint",
    "binary_id": "uuid", "string": "varchar", "binary": "bytea", "map": "jsonb",
    "time_usec": "time", "utc_datetime_usec": "timestamp", "naive_datetime_usec": "timestamp",
    "utc_datetime": "timestamp", "naive_datetime": "timestamp", "time": "time",
    "decimal": "numeric", "duration": "interval", "float": "double precision",
}
# The types the adapter writes with precision 0: second precision.
_SECONDS = frozenset({"utc_datetime", "naive_datetime", "time"})
# Postgres spellings -> one name.
_ALIASES = {
    "character varying": "varchar", "character": "char", "int": "integer", "int4": "integer",
    "int8": "bigint", "int2": "smallint", "serial4": "integer", "serial8": "bigint", "serial": "integer",
    "bigserial": "bigint", "smallserial": "smallint", "decimal": "numeric", "bool": "boolean",
    "float8": "double precision", "double": "double precision", "float": "double precision",
    "float4": "real", "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
    "time without time zone": "time", "time with time zone": "timetz",
}
# Types whose modifier is a precision that defaults to 6 (microseconds).
_TIMES = frozenset({"timestamp", "timestamptz", "time", "timetz"})
_MODIFIER = re.compile(r"\(([\d,\s]*)\)")


class PgType(NamedTuple):
    base: str  # "varchar", "numeric", "timestamp", "integer[]"...
    size: int | None = None  # varchar length, numeric precision, time precision; None: unbounded
    scale: int | None = None


def pg_type(written: str | None, size: int | None = None, precision: int | None = None,
            scale: int | None = None) -> PgType | None:
    """The Postgres type of a column declared as `written` (Ecto or SQL), or
    None when it cannot be known from the source."""
    if not written:
        return None
    written = written.strip()
    array = re.fullmatch(r"\{\s*:array\s*,\s*(.+)\}", written)
    if array:
        inner = pg_type(array.group(1), size, precision, scale)
        return inner._replace(base=inner.base + "[]") if inner else None
    if written.startswith("{:map"):
        return PgType("jsonb")
    if written.startswith(":"):
        return _ecto(written[1:].strip('"'), size, precision, scale)
    return _sql(written.lower())


def _ecto(name: str, size: int | None, precision: int | None, scale: int | None) -> PgType:
    base = _ECTO.get(name) or _ALIASES.get(name, name)  # other atoms are Postgres names: `:bool`, `:int8`
    if size is not None:
        return PgType(base, size)
    if precision is not None:
        return PgType(base, precision, scale or 0)
    if name == "string":
        return PgType("varchar", 255)
    if name in _SECONDS:
        return PgType(base, 0)
    return PgType(base, 6 if base in _TIMES else None)


def _sql(written: str) -> PgType | None:
    """`varchar(255)`, `timestamp(0) without time zone`, `integer[]`."""
    written = written.removeprefix("public.")
    array = ""
    while written.endswith("[]"):
        written, array = written[:-2].rstrip(), array + "[]"
    modifier = _MODIFIER.search(written)
    args = modifier.group(1) if modifier else ""
    base = " ".join((_MODIFIER.sub(" ", written)).split())
    if not re.fullmatch(r"[a-z_][a-z0-9_ ]*", base):
        return None
    base = _ALIASES.get(base, base)
    numbers = [int(n) for n in args.replace(" ", "").split(",") if n]
    size = numbers[0] if numbers else (6 if base in _TIMES else None)
    scale = numbers[1] if len(numbers) > 1 else (0 if base == "numeric" and numbers else None)
    return PgType(base + array, size, scale)


def change_cost(old: PgType, new: PgType, indexed: bool = False) -> str:
    """What `ALTER COLUMN ... TYPE new` costs on a column of type `old`
    (`indexed`: an index uses the column):

    - "none": the same type;
    - "metadata": Postgres changes the catalog only (a longer or unbounded
      varchar, varchar to text, a wider numeric precision, a finer time
      precision, text to citext and back);
    - "reindex": text to citext or back on an indexed column: no row is
      rewritten, but the column's indexes are rebuilt (new operator class);
    - "timezone": timestamp to timestamptz, free only when the session time
      zone is UTC (Postgres 12+);
    - "rewrite": every row is rewritten and every index rebuilt, under an
      ACCESS EXCLUSIVE lock.
    """
    if old == new:
        return "none"
    if _wider(old, new):
        return "reindex" if indexed and "citext" in (old.base, new.base) else "metadata"
    if (old.base, new.base) == ("timestamp", "timestamptz") and (new.size or 6) >= (old.size or 6):
        return "timezone"
    return "rewrite"


def _wider(old: PgType, new: PgType) -> bool:
    texts = {"varchar", "text", "citext"}
    if old.base in texts and new.base in texts:
        if new.base == "varchar":  # only a longer varchar, or an unbounded one
            return new.size is None or (old.base == "varchar" and old.size is not None and new.size >= old.size)
        return True  # binary-coercible casts: to text, to citext
    if old.base != new.base:
        return False
    if old.base == "numeric":
        return new.size is None or (old.size is not None and new.size >= old.size and new.scale == old.scale)
    if old.base in _TIMES:
        return (new.size or 0) >= (old.size or 0)
    return False


def describe(kind: PgType) -> str:
    """`varchar(255)`, `numeric(10,2)`, `timestamp(0)`, `text`."""
    if kind.size is None:
        return kind.base
    inner = f"{kind.size},{kind.scale}" if kind.scale is not None else str(kind.size)
    if kind.base.endswith("[]"):
        return f"{kind.base[:-2]}({inner})[]"
    return f"{kind.base}({inner})"
