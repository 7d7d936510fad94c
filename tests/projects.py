"""Small Mix projects written into temporary folders by tests."""

from __future__ import annotations

from pathlib import Path

from conftest import write

MIX_EXS = """defmodule Demo.MixProject do
  use Mix.Project

  def project, do: [app: :demo, version: "0.1.0", deps: []]
end
"""

CONTROLLER = """defmodule DemoWeb.SortController do
  use DemoWeb, :controller

  def index(conn, %{"sort" => sort}) do
    products = Demo.Catalog.list_products(order_by: String.to_atom(sort))
    render(conn, :index, products: products)
  end

  def restore(conn, %{"state" => state}) do
    json(conn, :erlang.binary_to_term(state))
  end
end
"""

CLEAN = """defmodule Demo.Catalog do
  @sortable %{"name" => :name, "price" => :price}

  def sort_key(value), do: Map.get(@sortable, value, :name)
end
"""


def demo_project(root: Path, **extra: str | bytes) -> Path:
    """A project with one warning (atoms) and one error (binary_to_term)."""
    return write(root, {
        "mix.exs": MIX_EXS,
        "lib/demo_web/controllers/sort_controller.ex": CONTROLLER,
        "lib/demo/catalog.ex": CLEAN,
        **extra,
    })


def clean_project(root: Path) -> Path:
    return write(root, {"mix.exs": MIX_EXS, "lib/demo/catalog.ex": CLEAN})
