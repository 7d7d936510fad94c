"""HEEx and EEx templates, and the Elixir code inside them.

A template's Elixir lives in many small pieces (`{@user.name}`,
`<%= for p <- @posts do %>` ... `<% end %>`). We parse them as one Elixir
document made of just those byte ranges of the file (tree-sitter's included
ranges), each piece followed by a separator (`;` or the newline after it), so
independent expressions stay separate while a block opened in one directive
and closed in a later one still parses as one expression. The ranges keep the
file's byte layout, so every node parsed from them carries the line and
column it has in the file. `~H` sigils in `.ex` files are handled
the same way, with the HEEx itself parsed in place from the sigil's range.

Some HEEx the compiler accepts trips the tree-sitter HEEx grammar, so markup
is prepared before parsing: HTML void elements without a closing slash
(`<br>`, `<img src={@url}>`) get the missing `/`; bodies HEEx reads as raw
text (`<script>`, `<style>`) or without `{...}` (`phx-no-curly-interpolation`)
are blanked; and `do`, `->` and `end` inside an EEx tag that do not open or
close a block across tags (`<%= Enum.map(@xs, fn y -> y end) %>`) are masked.
`Template` maps every position of the markup tree back to the file
(`original`).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property

from tree_sitter import Node, Range, Tree

from .parse import first_error, parse, parse_ranges, query
from .syntax import text

# Node types holding Elixir code, per template grammar.
_HEEX_CODE = "[(expression_value) (partial_expression_value) (ending_expression_value)] @code"
_EEX_CODE = "(code) @code"
_HEEX_COMMENTS = "(comment) @comment"
_EEX_COMMENTS = "(comment_directive) @comment"
_FOR_LOOPS = """
(special_attribute
  (special_attribute_name) @name (#eq? @name ":for")
  (expression (expression_value) @generator))
"""
_RAW_TEXT_TAG = re.compile(rb"<(script|style)(?=[\s>])", re.IGNORECASE)
_TAG_NAME = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)")
_NO_CURLY = b"phx-no-curly-interpolation"
_NO_BRACES = bytes(32 if byte in (123, 125) else byte for byte in range(256))
_BLANK = bytes(byte if byte == 10 else 32 for byte in range(256))
_EEX_TAG = re.compile(rb"<%.*?%>", re.DOTALL)
_EEX_CODE_TAG = re.compile(rb"<%%?=?(?![#!])(.*?)%>", re.DOTALL)  # not `<%#`, `<%!--` comments
_GRAMMAR_WORD = re.compile(rb"[^%\s]+")  # how the HEEx grammar splits a tag's code
_ENDING = re.compile(rb"end[)\]}]*")
_VOID_TAG = re.compile(
    rb"<(?:area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)(?=[\s/>])", re.IGNORECASE
)


@dataclass
class Template:
    """One template: its markup tree, and its code and comments in file positions."""

    tree: Tree  # positions shifted by the inserted void-tag slashes: use `original`
    language: str  # "heex" or "eex"
    code: list[tuple[int, int]]  # byte ranges of Elixir code in the file
    comments: list[tuple[int, str]]  # (file byte offset, text without markers)
    _inserted: list[int]  # positions, in the tree's text, of the inserted "/"

    @classmethod
    def parse_file(cls, language: str, data: bytes) -> Template:
        if language != "heex":
            return cls._collect(parse(language, data), language, [])
        fixed, inserted = prepare_markup(data, 0, len(data))
        return cls._collect(parse(language, fixed), language, inserted)

    @classmethod
    def parse_sigil(cls, data: bytes, content: Node) -> Template:
        """Parse the HEEx inside a `~H` sigil, in place."""
        start, end = content.start_byte, content.end_byte
        fixed, inserted = prepare_markup(data, start, end)
        new_end = end + len(inserted)
        last_line = fixed.rfind(b"\n", 0, new_end)  # slashes added on the last line shift its column
        end_column = content.end_point[1] + sum(1 for p in inserted if p > last_line)
        span = Range(content.start_point, (content.end_point[0], end_column), start, new_end)
        return cls._collect(parse_ranges("heex", fixed, [span]), "heex", inserted)

    @classmethod
    def _collect(cls, tree: Tree, language: str, inserted: list[int]) -> Template:
        code_query, comment_query = (_HEEX_CODE, _HEEX_COMMENTS) if language == "heex" else (_EEX_CODE, _EEX_COMMENTS)
        code = query(language, code_query).captures(tree.root_node).get("code", [])
        comments = query(language, comment_query).captures(tree.root_node).get("comment", [])
        template = cls(tree, language, [], [], inserted)
        template.code = sorted((template.original(n.start_byte), template.original(n.end_byte)) for n in code)
        template.comments = sorted((template.original(n.start_byte), comment_text(n)) for n in comments)
        return template

    def original(self, offset: int) -> int:
        """A byte offset of the markup tree, as an offset in the file."""
        return offset - bisect_left(self._inserted, offset)

    @cached_property
    def for_loops(self) -> list[tuple[int, int, int, int]]:
        """HEEx `:for` loops as file byte ranges: `(element start, element end,
        generator start, generator end)`; the element (its attributes and
        body) is rendered once per item, the generator (`p <- @posts`) once."""
        if self.language != "heex":
            return []
        loops = []
        for value in query("heex", _FOR_LOOPS).captures(self.tree.root_node).get("generator", []):
            element = value.parent.parent.parent.parent  # expression, special_attribute, start tag, element
            if element is None:
                continue
            loops.append(tuple(self.original(offset) for offset in
                               (element.start_byte, element.end_byte, value.start_byte, value.end_byte)))
        return loops

    def first_error(self) -> int | None:
        """The file offset of the first markup syntax error, if any."""
        error = first_error(self.tree.root_node)
        return self.original(error.start_byte) if error is not None else None


def prepare_markup(data: bytes, start: int, end: int) -> tuple[bytes, list[int]]:
    """The HEEx in [start, end) made readable for the grammar, and the positions
    of the bytes added: raw-text bodies are blanked, void tags closed."""
    return _close_void_tags(_mask_inner_keywords(_blank_raw_text(data, start, end), start, end), start, end)


def _mask_inner_keywords(data: bytes, start: int, end: int) -> bytes:
    """The HEEx grammar reads an EEx tag holding a `do` or `->` word as a block
    opener (`<%= for x <- @xs do %>`) and one starting with `end` as a block
    closer; any other such word sits in an expression the tag completes itself
    (`fn y -> y end`, `if @x do 1 else 2 end`), and the grammar fails on it.
    Those words are overwritten with `_` (same length) in the copy the grammar
    reads; the Elixir pieces are parsed from the file's own bytes."""
    masked = None
    for tag in _EEX_CODE_TAG.finditer(data, start, end):
        words = list(_GRAMMAR_WORD.finditer(data, tag.start(1), tag.end(1)))
        for index, word in enumerate(words):
            if _is_inner_keyword(word.group(), index == 0, index == len(words) - 1):
                masked = masked if masked is not None else bytearray(data)
                masked[word.start() : word.end()] = b"_" * len(word.group())
    return bytes(masked) if masked is not None else data


def _is_inner_keyword(word: bytes, first: bool, last: bool) -> bool:
    """Whether a word of a tag's code is a keyword the grammar must not see:
    a block-opening `do`/`->` is the tag's last word, a closing `end` its first."""
    if word in (b"do", b"->"):
        return not last
    return _ENDING.fullmatch(word) is not None and not first


def _blank_raw_text(data: bytes, start: int, end: int) -> bytes:
    """HEEx reads the bodies of `<script>` and `<style>` as raw text, and does
    not interpolate `{...}` in elements marked `phx-no-curly-interpolation`;
    the grammar would read JavaScript and CSS as markup and Elixir. Raw-text
    bodies are blanked (same length, newlines and `<% %>` tags kept); marked
    elements lose their braces."""
    elements = [(match, True) for match in _RAW_TEXT_TAG.finditer(data, start, end)]
    marker = data.find(_NO_CURLY, start, end)
    while marker >= 0:
        opening = data.rfind(b"<", start, marker)
        tag = _TAG_NAME.match(data, opening) if opening >= 0 else None
        if tag is not None:
            elements.append((tag, False))
        marker = data.find(_NO_CURLY, marker + 1, end)
    if not elements:
        return data
    blanked = bytearray(data)
    for tag, raw in elements:
        open_end = _tag_end(data, tag.end(), end)
        if open_end is None:
            continue
        closing = re.compile(b"</" + re.escape(tag.group(1)), re.IGNORECASE).search(data, open_end, end)
        body = slice(open_end + 1, closing.start() if closing else end)
        blanked[body] = _blank_body(data[body]) if raw else data[body].translate(_NO_BRACES)
    return bytes(blanked)


def _blank_body(body: bytes) -> bytes:
    """Spaces for everything but newlines and `<% %>` tags."""
    parts, last = [], 0
    for tag in _EEX_TAG.finditer(body):
        parts += [body[last : tag.start()].translate(_BLANK), tag.group()]
        last = tag.end()
    parts.append(body[last:].translate(_BLANK))
    return b"".join(parts)


def _close_void_tags(data: bytes, start: int, end: int) -> tuple[bytes, list[int]]:
    """`data` with a "/" added to each void start tag in [start, end) that lacks
    one, and the positions of the added bytes in the result."""
    slashes: list[int] = []  # file offsets of the `>` that needs a `/` before it
    for match in _VOID_TAG.finditer(data, start, end):
        close = _tag_end(data, match.end(), end)
        if close is not None and data[close - 1 : close] != b"/":
            slashes.append(close)
    if not slashes:
        return data, []
    parts, last = [], 0
    for offset in slashes:
        parts += [data[last:offset], b"/"]
        last = offset
    parts.append(data[last:])
    return b"".join(parts), [offset + index for index, offset in enumerate(slashes)]


def _tag_end(data: bytes, pos: int, end: int) -> int | None:
    """The offset of the `>` closing a start tag, skipping quoted values and `{...}`."""
    depth, quote = 0, 0
    while pos < end:
        byte = data[pos]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in (34, 39):  # " '
            quote = byte
        elif byte == 123:  # {
            depth += 1
        elif byte == 125:  # }
            depth = max(depth - 1, 0)
        elif byte == 62 and depth == 0:  # >
            return pos
        elif byte == 60 and depth == 0:  # < : not a tag after all
            return None
        pos += 1
    return None


def heex_sigil_contents(sigils: list[Node]) -> list[Node]:
    """The content nodes of `~H` sigils (uppercase: no interpolation, no escapes)."""
    contents = []
    for sigil in sigils:
        name = next((c for c in sigil.children if c.type == "sigil_name"), None)
        if name is None or text(name) != "H":
            continue
        content = next((c for c in sigil.children if c.type == "quoted_content"), None)
        if content is not None:
            contents.append(content)
    return contents


def parse_embedded_elixir(data: bytes, code: list[tuple[int, int]]) -> Tree | None:
    """Parse the Elixir code pieces of a file as one Elixir tree in file positions.

    The parser reads only the pieces (tree-sitter's included ranges), each
    followed by one separator byte: a newline where the file has one, else
    a `;` written over the template's closing `}` or `%>`.
    """
    if not code:
        return None
    separated = bytearray(data)
    line_starts = [0, *(match.end() for match in re.finditer(rb"\n", data))]
    ranges: list[Range] = []
    last_end = -1
    for start, end in sorted(code):
        if start < last_end:  # nested or overlapping pieces: the outer one covers them
            continue
        if end < len(data):
            if data[end] != 10:
                separated[end] = 59  # ";"
            end += 1
        ranges.append(Range(_point(line_starts, start), _point(line_starts, end), start, end))
        last_end = end
    return parse_ranges("elixir", bytes(separated), ranges)


def _point(line_starts: list[int], offset: int) -> tuple[int, int]:
    row = bisect_right(line_starts, offset) - 1
    return row, offset - line_starts[row]


def comment_text(node: Node) -> str:
    """A template comment's text without its `<%#`, `<%!--`, `<!--` markers."""
    raw = text(node).strip()
    for opening, closing in (("<%!--", "--%>"), ("<!--", "-->"), ("<%#", "%>")):
        if raw.startswith(opening):
            raw = raw[len(opening) :]
            if raw.endswith(closing):
                raw = raw[: -len(closing)]
            break
    return raw.strip()
