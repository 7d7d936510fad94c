"""The project as a whole: its layout and the facts of every file.

Cross-file rules and the faces read this; it is rebuilt each run from cached
per-file facts, so it must stay cheap to assemble.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .callgraph import CallGraph
from .ecto.model import EctoModel
from .facts import FileFacts, ModuleFacts
from .layout import Layout
from .supervision import DynamicIndex
from .taint import TaintPaths


@dataclass
class Project:
    layout: Layout
    files: dict[str, FileFacts] = field(default_factory=dict)
    # Project settings rules read (`privileged-fields`, `max-test-file-lines` from `.beamsage.toml`).
    settings: dict[str, object] = field(default_factory=dict)

    @cached_property
    def modules(self) -> dict[str, tuple[FileFacts, ModuleFacts]]:
        """Every module by name, with the file that defines it (first definition wins)."""
        found: dict[str, tuple[FileFacts, ModuleFacts]] = {}
        for facts in self.files.values():
            for module in facts.modules:
                found.setdefault(module.name, (facts, module))
        return found

    def kinds_of(self, module: str) -> tuple[str, ...]:
        """The kinds of a project module (`"genserver"`, `"controller"`...); () for modules it does not define."""
        entry = self.modules.get(module)
        return tuple(entry[1].kinds) if entry is not None else ()

    @cached_property
    def ecto(self) -> EctoModel:
        return EctoModel(self)

    @cached_property
    def calls(self) -> CallGraph:
        return CallGraph(self)

    @cached_property
    def dynamic(self) -> DynamicIndex:
        return DynamicIndex(self)

    @cached_property
    def taint(self) -> TaintPaths:
        return TaintPaths(self)
