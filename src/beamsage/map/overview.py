"""The map as an overview a new team member reads: titled sections of bullets, tables and diagrams.

Markdown and HTML render these same sections, so the two never drift apart.
Cell text marks code with backticks and line breaks with newlines; each
renderer turns them into its own markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from .diagrams import context_graph, erd, supervision_diagram

Map = dict[str, Any]


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class Diagram:
    mermaid: str


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    homes: list[str | None] = field(default_factory=list)  # each row's source file, to link its findings


Block = Union[Bullets, Note, Diagram, Table]


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Block]


def overview(doc: Map) -> list[Section]:
    return [Section(title, build(doc)) for title, build in _SECTIONS]


def _project_blocks(doc: Map) -> list[Block]:
    return [Bullets(_project(doc["project"])), *_unread(doc["unread"])]


def _supervision(doc: Map) -> list[Block]:
    return _diagram(supervision_diagram(doc)) + _dynamic_starts(doc["dynamic_starts"])


def _processes(doc: Map) -> list[Block]:
    return _table(["Module", "Kind", "Registered as", "Called from"], [
        ([p["module"], ", ".join(p["kinds"]), f"`{p['name']}` ({p['naming']})" if p["name"] else "unnamed",
          _call_sites(p)], p["path"]) for p in doc["processes"]])


def _routes(doc: Map) -> list[Block]:
    return _table(["Verb", "Path", "Target", "Action", "Pipelines"], [
        ([r["verb"].upper(), r["path"], r["target"] or "", r["action"] or "",
          " ".join(r["pipelines"]) + (f" (live_session {r['live_session']})" if r["live_session"] else "")],
         r["target_path"]) for r in doc["routes"]])


def _pipelines(doc: Map) -> list[Block]:
    return _table(["Router", "Pipeline", "Plugs"], [
        ([p["router"], f":{p['name']}", ", ".join(p["plugs"])], p["path"]) for p in doc["pipelines"]])


def _sockets(doc: Map) -> list[Block]:
    return _table(["Endpoint", "Socket", "Module", "Channels"], [
        ([endpoint["module"], socket["path"] or "", socket["module"] or "",
          ", ".join(f"{c['topic']} -> {c['channel']}" for c in socket["channels"])], endpoint["path"])
        for endpoint in doc["endpoints"] for socket in endpoint["sockets"]])


def _contexts(doc: Map) -> list[Block]:
    table = _table(["Context", "Public functions", "Schemas"], [
        ([c["module"], str(len(c["functions"])), ", ".join(c["schemas"])], c["path"]) for c in doc["contexts"]])
    return table + _diagram(context_graph(doc)) + _reaches(doc["contexts"]) + _web_repo_calls(doc["web_repo_calls"])


def _web_repo_calls(calls: list[Map]) -> list[Block]:
    rows = [([c["module"], f"`{c['call']}` in `{c['caller']}`", f"{c['path']}:{c['line']}"], c["path"]) for c in calls]
    return [Note("Web modules that call the Repo themselves instead of a context:"),
            *_table(["Module", "Call", "Where"], rows)] if rows else []


def _data(doc: Map) -> list[Block]:
    schemas = _table(["Schema", "Table", "Fields", "Associations"], [
        ([s["module"], s["table"] or "(embedded)", str(len(s["fields"])),
          ", ".join(f"{a['kind']} :{a['name']}" for a in s["associations"])], s["path"]) for s in doc["schemas"]])
    tables = _table(["Table (from migrations)", "Columns", "Indexes"], [
        ([t["name"] + ("" if t["certain"] else " (uncertain)"),
          str(len(t["columns"])) + ("" if t["complete"] else " or more"), str(len(t["indexes"]))], t["created_in"])
        for t in doc["tables"]])
    return _diagram(erd(doc)) + schemas + tables


def _consistency(doc: Map) -> list[Block]:
    return _table(["Rule", "Where", "Finding"], [
        ([f"`{f['rule']}` ({f['severity']})", f"{f['path']}:{f['line']}", f["message"]], f["path"])
        for f in doc.get("consistency", ())])  # added by the face, which runs the rules


def _jobs(doc: Map) -> list[Block]:
    jobs = doc["jobs"]
    workers = _table(["Worker", "Queue"], [([w["module"], w["queue"] or "?"], w["path"]) for w in jobs["workers"]])
    return workers + ([Note(f"Queues started: {', '.join(jobs['queues'])}")] if jobs["queues"] else [])


def _pubsub(doc: Map) -> list[Block]:
    return _table(["Topic", "Subscribers", "Messages sent"], [
        ([t["topic"], ", ".join(t["subscribers"]), ", ".join(f"`{b['message']}`" for b in t["broadcasts"])], None)
        for t in doc["pubsub"]])


def _telemetry(doc: Map) -> list[Block]:
    return _table(["Event", "Emitted at", "Handlers", "Metrics"], [
        ([t["event"], _sites(t["emitted"], lambda s: "span " if s["span"] else "") or "outside the project",
          _sites(t["handlers"], lambda s: f"`{s['handler']}` in "), _sites(t["metrics"], lambda s: f"{s['metric']} in ")],
         next((s["path"] for s in t["emitted"]), None)) for t in doc["telemetry"]])


def _conventions_blocks(doc: Map) -> list[Block]:
    return [Bullets(_conventions(doc["conventions"]))]


_SECTIONS = [("Project", _project_blocks), ("Supervision tree", _supervision), ("Processes", _processes),
             ("Routes", _routes), ("Pipelines", _pipelines), ("Sockets and channels", _sockets), ("Contexts", _contexts), ("Data", _data),
             ("Consistency", _consistency), ("Jobs", _jobs), ("PubSub topics", _pubsub),
             ("Telemetry events", _telemetry), ("Conventions", _conventions_blocks)]


def _project(project: Map) -> list[str]:
    repos = [f"{repo} ({adapter})" if adapter else repo for repo, adapter in project["repo_adapters"].items()]
    config = "; ".join(f"{env}: {', '.join(paths)}" for env, paths in project["config_by_env"].items())
    return [f"Layout: {project['layout']} ({len(project['apps'])} app(s))",
            f"Elixir: {project['elixir'] or 'not stated'}",
            f"Built with: {', '.join(project['frameworks']) or 'none detected'}",
            f"Repos: {', '.join(repos) or 'none'}",
            f"Direct dependencies: {sum(1 for d in project['deps'] if d['direct'])}",
            f"Config: {config or 'none'}"]


def _unread(unread: list[Map]) -> list[Block]:
    rows = [([f"{u['path']}:{u['line']}", u["message"]], u["path"]) for u in unread]
    return [Note(f"{len(rows)} file(s) could not be read in full; what the map shows of them may be incomplete:"),
            *_table(["File", "Why"], rows)] if rows else []


def _reaches(contexts: list[Map]) -> list[Block]:
    rows = [([c["module"], f"`{r['schema']}` ({r['context']})", r["how"], f"{r['path']}:{r['line']}"], r["path"])
            for c in contexts for r in c["reaches_into"]]
    return [Note("Contexts that reach into another context's schemas instead of calling its API:"),
            *_table(["Context", "Schema", "How", "Where"], rows)] if rows else []


def _dynamic_starts(starts: list[Map]) -> list[Block]:
    rows = [([s["supervisor"] or "(a variable)", s["child"] or "?", f"`{s['caller']}`",
              f"{s['path']}:{s['line']}" + (" (one per key)" if s["keyed"] else "")], s["path"]) for s in starts]
    return [Note("Children started at runtime:"), *_table(["Dynamic supervisor", "Child", "Started by", "Where"], rows)
            ] if rows else []


_MAX_SITES = 3


def _call_sites(process: Map) -> str:
    """The first few client calls (`refresh/1` from `Worker.perform/1`, file:line) and messages sent to it
    directly (`GenServer.cast` from ...); the count of the rest."""
    sites = [{**s, "where": s["caller"], "what": s["function"]} for s in process["call_sites"]]
    sites += [{**m, "where": m["caller"], "what": m["via"]} for m in process["messages"]]
    return _sites(sites, lambda s: f"`{s['what']}` from ")


def _conventions(conventions: Map) -> list[str]:
    docs = conventions["docs"]
    shares = ", ".join(f"`@{name}` {_percent(docs[name])}" for name in ("doc", "spec", "moduledoc"))
    return [f"Checks: {', '.join(conventions['tools']) or 'none configured'}",
            f"Tests: {', '.join(conventions['case_templates'] + conventions['test_libraries']) or 'plain ExUnit'}",
            f"Fixture modules: {', '.join(conventions['fixture_modules']) or 'none'}",
            f"Documented: {shares}", _errors(conventions["errors"])]


def _errors(errors: Map) -> str:
    exceptions = f"; exceptions defined: {', '.join(errors['exceptions'])}" if errors["exceptions"] else ""
    return (f"Errors: {errors['style']} ({errors['error_tuples']} `{{:error, _}}`, {errors['withs']} `with`; "
            f"{errors['raises']} `raise` outside bang functions, {errors['rescues']} `try`/`rescue`; "
            f"{errors['bang_functions']} bang functions{exceptions})")


def _sites(sites: list[Map], prefix) -> str:
    """`Module.fun/1` (path:line) per site, the first few; the count of the rest."""
    shown = [f"{prefix(s)}`{s['where']}` ({s['path']}:{s['line']})" for s in sites[:_MAX_SITES]]
    return "\n".join(shown + ([f"{len(sites) - _MAX_SITES} more"] if len(sites) > _MAX_SITES else []))


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{round(share * 100)}%"


def _table(header: list[str], rows: list[tuple[list[str], str | None]]) -> list[Block]:
    return [Table(header, [cells for cells, _ in rows], [home for _, home in rows])] if rows else []


def _diagram(mermaid: str) -> list[Block]:
    return [Diagram(mermaid)] if mermaid else []
