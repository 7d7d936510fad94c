"""The Schema rules compare each Ecto schema with the database its migrations
build: what they stand on (which tables are fully known, what a schema
declares, which fields the application writes) and where they must stay quiet.

The annotated fixture apps `apps/schema_consistency` (findings and near
misses) and `apps/schema_phx_gen` (generator output: no finding) cover the
rules line by line; this file covers what one app cannot show at once."""

from __future__ import annotations

from beamsage.engine.config import Config
from beamsage.rules import Confidence

from conftest import review_project, write

MIX = "defmodule App.MixProject do\n  use Mix.Project\n  def project, do: [app: :app]\nend\n"
ALL = Config(min_confidence=Confidence.LOW)


def migration(module: str, body: str, extra: str = "") -> str:
    return (f"defmodule App.Repo.Migrations.{module} do\n  use Ecto.Migration\n{extra}\n"
            f"  def change do\n{body}\n  end\nend\n")


USERS = migration("CreateUsers", """
    create table(:users) do
      add :email, :string, null: false
      timestamps()
    end
""")

POST_SCHEMA = """
defmodule App.Post do
  use Ecto.Schema
  import Ecto.Changeset

  schema "posts" do
    field :title, :string
    field :subtitle, :string
    belongs_to :user, App.User
    timestamps()
  end

  def changeset(post, attrs), do: cast(post, attrs, [:title, :subtitle, :user_id])
end
"""


def review(tmp_path, files: dict[str, str]):
    write(tmp_path, {"mix.exs": MIX, **files})
    return review_project(tmp_path, ALL)


def schema_findings(result) -> set[tuple[str, str, int]]:
    return {(f.rule, f.location.path, f.location.line) for f in result.findings if f.rule.startswith("Schema.")}


def posts(body: str, extra: str = "") -> dict[str, str]:
    return {
        "lib/app/post.ex": POST_SCHEMA,
        "priv/repo/migrations/20240101000000_create_users.exs": USERS,
        "priv/repo/migrations/20240102000000_create_posts.exs": migration("CreatePosts", body, extra),
    }


PLAIN_POSTS = """
    create table(:posts) do
      add :title, :string
      add :user_id, references(:users)
      timestamps()
    end
"""


def test_a_missing_column_is_found_when_the_table_is_fully_known(tmp_path):
    result = review(tmp_path, posts(PLAIN_POSTS))
    assert schema_findings(result) == {("Schema.FieldWithoutColumn", "lib/app/post.ex", 8)}
    (finding,) = [f for f in result.findings if f.rule == "Schema.FieldWithoutColumn"]
    assert "posts.subtitle" in finding.message and "add :subtitle, :string" in finding.fix
    assert finding.related[0].location.path == "priv/repo/migrations/20240102000000_create_posts.exs"


def test_code_the_replay_cannot_read_makes_every_table_unknown(tmp_path):
    loops = {
        "for over tables": """
    create table(:posts) do
      add :title, :string
      add :user_id, references(:users)
      timestamps()
    end

    for table <- [:posts, :users] do
      alter table(table) do
        add :subtitle, :string
      end
    end
""",
        "Enum.each with a callback": """
    create table(:posts) do
      add :title, :string
      add :user_id, references(:users)
      timestamps()
    end

    Enum.each(@tables, fn table ->
      alter table(table) do
        add :subtitle, :string
      end
    end)
""",
        "an imported helper": """
    create table(:posts) do
      add :title, :string
      add :user_id, references(:users)
      timestamps()
    end

    add_subtitles()
""",
    }
    for name, body in loops.items():
        result = review(tmp_path / name.replace(" ", "_"), posts(body, "  @tables [:posts]\n  import App.Helpers\n"))
        assert schema_findings(result) == set(), name


def test_a_library_migration_call_leaves_the_other_tables_known(tmp_path):
    body = PLAIN_POSTS + "\n    Oban.Migrations.up(version: 12)\n    Logger.info(\"done\")\n"
    result = review(tmp_path, posts(body))
    assert schema_findings(result) == {("Schema.FieldWithoutColumn", "lib/app/post.ex", 8)}


def test_migration_facts_say_what_the_replay_cannot_list(tmp_path):
    body = """
    create table(:posts) do
      add :title, :string
      audit_columns()
      add :search, :tsvector, generated: "ALWAYS AS (to_tsvector('english', title)) STORED"
    end

    create table(:tags) do
      add :name, :string, null: false, default: "x"
      timestamps(@stamps)
    end

    create table(:comments) do
      timestamps(@unknown)
    end

    add_tracking(:tags)
"""
    extra = '  @stamps [inserted_at: :created_at]\n  @unknown Application.compile_env(:app, :stamps)\n'
    result = review(tmp_path, posts(body, extra))
    facts = result.project.files["priv/repo/migrations/20240102000000_create_posts.exs"].migrations[0]
    assert facts.opaque == ("tags",)
    assert [(op.table, op.opaque) for op in facts.ops] == [("posts", True), ("tags", False), ("comments", True)]
    (database,) = result.project.ecto.databases
    posts_table, tags, comments = (database.tables[name] for name in ("posts", "tags", "comments"))
    assert posts_table.partial and tags.partial and comments.partial
    assert not database.knows_columns(posts_table) and database.knows_columns(database.tables["users"])
    assert posts_table.columns["search"].generated
    assert list(tags.columns) == ["id", "name", "created_at", "updated_at"]
    assert tags.columns["name"].default == '"x"'


def test_repo_settings_that_change_what_migrations_create_are_honoured(tmp_path):
    schema = POST_SCHEMA.replace("field :subtitle, :string\n", "").replace(
        "belongs_to :user, App.User", "belongs_to :user, App.User, type: :binary_id")
    files = {
        **posts("""
    create table(:posts, primary_key: false) do
      add :uuid, :binary_id, primary_key: true
      add :title, :string
      add :user_id, references(:users)
      timestamps()
    end
"""),
        "lib/app/post.ex": schema,
    }
    found = schema_findings(review(tmp_path / "plain", files))
    assert found == {("Schema.FieldWithoutColumn", "lib/app/post.ex", 6),  # no `id`
                     ("Schema.BelongsToTypeMismatch", "lib/app/post.ex", 8)}  # binary_id key on a bigint column
    config = ("import Config\nconfig :app, App.Repo,\n  migration_primary_key: [name: :uuid, type: :binary_id],\n"
              "  migration_foreign_key: [type: :binary_id]\n")
    found = schema_findings(review(tmp_path / "configured", {**files, "config/config.exs": config}))
    assert found == set()


def test_settings_a_project_using_module_may_set_are_not_guessed(tmp_path):
    schema = POST_SCHEMA.replace("use Ecto.Schema", "use Ecto.Schema\n  use App.SchemaDefaults").replace(
        "field :subtitle, :string\n", "")
    using = "defmodule App.SchemaDefaults do\n  defmacro __using__(_) do\n    quote do\n" \
            "      @primary_key {:uuid, :binary_id, autogenerate: true}\n      @foreign_key_type :binary_id\n" \
            "    end\n  end\nend\n"
    body = """
    create table(:posts, primary_key: false) do
      add :uuid, :binary_id, primary_key: true
      add :title, :string
      add :user_id, references(:users, type: :binary_id)
      timestamps()
    end
"""
    files = {**posts(body), "lib/app/post.ex": schema, "lib/app/schema_defaults.ex": using}
    assert schema_findings(review(tmp_path, files)) == set()


def test_schema_facts_follow_changesets_through_local_helpers(tmp_path):
    schema = """
defmodule App.User do
  use Ecto.Schema
  import Ecto.Changeset

  @timestamps_opts [type: :utc_datetime, inserted_at: :created_at]
  @foreign_key_type :binary_id
  schema "users" do
    field :email, :string
    field :name, :string
    field :nickname, :string
    field :token, :string, autogenerate: true
    timestamps(updated_at: false)
  end

  def registration_changeset(user, attrs) do
    user |> cast(attrs, [:email, :name, :nickname]) |> validate_names() |> validate_required([:nickname])
  end

  def profile_changeset(user, attrs), do: user |> cast(attrs, [:nickname]) |> validate_names()

  def import_changeset(user, attrs, fields), do: cast(user, attrs, fields)

  defp validate_names(changeset), do: validate_required(changeset, [:email, :name])
end
"""
    result = review(tmp_path, {"lib/app/user.ex": schema})
    (facts,) = result.project.files["lib/app/user.ex"].schemas
    assert facts.timestamps == ("created_at",) and facts.timestamps_line == 13
    assert facts.foreign_key_type == ":binary_id"
    assert facts.optional == ("nickname",)  # profile_changeset casts it without requiring it
    assert facts.unknown == ("cast",)  # import_changeset's field list is not written out
    assert [f.autogenerate for f in facts.fields] == [False, False, False, True]


def test_writes_are_read_from_literals_and_dynamic_writes_keep_their_target(tmp_path):
    context = """
defmodule App.Blog do
  alias App.{Post, Repo}

  def create(user, attrs) do
    %Post{user_id: user.id}
    |> Post.changeset(attrs)
    |> Ecto.Changeset.put_change(:slug, "x")
    |> Repo.insert()
  end

  def pattern(%Post{ignored: true} = post), do: post
  def matched(post) do
    case post do
      %Post{also_ignored: true} -> :ok
      _ -> :error
    end
  end
  def generic(post, attrs), do: Ecto.Changeset.change(post, attrs)
  def built(attrs), do: struct(Post, attrs)
  def rows, do: Repo.insert_all(Post, [%{title: "a"}, [body: "b"]])
  def raw(rows), do: Repo.insert_all("posts", rows)
  def comment(post), do: Ecto.build_assoc(post, :comments, body: "hi")
  def bump(post), do: %{post | views: 1}
end
"""
    result = review(tmp_path, {"lib/app/blog.ex": context})
    writes = {f.name: f.writes for f in result.project.files["lib/app/blog.ex"].loads if f.writes}
    assert writes["create"].keys == ("slug", "user_id")
    assert "pattern" not in writes and "matched" not in writes
    assert writes["generic"].dynamic == ("",)
    assert writes["built"].dynamic == ("App.Post",)
    assert writes["rows"].keys == ("body", "title")
    assert writes["raw"].dynamic == ("table:posts",)
    assert writes["comment"].keys == ("body", "comments")
    assert writes["bump"].keys == ("views",)


def test_a_not_null_column_is_reported_only_when_nothing_sets_it(tmp_path):
    schema = """
defmodule App.Order do
  use Ecto.Schema
  import Ecto.Changeset

  schema "orders" do
    field :total, :integer
    field :currency, :string
    timestamps()
  end

  def changeset(order, attrs), do: order |> cast(attrs, [:total]) |> validate_required([:total])
end
"""
    body = """
    create table(:orders) do
      add :total, :integer, null: false
      add :currency, :string, null: false
      timestamps()
    end
"""
    files = {"lib/app/order.ex": schema, "priv/repo/migrations/20240101000000_create_orders.exs":
             migration("CreateOrders", body)}
    assert schema_findings(review(tmp_path / "unset", files)) == {("Schema.NotNullNeverCast", "lib/app/order.ex", 8)}
    setters = {
        "struct literal": 'def new, do: %App.Order{currency: "EUR"}',
        "insert_all rows": 'def load, do: App.Repo.insert_all(App.Order, [%{total: 1, currency: "EUR"}])',
        "a dynamic struct": "def build(attrs), do: struct(App.Order, attrs)",
        "a raw insert_all": 'def load(rows), do: App.Repo.insert_all("orders", rows)',
        "a multi insert_all": "def load(m, rows), do: Ecto.Multi.insert_all(m, :orders, App.Order, rows)",
        "a generic change where it is aliased": "alias App.Order\n  def put(o, attrs), do: Ecto.Changeset.change(o, attrs)",
    }
    for name, code in setters.items():
        context = f"defmodule App.Shop do\n  {code}\nend\n"
        found = schema_findings(review(tmp_path / name.replace(" ", "_"), {**files, "lib/app/shop.ex": context}))
        assert found == set(), name
    trigger = migration("AddTrigger", '    execute "CREATE TRIGGER set_currency BEFORE INSERT ON orders FOR EACH ROW '
                                      'EXECUTE FUNCTION set_currency()", "DROP TRIGGER set_currency ON orders"')
    found = schema_findings(review(tmp_path / "trigger", {
        **files, "priv/repo/migrations/20240102000000_add_trigger.exs": trigger}))
    assert found == set()


def test_structure_sql_is_the_starting_point(tmp_path):
    structure = """\
CREATE TABLE public.posts (
    id bigint NOT NULL,
    title character varying(255),
    subtitle character varying(255),
    user_id bigint,
    inserted_at timestamp(0) without time zone NOT NULL,
    updated_at timestamp(0) without time zone NOT NULL
);

INSERT INTO public."schema_migrations" (version) VALUES (20240102000000);
"""
    files = posts(PLAIN_POSTS)  # the migration lacks `subtitle`; the dump of the database has it
    assert schema_findings(review(tmp_path / "migrations", files)) != set()
    assert schema_findings(review(tmp_path / "dump", {**files, "priv/repo/structure.sql": structure})) == set()


def test_a_schema_declared_through_a_project_wrapper_is_judged(tmp_path):
    """`use App.Schema` (a `__using__` that brings Ecto.Schema, as hexpm and changelog.com do): the body's
    `schema "products" do` makes it a schema. Its keys and timestamps are the wrapper's business, so only its
    fields are judged."""
    result = review(tmp_path, {
        "lib/app/schema.ex": "defmodule App.Schema do\n  defmacro __using__(_) do\n    quote do\n"
                             "      use Ecto.Schema\n      @primary_key {:id, :binary_id, autogenerate: true}\n"
                             "    end\n  end\nend\n",
        "lib/app/product.ex": "defmodule App.Product do\n  use App.Schema\n\n  schema \"products\" do\n"
                              "    field :name, :string\n    field :barcode, :string\n    timestamps()\n  end\nend\n",
        "priv/repo/migrations/20240101000000_create_products.exs": migration("CreateProducts", """
    create table(:products, primary_key: false) do
      add :id, :binary_id, primary_key: true
      add :name, :string
      timestamps()
    end
"""),
    })
    assert schema_findings(result) == {("Schema.FieldWithoutColumn", "lib/app/product.ex", 6)}


PRODUCTS = migration("CreateProducts", """
    create table(:products) do
      add :name, :string
      timestamps()
    end

    create table(:events) do
      add :payload, :map
    end
""")
PRODUCT = ("defmodule App.Product do\n  use Ecto.Schema\n\n  schema \"products\" do\n"
           "    field :name, :string\n    field :barcode, :string\n    timestamps()\n  end\nend\n")


def test_a_data_migration_in_a_captured_function_keeps_the_database_known(tmp_path):
    backfill = ("defmodule App.Repo.Migrations.Backfill do\n  use Ecto.Migration\n\n"
                "  def change, do: execute(&backfill/0, fn -> :ok end)\n\n"
                "  defp backfill, do: repo().query!(\"UPDATE events SET payload = '{}' WHERE payload IS NULL\")\nend\n")
    result = review(tmp_path, {"lib/app/product.ex": PRODUCT,
                               "priv/repo/migrations/20240101000000_create_products.exs": PRODUCTS,
                               "priv/repo/migrations/20240102000000_backfill.exs": backfill})
    assert schema_findings(result) == {("Schema.FieldWithoutColumn", "lib/app/product.ex", 6)}


def test_interpolated_sql_makes_only_the_tables_it_names_unknown(tmp_path):
    index = migration("IndexEvents", """
    tz = Application.get_env(:app, :tz, "utc")
    execute "create index events_at on events (timezone('#{tz}', inserted_at))"
""")
    alter = migration("AlterProducts", """
    column = Application.get_env(:app, :extra_column, "barcode")
    execute "ALTER TABLE products ADD COLUMN #{column} text"
""")
    files = {"lib/app/product.ex": PRODUCT, "priv/repo/migrations/20240101000000_create_products.exs": PRODUCTS,
             "priv/repo/migrations/20240102000000_index_events.exs": index}
    assert schema_findings(review(tmp_path / "a", files)) == {("Schema.FieldWithoutColumn", "lib/app/product.ex", 6)}
    # the same on `products` itself: it may have gained the column
    files["priv/repo/migrations/20240103000000_alter_products.exs"] = alter
    assert schema_findings(review(tmp_path / "b", files)) == set()
