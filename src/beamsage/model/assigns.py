"""What `assign/2,3` and `render/3` give a page: key, value and the node that sets it."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..source.syntax import Call, atom_value, keyword_pairs


def option_pairs(node: Node) -> Iterator[tuple[str, Node, Node]]:
    """`(key, value, pair node)` of a keyword list or an atom-keyed map."""
    if node.type == "map":
        content = next((c for c in node.named_children if c.type == "map_content"), None)
        node = next((c for c in content.named_children if c.type == "keywords"), None) if content else None
    for key, value in keyword_pairs(node):
        yield key, value, value.parent


def assign_pairs(call: Call) -> Iterator[tuple[str, Node, Node]]:
    """`assign(x, :k, v)` or `assign(x, k: v)` / `assign(x, %{k: v})`."""
    if len(call.args) == 3 and atom_value(call.args[1]):
        yield atom_value(call.args[1]), call.args[2], call.node
    elif len(call.args) == 2:
        yield from option_pairs(call.args[1])
