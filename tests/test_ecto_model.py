"""The Ecto model as a user relies on it: the database a project's migrations
(and its structure.sql) build, and what the rules conclude from it."""

from __future__ import annotations

from beamsage.engine.config import Config
from beamsage.rules import Confidence

from conftest import review_project, write

MIX = "defmodule App.MixProject do\n  use Mix.Project\n  def project, do: [app: :app]\nend\n"
REPO = "defmodule App.Repo do\n  use Ecto.Repo, otp_app: :app, adapter: Ecto.Adapters.Postgres\nend\n"
ALL = Config(min_confidence=Confidence.LOW)


def migration(module: str, body: str) -> str:
    return f"defmodule App.Repo.Migrations.{module} do\n  use Ecto.Migration\n\n  def change do\n{body}\n  end\nend\n"


STRUCTURE = """\
SET statement_timeout = 0;

CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying(255)
);

CREATE TABLE public.comments (
    id bigint NOT NULL,
    post_id bigint
);

CREATE TABLE public.tags (
    id bigint NOT NULL,
    user_id bigint
);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.comments
    ADD CONSTRAINT comments_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.posts(id);

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT tags_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

INSERT INTO public."schema_migrations" (version) VALUES (20240101000000);
"""


def test_structure_sql_is_the_starting_point_and_newer_migrations_apply(tmp_path):
    root = write(tmp_path, {
        "mix.exs": MIX,
        "lib/app/repo.ex": REPO,
        "priv/repo/structure.sql": STRUCTURE,
        # Recorded in structure.sql: already part of it, neither replayed again nor judged
        # (its index on the existing `users` table ran long ago).
        "priv/repo/migrations/20240101000000_create_drafts.exs": migration(
            "CreateDrafts",
            "    create table(:drafts) do\n      add :user_id, references(:users)\n    end\n"
            "    create index(:users, [:email])",
        ),
        # Newer than the dump: replayed on top of it.
        "priv/repo/migrations/20240301000000_index_comments.exs": migration(
            "IndexComments", "    create index(:comments, [:post_id])"
        ),
    })
    result = review_project(root, ALL)
    (database,) = result.project.ecto.databases
    assert set(database.tables) == {"users", "comments", "tags"}
    assert "comments_post_id_index" in database.tables["comments"].indexes
    found = [(f.rule, f.location.path, f.location.line) for f in result.findings]
    # The FK constraint statement of tags.user_id starts on line 24; the newer
    # migration indexes a table the dump holds, so it is judged as a table in use.
    assert found == [
        ("Migration.IndexNotConcurrent", "priv/repo/migrations/20240301000000_index_comments.exs", 5),
        ("Ecto.MissingForeignKeyIndex", "priv/repo/structure.sql", 24),
    ]


def test_replay_follows_renames_and_removals(tmp_path):
    root = write(tmp_path, {
        "mix.exs": MIX,
        "lib/app/repo.ex": REPO,
        "priv/repo/migrations/20240101000000_create.exs": migration(
            "Create",
            "    create table(:people) do\n      add :handle, :string\n      add :nick, :string\n    end\n"
            "    create unique_index(:people, [:handle])\n    create index(:people, [:nick])",
        ),
        "priv/repo/migrations/20240102000000_rename.exs": migration(
            "Rename",
            "    rename table(:people), to: table(:users)\n    rename table(:users), :handle, to: :username\n"
            "    alter table(:users) do\n      remove :nick\n    end",
        ),
    })
    (database,) = review_project(root, ALL).project.ecto.databases
    users = database.tables["users"]
    assert "people" not in database.tables
    assert set(users.columns) == {"id", "username"}
    # Postgres keeps an index's name when its table is renamed and drops it with its column.
    assert set(users.indexes) == {"people_handle_index"}
    assert users.indexes["people_handle_index"].columns == ("username",)
    assert users.indexes["people_handle_index"].origin.path.endswith("20240101000000_create.exs")


def test_each_repo_folder_is_its_own_database(tmp_path):
    root = write(tmp_path, {
        "mix.exs": MIX,
        "lib/app/repo.ex": REPO,
        "priv/repo/migrations/20240101000000_a.exs": migration("A", "    create table(:events) do\n    end"),
        "priv/audit_repo/migrations/20240101000000_b.exs": migration("B", "    create table(:trails) do\n    end"),
    })
    databases = review_project(root, ALL).project.ecto.databases
    assert {d.migrations: set(d.tables) for d in databases} == {
        "priv/audit_repo/migrations": {"trails"},
        "priv/repo/migrations": {"events"},
    }
