"""A source file's bytes, its language, and positions inside it.

Everything else reports places as 1-based lines and 1-based character columns
(what editors and SARIF consumers show); tree-sitter speaks in 0-based rows
and byte columns. `Document` converts between the two.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from enum import Enum

import msgspec


class Language(str, Enum):
    ELIXIR = "elixir"
    HEEX = "heex"
    EEX = "eex"


_EXTENSIONS = {
    ".ex": Language.ELIXIR,
    ".exs": Language.ELIXIR,
    ".heex": Language.HEEX,
    ".eex": Language.EEX,
    ".leex": Language.EEX,
}

SOURCE_SUFFIXES = tuple(_EXTENSIONS)


def language_for(path: str) -> Language | None:
    """The language a path holds, judged by its last suffix (`x.html.heex` is HEEx)."""
    dot = path.rfind(".")
    return _EXTENSIONS.get(path[dot:]) if dot >= 0 else None


class Span(msgspec.Struct, frozen=True, gc=False):
    """A place in a file: 1-based lines, 1-based character columns, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


class SourceProblem(Exception):
    """The file cannot be read as source; `kind` names which check it failed."""

    def __init__(self, kind: str, message: str, span: Span | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.span = span or Span(1, 1, 1, 1)


def decode_source(data: bytes) -> str:
    """Decode a source file, or raise `SourceProblem` for binary, non-UTF-8 or empty input."""
    if b"\0" in data[:8192]:
        raise SourceProblem("binary", "file holds binary data (a NUL byte), not source text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise SourceProblem(
            "encoding",
            f"file is not valid UTF-8 (byte 0x{data[err.start]:02x} at line {line}, column {column})",
            Span(line, column, line, column + 1),
        ) from None
    if not text.strip():
        raise SourceProblem("empty", "file is empty")
    return text


@dataclass
class Document:
    """One source file's content, addressed by its path relative to the project root."""

    path: str
    data: bytes
    language: Language
    _line_starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        find = self.data.find
        pos = find(b"\n")
        while pos >= 0:
            starts.append(pos + 1)
            pos = find(b"\n", pos + 1)
        self._line_starts = starts

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line ending."""
        if not 1 <= line <= len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.data)
        return self.data[start:end].decode("utf-8", "replace").rstrip("\r")

    def _column(self, row: int, byte_column: int) -> int:
        start = self._line_starts[row] if row < len(self._line_starts) else len(self.data)
        prefix = self.data[start : start + byte_column]
        if prefix.isascii():
            return byte_column + 1
        return len(prefix.decode("utf-8", "replace")) + 1

    def span_of_points(self, start: tuple[int, int], end: tuple[int, int]) -> Span:
        return Span(start[0] + 1, self._column(*start), end[0] + 1, self._column(*end))

    def span(self, node) -> Span:
        """The span of a tree-sitter node."""
        return self.span_of_points(node.start_point, node.end_point)

    def span_of_bytes(self, start: int, end: int) -> Span:
        return self.span_of_points(self._point(start), self._point(end))

    def _point(self, offset: int) -> tuple[int, int]:
        row = bisect_right(self._line_starts, offset) - 1
        return row, offset - self._line_starts[row]
