defmodule Shop.Orders do
  @moduledoc """
  Orders placed in the storefront and the line items they contain.
  """

  import Ecto.Query, warn: false

  alias Shop.Catalog
  alias Shop.Orders.Order
  alias Shop.Repo

  @doc """
  Lists the most recent orders with their line items.

  ## Options

    * `:sort_by` - the field to sort on, defaults to `:inserted_at`
    * `:dir` - `:asc` or `:desc`, defaults to `:desc`

  """
  def list_orders(opts \\ []) do
    sort_by = Keyword.get(opts, :sort_by, :inserted_at)
    dir = Keyword.get(opts, :dir, :desc)

    Order
    |> order_by([o], [{^dir, field(o, ^sort_by)}])
    |> limit(100)
    |> Repo.all()
    |> Enum.map(&Repo.preload(&1, :line_items))
  end

  @doc "The orders placed with an email address, newest first."
  def list_orders_for_email(email) do
    Repo.all(from o in Order, where: o.email == ^email, order_by: [desc: o.inserted_at])
    |> Repo.preload(:line_items)
  end

  def get_order!(id) do
    Order
    |> Repo.get!(id)
    |> Repo.preload(line_items: :product)
  end

  @doc """
  Places an order. Line item prices are taken from the catalog, never
  from the submitted params.
  """
  def create_order(attrs \\ %{}) do
    prices = attrs |> product_ids() |> Catalog.prices_by_id()

    %Order{}
    |> Order.changeset(attrs, prices)
    |> Repo.insert()
  end

  def mark_paid(%Order{} = order) do
    order
    |> Order.status_changeset("paid")
    |> Repo.update()
  end

  def change_order(%Order{} = order, attrs \\ %{}) do
    Order.changeset(order, attrs)
  end

  # Forms submit line items as a map keyed by index, the JSON API as a list.
  defp product_ids(%{"line_items" => items}) when is_map(items) do
    product_ids(%{"line_items" => Map.values(items)})
  end

  defp product_ids(%{"line_items" => items}) when is_list(items) do
    items
    |> Enum.map(& &1["product_id"])
    |> Enum.reject(&is_nil/1)
  end

  defp product_ids(_attrs), do: []
end
