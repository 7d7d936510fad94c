"""Which schema fields a function sets on structs it may insert.

A `null: false` column the application never fills makes every insert fail;
to say so, beamsage must know every place a field may be set. Per function
this reads the keys it writes, as conservatively as the source allows:

- struct literals and updates outside patterns: `%Post{title: t}`,
  `%Post{post | title: t}`, `%{post | title: t}`;
- changeset calls: `cast/3` field lists, `change/2`, `put_change/3`,
  `force_change/3`, `put_assoc/3`, `cast_assoc/3`, `put_embed/3`,
  `cast_embed/3`;
- `Ecto.build_assoc/3` (the association and its attributes), `struct/2`,
  `struct!/2`, `Map.put/3`, `Map.put_new/3`, `Map.merge/2`, and the rows
  of `insert_all` (a Repo's, `Ecto.Multi`'s).

Keys are names only (which struct they land on is not tracked), so a name
written anywhere counts for every schema that has it. A write whose keys
are not written out (`change(post, attrs)`, `struct(Post, attrs)`,
`put_change(cs, field, value)`) is `dynamic`, with the module it targets
when the source names it (`""` otherwise, and `:assoc` for `build_assoc`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tree_sitter import Node

from ...source.syntax import (Call, Clause, atom_value, innermost, keyword_pairs, module_reference, operator,
                              string_value)
from .facts import FieldWrites
from .literals import names

if TYPE_CHECKING:
    from ..parsed import ParsedFile

_CHANGESET = (None, "Ecto.Changeset")
_PUT = frozenset({"put_change", "force_change", "put_assoc", "cast_assoc", "put_embed", "cast_embed"})
_MAX_UP = 12
_PERCENT = re.compile(rb"%")

Key = tuple[str | None, str, int]


def write_facts(file: ParsedFile) -> dict[Key, FieldWrites]:
    """`(module, function, arity) -> FieldWrites` for the functions of a file that write fields."""
    if file.tree is None:
        return {}
    found: dict[Key, tuple[set[str], set[str]]] = {}

    def add(clause: Clause | None, keys=(), dynamic: str | None = None) -> None:
        if clause is None:
            return
        module = clause.module.name if clause.module else None
        entry = found.setdefault((module, clause.name, clause.arity), (set(), set()))
        entry[0].update(keys)
        if dynamic is not None:
            entry[1].add(dynamic)

    for call in file.outline.calls:
        if call.in_template or call.capture or call.owner is None:
            continue
        _call_writes(call, add)
    _struct_writes(file, add)
    return {key: FieldWrites(tuple(sorted(keys)), tuple(sorted(dynamic)))
            for key, (keys, dynamic) in found.items()}


def _call_writes(call: Call, add) -> None:
    name, args, module_def = call.name, call.args, call.module_def
    owner = call.owner
    if call.module in _CHANGESET and name in _PUT and len(args) >= 2:
        key = atom_value(args[1])
        add(owner, (key,) if key else (), None if key else "")
    elif call.module in _CHANGESET and name == "change" and len(args) == 2:
        keys = _literal_keys(args[1])
        add(owner, keys or (), None if keys is not None else _target(args[0], module_def))
    elif call.module in _CHANGESET and name == "cast" and len(args) >= 3:
        keys = names(args[2], module_def)
        add(owner, keys or (), None if keys is not None else _target(args[0], module_def))
    elif call.module == "Ecto" and name == "build_assoc" and len(args) >= 2:
        assoc = atom_value(args[1])
        keys = _literal_keys(args[2]) if len(args) > 2 else ()
        dynamic = None if keys is not None else f":{assoc}" if assoc else ""
        add(owner, (*(keys or ()), *((assoc,) if assoc else ())), dynamic)
    elif call.module in (None, "Kernel") and name in ("struct", "struct!") and len(args) == 2:
        keys = _literal_keys(args[1])
        add(owner, keys or (), None if keys is not None else _target(args[0], module_def))
    elif call.module == "Map" and name in ("put", "put_new") and len(args) == 3:
        key = atom_value(args[1])
        if key:
            add(owner, (key,))
    elif call.module == "Map" and name == "merge" and len(args) == 2:
        keys = _literal_keys(args[1])
        if keys is not None:
            add(owner, keys)
        elif _struct_of(args[0], module_def):
            add(owner, (), _target(args[0], module_def))
    elif name == "insert_all" and len(args) >= 2:
        # `Repo.insert_all(Post, rows)`, `repo.insert_all(...)`, `Ecto.Multi.insert_all(multi, :name, Post, rows)`
        schema, rows = (args[2], args[3]) if call.module == "Ecto.Multi" and len(args) >= 4 else (args[0], args[1])
        keys = _rows_keys(rows)
        add(owner, keys or (), None if keys is not None else _target(schema, module_def))


def _struct_writes(file: ParsedFile, add) -> None:
    """Keys of struct literals and map updates that build values (not patterns)."""
    maps = _maps(file)
    if not maps:
        return
    clauses = sorted(file.outline.clauses, key=lambda c: c.node.start_byte)
    owners = innermost([c.node for c in clauses], maps)
    for node, owner in zip(maps, owners):
        if owner is None:
            continue
        struct = next((c for c in node.named_children if c.type == "struct"), None)
        content = next((c for c in node.named_children if c.type == "map_content"), None)
        if content is None:
            continue
        update = next((c for c in content.named_children
                       if c.type == "binary_operator" and operator(c) == "|"), None)
        if (struct is None and update is None) or _in_pattern(node, clauses[owner]):
            continue
        pairs = update.child_by_field_name("right") if update is not None else content
        add(clauses[owner], _keyword_keys(pairs))


def _maps(file: ParsedFile) -> list[Node]:
    """The file's map and struct nodes, in source order: found from their `%` in the text and checked against
    the tree (strings and comments hold `%` too), which costs far less than a tree query over every file."""
    root, found = file.tree.root_node, []
    for match in _PERCENT.finditer(file.doc.data):
        token = root.descendant_for_byte_range(match.start(), match.start() + 1)
        parent = token.parent if token is not None else None
        if parent is not None and parent.type == "map" and parent.start_byte == match.start():
            found.append(parent)
    return found


def _in_pattern(node: Node, clause: Clause) -> bool:
    """Whether `node` sits in a pattern: the function head, a `case`/`fn`
    clause's left side, the left of `=` or `<-`."""
    if any(param.start_byte <= node.start_byte < param.end_byte for param in clause.params):
        return True
    child, parent, steps = node, node.parent, 0
    while parent is not None and parent.id != clause.node.id and steps < _MAX_UP:
        if parent.type == "binary_operator" and operator(parent) in ("=", "<-"):
            left = parent.child_by_field_name("left")
            if left is not None and left.id == child.id:
                return True
        if parent.type == "arguments" and parent.parent is not None and parent.parent.type == "stab_clause":
            return True  # `fn %Post{} -> ...`, `case x do %Post{} -> ...`
        child, parent, steps = parent, parent.parent, steps + 1
    return False


def _keyword_keys(node: Node | None) -> tuple[str, ...]:
    """The keys of a keyword list (`a: 1`), or of the keyword pairs and atom
    `=>` keys directly inside `node` (a list, a map's content)."""
    keys: list[str] = []
    children = [node] if node is not None and node.type == "keywords" else node.named_children if node else []
    for child in children:
        if child.type == "keywords":
            keys += [key for key, _ in keyword_pairs(child)]
        elif child.type == "binary_operator" and operator(child) == "=>":
            key = atom_value(child.child_by_field_name("left"))
            if key:
                keys.append(key)
    return tuple(keys)


def _literal_keys(node: Node | None) -> tuple[str, ...] | None:
    """The keys of a keyword list or map written out; None for anything else."""
    if node is None:
        return None
    if node.type == "keywords":
        return _keyword_keys(node)
    if node.type == "list":
        if not all(child.type == "keywords" for child in node.named_children):
            return None
        return _keyword_keys(node)
    if node.type == "map" and not any(c.type == "struct" for c in node.named_children):
        content = next((c for c in node.named_children if c.type == "map_content"), None)
        if content is None:
            return ()
        if any(c.type not in ("keywords", "binary_operator") or (c.type == "binary_operator" and operator(c) != "=>")
               for c in content.named_children):
            return None  # `%{map | k: v}` or something not a literal
        return _keyword_keys(content)
    return None


def _rows_keys(node: Node) -> tuple[str, ...] | None:
    """The keys of `insert_all` rows written out as a list of maps or keyword lists."""
    if node.type != "list" or not node.named_children:
        return None
    keys: list[str] = []
    for row in node.named_children:
        found = _literal_keys(row)
        if found is None:
            return None
        keys.extend(found)
    return tuple(keys)


def _struct_of(node: Node, module_def) -> str | None:
    """The module of a struct literal (`%Post{}`), or None."""
    struct = next((c for c in node.named_children if c.type == "struct"), None) if node.type == "map" else None
    target = struct.named_children[0] if struct is not None and struct.named_children else None
    return module_reference(target, module_def) if target is not None else None


def _target(node: Node, module_def) -> str:
    """The schema module a dynamic write lands on when the source names it
    (`Post`, `%Post{}`, `__MODULE__`); `table:name` for a table named as a
    string (`insert_all("posts", rows)`); "" when it does not say."""
    if node.type == "map":
        return _struct_of(node, module_def) or ""
    if node.type in ("alias", "identifier") or (node.type == "dot" and node.named_children):
        found = module_reference(node, module_def)
        if found and not found.startswith(":"):
            return found
    table = string_value(node)
    return f"table:{table}" if table else ""
