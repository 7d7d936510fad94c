defmodule Shop.Catalog do
  @moduledoc """
  The storefront catalog: categories and the products listed in them.
  """

  import Ecto.Query, warn: false

  alias Shop.Catalog.{Category, Product}
  alias Shop.Repo

  @topic "catalog"

  # Strings because they double as the values of the sort <select>.
  @sortable ~w(name price_cents inserted_at)

  @doc "The PubSub topic product changes are broadcast on."
  def topic, do: @topic

  @doc "Fields `list_products/1` accepts in its `:sort` option."
  def sortable_fields, do: Enum.map(@sortable, &String.to_atom/1)

  ## Categories

  def list_categories do
    Repo.all(from c in Category, order_by: c.name)
  end

  def get_category_by_slug!(slug), do: Repo.get_by!(Category, slug: slug)

  def create_category(attrs \\ %{}) do
    %Category{}
    |> Category.changeset(attrs)
    |> Repo.insert()
  end

  ## Products

  @doc """
  Lists active products.

  ## Options

    * `:category_id` - only products in this category
    * `:sort` - one of `sortable_fields/0`, defaults to `:name`

  """
  def list_products(opts \\ []) do
    sort = if opts[:sort] in sortable_fields(), do: opts[:sort], else: :name

    Product
    |> where([p], p.active)
    |> filter_category(opts[:category_id])
    |> order_by([p], asc: field(p, ^sort))
    |> preload(:category)
    |> Repo.all()
  end

  @doc "Active products whose name contains `term`, for the search box."
  def search_products(term) do
    Repo.all(from p in Product, where: p.active and ilike(p.name, ^"%#{term}%"), order_by: p.name, limit: 20)
  end

  defp filter_category(query, nil), do: query
  defp filter_category(query, category_id), do: where(query, [p], p.category_id == ^category_id)

  def get_product!(id), do: Repo.get!(Product, id)

  def create_product(attrs \\ %{}) do
    %Product{}
    |> Product.changeset(attrs)
    |> Repo.insert()
    |> broadcast(:product_updated)
  end

  def update_product(%Product{} = product, attrs) do
    product
    |> Product.changeset(attrs)
    |> Repo.update()
    |> broadcast(:product_updated)
  end

  @doc "Applies a price and stock update coming from the supplier feed."
  def apply_supplier_update(%Product{} = product, attrs) do
    product
    |> Product.supplier_changeset(attrs)
    |> Repo.update()
    |> broadcast(:product_updated)
  end

  def change_product(%Product{} = product, attrs \\ %{}) do
    Product.changeset(product, attrs)
  end

  @doc "Current prices of the given active products, as a map of id to cents."
  def prices_by_id(ids) do
    from(p in Product, where: p.id in ^ids and p.active, select: {p.id, p.price_cents})
    |> Repo.all()
    |> Map.new()
  end

  @doc "Stock of every product, as a map of id to quantity."
  def stock_levels do
    from(p in Product, select: {p.id, p.stock})
    |> Repo.all()
    |> Map.new()
  end

  defp broadcast({:ok, product} = result, event) do
    Phoenix.PubSub.broadcast(Shop.PubSub, @topic, {event, product})
    result
  end

  defp broadcast({:error, _changeset} = result, _event), do: result
end
