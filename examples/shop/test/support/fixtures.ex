defmodule Shop.Fixtures do
  @moduledoc """
  Test helpers for creating catalog and order entities.
  """

  def unique_slug(prefix), do: "#{prefix}-#{System.unique_integer([:positive])}"

  def category_fixture(attrs \\ %{}) do
    {:ok, category} =
      attrs
      |> Enum.into(%{name: "Coffee", slug: unique_slug("coffee")})
      |> Shop.Catalog.create_category()

    category
  end

  def product_fixture(attrs \\ %{}) do
    {:ok, product} =
      attrs
      |> Enum.into(%{
        name: "House blend, 250g",
        slug: unique_slug("house-blend"),
        price_cents: 1_450,
        stock: 20,
        supplier_sku: unique_slug("ACME")
      })
      |> Shop.Catalog.create_product()

    product
  end

  def order_fixture(attrs \\ %{}) do
    product = product_fixture()

    {:ok, order} =
      attrs
      |> Enum.into(%{
        "email" => "ada@example.com",
        "line_items" => [%{"product_id" => to_string(product.id), "quantity" => "2"}]
      })
      |> Shop.Orders.create_order()

    order
  end
end
