"""The architecture as diagrams: Mermaid (supervision tree, context graph, ERD) and Graphviz DOT.

Both draw the same three pictures from the map document (`model.architecture.build_map`).
"""

from __future__ import annotations

import re
from typing import Any

Map = dict[str, Any]


def all_mermaid(doc: Map) -> list[str]:
    """Each non-empty Mermaid diagram: supervision tree, context graph, ERD."""
    return [diagram for diagram in (supervision_diagram(doc), context_graph(doc), erd(doc)) if diagram]


def supervision_diagram(doc: Map) -> str:
    if not doc["supervision"]:
        return ""
    lines = ["graph TD"]
    for tree in doc["supervision"]:
        _tree_lines(tree, lines)
    return "\n".join(lines) + "\n"


def _tree_lines(tree: Map, lines: list[str]) -> None:
    parent = _node_id(tree["supervisor"])
    strategy = f"<br/>{tree['strategy']}" if tree.get("strategy") else ""
    lines.append(f'  {parent}["{tree["supervisor"]}{strategy}"]')
    for index, child in enumerate(tree["children"], 1):
        name = child["module"] or child["spec"]
        node = _node_id(f"{tree['supervisor']}.{index}.{name}")
        label = f"{index}. {_child_label(child)}" + (" (conditional)" if child["conditional"] else "")
        lines.append(f'  {parent} --> {node}["{_escape(label)}"]')
        if "tree" in child:
            lines.append(f"  {node} --> {_node_id(child['tree']['supervisor'])}")
            _tree_lines(child["tree"], lines)
        for started in child.get("started_dynamically", ()):  # dashed: started at runtime, not at boot
            dynamic = _node_id(f"{tree['supervisor']}.{index}.{name}.dynamic.{started}")
            lines.append(f'  {node} -.-> {dynamic}["{started} (dynamic)"]')


def _child_label(child: Map) -> str:
    """`DynamicSupervisor (Demo.RoomSupervisor)`: a library child is told apart by the name it registers."""
    name = child["module"] or child["spec"]
    registered = child["options"].get("name")
    label = f"{name} ({registered})" if registered and registered != name else name
    return f"{label}, restart {child['restart']}" if child.get("restart") not in (None, ":permanent") else label


def context_graph(doc: Map) -> str:
    """Which contexts call which: an arrow from caller to callee."""
    edges = [(caller, c["module"]) for c in doc["contexts"] for caller in c["called_by_contexts"]]
    reaches = sorted({(c["module"], r["context"]) for c in doc["contexts"] for r in c["reaches_into"]})
    if not edges and not reaches:
        return ""
    lines = ["graph LR"] + [f'  {_node_id(a)}["{a}"] --> {_node_id(b)}["{b}"]' for a, b in edges]
    # dashed: straight into the other context's schemas, around its API
    lines += [f'  {_node_id(a)}["{a}"] -. schemas .-> {_node_id(b)}["{b}"]' for a, b in reaches]
    return "\n".join(lines) + "\n"


def erd(doc: Map) -> str:
    schemas = [s for s in doc["schemas"] if s["table"]]
    if not schemas:
        return ""
    by_module = {s["module"]: s for s in schemas}
    lines = ["erDiagram"]
    for schema in schemas:
        lines.append(f"  {_entity(schema['table'])} {{")
        lines += [f"    {_type(f['type'])} {_entity(f['name'])}" for f in schema["fields"]]
        lines.append("  }")
    for schema in schemas:
        for assoc in schema["associations"]:
            other = by_module.get(assoc["related"] or "")
            if assoc["kind"] == "belongs_to" and other is not None:
                lines.append(f'  {_entity(other["table"])} ||--o{{ {_entity(schema["table"])} : "{assoc["name"]}"')
    return "\n".join(lines) + "\n"


def _node_id(name: str) -> str:
    return "n_" + re.sub(r"\W", "_", name)


def _entity(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _type(written: str) -> str:
    """An ERD attribute type: `:string` -> `string`, `{:array, :string}` -> `string[]`, `Ecto.Enum` -> `Enum`."""
    array = re.fullmatch(r"\{\s*:array\s*,\s*(.+?)\s*\}", written)
    if array:
        return _type(array.group(1)) + "[]"
    if written.startswith("{"):  # {:map, :string}, {:parameterized, ...}: the outer type
        written = written[1:].split(",", 1)[0]
    return _entity(written.strip().lstrip(":").rsplit(".", 1)[-1]) or "any"


def _escape(label: str) -> str:
    return label.replace('"', "'")


def render_dot(doc: Map) -> str:
    """Graphviz: one digraph with a cluster per diagram (supervision, contexts, tables)."""
    lines = ["digraph architecture {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    edges: list[str] = []
    lines += _dot_cluster("supervision", "Supervision tree", _dot_tree_nodes(doc, edges))
    lines += _dot_cluster("contexts", "Contexts", [f'    {_quote(c["module"])};' for c in doc["contexts"]])
    edges += [f"  {_quote(caller)} -> {_quote(c['module'])};" for c in doc["contexts"] for caller in c["called_by_contexts"]]
    tables = {t["name"] for t in doc["tables"]}
    lines += _dot_cluster("tables", "Tables", [f'    {_quote("table " + t)} [label={_quote(t)}, shape=cylinder];'
                                               for t in sorted(tables)])
    edges += [f'  {_quote("table " + t["name"])} -> {_quote("table " + c["references"])} [label={_quote(c["name"])}];'
              for t in doc["tables"] for c in t["columns"] if c["references"] in tables]
    return "\n".join([*lines, *edges, "}"]) + "\n"


def _dot_tree_nodes(doc: Map, edges: list[str]) -> list[str]:
    nodes: list[str] = []

    def walk(tree: Map, depth: int) -> None:
        parent = _quote(tree["supervisor"])
        nodes.append(f"    {parent};")
        for index, child in enumerate(tree["children"], 1):
            name = child["module"] or child["spec"]
            node = _quote(f"{tree['supervisor']} {index} {name}")
            nodes.append(f"    {node} [label={_quote(f'{index}. {_child_label(child)}')}];")
            edges.append(f"  {parent} -> {node};")
            if "tree" in child and depth < 8:
                edges.append(f"  {node} -> {_quote(child['tree']['supervisor'])};")
                walk(child["tree"], depth + 1)
            for started in child.get("started_dynamically", ()):
                dynamic = _quote(f"{tree['supervisor']} {index} {started}")
                nodes.append(f"    {dynamic} [label={_quote(f'{started} (dynamic)')}, style=dashed];")
                edges.append(f"  {node} -> {dynamic} [style=dashed];")

    for tree in doc["supervision"]:
        walk(tree, 0)
    return nodes


def _dot_cluster(name: str, label: str, body: list[str]) -> list[str]:
    return [f"  subgraph cluster_{name} {{", f"    label={_quote(label)};", *body, "  }"] if body else []


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
