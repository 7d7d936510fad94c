"""The quality checklist: how much of the code carries `@doc`, `@spec`, `@moduledoc` and `@impl`.

Reported beside the findings, never as findings: a number to watch, not an
error. Counted per module of the code that ships (files under `lib/`, not
tests, config, migrations or `mix.exs`), from one pass over each module's
top-level statements, and summed across files by group:

- **context**: a plain module right under the app's namespace
  (`lib/my_app/accounts.ex`) that talks to a Repo or has a folder of its own
  (`lib/my_app/accounts/`): a Phoenix context;
- **web**: the web layer (`MyAppWeb.*`, files under `lib/my_app_web/`,
  controllers, LiveViews, components, channels, plugs);
- **other**: everything else (schemas, workers, servers, helpers).

What counts:

- public functions (`def`, `defmacro`, `defdelegate`, `defguard`; one per
  name and arity, `__using__`-style names left out) that are not callbacks:
  with a `@doc` before them (`@doc false` counts: hiding is a decision; so does
  living in a `@moduledoc false` module), and with a `@spec` for that arity;
- modules (`defmodule`, `defprotocol`) with a `@moduledoc` (false included);
- callbacks: functions marked `@impl`, and functions of a known behaviour
  (GenServer, LiveView, Oban worker...) by name and arity; with `@impl` or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec
from tree_sitter import Node

from ..source.syntax import Clause, ModuleDef, arguments, call_target_name, do_block, operator, text

if TYPE_CHECKING:
    from .parsed import ParsedFile
    from .project import Project

GROUPS = ("context", "web", "other")
_NOT_SHIPPED = frozenset({"test", "test_support", "config", "mix", "migration", "template"})
_PUBLIC = frozenset({"def", "defmacro", "defdelegate", "defguard"})
_WEB_KINDS = frozenset({"controller", "live_view", "live_component", "component", "router", "channel", "socket",
                        "endpoint", "view", "plug", "presence"})
_CONTEXT_BLOCKERS = frozenset({"schema", "repo", "application", "genserver", "agent", "supervisor", "task",
                               "genstage", "gen_statem", "oban_worker", "migration"})
_EXTRA_CALLBACKS: dict[str, frozenset[tuple[str, int]]] = {
    "socket": frozenset({("connect", 2), ("connect", 3), ("id", 1)}),
    "plug": frozenset({("init", 1), ("call", 2)}),
    "genstage": frozenset({("init", 1), ("handle_demand", 2), ("handle_events", 3), ("handle_subscribe", 4),
                           ("handle_cancel", 3), ("handle_info", 2), ("handle_call", 3), ("handle_cast", 2),
                           ("terminate", 2)}),
}


class ModuleQuality(msgspec.Struct, frozen=True, gc=False, array_like=True):
    module: str
    group: str  # "web", "context?" (a context if it has a folder of its own or calls a Repo), "other"
    functions: int
    documented: int
    specced: int
    moduledoc: bool
    callbacks: int
    with_impl: int
    repo: bool = False


class QualityFacts(msgspec.Struct, frozen=True, gc=False):
    modules: tuple[ModuleQuality, ...] = ()


def quality_facts(file: ParsedFile) -> QualityFacts | None:
    if file.tree is None or file.doc.language.value != "elixir" or file.kinds & _NOT_SHIPPED or "lib" not in file.kinds:
        return None
    clauses: dict[int, Clause] = {c.node.id: c for c in file.outline.clauses}
    repo = {id(c.module_def) for c in file.outline.calls
            if c.module and (c.module == "Repo" or c.module.endswith(".Repo"))}
    modules = tuple(_module(file, m, clauses, id(m) in repo) for m in file.outline.modules if m.kind != "defimpl")
    return QualityFacts(modules) if modules else None


def _module(file: ParsedFile, module: ModuleDef, clauses: dict[int, Clause], repo: bool) -> ModuleQuality:
    docs: set[tuple[str, int]] = set()
    impls: set[tuple[str, int]] = set()
    arities: dict[tuple[str, int], int] = {}  # public function -> its lowest arity (defaults)
    specs: set[tuple[str, int]] = set()
    moduledoc = hidden = False
    pending_doc = pending_impl = False
    for statement in _statements(module.node):
        attribute = _attribute(statement)
        if attribute is not None:
            name, value = attribute
            if name == "moduledoc":
                moduledoc = True
                hidden = hidden or (value is not None and text(value) == "false")
            elif name == "doc":
                pending_doc = True
            elif name == "impl":
                pending_impl = True
            elif name == "spec" and value is not None:
                specs.update(_spec_heads(value))
            continue
        clause = clauses.get(statement.id)
        if clause is None:
            continue
        key = (clause.name, clause.arity)
        if pending_doc:
            docs.add(key)
        if pending_impl:
            impls.add(key)
        pending_doc = pending_impl = False
        if clause.kind in _PUBLIC and not clause.name.startswith("__"):
            arities[key] = min(arities.get(key, clause.min_arity), clause.min_arity)
    from .otp import CALLBACKS  # here: `otp` imports `facts`, which imports this module

    kinds = file.kinds_of(module)
    known = set().union(*(CALLBACKS.get(k, frozenset()) | _EXTRA_CALLBACKS.get(k, frozenset()) for k in kinds)) \
        if kinds else set()
    callbacks = {key for key in arities if key in known or key in impls}
    functions = [key for key in arities if key not in callbacks]
    specced = sum(1 for name, arity in functions
                  if any((name, a) in specs for a in range(arities[(name, arity)], arity + 1)))
    return ModuleQuality(
        module=module.name,
        group=_group(file, module, kinds),
        functions=len(functions),
        documented=len(functions) if hidden else sum(1 for key in functions if key in docs),
        specced=specced,
        moduledoc=moduledoc,
        callbacks=len(callbacks),
        with_impl=sum(1 for key in callbacks if key in impls),
        repo=repo,
    )


def _statements(node: Node) -> list[Node]:
    block = do_block(node)
    return [c for c in block.named_children if c.type in ("unary_operator", "call")] if block is not None else []


def _attribute(node: Node) -> tuple[str, Node | None] | None:
    if node.type != "unary_operator" or operator(node) != "@":
        return None
    operand = node.child_by_field_name("operand")
    if operand is None:
        return None
    if operand.type == "identifier":
        return text(operand), None
    name = call_target_name(operand) if operand.type == "call" else None
    if name is None:
        return None
    args = arguments(operand)
    return name, args[0] if args else None


def _spec_heads(node: Node) -> set[tuple[str, int]]:
    """`(name, arity)` of `@spec name(a, b) :: t` (also with `when`)."""
    while node.type == "binary_operator" and operator(node) in ("when", "::"):
        node = node.child_by_field_name("left") or node
        if node.type == "binary_operator" and operator(node) not in ("when", "::"):
            return set()
    if node.type == "call":
        name = call_target_name(node)
        return {(name, len(arguments(node)))} if name else set()
    if node.type == "identifier":
        return {(text(node), 0)}
    return set()


def _group(file: ParsedFile, module: ModuleDef, kinds: tuple[str, ...]) -> str:
    path = file.path
    parts = path.split("/")
    if kinds and set(kinds) & _WEB_KINDS:
        return "web"
    if any(p.endswith("_web") for p in parts[:-1]) or parts[-1].endswith("_web.ex") \
            or any(segment.endswith("Web") for segment in module.name.split(".")):
        return "web"
    # A plain module at lib/<app>/<name>.ex, top-level in its file: maybe a context.
    lib = len(parts) - 1 - parts[::-1].index("lib") if "lib" in parts[:-1] else -1
    if lib >= 0 and len(parts) - lib == 3 and module.parent is None and not set(kinds) & _CONTEXT_BLOCKERS:
        return "context?"
    return "other"


# -- summing ------------------------------------------------------------------------------


@dataclass
class Counts:
    functions: int = 0
    documented: int = 0
    specced: int = 0
    modules: int = 0
    with_moduledoc: int = 0
    callbacks: int = 0
    with_impl: int = 0

    def add(self, module: ModuleQuality) -> None:
        self.functions += module.functions
        self.documented += module.documented
        self.specced += module.specced
        self.modules += 1
        self.with_moduledoc += module.moduledoc
        self.callbacks += module.callbacks
        self.with_impl += module.with_impl

    def shares(self) -> dict[str, float | None]:
        return {"doc": _share(self.documented, self.functions), "spec": _share(self.specced, self.functions),
                "moduledoc": _share(self.with_moduledoc, self.modules), "impl": _share(self.with_impl, self.callbacks)}

    def json(self) -> dict:
        return {"public_functions": self.functions, "with_doc": self.documented, "with_spec": self.specced,
                "modules": self.modules, "with_moduledoc": self.with_moduledoc, "callbacks": self.callbacks,
                "with_impl": self.with_impl, "share": self.shares()}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


@dataclass
class QualityMetrics:
    groups: dict[str, Counts] = field(default_factory=lambda: {g: Counts() for g in GROUPS})
    total: Counts = field(default_factory=Counts)

    def json(self) -> dict:
        return {**{name: counts.json() for name, counts in self.groups.items()}, "all": self.total.json()}


def quality_metrics(project: Project) -> QualityMetrics:
    """The checklist summed over the files in focus (cached per-file facts; nothing is parsed here)."""
    metrics = QualityMetrics()
    for path, module, group in _grouped(project):
        if project.layout.in_focus(path):
            metrics.groups[group].add(module)
            metrics.total.add(module)
    return metrics


def contexts(project: Project) -> list[tuple[str, str]]:
    """`(path, module)` of each Phoenix context: a plain module right under the app's namespace that talks to
    a Repo or has a folder of its own."""
    return [(path, module.module) for path, module, group in _grouped(project) if group == "context"]


def _grouped(project: Project):
    """Every shipped module with its group, "context?" decided."""
    folders: set[str] | None = None
    for path, facts in project.files.items():
        for module in facts.quality.modules if facts.quality is not None else ():
            group = module.group
            if group == "context?":
                if folders is None:
                    folders = _folders(project.files)
                group = "context" if module.repo or path.rsplit(".", 1)[0] in folders else "other"
            yield path, module, group


def _folders(paths) -> set[str]:
    found: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for end in range(len(parts), 0, -1):
            folder = "/".join(parts[:end])
            if folder in found:
                break
            found.add(folder)
    return found
