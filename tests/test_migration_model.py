"""What the Migration rules stand on: Postgres types as Ecto emits them, what
changing one costs, the facts read from a migration, and each migration's
view of the database just before it ran."""

from __future__ import annotations

import pytest
from conftest import review_project, write

from beamsage.engine.config import Config
from beamsage.model.ecto.types import change_cost, pg_type
from beamsage.rules import Confidence

MIX = "defmodule App.MixProject do\n  use Mix.Project\n  def project, do: [app: :app]\nend\n"


@pytest.mark.parametrize("ecto, sql", [
    (":string", "character varying(255)"),
    ("{:array, :string}", "varchar(255)[]"),
    (":utc_datetime", "timestamp(0) without time zone"),
    (":naive_datetime_usec", "timestamp without time zone"),
    (":map", "jsonb"),
    (":binary_id", "uuid"),
    (":float", "double precision"),
    (":bigserial", "bigint"),
])
def test_ecto_types_are_the_postgres_types_the_adapter_emits(ecto, sql):
    assert pg_type(ecto) == pg_type(sql)


@pytest.mark.parametrize("old, new, cost", [
    (":string", ":string", "none"),
    (":string", ":text", "metadata"),  # varchar to text: catalog only
    ("varchar(100)", ":string", "metadata"),  # a longer varchar
    (":string", "varchar(100)", "rewrite"),  # a shorter one checks every row
    (":utc_datetime", ":utc_datetime_usec", "metadata"),
    ("numeric(10,2)", "numeric(12,2)", "metadata"),
    ("numeric(10,2)", "numeric(10,4)", "rewrite"),
    (":integer", ":bigint", "rewrite"),
    (":json", ":map", "rewrite"),
    (":naive_datetime", "timestamptz", "timezone"),
    (":text", ":citext", "metadata"),
])
def test_what_a_type_change_costs(old, new, cost):
    assert change_cost(pg_type(old), pg_type(new)) == cost


def test_text_to_citext_rebuilds_an_index_on_the_column():
    assert change_cost(pg_type(":text"), pg_type(":citext"), indexed=True) == "reindex"


MIGRATION = '''defmodule App.Repo.Migrations.Change do
  use Ecto.Migration

  def change do
    alter table(:users) do
      modify :email, :citext, null: false, from: {:string, null: true}
      add :bio, :string, size: 500
      timestamps(default: fragment("now()"))
    end

    create constraint(:users, :email_present, check: "email <> ''", validate: false)
    execute "CREATE EXTENSION citext"
    execute "UPDATE users SET bio = ''", ""
    repo().update_all("users", set: [bio: nil])
    flush()
  end
end
'''


def facts_of(tmp_path, source: str):
    write(tmp_path, {"mix.exs": MIX, "priv/repo/migrations/20240101000000_change.exs": source})
    result = review_project(tmp_path, Config(min_confidence=Confidence.LOW))
    (facts,) = result.project.files["priv/repo/migrations/20240101000000_change.exs"].migrations
    return facts


def test_migration_facts(tmp_path):
    facts = facts_of(tmp_path, MIGRATION)
    alter, constraint, *_ = facts.ops
    email, bio, inserted_at, _ = (change.column for change in alter.changes)
    assert (email.type, email.null, email.from_type, email.from_null) == (":citext", False, ":string", True)
    assert (bio.size, bio.position, bio.end_column) == (500, 7, 35)
    assert (inserted_at.null, inserted_at.default) == (False, 'fragment("now()")')
    assert (constraint.kind, constraint.check, constraint.validate) == ("create_constraint", "email <> ''", False)
    assert (facts.entry, facts.entry_line, facts.down) == ("change", 4, False)
    assert [(s.kind, s.call, s.reversible) for s in facts.statements] == [
        ("execute", "execute/1", False),
        ("execute", "execute/2", True),
        ("repo", "repo().update_all/2", True),
    ]
    assert facts.statements[1].sql == "UPDATE users SET bio = ''"


def test_each_migration_sees_the_tables_as_they_were_before_it(tmp_path):
    def migration(name, body):
        return f"defmodule App.Repo.Migrations.{name} do\n  use Ecto.Migration\n  def change do\n{body}\n  end\nend\n"

    write(tmp_path, {
        "mix.exs": MIX,
        "priv/repo/migrations/1_create.exs": migration("Create", "create table(:t) do\nadd :a, :string\nend"),
        "priv/repo/migrations/2_check.exs": migration(
            "Check", 'create constraint(:t, :a_present, check: "a IS NOT NULL", validate: false)'),
        "priv/repo/migrations/3_validate.exs": migration(
            "Validate", 'execute "ALTER TABLE t VALIDATE CONSTRAINT a_present", ""'),
        "priv/repo/migrations/4_widen.exs": migration(
            "Widen", "alter table(:t) do\nmodify :a, :text, null: false, from: :string\nadd :b, :int\nend"),
    })
    (database,) = review_project(tmp_path, Config()).project.ecto.databases
    create, check, validate, widen = database.steps
    assert create.before == {}  # the table did not exist yet
    assert check.before["t"].checks == {}
    assert validate.before["t"].checks["a_present"].validated is False
    before = widen.before["t"]
    assert before.checks["a_present"].validated is True
    assert (before.columns["a"].type, before.columns["a"].null, "b" in before.columns) == (":string", None, False)
    # Later migrations changed the database, not the snapshots.
    assert (database.tables["t"].columns["a"].type, database.tables["t"].columns["a"].null) == (":text", False)
