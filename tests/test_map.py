"""`beamsage map`: the architecture read from source, as JSON, Markdown and Mermaid."""

from __future__ import annotations

import json
import os

import pytest

from conftest import FIXTURES, ROOT, run_cli

SHOP = ROOT / "examples" / "shop"


def shop_map() -> dict:
    result = run_cli("map", str(SHOP), "-f", "json", "--no-cache")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_project_section_names_the_stack_and_pins():
    project = shop_map()["project"]
    assert project["frameworks"] == ["Ecto", "LiveView", "Oban", "Phoenix"]
    assert project["repos"] == ["Shop.Repo"]
    deps = {d["name"]: d for d in project["deps"]}
    assert deps["phoenix"] == {"name": "phoenix", "version": "1.7.21", "direct": True}
    assert deps["mint"]["direct"] is False  # locked, but brought in by another dependency
    assert "config/runtime.exs" in project["config_files"]
    assert project["config_by_env"]["all"] == ["config/config.exs"]
    assert project["config_by_env"]["prod"] == ["config/prod.exs"]
    assert project["elixir"] == "~> 1.15"


def test_supervision_tree_keeps_start_order():
    (tree,) = shop_map()["supervision"]
    assert tree["supervisor"] == "Shop.Application" and tree["strategy"] == ":one_for_one"
    assert [c["module"] for c in tree["children"]] == [
        "Shop.Repo", "Phoenix.PubSub", "Oban", "Shop.Inventory.StockCache", "ShopWeb.Endpoint"]
    assert tree["children"][1]["options"] == {"name": "Shop.PubSub"}


def test_routes_processes_schemas_and_jobs():
    doc = shop_map()
    routes = {(r["verb"], r["path"]): r for r in doc["routes"]}
    show = routes[("live", "/products/:id")]
    assert (show["target"], show["action"], show["pipelines"]) == ("ShopWeb.ProductLive.Show", "show", ["browser"])
    assert routes[("resources", "/orders")]["target"] == "ShopWeb.OrderController"
    browser = next(p for p in doc["pipelines"] if p["name"] == "browser")
    assert browser["router"] == "ShopWeb.Router" and browser["plugs"][:2] == ["accepts", "fetch_session"]
    assert "protect_from_forgery" in browser["plugs"]
    (cache,) = doc["processes"]
    assert (cache["module"], cache["clients"]) == ("Shop.Inventory.StockCache", ["Shop.Workers.SyncSupplierPrices"])
    assert cache["call_sites"] == [{"function": "refresh/1", "caller": "Shop.Workers.SyncSupplierPrices.perform/1",
                                    "path": "lib/shop/workers/sync_supplier_prices.ex", "line": 50}]
    products = next(s for s in doc["schemas"] if s["table"] == "products")
    assert {"name": "price_cents", "type": ":integer"} in products["fields"]
    assert {"kind": "belongs_to", "name": "category", "related": "Shop.Catalog.Category"} in products["associations"]
    assert doc["jobs"]["workers"][0]["queue"] == "suppliers"
    assert "suppliers" not in doc["jobs"]["queues"] and "default" in doc["jobs"]["queues"]


def test_nested_supervisors_are_expanded_in_place():
    result = run_cli("map", str(FIXTURES / "apps" / "otp_supervision"), "-f", "json", "--no-cache")
    trees = {t["supervisor"]: t for t in json.loads(result.stdout)["supervision"]}
    workers = trees["Demo.NestedApplication"]["children"][0]
    assert workers["module"] == "Demo.Workers"
    assert [c["module"] for c in workers["tree"]["children"]] == ["Demo.PriceCache", "Task.Supervisor"]


def test_children_started_at_runtime_hang_under_their_dynamic_supervisor():
    doc = json.loads(run_cli("map", str(FIXTURES / "apps" / "otp_supervision"), "-f", "json", "--no-cache").stdout)
    starts = {(s["supervisor"], s["child"]): s for s in doc["dynamic_starts"]}
    assert starts[("Demo.DeviceSupervisor", "Demo.DeviceSession")]["keyed"] is True
    assert starts[("Demo.GameSupervisor", "Demo.Game")]["caller"] == "Demo.Games.start_game/1"
    legacy = next(t for t in doc["supervision"] if t["supervisor"] == "Demo.LegacyApplication")
    games = next(c for c in legacy["children"] if c["options"].get("name") == "Demo.GameSupervisor")
    assert games["started_dynamically"] == ["Demo.Game"]
    diagram = run_cli("map", str(FIXTURES / "apps" / "otp_supervision"), "-f", "mermaid", "--no-cache").stdout
    assert '-.-> ' in diagram and 'Demo.Game (dynamic)' in diagram


def test_markdown_and_mermaid_show_the_diagrams(tmp_path):
    markdown = run_cli("map", str(SHOP), "--no-cache").stdout
    assert markdown.startswith("# shop: architecture")
    assert "## Supervision tree" in markdown and "```mermaid\ngraph TD" in markdown
    assert "| LIVE | /products/:id | ShopWeb.ProductLive.Show | show | browser |" in markdown
    out = tmp_path / "map.mmd"
    assert run_cli("map", str(SHOP), "-f", "mermaid", "-o", str(out), "--no-cache").returncode == 0
    diagrams = out.read_text()
    assert "graph TD" in diagrams and "erDiagram" in diagrams
    assert 'categories ||--o{ products : "category"' in diagrams


def test_a_missing_project_is_one_error_line(tmp_path):
    result = run_cli("map", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1


def test_json_follows_its_documented_schema():
    import jsonschema

    schema = json.loads((ROOT / "src" / "beamsage" / "map" / "schema" / "map-v1.schema.json").read_text())
    for project in (SHOP, FIXTURES / "map_umbrella", FIXTURES / "apps" / "otp_supervision", FIXTURES / "apps" / "otp_callbacks"):
        result = run_cli("map", str(project), "-f", "json", "--no-cache")
        jsonschema.validate(json.loads(result.stdout), schema)


def test_pubsub_topics_with_subscribers_and_messages():
    result = run_cli("map", str(FIXTURES / "apps" / "otp_callbacks"), "-f", "json", "--no-cache")
    topics = {t["topic"]: t for t in json.loads(result.stdout)["pubsub"]}
    assert topics["orders"]["subscribers"] == ["AppWeb.OrdersLive"]
    assert [b["message"] for b in topics["orders"]["broadcasts"]] == ["{:order_created, order}", "{:order_deleted, order}"]


def test_an_umbrella_maps_every_app():
    umbrella = FIXTURES / "map_umbrella"
    result = run_cli("map", str(umbrella), "-f", "json", "--no-cache")
    doc = json.loads(result.stdout)
    assert doc["project"]["layout"] == "umbrella"
    assert doc["project"]["apps"] == [{"name": "store", "path": "apps/store", "elixir": "~> 1.16"},
                                      {"name": "store_web", "path": "apps/store_web", "elixir": None}]
    assert doc["project"]["elixir"] == "~> 1.16"  # the first app that states one
    assert doc["project"]["repo_adapters"] == {"Store.Repo": "Ecto.Adapters.Postgres"}
    assert "store" not in {d["name"] for d in doc["project"]["deps"]}  # an `in_umbrella` sibling, not a dependency
    assert {t["supervisor"]: [c["module"] for c in t["children"]] for t in doc["supervision"]} == {
        "Store.Application": ["Store.Repo", "Oban", "Store.Carts", "Task"],
        "StoreWeb.Application": ["Phoenix.PubSub", "StoreWeb.Endpoint"],
    }
    store = next(t for t in doc["supervision"] if t["supervisor"] == "Store.Application")
    assert [c["restart"] for c in store["children"]] == [None, None, ":transient", ":temporary"]
    assert store["children"][3]["options"] == {"id": ":first_import", "restart": ":temporary"}
    (route,) = doc["routes"]
    assert (route["verb"], route["path"], route["target"], route["pipelines"]) == (
        "get", "/api/items/:id", "StoreWeb.ItemController", ["api"])
    assert doc["jobs"]["queues"] == ["default", "emails"]
    assert doc["jobs"]["workers"][0]["queue"] == "emails"


def test_contexts_with_their_api_schemas_and_callers():
    contexts = {c["module"]: c for c in shop_map()["contexts"]}
    assert set(contexts) == {"Shop.Catalog", "Shop.Orders"}  # Shop.Money is a plain helper, not a context
    catalog = contexts["Shop.Catalog"]
    assert "list_products/1" in catalog["functions"] and "topic/0" in catalog["functions"]
    assert catalog["schemas"] == ["Shop.Catalog.Category", "Shop.Catalog.Product"]
    assert catalog["called_by_contexts"] == ["Shop.Orders"]
    diagrams = run_cli("map", str(SHOP), "-f", "mermaid", "--no-cache").stdout
    assert 'n_Shop_Orders["Shop.Orders"] --> n_Shop_Catalog["Shop.Catalog"]' in diagrams


def test_tables_from_the_replayed_migrations():
    tables = {t["name"]: t for t in shop_map()["tables"]}
    assert set(tables) == {"categories", "products", "orders", "line_items"}
    columns = {c["name"]: c for c in tables["line_items"]["columns"]}
    assert columns["order_id"]["references"] == "orders"
    assert tables["orders"]["created_in"].startswith("priv/repo/migrations/") and tables["orders"]["complete"]
    assert {"columns": ["status"], "unique": False} in tables["orders"]["indexes"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's parser on newer pyparsing
def test_dot_output_parses_as_graphviz():
    import pydot

    result = run_cli("map", str(SHOP), "-f", "dot", "--no-cache")
    (graph,) = pydot.graph_from_dot_data(result.stdout)
    edges = {(e.get_source().strip('"'), e.get_destination().strip('"')) for e in graph.get_edges()}
    assert ("Shop.Orders", "Shop.Catalog") in edges
    assert ("table line_items", "table orders") in edges
    assert ("Shop.Application", "Shop.Application 1 Shop.Repo") in edges
    clusters = {sub.get_name() for sub in graph.get_subgraphs()}
    assert clusters == {"cluster_supervision", "cluster_contexts", "cluster_tables"}


def test_endpoints_with_their_sockets_and_channels():
    result = run_cli("map", str(FIXTURES / "apps" / "security_web"), "-f", "json", "--no-cache")
    (endpoint,) = json.loads(result.stdout)["endpoints"]
    sockets = {s["path"]: s for s in endpoint["sockets"]}
    assert sockets["/socket"]["module"] == "WebDemoWeb.UserSocket"
    assert sockets["/socket"]["channels"] == [{"topic": "room:*", "channel": "WebDemoWeb.RoomChannel"}]
    assert endpoint["plugs"][-1] == "WebDemoWeb.Router"


def test_conventions_from_deps_files_and_test_support():
    conventions = shop_map()["conventions"]
    assert conventions["tools"] == ["mix format"]  # a .formatter.exs, and no Credo or Dialyzer dependency
    assert conventions["case_templates"] == ["Shop.DataCase", "ShopWeb.ConnCase"]
    assert conventions["fixture_modules"] == ["Shop.Fixtures"]
    assert conventions["docs"]["spec"] == 0.0


def test_live_routes_name_their_live_session():
    result = run_cli("map", str(FIXTURES / "apps" / "liveview"), "-f", "json", "--no-cache")
    sessions = {r["live_session"] for r in json.loads(result.stdout)["routes"] if r["verb"] == "live"}
    assert "default" in sessions
    assert {r["live_session"] for r in shop_map()["routes"]} == {None}


def shop_html(tmp_path) -> str:
    out = tmp_path / "map.html"
    result = run_cli("map", str(SHOP), "-f", "html", "-o", str(out), "--no-cache")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return out.read_text()


def test_html_is_one_page_that_loads_nothing_from_outside(tmp_path):
    import re

    page = shop_html(tmp_path)
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", page)
    assert page.count('<pre class="mermaid">') == 3  # supervision tree, context graph, ERD
    assert "<script>" in page and "mermaid.initialize" in page


def test_html_links_findings_and_map_both_ways(tmp_path):
    page = shop_html(tmp_path)
    # the StockCache process row counts its file's finding and links to it...
    row = page[page.index("<td>Shop.Inventory.StockCache</td>"):]
    row = row[:row.index("</tr>")]
    assert '<a href="#file-lib-shop-inventory-stock-cache-ex">1</a>' in row
    # ...and that file's findings (OTP.HeavyInit) link back to the row
    anchor = page.index('<h3 id="file-lib-shop-inventory-stock-cache-ex">')
    findings = page[anchor:page.index("</ul>", anchor)]
    assert "OTP.HeavyInit" in findings and 'href="#processes-0-1">Processes: Shop.Inventory.StockCache</a>' in findings
    assert 'id="processes-0-1"' in page


def _chromium() -> str | None:
    import shutil

    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None and os.environ.get("BEAMSAGE_REQUIRE_BROWSER"):
        pytest.fail("BEAMSAGE_REQUIRE_BROWSER is set but no chromium is installed")
    return found


def test_html_diagrams_render_offline_in_headless_chromium(tmp_path):
    import subprocess

    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (CI installs it)")
    page = tmp_path / "map.html"
    page.write_text(shop_html(tmp_path))
    umbrella = tmp_path / "umbrella.html"  # array and module field types in its ERD
    assert run_cli("map", str(FIXTURES / "map_umbrella"), "-f", "html", "-o", str(umbrella), "--no-cache").returncode == 0
    # No network: a proxy that does not exist makes any outside request fail, so the diagrams must be drawn
    # from the inlined script alone.
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9", "--virtual-time-budget=30000"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert 'data-diagrams="rendered"' in dom
    assert dom.count('<svg id="mermaid') == 3 and 'aria-roledescription="er"' in dom
    assert 'aria-roledescription="error"' not in dom  # what Mermaid draws for a diagram it cannot parse
    umbrella_dom = subprocess.run([browser, *flags, "--dump-dom", umbrella.as_uri()], capture_output=True, text=True,
                                  timeout=120).stdout
    assert 'data-diagrams="rendered"' in umbrella_dom and 'aria-roledescription="er"' in umbrella_dom
    shot = tmp_path / "map.png"
    subprocess.run([browser, *flags, "--window-size=1200,2400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.stat().st_size > 50_000  # a drawn page, not a blank one


def test_erd_spells_array_and_module_types_as_mermaid_reads_them():
    diagram = run_cli("map", str(FIXTURES / "map_umbrella"), "-f", "mermaid", "--no-cache").stdout
    assert "    string[] tags" in diagram and "    Enum kind" in diagram


def test_telemetry_events_with_emitters_handlers_and_metrics():
    doc = json.loads(run_cli("map", str(FIXTURES / "map_umbrella"), "-f", "json", "--no-cache").stdout)
    events = {e["event"]: e for e in doc["telemetry"]}
    # a span's prefix gives three events; `prefix ++ [:done]` is built at run time and left out
    assert set(events) == {"phoenix.endpoint.stop", "store.import.start", "store.import.stop",
                           "store.import.exception", "store.import.item"}
    assert events["store.import.stop"]["emitted"] == [
        {"where": "Store.Importer.import_rows/1", "path": "apps/store/lib/store/importer.ex", "line": 11, "span": True}]
    assert [h["handler"] for h in events["store.import.exception"]["handlers"]] == ["&StoreWeb.ImportLog.handle_event/4"]
    item = events["store.import.item"]  # emitted through a module attribute, read by two metrics
    assert item["emitted"][0]["where"] == "Store.Importer.import_row/1"
    assert [m["metric"] for m in item["metrics"]] == ["counter price", "sum price"]
    assert events["phoenix.endpoint.stop"]["emitted"] == []  # Phoenix emits it


def test_error_handling_style_of_the_shipped_code():
    doc = json.loads(run_cli("map", str(FIXTURES / "map_umbrella"), "-f", "json", "--no-cache").stdout)
    errors = doc["conventions"]["errors"]
    assert errors == {"error_tuples": 3, "withs": 1, "raises": 0, "rescues": 0, "bang_functions": 1,
                      "exceptions": ["Store.Importer.InvalidRow"], "style": "tagged tuples"}


def test_exception_style_is_told_apart(tmp_path):
    from conftest import write

    write(tmp_path, {"mix.exs": 'defmodule A.MixProject do\n  use Mix.Project\n  def project, do: [app: :a]\nend\n',
                     "lib/a/payments.ex": """defmodule A.Payments do
  @doc "Raises; never returns {:error, reason}."
  # not {:error, _} either
  def charge(card) do
    try do
      A.Gateway.charge(card)
    rescue
      error in A.GatewayError -> raise A.PaymentFailed, error.message
    end
  end

  def refund(id), do: if(id, do: A.Gateway.refund(id), else: raise(ArgumentError, "no id"))
end
""", "test/a/payments_test.exs": "defmodule A.PaymentsTest do\n  def x, do: {:error, :a} || {:error, :b} || {:error, :c}\nend\n"})
    errors = json.loads(run_cli("map", str(tmp_path), "-f", "json", "--no-cache").stdout)["conventions"]["errors"]
    assert (errors["raises"], errors["rescues"], errors["error_tuples"], errors["style"]) == (2, 1, 0, "exceptions")


def test_readme_shows_the_example_apps_diagrams_as_map_draws_them():
    import re

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## `beamsage map`"):readme.index("## Configuration")]
    shown = re.findall(r"```mermaid\n(.*?)```", section, re.DOTALL)
    drawn = run_cli("map", str(SHOP), "-f", "mermaid", "--no-cache").stdout
    assert len(shown) == 2 and all(diagram in drawn for diagram in shown)


def test_contexts_that_reach_into_another_contexts_schemas(tmp_path):
    from conftest import write

    write(tmp_path, {
        "mix.exs": 'defmodule App.MixProject do\n  use Mix.Project\n  def project, do: [app: :app]\nend\n',
        "lib/app/accounts.ex": """defmodule App.Accounts do
  alias App.{Repo, Accounts.User}
  def get_user!(id), do: Repo.get!(User, id)
end
""",
        "lib/app/accounts/user.ex": """defmodule App.Accounts.User do
  use Ecto.Schema
  import Ecto.Changeset
  schema "users" do
    field :email, :string
    field :plan, :string
  end
  def plan_changeset(user, attrs), do: cast(user, attrs, [:plan])
end
""",
        "lib/app/billing.ex": """defmodule App.Billing do
  import Ecto.Query
  alias App.Repo
  alias App.Accounts.User
  alias App.Billing.Invoice

  def upgrade(user_id, plan) do
    user = Repo.one!(from u in User, where: u.id == ^user_id)
    user |> User.plan_changeset(%{plan: plan}) |> Repo.update()
  end

  def list_invoices, do: Repo.all(Invoice)
end
""",
        "lib/app/billing/invoice.ex": """defmodule App.Billing.Invoice do
  use Ecto.Schema
  schema "invoices" do
    belongs_to :user, App.Accounts.User
  end
end
""",
    })
    contexts = {c["module"]: c for c in json.loads(run_cli("map", str(tmp_path), "-f", "json", "--no-cache").stdout)["contexts"]}
    assert contexts["App.Accounts"]["reaches_into"] == []  # Invoice's belongs_to is an association, not a reach
    assert [(r["schema"], r["context"], r["line"], r["how"]) for r in contexts["App.Billing"]["reaches_into"]] == [
        ("App.Accounts.User", "App.Accounts", 8, "query"), ("App.Accounts.User", "App.Accounts", 9, "calls plan_changeset/2")]
    diagram = run_cli("map", str(tmp_path), "-f", "mermaid", "--no-cache").stdout
    assert 'n_App_Billing["App.Billing"] -. schemas .-> n_App_Accounts["App.Accounts"]' in diagram
    import jsonschema

    schema = json.loads((ROOT / "src" / "beamsage" / "map" / "schema" / "map-v1.schema.json").read_text())
    jsonschema.validate(json.loads(run_cli("map", str(tmp_path), "-f", "json", "--no-cache").stdout), schema)


def test_files_it_cannot_read_are_named_not_skipped_silently(tmp_path):
    from conftest import write

    write(tmp_path, {"mix.exs": 'defmodule E.MixProject do\n  use Mix.Project\n  def project, do: [app: :e]\nend\n',
                     "lib/e/broken.ex": "defmodule E.Broken do\n  def x( do\nend\n",
                     "lib/e/fine.ex": "defmodule E.Fine do\n  def ok, do: :ok\nend\n"})
    doc = json.loads(run_cli("map", str(tmp_path), "-f", "json", "--no-cache").stdout)
    assert [(u["path"], u["kind"]) for u in doc["unread"]] == [("lib/e/broken.ex", "parse_error")]
    markdown = run_cli("map", str(tmp_path), "--no-cache").stdout
    assert "1 file(s) could not be read in full" in markdown and "| lib/e/broken.ex:" in markdown


def test_processes_list_messages_sent_to_them_by_name():
    doc = json.loads(run_cli("map", str(FIXTURES / "map_umbrella"), "-f", "json", "--no-cache").stdout)
    carts = next(p for p in doc["processes"] if p["module"] == "Store.Carts")
    assert [(m["via"], m["caller"], m["line"]) for m in carts["messages"]] == [
        ("GenServer.cast", "Store.Checkout.finish/1", 5), ("send", "Store.Checkout.finish/1", 6)]
    markdown = run_cli("map", str(FIXTURES / "map_umbrella"), "--no-cache").stdout
    assert "`GenServer.cast` from `Store.Checkout.finish/1` (apps/store/lib/store/checkout.ex:5)" in markdown


def test_consistency_findings_come_with_the_map():
    (finding,) = shop_map()["consistency"]
    assert (finding["rule"], finding["path"], finding["line"]) == (
        "Schema.FieldWithoutColumn", "lib/shop/catalog/product.ex", 21)
    assert "| `Schema.FieldWithoutColumn` (error) | lib/shop/catalog/product.ex:21 |" in run_cli(
        "map", str(SHOP), "--no-cache").stdout


def test_consistency_follows_the_projects_configuration(tmp_path):
    import shutil

    project = tmp_path / "shop"
    shutil.copytree(SHOP, project)
    (project / ".beamsage.toml").write_text('ignore = ["Schema.FieldWithoutColumn"]\n')
    doc = json.loads(run_cli("map", str(project), "-f", "json", "--no-cache").stdout)
    assert doc["consistency"] == []


def test_loose_files_map_with_no_project(tmp_path):
    from conftest import write

    write(tmp_path, {"lib/cache.ex": "defmodule Cache do\n  use GenServer\n  def init(s), do: {:ok, s}\nend\n"})
    assert run_cli("map", str(tmp_path), "--no-cache").returncode == 2  # no mix.exs: one error line
    doc = json.loads(run_cli("map", str(tmp_path), "--no-project", "-f", "json", "--no-cache").stdout)
    assert doc["project"]["layout"] == "loose" and [p["module"] for p in doc["processes"]] == ["Cache"]


def test_web_modules_that_call_the_repo_themselves():
    doc = json.loads(run_cli("map", str(FIXTURES / "map_umbrella"), "-f", "json", "--no-cache").stdout)
    assert doc["web_repo_calls"] == [{"module": "StoreWeb.ItemController", "caller": "StoreWeb.ItemController.show/2",
                                      "call": "Store.Repo.get!/2",
                                      "path": "apps/store_web/lib/store_web/controllers/item_controller.ex", "line": 8}]
    (route,) = doc["routes"]
    assert route["target_path"] == "apps/store_web/lib/store_web/controllers/item_controller.ex"
    assert shop_map()["web_repo_calls"] == []  # the example app's web layer goes through its contexts
