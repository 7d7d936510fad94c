"""What the LiveView facts of every file tell together.

- `reaching(kind)`: the project functions that subscribe, track presence,
  start a timer or call an HTTP client, themselves or through the functions
  they call, with the chain of calls; calls made only when connected
  (`deferred`) do not count.
- `calls(key)`: the calls a function such as `mount/3` makes on both
  renders, each resolved through the call graph.
- `routes`, `handlers(module, event)`, `owner(path, module)`: the live routes,
  the `handle_event/3` clauses answering an event, and the module a template
  belongs to.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from ..callgraph import Caller, FunctionKey
from ..facts import CallSite, ModuleFacts
from .build import route_matches
from .facts import Effect, EventClause, LiveRoute

if TYPE_CHECKING:
    from ..project import Project

# Module uses that keep a LiveView's callbacks where its source shows them.
_PLAIN_USES = frozenset({"Phoenix.LiveView", "Phoenix.LiveComponent", "Phoenix.Component"})


class LiveViews:
    def __init__(self, project: Project):
        self.project = project
        self.graph = project.calls

    @cached_property
    def routes(self) -> list[LiveRoute]:
        return [r for facts in self.project.files.values() if facts.liveview for r in facts.liveview.routes]

    def routes_to(self, target: str) -> list[LiveRoute]:
        """The live routes a patch target may land on (`route_matches`), looked up by its first segment
        or helper name rather than against every route."""
        key = _route_key(target)
        candidates = self.routes if not key else self._route_index.get(key, self._route_index.get("path:", []))
        return [route for route in candidates if route_matches(target, route)]

    @cached_property
    def _route_index(self) -> dict[str, list[LiveRoute]]:
        """Routes by helper name and by first path segment; routes whose first segment matches anything
        (`:id`, `*path`, the root) are in every path bucket."""
        index: dict[str, list[LiveRoute]] = {}
        anywhere = []
        for route in self.routes:
            index.setdefault("helper:" + route.helper, []).append(route)
            first = _first_segment(route.path)
            if first is None or first[0] in ":*":
                anywhere.append(route)
            else:
                index.setdefault("path:" + first, []).append(route)
        for key in index:
            if key.startswith("path:"):
                index[key] += anywhere
        index["path:"] = anywhere  # a first segment no route names literally (helpers: no bucket, no route)
        return index

    @cached_property
    def param_hooks(self) -> set[str]:
        return {m for facts in self.project.files.values() if facts.liveview for m in facts.liveview.param_hooks}

    @cached_property
    def _deferred(self) -> dict[str, set[tuple[int, int]]]:
        return {path: set(facts.liveview.deferred) for path, facts in self.project.files.items()
                if facts.liveview and facts.liveview.deferred}

    def deferred(self, path: str, site: CallSite) -> bool:
        return (site.line, site.column) in self._deferred.get(path, ())

    @cached_property
    def effects(self) -> dict[FunctionKey, list[tuple[str, Effect]]]:
        found: dict[FunctionKey, list[tuple[str, Effect]]] = {}
        for path, facts in self.project.files.items():
            for effect in facts.liveview.effects if facts.liveview else ():
                found.setdefault((effect.module, effect.function, effect.arity), []).append((path, effect))
        return found

    def reaching(self, kind: str) -> dict[FunctionKey, tuple[str, ...]]:
        """Functions that perform an effect of `kind` on every call, with the calls on the way
        (`("`Shop.Catalog.subscribe/0`", "`Phoenix.PubSub.subscribe/2`")`)."""
        cache = self.__dict__.setdefault("_reaching", {})
        if kind in cache:
            return cache[kind]
        found: dict[FunctionKey, tuple[str, ...]] = {}
        queue: deque[FunctionKey] = deque()
        for key, effects in self.effects.items():
            effect = next((e for _, e in effects if e.kind == kind), None)
            if effect is not None:
                found[key] = (f"`{effect.call}`",)
                queue.append(key)
        callers_of = self.graph.callers_of
        while queue:
            key = queue.popleft()
            for caller, site in callers_of.get(key, ()):
                if caller.key not in found and not self.deferred(caller.path, site) and len(found[key]) < 6:
                    found[caller.key] = (_display(key), *found[key])
                    queue.append(caller.key)
        cache[kind] = found
        return found

    def calls(self, key: FunctionKey) -> Iterator[tuple[Caller, CallSite, object]]:
        """`(caller, site, resolved)` for each call the function makes on both renders (in `mount/3`:
        outside `connected?` and async callbacks), resolved through the call graph."""
        caller = self.graph.callers.get(key)
        if caller is None:
            return
        for site in caller.function.calls:
            if not self.deferred(caller.path, site):
                yield caller, site, self.graph.resolve(caller, site)

    @cached_property
    def _events(self) -> dict[str, list[tuple[str, EventClause]]]:
        found: dict[str, list[tuple[str, EventClause]]] = {}
        for path, facts in self.project.files.items():
            for event in facts.liveview.events if facts.liveview else ():
                found.setdefault(event.module, []).append((path, event))
        return found

    def handlers(self, module: str, event: str) -> list[tuple[str, EventClause]] | None:
        """The `handle_event/3` clauses of `module` that answer `event`; None when a clause
        matching any event (or none at all) leaves it unknown."""
        clauses = self._events.get(module, [])
        if not clauses or any(c.event == "" for _, c in clauses):
            return None
        return [(p, c) for p, c in clauses if c.event == event]

    def owner(self, path: str, module: str | None) -> str | None:
        """The module whose code or template holds something at `path`."""
        return module or self.graph.template_owners.get(path)

    def module(self, name: str | None) -> ModuleFacts | None:
        entry = self.project.modules.get(name) if name else None
        return entry[1] if entry is not None else None

    def defines(self, name: str, function: str, arity: int) -> bool | None:
        """Whether the module defines `function/arity`; None when it is not in the project or a `use`
        of something else than Phoenix's own may define functions the source does not show."""
        module = self.module(name)
        if module is None:
            return None
        if any(f.name == function and f.arity == arity for f in module.functions):
            return True
        if any(u.module not in _PLAIN_USES and not _web_role(u.argument) for u in module.uses):
            return None
        return False


def liveviews(project: Project) -> LiveViews:
    """The project's LiveView model, built once per project."""
    found = project.__dict__.get("_liveviews")
    if found is None:
        found = project.__dict__["_liveviews"] = LiveViews(project)
    return found


def _route_key(target: str) -> str:
    """The index key of a patch target; "" (every route) when its first segment is interpolated."""
    if target.startswith(("helper:", "module:")):
        return "helper:" + target.split(":", 2)[1]
    first = _first_segment(target)
    return "" if first is None or first == "*" else "path:" + first


def _first_segment(path: str) -> str | None:
    return next((segment for segment in path.split("/") if segment), None)


def _web_role(argument: str | None) -> bool:
    return (argument or "").strip() in (":live_view", ":live_component", ":html", ":component")


def _display(key: FunctionKey) -> str:
    module, name, arity = key
    return f"`{module}.{name}/{arity}`" if module else f"`{name}`"
