"""The project's Ecto model: schemas by module and the replayed databases."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .database import Database, Table, build_databases
from .facts import SchemaFacts
from .loading import Loading
from .reach import Reach

if TYPE_CHECKING:
    from ..project import Project


class EctoModel:
    def __init__(self, project: Project):
        self.project = project

    @cached_property
    def schemas(self) -> dict[str, tuple[str, SchemaFacts]]:
        """Every schema by module name, with the file that defines it."""
        found: dict[str, tuple[str, SchemaFacts]] = {}
        for path, facts in self.project.files.items():
            for schema in facts.schemas:
                found.setdefault(schema.module, (path, schema))
        return found

    @cached_property
    def databases(self) -> list[Database]:
        migrations = [(path, m) for path, facts in self.project.files.items() for m in facts.migrations]
        return build_databases(migrations, self.project.layout.root)

    def tables(self, name: str) -> list[tuple[Database, Table]]:
        """The tables called `name`, one per database that has it."""
        return [(db, db.tables[name]) for db in self.databases if name in db.tables]

    @cached_property
    def reach(self) -> Reach:
        """Which functions perform a query, and how."""
        return Reach(self.project, self.project.calls)

    @cached_property
    def loading(self) -> Loading:
        """Which associations values have loaded, across functions and templates."""
        return Loading(self.project, self.project.calls)
