"""HEEx and EEx templates, and the Elixir code inside them.

A template's Elixir lives in many small pieces (`{@user.name}`,
`<%= for p <- @posts do %>` ... `<% end %>`). To parse them as Elixir with
their real positions we build a *shadow* of the file: every byte outside the
code is blanked to a space (newlines kept), and a `;` is written where each
piece ends, so independent expressions stay separate while a block opened in
one directive and closed in a later one still parses as one expression. The
shadow has the file's exact byte layout, so every node parsed from it carries
the line and column it has in the file. `~H` sigils in `.ex` files are handled
the same way, with the HEEx itself parsed in place from the sigil's range.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node, Tree

from .parse import byte_range, parse, parse_ranges, query
from .syntax import text

# Node types holding Elixir code, per template grammar.
_HEEX_CODE = "[(expression_value) (partial_expression_value) (ending_expression_value)] @code"
_EEX_CODE = "(code) @code"
_HEEX_COMMENTS = "(comment) @comment"
_EEX_COMMENTS = "(comment_directive) @comment"


@dataclass
class Template:
    """One template: its markup tree, its comments and its Elixir code."""

    tree: Tree
    language: str  # "heex" or "eex"
    code: list[Node]
    comments: list[Node]

    @classmethod
    def parse_file(cls, language: str, data: bytes) -> Template:
        return cls._collect(parse(language, data), language)

    @classmethod
    def parse_sigil(cls, data: bytes, content: Node) -> Template:
        """Parse the HEEx inside a `~H` sigil, in place."""
        return cls._collect(parse_ranges("heex", data, [byte_range(content)]), "heex")

    @classmethod
    def _collect(cls, tree: Tree, language: str) -> Template:
        code_query, comment_query = (_HEEX_CODE, _HEEX_COMMENTS) if language == "heex" else (_EEX_CODE, _EEX_COMMENTS)
        code = query(language, code_query).captures(tree.root_node).get("code", [])
        comments = query(language, comment_query).captures(tree.root_node).get("comment", [])
        return cls(
            tree=tree,
            language=language,
            code=sorted(code, key=lambda n: n.start_byte),
            comments=sorted(comments, key=lambda n: n.start_byte),
        )


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


def shadow_elixir(data: bytes, code: list[Node]) -> Tree | None:
    """Parse the Elixir code pieces of a file as one Elixir tree in file positions."""
    if not code:
        return None
    shadow = bytearray(b" " * len(data))
    for index in _newlines(data):
        shadow[index] = 10
    for node in code:
        start, end = node.start_byte, node.end_byte
        shadow[start:end] = data[start:end]
        if end < len(data) and data[end] != 10:
            shadow[end] = ord(";")
    return parse("elixir", bytes(shadow))


def _newlines(data: bytes):
    pos = data.find(b"\n")
    while pos >= 0:
        yield pos
        pos = data.find(b"\n", pos + 1)


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
