"""The project model: file and module kinds, functions, uses, cached as facts."""

from __future__ import annotations

import msgspec

from beamsage.engine.worker import FileResult, analyze_file

from conftest import ROOT, review_project

SHOP = ROOT / "examples" / "shop"


def facts(path: str, code: str):
    return analyze_file(path, code.encode()).facts


def test_module_facts_record_uses_aliases_and_functions():
    f = facts("lib/shop/catalog.ex", """
defmodule Shop.Catalog do
  import Ecto.Query, warn: false
  alias Shop.Repo
  alias Shop.Catalog.{Product, Category}
  @moduledoc "Products."

  def list_products(opts \\\\ []), do: Repo.all(Product, opts)
  def get_product!(id), do: Repo.get!(Product, id)
  defp scope(q, nil), do: q
  defp scope(q, c), do: where(q, category_id: ^c)
  defmacro products, do: Product
  defdelegate categories, to: Category, as: :all
end
""")
    (module,) = f.modules
    assert (module.name, module.line, module.end_line) == ("Shop.Catalog", 2, 14)
    assert module.imports == ("Ecto.Query",)
    assert dict(module.aliases) == {"Repo": "Shop.Repo", "Product": "Shop.Catalog.Product",
                                    "Category": "Shop.Catalog.Category"}
    assert module.attributes == ("moduledoc",)
    functions = {(fn.name, fn.arity): (fn.kind, fn.min_arity, fn.clauses) for fn in module.functions}
    assert functions == {
        ("list_products", 1): ("def", 0, 1),
        ("get_product!", 1): ("def", 1, 1),
        ("scope", 2): ("defp", 2, 2),
        ("products", 0): ("defmacro", 0, 1),
        ("categories", 0): ("defdelegate", 0, 1),
    }
    assert f.kinds == ("lib",)


def test_kinds_from_uses_behaviours_and_paths():
    cases = {
        ("lib/shop/product.ex", "defmodule P do\n  use Ecto.Schema\nend\n"): {"lib", "schema"},
        ("priv/repo/migrations/1_create.exs", "defmodule M do\n  use Ecto.Migration\nend\n"): {"migration"},
        ("lib/shop_web/controllers/p.ex", "defmodule C do\n  use ShopWeb, :controller\nend\n"): {"lib", "controller"},
        ("lib/shop_web/live/p.ex", "defmodule L do\n  use ShopWeb, :live_view\nend\n"): {"lib", "live_view"},
        ("lib/shop/cache.ex", "defmodule G do\n  use GenServer\nend\n"): {"lib", "genserver"},
        ("lib/shop/worker.ex", "defmodule W do\n  use Oban.Worker, queue: :default\nend\n"): {"lib", "oban_worker"},
        ("lib/shop/plug.ex", "defmodule Pl do\n  @behaviour Plug\nend\n"): {"lib", "plug"},
        ("test/shop_test.exs", "defmodule T do\n  use Shop.DataCase\nend\n"): {"test", "test_case"},
        ("test/support/fixtures.ex", "defmodule F do\nend\n"): {"test_support"},
        ("config/runtime.exs", "import Config\n"): {"config"},
        ("mix.exs", "defmodule X.MixProject do\nend\n"): {"mix"},
        ("lib/shop_web/p_html/index.html.heex", "<p>hi</p>\n"): {"lib", "template"},
    }
    for (path, code), kinds in cases.items():
        assert set(facts(path, code).kinds) == kinds, path


def test_facts_round_trip_through_the_cache_encoding():
    result = analyze_file("lib/a.ex", b"defmodule A do\n  use GenServer\n  def f(x), do: String.to_atom(x)\nend\n")
    decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(result), type=FileResult)
    assert decoded == result


def test_project_indexes_modules_of_the_example_app():
    project = review_project(SHOP).project
    assert project.layout.kind == "single"
    file, module = project.modules["ShopWeb.OrderController"]
    assert file.path == "lib/shop_web/controllers/order_controller.ex"
    assert "controller" in module.kinds
    assert {"index", "show", "create"} <= {fn.name for fn in module.functions}
    assert "schema" in project.modules["Shop.Catalog.Product"][1].kinds
    assert "oban_worker" in project.modules["Shop.Workers.SyncSupplierPrices"][1].kinds
