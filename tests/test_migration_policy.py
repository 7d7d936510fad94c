"""Which migrations the Migration rules judge, and settings that change their verdicts."""

from __future__ import annotations

import json

from conftest import run_cli, write

MIX = 'defmodule App.MixProject do\n  use Mix.Project\n  def project, do: [app: :app, version: "0.1.0"]\nend\n'
REPO = "defmodule App.Repo do\n  use Ecto.Repo, otp_app: :app, adapter: Ecto.Adapters.Postgres\nend\n"


def migration(module: str, body: str, attributes: str = "") -> str:
    return (f"defmodule App.Repo.Migrations.{module} do\n  use Ecto.Migration\n{attributes}\n"
            f"  def change do\n{body}\n  end\nend\n")


def project(tmp_path, **extra):
    return write(tmp_path, {
        "mix.exs": MIX,
        "lib/app/repo.ex": REPO,
        "priv/repo/migrations/20240101000000_create_users.exs": migration(
            "CreateUsers", "    create table(:users) do\n      add :email, :string\n    end"),
        # Ran long ago: a lock on `users` that production has already lived through.
        "priv/repo/migrations/20240201000000_index_email.exs": migration(
            "IndexEmail", "    create index(:users, [:email])"),
        # The migration this pull request adds.
        "priv/repo/migrations/20240301000000_index_inserted_at.exs": migration(
            "IndexInsertedAt", "    create index(:users, [:inserted_at])"),
        **extra,
    })


def migration_findings(root, *args):
    result = run_cli("review", str(root), "-f", "json", *args)
    doc = json.loads(result.stdout)
    return [(f["rule"], f["path"]) for f in doc["findings"] if f["family"] == "Migration"], doc, result


def test_every_replayed_migration_is_judged_by_default(tmp_path):
    found, _, _ = migration_findings(project(tmp_path))
    assert [path for _, path in found] == [
        "priv/repo/migrations/20240201000000_index_email.exs",
        "priv/repo/migrations/20240301000000_index_inserted_at.exs",
    ]


def test_start_after_retires_older_migrations(tmp_path):
    root = project(tmp_path, **{".beamsage.toml": "migrations-start-after = 20240201000000\n"})
    found, doc, result = migration_findings(root)
    assert found == [("Migration.IndexNotConcurrent", "priv/repo/migrations/20240301000000_index_inserted_at.exs")]
    assert doc["summary"]["hidden"] == 1
    assert result.returncode == 1


def test_start_after_must_be_a_version(tmp_path):
    root = project(tmp_path, **{".beamsage.toml": 'migrations-start-after = "last week"\n'})
    result = run_cli("review", str(root), "-f", "json")
    assert result.returncode == 2 and not result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "migrations-start-after" in result.stderr


CONCURRENT = migration(
    "IndexEmailConcurrently", "    create index(:users, [:email], concurrently: true)",
    "  @disable_ddl_transaction true\n",
)


def test_concurrent_index_without_migration_lock_attribute(tmp_path):
    root = write(tmp_path, {
        "mix.exs": MIX, "lib/app/repo.ex": REPO,
        "priv/repo/migrations/20240101000000_create_users.exs": migration(
            "CreateUsers", "    create table(:users) do\n      add :email, :string\n    end"),
        "priv/repo/migrations/20240201000000_index_email.exs": CONCURRENT,
    })
    found, doc, _ = migration_findings(root, "--min-confidence", "low")
    assert found == [("Migration.ConcurrentIndexInTransaction", "priv/repo/migrations/20240201000000_index_email.exs")]
    assert doc["findings"][0]["confidence"] == "medium"
    # With Postgres advisory locks the migrator holds no transaction open.
    write(root, {"config/config.exs": "import Config\n\nconfig :app, App.Repo, migration_lock: :pg_advisory_lock\n"})
    found, _, _ = migration_findings(root, "--min-confidence", "low")
    assert found == []


def test_index_fix_is_a_whole_concurrent_migration(tmp_path):
    result = run_cli("review", str(project(tmp_path)), "-f", "json")
    fixes = [f["fix"] for f in json.loads(result.stdout)["findings"] if f["rule"] == "Migration.IndexNotConcurrent"]
    assert fixes and all(
        "defmodule App.Repo.Migrations.Create" in fix and "@disable_ddl_transaction true" in fix
        and "@disable_migration_lock true" in fix and "concurrently: true)" in fix
        for fix in fixes
    )
