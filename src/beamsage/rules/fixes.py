"""Suggested fixes shared by rule families: new migrations written out whole."""

from __future__ import annotations

from ..model.ecto.database import Database
from ..model.project import Project


def camel(*words: str) -> str:
    """`camel("index", "line_items")` -> `IndexLineItems`."""
    return "".join(part.capitalize() for word in words for part in word.split("_"))


def migration_module(project: Project, database: Database, name: str) -> str:
    """A module name for a new migration in `database`'s folder, prefixed like its others."""
    known = next((step.migration.module for step in database.steps), None)
    if known is None:  # every migration is recorded in structure.sql
        known = next((facts.migrations[0].module for path, facts in project.files.items()
                      if path.startswith(database.migrations + "/") and facts.migrations), None)
    if known is None:
        return f"MyApp.Repo.Migrations.{name}"
    prefix = known.rpartition(".")[0]
    return f"{prefix}.{name}" if prefix else name


def new_migration(module: str, body: str, *, concurrent: bool = False) -> str:
    """A complete migration module; `concurrent` adds the attributes that let
    Postgres build or drop an index CONCURRENTLY (outside a transaction)."""
    attributes = "  @disable_ddl_transaction true\n  @disable_migration_lock true\n" if concurrent else ""
    indented = "\n".join(f"    {line}" if line else "" for line in body.strip("\n").split("\n"))
    return (
        f"defmodule {module} do\n"
        "  use Ecto.Migration\n"
        f"{attributes}\n"
        "  def change do\n"
        f"{indented}\n"
        "  end\n"
        "end"
    )
