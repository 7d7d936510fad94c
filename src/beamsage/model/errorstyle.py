"""How the code that ships handles errors: tagged tuples and `with`, or exceptions.

Counted per file under `lib/` (not tests, config or migrations), summed for
the map's conventions:

- tagged tuples: `{:error, ...}` tuples written in the code (returned or
  matched), and `with` expressions that chain `{:ok, _}` steps;
- exceptions: `raise`/`reraise` outside bang functions (a `get!` raising is
  the idiom's other half, not a style of its own), `try ... rescue`, and the
  exception modules the project defines (`defexception`);
- bang functions (`def fetch!`), the convention's companion, counted apart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import msgspec


if TYPE_CHECKING:
    from .parsed import ParsedFile

_NOT_SHIPPED = frozenset({"test", "test_support", "config", "mix", "migration", "template"})
_ERROR_TUPLE_TEXT = re.compile(rb"\{\s*:error\b")


class ErrorStyle(msgspec.Struct, frozen=True, gc=False, array_like=True):
    error_tuples: int = 0
    withs: int = 0
    raises: int = 0  # outside bang functions
    rescues: int = 0
    bang_functions: int = 0
    exceptions: tuple[str, ...] = ()  # modules that `defexception`


def error_style(file: ParsedFile) -> ErrorStyle | None:
    if file.tree is None or file.doc.language.value != "elixir" or "lib" not in file.kinds or file.kinds & _NOT_SHIPPED:
        return None
    calls = file.outline.calls
    raises = sum(1 for c in calls if c.module is None and c.name in ("raise", "reraise")
                 and not (c.owner is not None and c.owner.name.endswith("!")))
    rescues = sum(1 for c in calls if c.module is None and c.name == "try"
                  and (b"rescue" in (code := c.node.text or b"") or b"catch" in code))
    style = ErrorStyle(
        error_tuples=_error_tuples(file),
        withs=sum(1 for c in calls if c.module is None and c.name == "with"),
        raises=raises,
        rescues=rescues,
        bang_functions=len({(c.name, c.arity) for c in file.outline.clauses
                            if c.kind == "def" and c.name.endswith("!")}),
        exceptions=tuple(c.module_def.name for c in calls
                         if c.module is None and c.name == "defexception" and c.module_def is not None),
    )
    return style if style != ErrorStyle() else None


def _error_tuples(file: ParsedFile) -> int:
    """`{:error, ...}` tuples in code: each textual match whose `{` opens a tuple node (not a string or comment).
    Cheaper than a tree query over every file."""
    root = file.tree.root_node
    count = 0
    for match in _ERROR_TUPLE_TEXT.finditer(file.doc.data):
        brace = root.descendant_for_byte_range(match.start(), match.start() + 1)
        count += brace is not None and brace.parent is not None and brace.parent.type == "tuple"
    return count


def verdict(tagged: int, exceptions: int) -> str:
    """The dominant style: one side at least twice the other, else mixed."""
    if tagged == exceptions == 0:
        return "none seen"
    if tagged >= 2 * exceptions:
        return "tagged tuples"
    if exceptions >= 2 * tagged:
        return "exceptions"
    return "mixed"

