"""Which functions perform a database query, and through which calls.

A function performs a query when it calls a Repo (a module that
`use Ecto.Repo`, or is named `*.Repo`) or calls a function that does,
across modules. The shortest such chain is kept, so a finding can show the
path from a loop to the query it reaches.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..callgraph import Caller, CallGraph, FunctionKey
from ..facts import CallSite
from .queries import runs_query

if TYPE_CHECKING:
    from ..project import Project

_WRITES = frozenset(
    {"insert", "insert!", "update", "update!", "delete", "delete!", "insert_or_update", "insert_or_update!",
     "insert_all", "update_all", "delete_all", "transaction", "transact"}
)
_SQL_MODULE = "Ecto.Adapters.SQL"


@dataclass(frozen=True)
class Step:
    """One call on the way to a query: `site` in `caller` reaches `target`."""

    caller: Caller
    site: CallSite
    target: str  # "Shop.Orders.total/1", "Shop.Repo.all/1"


@dataclass(frozen=True)
class QueryPath:
    steps: tuple[Step, ...]  # from the function's own call to the Repo call

    @property
    def query(self) -> Step:
        return self.steps[-1]

    @property
    def writes(self) -> bool:
        return is_write(self.query.site.name)


class Reach:
    def __init__(self, project: Project, graph: CallGraph):
        self.project = project
        self.graph = graph

    @cached_property
    def repos(self) -> frozenset[str]:
        declared = {name for name, (_, module) in self.project.modules.items() if "repo" in module.kinds}
        return frozenset(declared)

    def is_repo(self, module: str) -> bool:
        if module in self.repos or module == _SQL_MODULE:
            return True
        return module not in self.project.modules and (module == "Repo" or module.endswith(".Repo"))

    def repo_call(self, site: CallSite, resolved: str | FunctionKey | None) -> bool:
        """A call that runs a query itself: `Repo.all(q)`, `Ecto.Adapters.SQL.query(...)`, or a
        function the project adds to its Repo module (`Repo.paginate/2`)."""
        module = module_of(resolved)
        return module is not None and self.is_repo(module) and runs_query(site.name)

    @cached_property
    def performs(self) -> dict[FunctionKey, QueryPath]:
        """Every function that performs a query, with the shortest chain to it."""
        found: dict[FunctionKey, QueryPath] = {}
        queue: deque[FunctionKey] = deque()
        for caller, site in self.graph.calls():
            resolved = self.graph.resolve(caller, site)
            if self.repo_call(site, resolved) and caller.key not in found:
                target = f"{module_of(resolved)}.{site.name}/{site.arity}"
                found[caller.key] = QueryPath((Step(caller, site, target),))
                queue.append(caller.key)
        callers_of = self.graph.callers_of
        while queue:
            key = queue.popleft()
            for caller, site in callers_of.get(key, ()):
                if caller.key not in found:
                    step = Step(caller, site, _display(key))
                    found[caller.key] = QueryPath((step, *found[key].steps))
                    queue.append(caller.key)
        return found


def is_write(name: str) -> bool:
    """Whether a Repo function writes (or opens a transaction) rather than reads."""
    return name in _WRITES


def module_of(resolved: str | FunctionKey | None) -> str | None:
    """The module a resolved call reaches."""
    return resolved[0] if isinstance(resolved, tuple) else resolved


def _display(key: FunctionKey) -> str:
    module, name, arity = key
    return f"{module}.{name}/{arity}" if module else name
