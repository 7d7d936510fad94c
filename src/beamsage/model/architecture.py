"""The project's architecture as data: what `beamsage map` shows.

Assembled from the per-file facts a review caches (supervision trees,
processes and the messages sent to them, schemas, migrations, Oban, PubSub,
telemetry, error-handling counts, the call graph) plus the files a map reads
again on its own: routers, endpoints and sockets (their routes and channels
are not cached facts) and `mix.exs`/`mix.lock`. Plain dicts and lists, in
source order, so every output format (and the JSON that AI agents read)
renders the same content. Findings are not the model's business: the face
adds the Schema rules' `consistency` findings beside this.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..source.document import Document, Language, decode_source
from ..source.syntax import module_reference, string_value
from .errorstyle import verdict
from .lockfile import read_lock
from .metrics import contexts, quality_metrics
from .kinds import REQUEST_HANDLERS
from .mixfile import read_mix_project
from .parsed import ParsedFile
from .phoenix.router import Router, endpoint_of, router_of
from .project import Project
from .supervision import ChildFacts, SupervisionFacts

MAP_SCHEMA = "beamsage-map/1"

# Libraries whose presence says how the app is built, by the dependency that brings them.
_FRAMEWORKS = {"phoenix": "Phoenix", "phoenix_live_view": "LiveView", "ecto": "Ecto", "ecto_sql": "Ecto",
               "oban": "Oban", "absinthe": "Absinthe", "broadway": "Broadway", "commanded": "Commanded"}
_MAX_NESTING = 8


def build_map(project: Project) -> dict[str, Any]:
    summary = _project(project)
    starts = _dynamic_starts(project)
    sites, clients = _callers(project)  # shared by processes and contexts
    routers = _routers(project)
    return {
        "schema": MAP_SCHEMA,
        "project": summary,
        "supervision": _supervision(project, starts),
        "dynamic_starts": starts,
        "processes": _processes(project, sites, clients),
        "routes": _routes(project, routers),
        "pipelines": _pipelines(routers),
        "endpoints": _endpoints(project),
        "contexts": _contexts(project, clients),
        "web_repo_calls": _web_repo_calls(project),
        "schemas": _schemas(project),
        "tables": _tables(project),
        "jobs": _jobs(project),
        "pubsub": _pubsub(project),
        "telemetry": _telemetry(project),
        "conventions": _conventions(project, {dep["name"] for dep in summary["deps"] if dep["direct"]}),
        "unread": _unread(project),
    }


def _unread(project: Project) -> list[dict[str, Any]]:
    """Files the map could not read in full (a syntax error, a binary, a file too large): what it shows of them
    may be incomplete, and the reader should know."""
    return [{"path": path, "line": issue.span.line, "kind": issue.kind, "message": issue.message}
            for path, facts in sorted(project.files.items()) for issue in facts.issues[:1]]


# -- project --------------------------------------------------------------------------------------


def _project(project: Project) -> dict[str, Any]:
    layout = project.layout
    apps = [app for app in layout.apps if app.name]  # an umbrella's root is not an app
    own = {app.name for app in apps}
    mixfiles = {app.name: read_mix_project(layout.root / app.join("mix.exs")) for app in layout.apps}
    declared = {dep for mix in mixfiles.values() for dep in mix.deps} - own
    lock = read_lock(layout.root / "mix.lock")
    locked = {dep.name: dep.version for dep in lock.deps} if lock is not None else {}
    names = sorted(declared | set(locked))
    requirements = {name: mix.elixir for name, mix in mixfiles.items()}
    adapters = _repo_adapters(project)
    return {
        "name": layout.root.name,
        "layout": layout.kind,
        "elixir": next((req for req in requirements.values() if req), None),
        "apps": [{"name": app.name, "path": app.path, "elixir": requirements.get(app.name)} for app in apps],
        "frameworks": sorted({_FRAMEWORKS[name] for name in names if name in _FRAMEWORKS}),
        "deps": [{"name": name, "version": locked.get(name), "direct": name in declared} for name in names],
        "repos": sorted(adapters),
        "repo_adapters": adapters,
        "config_files": sorted(path for path, facts in project.files.items() if "config" in facts.kinds),
        "config_by_env": _config_by_env(project),
    }


_ADAPTER = re.compile(r"\badapter:\s*([A-Z][\w.]*)")


def _repo_adapters(project: Project) -> dict[str, str | None]:
    """Each repo's `adapter:` from its `use Ecto.Repo` options (cached as written; an alias is expanded)."""
    found: dict[str, str | None] = {}
    for name in sorted(project.ecto.reach.repos):
        module = project.modules[name][1]
        written = next((match.group(1) for use in module.uses if use.module == "Ecto.Repo"
                        and (match := _ADAPTER.search(use.argument or ""))), None)
        found[name] = _expand_alias(written, dict(module.aliases)) if written else None
    return found


def _expand_alias(written: str, aliases: dict[str, str]) -> str:
    head, dot, rest = written.partition(".")
    return aliases.get(head, head) + dot + rest


def _config_by_env(project: Project) -> dict[str, list[str]]:
    """Config files by the environment they apply to: `config.exs` to all, `runtime.exs` at boot, `dev.exs`..."""
    found: dict[str, list[str]] = {}
    for path in sorted(path for path, facts in project.files.items() if "config" in facts.kinds):
        stem = Path(path).stem
        env = {"config": "all", "runtime": "runtime"}.get(stem, stem)
        found.setdefault(env, []).append(path)
    return found


# -- supervision ----------------------------------------------------------------------------------


def _supervision(project: Project, starts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each application's tree, with nested supervisors expanded in place and, on each dynamic supervisor,
    the children started under it at runtime."""
    trees = {tree.supervisor: (path, tree) for path, facts in project.files.items() for tree in facts.supervision}
    found = [_tree(path, tree, trees, 0) for path, tree in trees.values() if tree.kind == "application"]
    started: dict[str, set[str]] = {}
    for start in starts:
        if start["supervisor"] and start["child"]:
            started.setdefault(start["supervisor"], set()).add(start["child"])
    restarts = _declared_restarts(project)
    for tree in found:
        _annotate(tree, started, restarts)
    return found


def _annotate(tree: dict[str, Any], started: dict[str, set[str]], restarts: dict[str, str]) -> None:
    """A child registered as `Demo.GameSupervisor` (by `name:` or by its own module) gets what is started under
    it; a child whose module says `use GenServer, restart: :transient` gets that restart, unless its spec
    overrides it."""
    for child in tree["children"]:
        registered = child["options"].get("name") or child["module"]
        if registered in started:
            child["started_dynamically"] = sorted(started[registered])
        child["restart"] = child["restart"] or restarts.get(child["module"] or "")
        if "tree" in child:
            _annotate(child["tree"], started, restarts)


_RESTART = re.compile(r"\brestart:\s*(:\w+)")


def _declared_restarts(project: Project) -> dict[str, str]:
    """Modules whose `use GenServer/Agent/Task/Supervisor, restart: ...` sets their child spec's restart."""
    found = {}
    for name, (_, module) in project.modules.items():
        for use in module.uses:
            match = _RESTART.search(use.argument or "")
            if match:
                found[name] = match.group(1)
    return found


def _tree(path: str, tree: SupervisionFacts, trees: dict[str, tuple[str, SupervisionFacts]],
          depth: int) -> dict[str, Any]:
    return {"supervisor": tree.supervisor, "path": path, "strategy": tree.strategy or None,
            "children": [_child(path, child, trees, depth) for child in tree.children]}


def _child(path: str, child: ChildFacts, trees: dict[str, tuple[str, SupervisionFacts]],
           depth: int) -> dict[str, Any]:
    options = dict(child.options)
    node: dict[str, Any] = {"module": child.module or None, "spec": child.code, "path": path, "line": child.line,
                            "conditional": child.conditional, "options": options,
                            "restart": options.get("restart")}
    nested = trees.get(child.module)
    if nested is not None and nested[1].kind == "supervisor" and depth < _MAX_NESTING:
        node["tree"] = _tree(nested[0], nested[1], trees, depth + 1)
    return node


def _dynamic_starts(project: Project) -> list[dict[str, Any]]:
    """Where children are started at runtime: `DynamicSupervisor.start_child` sites, by supervisor."""
    found = []
    for path, facts in project.files.items():
        for start in facts.dynamic.start_children if facts.dynamic else ():
            found.append({"supervisor": start.supervisor or None, "child": start.child or None,
                          "caller": f"{start.module}.{start.function}/{start.arity}", "path": path,
                          "line": start.line, "keyed": start.keyed})
    return sorted(found, key=lambda s: (s["path"], s["line"]))


# -- processes ------------------------------------------------------------------------------------


def _processes(project: Project, sites: dict[str, list[dict[str, Any]]],
               clients: dict[str, set[str]]) -> list[dict[str, Any]]:
    found = []
    messages = _messages(project)
    for path, facts in project.files.items():
        for process in facts.otp.processes if facts.otp else ():
            if {"live_view", "live_component", "channel", "application", "oban_worker"} & set(process.kinds):
                continue  # listed with the routes, the tree and the jobs
            names = {process.module, process.name}
            found.append({"module": process.module, "kinds": list(process.kinds), "path": path,
                          "name": process.name or None, "naming": process.name_kind,
                          "clients": sorted(clients.get(process.module, ())),
                          "call_sites": sites.get(process.module, []),
                          "messages": sorted((m for name in names if name for m in messages.get(name, ())
                                              if not m["caller"].startswith(process.module + ".")),
                                             key=lambda m: (m["path"], m["line"]))})
    return sorted(found, key=lambda p: p["module"])


def _messages(project: Project) -> dict[str, list[dict[str, Any]]]:
    """Per target name (a module, or an atom as `:ticker`), the calls, casts and sends addressed to it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path, facts in project.files.items():
        for site in facts.otp.messages if facts.otp else ():
            found.setdefault(site.target, []).append(
                {"via": site.via, "caller": site.caller, "path": path, "line": site.line})
    return found


def _callers(project: Project) -> tuple[dict[str, list[dict[str, Any]]], dict[str, set[str]]]:
    """Per module, where other modules call its functions (a process's client API), in path and line order,
    and the set of those modules."""
    sites: dict[str, list[dict[str, Any]]] = {}
    clients: dict[str, set[str]] = {}
    for (module, name, arity), callers in project.calls.callers_of.items():
        for caller, site in callers:
            by = caller.function
            if module is not None and by.module not in (None, module):
                sites.setdefault(module, []).append({"function": f"{name}/{arity}", "path": caller.path,
                                                     "line": site.line, "caller": f"{by.module}.{by.name}/{by.arity}"})
                clients.setdefault(module, set()).add(by.module)
    for found in sites.values():
        found.sort(key=lambda s: (s["path"], s["line"]))
    return sites, clients


# -- routes ---------------------------------------------------------------------------------------


def _routers(project: Project) -> list[tuple[str, str, Router]]:
    """`(path, module, router)` of every router, each file read once for its routes and its pipelines."""
    found = []
    for path, facts in project.files.items():
        parsed = _reparse(project.layout.root, path) if "router" in facts.kinds else None
        for module in parsed.modules_of("router") if parsed is not None else ():
            found.append((path, module.name, router_of(parsed.outline, module)))
    return found


def _routes(project: Project, routers: list[tuple[str, str, Router]]) -> list[dict[str, Any]]:
    """Every route of every router, like `mix phx.routes`: verb, full path, target, action, pipelines."""
    homes = {name: facts.path for name, (facts, _) in project.modules.items()}
    return [{"verb": route.verb, "path": route.full_path(), "target": route.target,
             "target_path": homes.get(route.target or ""),
             "action": route.action, "pipelines": route.pipes(), "router": name,
             "live_session": route.live_session(), "line": route.node.start_point[0] + 1}
            for _, name, router in routers for route in router.routes]


def _pipelines(routers: list[tuple[str, str, Router]]) -> list[dict[str, Any]]:
    """Each router's pipelines with their plugs in order (`plug :fetch_session`, `plug MyAppWeb.Auth`)."""
    return [{"router": name, "name": pipeline.name, "path": path, "line": pipeline.node.start_point[0] + 1,
             "plugs": [plug.name + (" (conditional)" if plug.conditional else "") for plug in pipeline.plugs]}
            for path, name, router in routers for pipeline in router.pipelines.values()]


def _endpoints(project: Project) -> list[dict[str, Any]]:
    """Each endpoint with its plugs in order and its sockets, and each socket's channels by topic."""
    channels = {}
    for path, facts in project.files.items():
        parsed = _reparse(project.layout.root, path) if "socket" in facts.kinds else None
        for module in parsed.modules_of("socket") if parsed is not None else ():
            channels[module.name] = [
                {"topic": string_value(call.args[0]), "channel": module_reference(call.args[1], module)}
                for call in parsed.outline.calls
                if call.module_def is module and call.name == "channel" and call.module is None
                and len(call.args) >= 2 and string_value(call.args[0]) is not None]
    found = []
    for path, facts in project.files.items():
        parsed = _reparse(project.layout.root, path) if "endpoint" in facts.kinds else None
        for module in parsed.modules_of("endpoint") if parsed is not None else ():
            endpoint = endpoint_of(parsed.outline, module)
            found.append({
                "module": module.name, "path": path, "plugs": [plug.name for plug in endpoint.plugs],
                "sockets": [{"path": socket.path, "module": socket.module,
                             "channels": channels.get(socket.module or "", [])} for socket in endpoint.sockets],
            })
    return found


def _reparse(root: Path, path: str) -> ParsedFile | None:
    """Routers, endpoints and sockets are read again: their routes, plugs and channels are not cached facts."""
    try:
        data = (root / path).read_bytes()
        decode_source(data)
    except (OSError, ValueError):
        return None
    return ParsedFile(Document(path, data, Language.ELIXIR))


# -- data and jobs --------------------------------------------------------------------------------


def _contexts(project: Project, clients: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Each context with its public API, the schemas under its namespace (`Shop.Catalog.Product`) and the other
    contexts that call it."""
    found = []
    listed = contexts(project)
    names = {module for _, module in listed}
    reaches = _reaches(project, names)
    schemas: dict[str, list[str]] = {}
    for name, (_, facts) in project.modules.items():
        if "schema" in facts.kinds and (owner := _context_of(name, names)) is not None and owner != name:
            schemas.setdefault(owner, []).append(name)
    for path, module in listed:
        entry = project.modules.get(module)
        functions = entry[1].functions if entry is not None else ()
        api = sorted({f"{f.name}/{f.arity}" for f in functions if f.kind in ("def", "defdelegate")})
        used_by = clients.get(module, set())
        found.append({
            "module": module, "path": path, "functions": api,
            "schemas": sorted(schemas.get(module, ())),
            "called_by_contexts": sorted(name for name in used_by & names if name != module),
            "reaches_into": reaches.get(module, []),
        })
    return sorted(found, key=lambda c: c["module"])


def _web_repo_calls(project: Project) -> list[dict[str, Any]]:
    """Controllers, LiveViews, channels and plugs that call a Repo themselves instead of a context: the
    business logic a thin web layer keeps out."""
    is_repo = project.ecto.reach.is_repo
    found = []
    for path, facts in sorted(project.files.items()):
        handlers = {m.name for m in facts.modules if REQUEST_HANDLERS & set(m.kinds)}
        for function in facts.functions if handlers else ():
            if function.module in handlers:
                found += [{"module": function.module, "caller": f"{function.module}.{function.name}/{function.arity}",
                           "call": f"{site.module}.{site.name}/{site.arity}", "path": path, "line": site.line}
                          for site in function.calls if site.module and is_repo(site.module)]
    return found


def _context_of(module: str | None, contexts: set[str]) -> str | None:
    """The innermost context whose namespace holds `module` (the context itself included)."""
    name = module or ""
    while name:
        if name in contexts:
            return name
        name = name.rpartition(".")[0]
    return None


def _reaches(project: Project, names: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Per context, where its code (the context and the modules under its namespace) queries another context's
    schemas or calls their functions (`Catalog.Product.changeset/2` from `Orders`): boundaries crossed
    around the other context's API. Associations between schemas are not counted."""
    schemas = {name for name, (_, facts) in project.modules.items() if "schema" in facts.kinds}
    found: dict[str, list[dict[str, Any]]] = {}

    def add(context: str | None, schema: str, path: str, line: int, how: str) -> None:
        other = _context_of(schema, names)
        if context is not None and other is not None and other != context:
            found.setdefault(context, []).append(
                {"schema": schema, "context": other, "path": path, "line": line, "how": how})

    for path, facts in project.files.items():
        module_here = facts.modules[0].name if len(facts.modules) == 1 else None
        for query in facts.queries:
            if query.schema in schemas:
                add(_context_of(module_here, names), query.schema, path, query.line, "query")
    for (module, name, arity), callers in project.calls.callers_of.items():
        if module in schemas:
            for caller, site in callers:
                if "schema" not in project.kinds_of(caller.function.module or ""):
                    add(_context_of(caller.function.module, names), module, caller.path, site.line, f"calls {name}/{arity}")
    for sites in found.values():
        sites.sort(key=lambda s: (s["path"], s["line"]))
    return found


def _schemas(project: Project) -> list[dict[str, Any]]:
    found = []
    for path, facts in project.files.items():
        for schema in facts.schemas:
            found.append({
                "module": schema.module, "table": schema.table, "path": path,
                "fields": [{"name": f.name, "type": f.type} for f in schema.fields if not f.virtual],
                "associations": [{"kind": a.kind, "name": a.name, "related": a.related} for a in schema.assocs],
            })
    return sorted(found, key=lambda s: s["module"])


def _tables(project: Project) -> list[dict[str, Any]]:
    """The database the migrations build, replayed in order (one per migrations folder)."""
    found = []
    for database in project.ecto.databases:
        for name, table in sorted(database.tables.items()):
            found.append({
                "name": name, "migrations": database.migrations, "created_in": table.origin.path,
                "primary_key": list(table.primary_key),
                "columns": [{"name": c.name, "type": c.type, "null": c.null,
                             "references": c.references.table if c.references else None}
                            for c in table.columns.values()],
                "indexes": [{"columns": list(i.index.columns), "unique": i.index.unique}
                            for i in table.indexes.values()],
                "certain": database.is_certain(table),
                "complete": database.knows_columns(table),
            })
    return found


def _jobs(project: Project) -> dict[str, Any]:
    """Oban queues (from every config and options in code), workers and cron entries."""
    queues: set[str] = set()
    workers, cron = [], []
    for path, facts in project.files.items():
        oban = facts.oban
        if oban is None:
            continue
        queues.update(queue for config in oban.configs if config.known for queue in config.queues)
        workers += [{"module": w.module, "queue": w.queue, "path": path} for w in oban.workers]
        cron += [{"expression": c.expression, "worker": c.worker, "path": path, "line": c.line} for c in oban.crons]
    return {"queues": sorted(queues), "workers": sorted(workers, key=lambda w: w["module"]), "cron": cron}


def _pubsub(project: Project) -> list[dict[str, Any]]:
    """PubSub topics written as literals: who subscribes (processes, LiveViews) and where messages are sent."""
    topics: dict[str, dict[str, Any]] = {}

    def topic(name: str) -> dict[str, Any]:
        return topics.setdefault(name, {"topic": name, "subscribers": [], "broadcasts": []})

    for path, facts in project.files.items():
        for process in facts.otp.processes if facts.otp else ():
            for name in process.subscriptions:
                topic(name)["subscribers"].append(process.module)
        for sent in facts.otp.broadcasts if facts.otp else ():
            topic(sent.topic)["broadcasts"].append({"message": sent.message, "path": path, "line": sent.line})
    return [topics[name] for name in sorted(topics)]


def _telemetry(project: Project) -> list[dict[str, Any]]:
    """`:telemetry` events written as literals: where each is emitted, the handlers attached, the metrics read."""
    events: dict[str, dict[str, Any]] = {}
    lists = {"emit": "emitted", "span": "emitted", "attach": "handlers", "metric": "metrics"}
    for path, facts in project.files.items():
        for use in facts.telemetry:
            event = events.setdefault(use.event, {"event": use.event, "emitted": [], "handlers": [], "metrics": []})
            site = {"where": use.where, "path": path, "line": use.line}
            if use.kind == "attach":
                site["handler"] = use.detail
            elif use.kind == "metric":
                site["metric"] = use.detail
            else:
                site["span"] = use.kind == "span"
            event[lists[use.kind]].append(site)
    return [events[name] for name in sorted(events)]


# -- conventions ----------------------------------------------------------------------------------

# Tools a team wires into its checks, by the dependency that brings them.
_TOOLS = {"credo": "Credo", "dialyxir": "Dialyzer", "sobelow": "Sobelow", "excoveralls": "ExCoveralls",
          "mix_audit": "mix_audit", "styler": "Styler"}
_TEST_LIBRARIES = {"ex_machina": "ExMachina factories", "mox": "Mox mocks", "bypass": "Bypass",
                   "wallaby": "Wallaby browser tests", "phoenix_test": "PhoenixTest", "stream_data": "StreamData"}


def _conventions(project: Project, deps: set[str]) -> dict[str, Any]:
    """How the team works, as far as the source says: checks it runs, how tests are set up, docs coverage."""
    root = project.layout.root
    tools = sorted(_TOOLS[name] for name in deps if name in _TOOLS)
    if (root / ".formatter.exs").is_file():
        tools.insert(0, "mix format")
    case_templates = sorted(name for name, (_, module) in project.modules.items() if "case_template" in module.kinds)
    fixtures = sorted(name for name, (facts, _) in project.modules.items()
                      if name.endswith("Fixtures") and "test_support" in facts.kinds)
    quality = quality_metrics(project).total.shares()
    return {
        "tools": tools,
        "test_libraries": sorted(_TEST_LIBRARIES[name] for name in deps if name in _TEST_LIBRARIES),
        "case_templates": case_templates,
        "fixture_modules": fixtures,
        "docs": {"doc": quality["doc"], "spec": quality["spec"], "moduledoc": quality["moduledoc"]},
        "errors": _error_handling(project),
    }


def _error_handling(project: Project) -> dict[str, Any]:
    """The error-handling style of the shipped code: counts, the exception modules, and the dominant style."""
    styles = [facts.errors for facts in project.files.values() if facts.errors is not None]
    counts = {name: sum(getattr(style, name) for style in styles)
              for name in ("error_tuples", "withs", "raises", "rescues", "bang_functions")}
    return {**counts, "exceptions": sorted(name for style in styles for name in style.exceptions),
            "style": verdict(counts["error_tuples"] + counts["withs"], counts["raises"] + counts["rescues"])}

