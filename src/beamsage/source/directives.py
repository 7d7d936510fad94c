"""Suppression comments: `beamsage:disable-next-line`, `-line` and `-file`.

    # beamsage:disable-next-line Security.UnsafeAtomConversion
    String.to_atom(name)   # beamsage:disable-line Security, Ecto.NPlusOne
    <%# beamsage:disable-next-line Security.XSS %>

This module only reads the comments; which names are real rules is the
engine's business (an unknown name becomes a finding of its own).
"""

from __future__ import annotations

import re
from bisect import bisect_right

import msgspec

_DIRECTIVE = re.compile(r"beamsage:(disable-next-line|disable-line|disable-file)\b(.*)")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?$")


class Directive(msgspec.Struct, frozen=True, gc=False):
    """A suppression: `rules` are silenced on `target_line` (0: the whole file)."""

    kind: str  # "disable-next-line" | "disable-line" | "disable-file"
    line: int  # where the comment is
    column: int
    target_line: int
    rules: tuple[str, ...]
    malformed: tuple[str, ...] = ()  # words after the directive that are not rule names


def parse_directive(comment: str, line: int, column: int, code_lines: list[int]) -> Directive | None:
    """Read one comment's text (markers removed or not); None if it holds no directive.

    `code_lines` is the sorted list of lines that hold code, used to find the
    line a `disable-next-line` applies to (the next line of code, skipping
    blank and comment-only lines).
    """
    match = _DIRECTIVE.search(comment)
    if match is None:
        return None
    kind, rest = match.groups()
    rest = re.split(r"--%>|-->|%>", rest, maxsplit=1)[0]
    words = [w for w in re.split(r"[\s,]+", rest) if w]
    # A directive may carry an explanation after ` -- `: `# beamsage:disable-line X -- reason`.
    if "--" in words:
        words = words[: words.index("--")]
    rules = tuple(w for w in words if _NAME.match(w))
    malformed = tuple(w for w in words if not _NAME.match(w))
    if kind == "disable-file":
        target = 0
    elif kind == "disable-line":
        target = line
    else:
        after = bisect_right(code_lines, line)
        target = code_lines[after] if after < len(code_lines) else line + 1
    return Directive(kind, line, column, target, rules, malformed)
