"""Which associations values have loaded, across the project.

Joins the per-function facts of `loads.py`: a value that comes from a
project function takes what that function returns (through any number of
calls), and the assigns a template reads are tied to what is handed to it:

- a template file belongs to its view module (`post_html/index.html.heex`
  to `PostHTML`, `templates/post/` to `PostView`); a controller
  `AppWeb.PostController` rendering `:index` hands its assigns to `index`
  of `AppWeb.PostHTML` or `AppWeb.PostView`;
- a LiveView's (or LiveComponent's) `render/1` and colocated template read
  whatever any of its functions assigns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from ..callgraph import Caller, CallGraph, FunctionKey
from ..facts import CallSite, FunctionCalls
from .facts import AssignFacts, AssocRead, FunctionLoads, Origin

if TYPE_CHECKING:
    from ..project import Project

_MAX_DEPTH = 12
_LIVE = frozenset({"live_view", "live_component"})


@dataclass(frozen=True)
class Source:
    """One step of where a value comes from."""

    path: str
    line: int
    column: int
    label: str  # "`App.Blog.list_posts/0`", "the query"


@dataclass(frozen=True)
class Loaded:
    """Structs of `schema` (a list when `many`) with `preloads` loaded."""

    schema: str
    many: bool
    preloads: frozenset[str]
    sources: tuple[Source, ...]  # from where the value is used to the query that loads it


@dataclass(frozen=True)
class PageRead:
    path: str
    read: AssocRead


@dataclass(frozen=True)
class PageAssign:
    path: str
    function: FunctionLoads
    assign: AssignFacts


@dataclass
class Page:
    """What one template (or `render/1`) reads from its assigns, and what it is given."""

    reads: list[PageRead]
    assigns: list[PageAssign]


class Loading:
    def __init__(self, project: Project, graph: CallGraph):
        self.project = project
        self.graph = graph
        self._returned: dict[FunctionKey, Loaded | None] = {}

    @cached_property
    def returns(self) -> dict[FunctionKey, tuple[str, Origin]]:
        """What each function returns, when it is known, with its file."""
        return {
            (function.module, function.name, function.arity): (path, function.returns)
            for path, facts in self.project.files.items()
            for function in facts.loads
            if function.returns is not None
        }

    def loaded(self, origin: Origin, path: str, module: str | None, depth: int = 0) -> Loaded | None:
        """The structs a value holds and what they have loaded, when that is certain."""
        here = Source(path, origin.line, origin.column, "the query")
        if origin.schema is not None:
            found = Loaded(origin.schema, origin.many, frozenset(origin.preloads), (here,))
        elif origin.call is not None:
            key = self._resolve(origin, path, module)
            returned = self._returned_by(key, depth) if key is not None else None
            if returned is None:
                return None
            step = replace(here, label=f"`{key[0]}.{key[1]}/{key[2]}`")
            found = replace(returned, preloads=returned.preloads | set(origin.preloads),
                            sources=(step, *returned.sources))
        else:
            return None
        if origin.element:
            return replace(found, many=False) if found.many else None
        return found

    def _returned_by(self, key: FunctionKey, depth: int) -> Loaded | None:
        if key not in self._returned:
            self._returned[key] = None  # a recursive function returns nothing certain
            if key in self.returns and depth < _MAX_DEPTH:
                path, origin = self.returns[key]
                self._returned[key] = self.loaded(origin, path, key[0], depth + 1)
        return self._returned[key]

    def _resolve(self, origin: Origin, path: str, module: str | None) -> FunctionKey | None:
        callee_module, name, arity = origin.call
        caller = Caller(path, FunctionCalls(module, "", 0, origin.line))
        site = CallSite(callee_module, name, arity, origin.line, origin.column, origin.line, origin.column)
        resolved = self.graph.resolve(caller, site)
        return resolved if isinstance(resolved, tuple) else None

    @cached_property
    def pages(self) -> dict[tuple[str, str], Page]:
        """Per `(view module, template)`, the assign reads and the assigns handed to it."""
        found: dict[tuple[str, str], Page] = {}
        for path, facts in self.project.files.items():
            for function in facts.loads:
                for read in function.reads:
                    page = self._read_page(path, function, read) if read.assign is not None else None
                    if page is not None:
                        found.setdefault(page, Page([], [])).reads.append(PageRead(path, read))
                for assign in function.assigns:
                    for page in self._assign_pages(function, assign):
                        found.setdefault(page, Page([], [])).assigns.append(PageAssign(path, function, assign))
        return {page: value for page, value in found.items() if value.reads and value.assigns}

    def _read_page(self, path: str, function: FunctionLoads, read: AssocRead) -> tuple[str, str] | None:
        if function.module is not None:
            return (function.module, read.page) if read.page else None
        owner = self.graph.template_owners.get(path)
        if owner is None:
            return None
        if _LIVE & set(self.project.kinds_of(owner)):
            return owner, "render"
        return owner, path.rpartition("/")[2].split(".", 1)[0]

    def _assign_pages(self, function: FunctionLoads, assign: AssignFacts) -> list[tuple[str, str]]:
        if function.module is None:
            return []
        if assign.template is None:
            return [(function.module, "render")]
        if not function.module.endswith("Controller"):
            return []  # its view is set with `put_view`: not followed
        base = function.module.removesuffix("Controller")
        return [(f"{base}HTML", assign.template), (f"{base}View", assign.template)]
