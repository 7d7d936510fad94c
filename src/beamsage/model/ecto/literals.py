"""Reading the literal values Ecto code is written with: atoms and strings,
lists of them (also `~w(a b)a`), module attributes that hold them, `++`."""

from __future__ import annotations

from tree_sitter import Node

from ...source.syntax import (
    ModuleDef,
    atom_value,
    call_target_name,
    operator,
    string_value,
    text,
)


def name_of(node: Node | None) -> str | None:
    """`"users"` or `:users` -> `users`."""
    return atom_value(node) or string_value(node)


def attribute(module: ModuleDef | None, node: Node | None) -> Node | None:
    """The value of `@name` when `node` reads a module attribute set once."""
    if module is None or node is None or node.type != "unary_operator" or operator(node) != "@":
        return None
    target = node.named_children[0] if node.named_children else None
    if target is None or target.type != "identifier":
        return None
    values = module.attributes.get(text(target), [])
    return values[-1] if len(values) == 1 else None


def names(node: Node | None, module: ModuleDef | None = None, depth: int = 0) -> tuple[str, ...] | None:
    """A list of names (`[:a, "b"]`, `~w(a b)a`, `@fields`, `@a ++ @b`, `:a`),
    or None when it is not known from the source."""
    if node is None or depth > 10:
        return None
    single = name_of(node)
    if single is not None:
        return (single,)
    if node.type == "list":
        found = [name_of(child) for child in node.named_children]
        return tuple(found) if all(found) else None  # type: ignore[arg-type]
    if node.type == "sigil" and sigil_name(node) in ("w", "W"):
        content = next((c for c in node.named_children if c.type == "quoted_content"), None)
        return tuple(text(content).split()) if content is not None else ()
    if node.type == "binary_operator" and operator(node) == "++":
        left = names(node.child_by_field_name("left"), module, depth + 1)
        right = names(node.child_by_field_name("right"), module, depth + 1)
        return left + right if left is not None and right is not None else None
    value = attribute(module, node)
    return names(value, module, depth + 1) if value is not None else None


def statements(block: Node | None) -> list[Node]:
    """The expressions of a `do ... end` block (or of a `do:` value)."""
    if block is None:
        return []
    if block.type != "do_block":
        return [block]
    found = []
    for child in block.named_children:
        if child.type in ("stab_clause", "else_block", "after_block", "rescue_block", "catch_block"):
            continue
        found.append(child)
    return found


def call_name(node: Node) -> str | None:
    """`field` for `field :x, :y` (plain local calls only)."""
    return call_target_name(node) if node.type == "call" else None


def sigil_name(node: Node) -> str | None:
    return next((text(c) for c in node.named_children if c.type == "sigil_name"), None)
