"""Rules about the application's supervision tree: the order its children start in.

A supervisor starts its children one after the other, in list order, and
each `start_link` returns only once that child's `init/1` has run. So a
child may rely on every sibling above it and on none below it. The tree is
read from `Application.start/2` and each `use Supervisor` module's `init/1`
(`model.supervision`); what a child needs comes from the project's call
graph (`model.ecto.reach` for the Repo), and a nested supervisor needs what
its own children need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ...model.kinds import REQUEST_HANDLERS
from ...model.project import Project
from ...model.supervision import ChildFacts, StartChildFacts, SupervisionFacts
from ...source.document import Span
from ..base import Confidence, Finding, Location, ProjectRule, Related, Severity, register

_PUBSUB = "Phoenix.PubSub"


@register
class ChildOrder(ProjectRule):
    """A supervisor's child listed before a sibling it needs at start.

    ## What it finds

    In the children list of `Application.start/2` or of a supervisor's
    `init/1`: the Endpoint before `Phoenix.PubSub` or the Repo, Oban before
    the Repo, a process whose `init/1` queries the Repo (itself or through
    project functions) before the Repo, and a process whose `init/1`
    subscribes to PubSub before `Phoenix.PubSub`, and a process that starts
    children under a named `DynamicSupervisor` listed below it (in `init/1`,
    or in the `handle_continue/2` that runs right after it, at medium
    confidence: that one races the supervisor). A nested supervisor needs
    what its own children need, so `MyApp.Workers` placed above the Repo is
    reported when one of its children queries at start.

    ## Why it matters

    A supervisor starts its children in list order and waits for each
    `init/1`. A child that calls a sibling further down finds no process
    there: the app crashes at boot (`no process` / `unknown registry`), or
    worse, the Endpoint accepts requests and broadcasts before PubSub and
    the Repo are up. Shutdown runs in reverse, so the same order also makes
    the Endpoint keep serving after the Repo has stopped.

    ## Example

    ```elixir
    children = [
      MyAppWeb.Endpoint,
      MyApp.Repo,
      {Phoenix.PubSub, name: MyApp.PubSub}
    ]
    ```

    ## Use instead

    ```elixir
    children = [
      MyApp.Repo,
      {Phoenix.PubSub, name: MyApp.PubSub},
      # Start to serve requests, typically the last entry
      MyAppWeb.Endpoint
    ]
    ```
    """

    id = "OTP.ChildOrder"
    severity = Severity.WARNING
    confidence = Confidence.HIGH

    def check(self, project: Project) -> Iterable[Finding]:
        for path, facts in project.files.items():
            for tree in facts.supervision:
                yield from self._tree(project, path, tree.children)

    def _tree(self, project: Project, path: str, children: tuple[ChildFacts, ...]) -> Iterator[Finding]:
        roles = [_role(project, child) for child in children]
        for index, child in enumerate(children):
            late = []  # (sibling started later, why this child needs it, whether it surely fails)
            for needed, why, sure in _needs(project, child, roles[index]):
                if needed in roles[:index]:
                    continue  # one is already up (a second Repo later is a replica or another database)
                later = next((i for i in range(index + 1, len(children)) if roles[i] == needed), None)
                if later is not None:
                    late.append((children[later], why, sure))
            if not late:
                continue
            names = " and ".join(f"`{_name(other)}` (line {other.line})" for other, _, _ in late)
            reasons = "; ".join(why for _, why, _ in late)
            message = f"`{_name(child)}` is started before {names}, but {reasons}."
            related = [Related(Location.of(path, _span(other)), f"`{_name(other)}` starts here")
                       for other, _, _ in late]
            below = " and ".join(f"`{_name(other)}`" for other, _, _ in late)
            fix = f"Move `{_name(child)}` below {below}: a supervisor starts its children in list order."
            confidence = Confidence.HIGH if any(sure for _, _, sure in late) else Confidence.MEDIUM
            yield self.finding(path, _span(child), message, related=related, fix=fix, confidence=confidence)

def _role(project: Project, child: ChildFacts) -> str:
    module = child.module
    if not module:
        return ""
    if module == _PUBSUB:
        return "pubsub"
    if module == "Oban":
        return "oban"
    if module == "DynamicSupervisor" or module in project.dynamic.supervisors:
        return f"supervisor {dict(child.options).get('name', module)}"  # the name `start_child` addresses
    kinds = project.kinds_of(module)
    if "repo" in kinds or (not kinds and module.endswith(".Repo") and module not in project.modules):
        return "repo"
    if "endpoint" in kinds or (module not in project.modules and module.endswith("Web.Endpoint")):
        return "endpoint"
    return "process"


def _needs(project: Project, child: ChildFacts, role: str) -> Iterator[tuple[str, str, bool]]:
    """The roles a child needs started before it, each with the reason and whether starting it first surely
    fails (False: a race)."""
    if role == "endpoint":
        yield "pubsub", "the Endpoint broadcasts through PubSub and serves requests as soon as it starts", True
        yield "repo", "the Endpoint serves requests that query the Repo as soon as it starts", True
    elif role == "oban":
        yield "repo", "Oban stores and fetches its jobs through the Repo", True
    elif role == "process":
        yield from _process_needs(project, child.module, 0)


def _process_needs(project: Project, module: str, depth: int) -> Iterator[tuple[str, str, bool]]:
    """What a process needs at start; for a supervisor, what its children need that no earlier sibling gives."""
    key = project.calls.function(module, "init", 1)
    path = project.ecto.reach.performs.get(key) if key is not None else None
    if path is not None:
        yield "repo", f"its `init/1` queries the Repo (`{path.query.target}`)", True
    if _subscribes(project, module):
        yield "pubsub", "its `init/1` subscribes to PubSub", True
    for callback, arity, sure in (("init", 1, True), ("handle_continue", 2, False)):
        for start in _starts_children(project, module, callback, arity):
            race = "" if sure else (" as soon as `init/1` returns, racing the supervisor, which is still starting "
                                    "the siblings below")
            yield (f"supervisor {start.supervisor}",
                   f"its `{callback}/{arity}` starts children under `{start.supervisor}` "
                   f"(`{start.module}.{start.function}/{start.arity}`, line {start.line}){race}", sure)
    tree = _nested_tree(project, module)
    if tree is None or depth > 4:
        return
    started: set[str] = set()
    for child in tree.children:
        role = _role(project, child)
        if role == "process":
            for needed, why, sure in _process_needs(project, child.module, depth + 1):
                if needed not in started:
                    yield needed, f"its child `{_name(child)}` needs it: {why}", sure
        started.add(role)


_MAX_HOPS = 4


def _starts_children(project: Project, module: str, callback: str, arity: int) -> list[StartChildFacts]:
    """The `DynamicSupervisor.start_child` calls on a named supervisor that a callback makes, itself or through
    project functions (up to a few calls deep)."""
    key = project.calls.function(module, callback, arity)
    if key is None:
        return []
    sites = project.dynamic.starts_in
    seen, frontier, found = {key}, [key], []
    for _ in range(_MAX_HOPS):
        reached = []
        for current in frontier:
            found += [start for start in sites.get(current, ()) if start.supervisor]
            caller = project.calls.callers.get(current)
            for site in caller.function.calls if caller is not None else ():
                target = project.calls.resolve(caller, site)
                if isinstance(target, tuple) and target not in seen:
                    seen.add(target)
                    reached.append(target)
        frontier = reached
    return found


def _nested_tree(project: Project, module: str) -> SupervisionFacts | None:
    found = project.modules.get(module)
    if found is None:
        return None
    return next((t for t in found[0].supervision if t.supervisor == module and t.kind == "supervisor"), None)


def _subscribes(project: Project, module: str) -> bool:
    found = project.modules.get(module)
    return found is not None and module in found[0].subscribers

def _name(child: ChildFacts) -> str:
    if child.module == "DynamicSupervisor":  # told apart by the name it registers
        return dict(child.options).get("name", child.module)
    return child.module or child.code


def _span(child: ChildFacts) -> Span:
    return Span(child.line, child.column, child.end_line, child.end_column)



@register
class UnboundedDynamicSupervisor(ProjectRule):
    """A DynamicSupervisor that requests start children for, with no `max_children`.

    ## What it finds

    A `DynamicSupervisor` (a `{DynamicSupervisor, name: ...}` child or a
    module calling `DynamicSupervisor.init/1`) without `max_children`, whose
    `start_child/2` is reached from a controller, channel, LiveView or plug
    (directly or through project functions). Children started once per key
    (the child registers under a `{:via, Registry, ...}` name, or the caller
    handles `{:error, {:already_started, pid}}` or looks the key up first)
    are bounded by the keys and not reported.

    ## Why it matters

    Each request, message or visitor can add a process that lives until it
    stops itself. With no bound, a burst of traffic or one abusive client
    grows the supervisor without limit, until memory or the process limit
    takes the node down. `max_children` turns that into `{:error, :max_children}`,
    which the caller can answer.

    ## Example

    ```elixir
    {DynamicSupervisor, name: MyApp.GameSupervisor, strategy: :one_for_one}
    ```

    ## Use instead

    ```elixir
    {DynamicSupervisor, name: MyApp.GameSupervisor, strategy: :one_for_one, max_children: 10_000}
    ```
    """

    id = "OTP.UnboundedDynamicSupervisor"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM

    def check(self, project: Project) -> Iterable[Finding]:
        supervisors, sites = {}, []
        for path, facts in project.files.items():
            if facts.dynamic is None:
                continue
            for supervisor in facts.dynamic.supervisors:
                supervisors.setdefault(supervisor.name, (path, supervisor))
            sites.extend((path, site) for site in facts.dynamic.start_children if not _keyed(project, site))
        if not supervisors or not sites:
            return
        reported = set()
        for path, site in sites:
            found = supervisors.get(site.supervisor)
            if found is None or found[1].bounded or site.supervisor in reported:
                continue
            handler = _handler_reaching(project, (site.module, site.function, site.arity))
            if handler is None:
                continue
            reported.add(site.supervisor)
            where, supervisor = found
            message = (f"DynamicSupervisor `{site.supervisor}` has no `max_children`, and `{handler}` starts its "
                       f"children for each request or message: nothing bounds how many processes it holds.")
            related = [Related(Location.of(path, Span(site.line, site.column, site.end_line, site.end_column)),
                               f"`start_child` reached from `{handler}`")]
            fix = "Set `max_children:` and handle `{:error, :max_children}` where children are started."
            yield self.finding(where, Span(supervisor.line, supervisor.column, supervisor.end_line,
                                           supervisor.end_column), message, related=related, fix=fix)


def _keyed(project: Project, site: StartChildFacts) -> bool:
    """One child per key: the caller handles `:already_started`, or the child registers under a Registry key."""
    if site.keyed:
        return True
    found = project.modules.get(site.child) if site.child else None
    otp = found[0].otp if found is not None else None
    return otp is not None and any(p.module == site.child and p.name_kind == "via" for p in otp.processes)


def _handler_reaching(project: Project, key) -> str | None:
    """The first request-handler function (controller, channel, LiveView, plug) that calls `key`,
    directly or through up to four project functions."""
    if _is_handler(project, key[0]):
        return f"{key[0]}.{key[1]}/{key[2]}"
    found = project.calls.nearest_callers(key, lambda caller: bool(caller.function.module)
                                          and _is_handler(project, caller.function.module))
    if not found:
        return None
    function = found[0][0].function
    return f"{function.module}.{function.name}/{function.arity}"


def _is_handler(project: Project, module: str) -> bool:
    return not REQUEST_HANDLERS.isdisjoint(project.kinds_of(module))


@register
class GlobalNameInCluster(ProjectRule):
    """A `:global` name in an app that runs as a cluster.

    ## What it finds

    In a project that forms a cluster (a libcluster `Cluster.Supervisor`
    child or `:libcluster` topologies in config, or a `DNSCluster` child
    with a literal query): processes registered as `{:global, name}`.
    Apps that do not cluster are not judged. A `name: __MODULE__` process
    is one per node; that is what most such processes (caches, metrics,
    janitors) are meant to be, so it is not reported.

    ## Why it matters

    `{:global, ...}` is unique across the cluster only while the cluster is
    whole; after a netsplit both halves start one, and when they heal
    `:global` kills one of them, losing its state. That may be acceptable
    (a process that rebuilds its state): this is advice to check, not an
    error.

    ## Example

    ```elixir
    def start_link(opts) do
      GenServer.start_link(__MODULE__, opts, name: {:global, __MODULE__})
    end
    ```

    ## Use instead

    ```elixir
    # One per key, per node (Registry), or cluster-wide with a library built for it.
    GenServer.start_link(__MODULE__, opts, name: {:via, Horde.Registry, {MyApp.Registry, key}})
    ```
    """

    id = "OTP.GlobalNameInCluster"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM

    def check(self, project: Project) -> Iterable[Finding]:
        clustering = _clustering(project)
        if clustering is None:
            return
        for path, facts in project.files.items():
            otp = getattr(facts, "otp", None)
            if otp is None or "lib" not in facts.kinds:
                continue
            for process in otp.processes:
                finding = self._process(project, path, process, clustering)
                if finding is not None:
                    yield finding

    def _process(self, project: Project, path: str, process, clustering: str) -> Finding | None:
        found = project.modules.get(process.module)
        if found is None:
            return None
        span = Span(found[1].line, 1, found[1].line, 1)
        if process.name_kind == "global":
            message = (f"`{process.module}` registers `{process.name}` with `:global` in a clustered app "
                       f"({clustering}): after a netsplit two copies run, and `:global` kills one when the "
                       f"cluster heals.")
            fix = "Use a cluster-aware registry (Horde, `:pg`, a leader election) or one process per node."
            return self.finding(path, span, message, fix=fix)
        return None


def _clustering(project: Project) -> str | None:
    """What makes the project a cluster, or None."""
    for facts in project.files.values():
        for tree in facts.supervision:
            for child in tree.children:
                if child.module == "Cluster.Supervisor":
                    return "`Cluster.Supervisor` in its supervision tree"
                if child.module == "DNSCluster" and re.search(r'query:\s*"', child.code):
                    return "`DNSCluster` with a query"
        for entry in facts.config:
            if entry.app == "libcluster" and (entry.option("topologies") or "[]") != "[]":
                return "libcluster topologies in config"
    return None
