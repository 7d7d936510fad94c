"""The project's call graph: every call site resolved to the function it
reaches, across modules, through aliases, imports, captures and
`defdelegate`. Template files are tied to the module that renders them by
Phoenix's conventions, so their local calls resolve like that module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterator

from .facts import CallSite, FunctionCalls

if TYPE_CHECKING:
    from .project import Project

FunctionKey = tuple[str | None, str, int]  # (module, name, arity); module None for a template file


@dataclass(frozen=True)
class Caller:
    path: str
    function: FunctionCalls

    @property
    def key(self) -> FunctionKey:
        function = self.function
        if function.module is None:
            return (None, f"{function.name}:{self.path}", 0)  # each template file is its own function
        return (function.module, function.name, function.arity)


class CallGraph:
    def __init__(self, project: Project):
        self.project = project
        self._resolved: dict[tuple, str | FunctionKey | None] = {}

    @cached_property
    def callers(self) -> dict[FunctionKey, Caller]:
        found: dict[FunctionKey, Caller] = {}
        for path, facts in self.project.files.items():
            for function in facts.functions:
                caller = Caller(path, function)
                found.setdefault(caller.key, caller)
        return found

    @cached_property
    def callers_of(self) -> dict[FunctionKey, list[tuple[Caller, CallSite]]]:
        """The reverse graph: per project function, the call sites (in other functions) that reach it."""
        found: dict[FunctionKey, list[tuple[Caller, CallSite]]] = {}
        for caller, site in self.calls():
            resolved = self.resolve(caller, site)
            if isinstance(resolved, tuple) and resolved != caller.key:
                found.setdefault(resolved, []).append((caller, site))
        return found

    def nearest_callers(self, key: FunctionKey, accept: Callable[[Caller], bool], depth: int = 4,
                        skip: Callable[[Caller, CallSite], bool] | None = None) -> list[tuple[Caller, CallSite]]:
        """The call sites in functions `accept` takes that reach `key`, directly or through up to `depth`
        project functions, at the nearest distance only; call sites `skip` rejects are not followed."""
        found, seen, frontier = [], {key}, [key]
        for _ in range(depth):
            next_frontier = []
            for target in frontier:
                for caller, site in self.callers_of.get(target, ()):
                    if skip is not None and skip(caller, site):
                        continue
                    if accept(caller):
                        found.append((caller, site))
                    elif caller.key not in seen:
                        seen.add(caller.key)
                        next_frontier.append(caller.key)
            if found:
                return found
            frontier = next_frontier
        return found

    @cached_property
    def _arities(self) -> dict[tuple[str, str], list[tuple[int, int]]]:
        """(module, name) -> [(min arity, arity)] of every function the project defines."""
        found: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for name, (_, module) in self.project.modules.items():
            for function in module.functions:
                found.setdefault((name, function.name), []).append((function.min_arity, function.arity))
        return found

    @cached_property
    def template_owners(self) -> dict[str, str]:
        """Template file -> the module that renders it, by Phoenix's conventions:
        `post_html/index.html.heex` belongs to `post_html.ex`, `foo_live.html.heex`
        to `foo_live.ex`, `templates/post/x.html.eex` to `views/post_view.ex`."""
        modules_by_file: dict[str, str] = {}
        for path, facts in self.project.files.items():
            if facts.modules:
                modules_by_file.setdefault(path, facts.modules[0].name)
        owners = {}
        for path, facts in self.project.files.items():
            if facts.language == "elixir":
                continue
            for candidate in _owner_files(path):
                if candidate in modules_by_file:
                    owners[path] = modules_by_file[candidate]
                    break
        return owners

    def calls(self) -> Iterator[tuple[Caller, CallSite]]:
        for caller in self.callers.values():
            for site in caller.function.calls:
                yield caller, site

    def resolve(self, caller: Caller, site: CallSite) -> str | FunctionKey | None:
        """What a call reaches: the key of a project function, a module name for
        a call into a module the project does not define, or None."""
        module = caller.function.module or self.template_owners.get(caller.path)
        in_template = caller.function.module is None
        # A remote call outside templates reaches the same function from any caller.
        memo = (module if in_template or site.module is None else None, in_template, site.module, site.name,
                site.arity)
        if memo not in self._resolved:
            self._resolved[memo] = self._resolve(module, in_template, site)
        return self._resolved[memo]

    def _resolve(self, module: str | None, in_template: bool, site: CallSite) -> str | FunctionKey | None:
        if module is None and site.module is None:
            return None
        if site.module is None:
            # Calls to a module's own functions were resolved in its file; a template
            # calls the functions of its view module, and both call what they import.
            candidates = ([module] if in_template else []) + self._imports(module)
        else:
            candidates = [site.module]
            if in_template and module:  # a template: aliases of its view module
                candidates.insert(0, self.expand(module, site.module))
        for candidate in candidates:
            target = self.function(candidate, site.name, site.arity)
            if target is not None:
                return target
        return site.module if site.module is not None else None

    def function(self, module: str, name: str, arity: int) -> FunctionKey | None:
        """The project function `module.name/arity` answers to (default arguments included)."""
        for low, high in self._arities.get((module, name), ()):
            if low <= arity <= high:
                return (module, name, high)
        return None

    @cached_property
    def _project_imports(self) -> dict[str, list[str]]:
        """Per module, the project modules it imports (calls into others never reach project code)."""
        modules = self.project.modules
        return {
            name: [imported for imported in module.imports if imported in modules]
            for name, (_, module) in modules.items()
            if module.imports
        }

    def _imports(self, module: str) -> list[str]:
        return self._project_imports.get(module, [])

    def expand(self, module: str, name: str) -> str:
        """A module name as written in `module` (`Accounts.User`), with the module's aliases applied."""
        entry = self.project.modules.get(module)
        if entry is None:
            return name
        head, _, rest = name.partition(".")
        full = dict(entry[1].aliases).get(head)
        return (f"{full}.{rest}" if rest else full) if full else name


def _owner_files(path: str) -> Iterator[str]:
    folder, _, name = path.rpartition("/")
    base = name.split(".", 1)[0]
    yield f"{folder}/{base}.ex"  # foo_live.html.heex beside foo_live.ex
    if "/" in folder:
        parent, _, directory = folder.rpartition("/")
        yield f"{parent}/{directory}.ex"  # post_html/index.html.heex -> post_html.ex
        grand, _, section = parent.rpartition("/")
        if section == "templates":  # Phoenix 1.6: templates/post/index.html.eex -> views/post_view.ex
            yield f"{grand}/views/{directory}_view.ex"
