"""Renderings of the map (`model.architecture.build_map`): JSON, Markdown, Mermaid and Graphviz DOT.

All three show the same content; JSON is the contract (its `schema` field
names the version), Markdown is the overview a new team member reads, with
the Mermaid diagrams inline, and `mermaid` prints the diagrams alone.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

Map = dict[str, Any]


def render_json(doc: Map) -> str:
    return json.dumps(doc, indent=2) + "\n"


def render_mermaid(doc: Map) -> str:
    return "\n".join(diagram for diagram in (supervision_diagram(doc), context_graph(doc), erd(doc)) if diagram)


def render_markdown(doc: Map) -> str:
    project = doc["project"]
    lines = [f"# {project['name']}: architecture", ""]
    frameworks = ", ".join(project["frameworks"]) or "none detected"
    repos = [f"{repo} ({adapter})" if adapter else repo for repo, adapter in project["repo_adapters"].items()]
    lines += [f"- Layout: {project['layout']} ({len(project['apps'])} app(s))",
              f"- Elixir: {project['elixir'] or 'not stated'}", f"- Built with: {frameworks}",
              f"- Repos: {', '.join(repos) or 'none'}",
              f"- Direct dependencies: {sum(1 for d in project['deps'] if d['direct'])}",
              f"- Config: {_config(project['config_by_env'])}", ""]
    lines += _section("Supervision tree", _fenced(supervision_diagram(doc)) + _dynamic_table(doc["dynamic_starts"]))
    lines += _section("Processes", _table(["Module", "Kind", "Registered as", "Called from"], [
        [p["module"], ", ".join(p["kinds"]), f"`{p['name']}` ({p['naming']})" if p["name"] else "unnamed",
         _call_sites(p)] for p in doc["processes"]]))
    lines += _section("Routes", _table(["Verb", "Path", "Target", "Action", "Pipelines"], [
        [r["verb"].upper(), r["path"], r["target"] or "", r["action"] or "",
         " ".join(r["pipelines"]) + (f" (live_session {r['live_session']})" if r["live_session"] else "")]
        for r in doc["routes"]]))
    lines += _section("Sockets and channels", _table(["Endpoint", "Socket", "Module", "Channels"], [
        [endpoint["module"], socket["path"] or "", socket["module"] or "",
         ", ".join(f"{c['topic']} -> {c['channel']}" for c in socket["channels"])]
        for endpoint in doc["endpoints"] for socket in endpoint["sockets"]]))
    lines += _section("Contexts", _table(["Context", "Public functions", "Schemas"], [
        [c["module"], str(len(c["functions"])), ", ".join(c["schemas"])] for c in doc["contexts"]])
        + _fenced(context_graph(doc)))
    lines += _section("Data", _fenced(erd(doc)) + _table(["Table (from migrations)", "Columns", "Indexes"], [
        [t["name"] + ("" if t["certain"] else " (uncertain)"), str(len(t["columns"])), str(len(t["indexes"]))]
        for t in doc["tables"]]))
    jobs = doc["jobs"]
    lines += _section("Jobs", _table(["Worker", "Queue"], [[w["module"], w["queue"] or "?"] for w in jobs["workers"]])
                      + ([f"Queues started: {', '.join(jobs['queues'])}", ""] if jobs["queues"] else []))
    lines += _section("PubSub topics", _table(["Topic", "Subscribers", "Messages sent"], [
        [t["topic"], ", ".join(t["subscribers"]), ", ".join(f"`{b['message']}`" for b in t["broadcasts"])]
        for t in doc["pubsub"]]))
    lines += _section("Conventions", _conventions(doc["conventions"]))
    return "\n".join(lines).rstrip() + "\n"


def _config(by_env: Map) -> str:
    return "; ".join(f"{env}: {', '.join(paths)}" for env, paths in by_env.items()) or "none"


def _dynamic_table(starts: list[Map]) -> list[str]:
    rows = [[s["supervisor"] or "(a variable)", s["child"] or "?", f"`{s['caller']}`",
             f"{s['path']}:{s['line']}" + (" (one per key)" if s["keyed"] else "")] for s in starts]
    table = _table(["Dynamic supervisor", "Child", "Started by", "Where"], rows)
    return ["Children started at runtime:", "", *table] if table else []


_MAX_SITES = 3


def _call_sites(process: Map) -> str:
    """The first few client calls (`refresh/1` from `Worker.perform/1`, file:line); the count of the rest."""
    sites = process["call_sites"]
    shown = [f"`{s['function']}` from `{s['caller']}` ({s['path']}:{s['line']})" for s in sites[:_MAX_SITES]]
    more = [f"{len(sites) - _MAX_SITES} more"] if len(sites) > _MAX_SITES else []
    return "<br>".join(shown + more)


def _conventions(conventions: Map) -> list[str]:
    docs = conventions["docs"]
    shares = ", ".join(f"`@{name}` {_percent(docs[name])}" for name in ("doc", "spec", "moduledoc"))
    return [f"- Checks: {', '.join(conventions['tools']) or 'none configured'}",
            f"- Tests: {', '.join(conventions['case_templates'] + conventions['test_libraries']) or 'plain ExUnit'}",
            f"- Fixture modules: {', '.join(conventions['fixture_modules']) or 'none'}",
            f"- Documented: {shares}", ""]


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{round(share * 100)}%"


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
    return f"{name} ({registered})" if registered and registered != name else name


def context_graph(doc: Map) -> str:
    """Which contexts call which: an arrow from caller to callee."""
    edges = [(caller, c["module"]) for c in doc["contexts"] for caller in c["called_by_contexts"]]
    if not edges:
        return ""
    lines = ["graph LR"] + [f'  {_node_id(a)}["{a}"] --> {_node_id(b)}["{b}"]' for a, b in edges]
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


def _section(title: str, body: list[str]) -> list[str]:
    return [f"## {title}", "", *(body or ["None found.", ""])]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _fenced(diagram: str) -> list[str]:
    return ["```mermaid", diagram.rstrip(), "```", ""] if diagram else []


def _node_id(name: str) -> str:
    return "n_" + re.sub(r"\W", "_", name)


def _entity(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _type(written: str) -> str:
    return _entity(written.lstrip(":")) or "any"


def _escape(label: str) -> str:
    return label.replace('"', "'")


def render_dot(doc: Map) -> str:
    """Graphviz: one digraph with a cluster per diagram (supervision, contexts, tables)."""
    lines = ["digraph architecture {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    edges: list[str] = []
    lines += _dot_cluster("supervision", "Supervision tree", _dot_tree_nodes(doc, edges))
    lines += _dot_cluster("contexts", "Contexts", [f'    {_dot(c["module"])};' for c in doc["contexts"]])
    edges += [f"  {_dot(caller)} -> {_dot(c['module'])};" for c in doc["contexts"] for caller in c["called_by_contexts"]]
    tables = {t["name"] for t in doc["tables"]}
    lines += _dot_cluster("tables", "Tables", [f'    {_dot("table " + t)} [label={_quote(t)}, shape=cylinder];'
                                               for t in sorted(tables)])
    edges += [f'  {_dot("table " + t["name"])} -> {_dot("table " + c["references"])} [label={_quote(c["name"])}];'
              for t in doc["tables"] for c in t["columns"] if c["references"] in tables]
    return "\n".join([*lines, *edges, "}"]) + "\n"


def _dot_tree_nodes(doc: Map, edges: list[str]) -> list[str]:
    nodes: list[str] = []

    def walk(tree: Map, depth: int) -> None:
        parent = _dot(tree["supervisor"])
        nodes.append(f"    {parent};")
        for index, child in enumerate(tree["children"], 1):
            name = child["module"] or child["spec"]
            node = _dot(f"{tree['supervisor']} {index} {name}")
            nodes.append(f"    {node} [label={_quote(f'{index}. {_child_label(child)}')}];")
            edges.append(f"  {parent} -> {node};")
            if "tree" in child and depth < 8:
                edges.append(f"  {node} -> {_dot(child['tree']['supervisor'])};")
                walk(child["tree"], depth + 1)
            for started in child.get("started_dynamically", ()):
                dynamic = _dot(f"{tree['supervisor']} {index} {started}")
                nodes.append(f"    {dynamic} [label={_quote(f'{started} (dynamic)')}, style=dashed];")
                edges.append(f"  {node} -> {dynamic} [style=dashed];")

    for tree in doc["supervision"]:
        walk(tree, 0)
    return nodes


def _dot_cluster(name: str, label: str, body: list[str]) -> list[str]:
    return [f"  subgraph cluster_{name} {{", f"    label={_quote(label)};", *body, "  }"] if body else []


def _dot(name: str) -> str:
    return _quote(name)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


FORMATS: dict[str, Callable[[Map], str]] = {"json": render_json, "markdown": render_markdown,
                                            "mermaid": render_mermaid, "dot": render_dot}
