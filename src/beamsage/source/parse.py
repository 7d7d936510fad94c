"""Tree-sitter parsers for Elixir, HEEx and EEx, one set per process.

Grammars come from tree-sitter-language-pack 0.9.x, which ships them inside
its wheel (1.x would download them at run time and fail offline).
"""

from __future__ import annotations

from functools import cache

from tree_sitter import Language, Node, Parser, Query, Range, Tree

# Our language names -> the language pack's names.
_GRAMMARS = {"elixir": "elixir", "heex": "heex", "eex": "embeddedtemplate"}


@cache
def language(name: str) -> Language:
    # Imported on first use: a review served from the cache never parses.
    from tree_sitter_language_pack import get_language

    return get_language(_GRAMMARS[name])


@cache
def _parser(name: str) -> Parser:
    return Parser(language(name))


@cache
def query(language_name: str, source: str) -> Query:
    """A compiled tree-sitter query, compiled once per process."""
    return language(language_name).query(source)


def parse(name: str, data: bytes) -> Tree:
    """Parse a whole file in one of our languages: "elixir", "heex" or "eex"."""
    return _parser(name).parse(data)


def parse_ranges(name: str, data: bytes, ranges: list[Range]) -> Tree:
    """Parse only the given ranges of `data`; the tree keeps the file's positions.

    Used for `~H` sigils: the HEEx inside an Elixir file is parsed in place, so
    every node it yields already carries its line and column in the file.
    """
    parser = Parser(language(name))
    parser.included_ranges = list(ranges)
    return parser.parse(data)


def first_error(root: Node) -> Node | None:
    """The first ERROR or MISSING node in document order, if the tree has any."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node
        stack.extend(child for child in reversed(node.children) if child.has_error or child.is_missing)
    return root
