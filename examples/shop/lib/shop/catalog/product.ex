defmodule Shop.Catalog.Product do
  use Ecto.Schema
  import Ecto.Changeset

  require Shop.Money

  alias Shop.Catalog.Category

  @max_price_cents Shop.Money.cents(25_000)

  schema "products" do
    field :name, :string
    field :slug, :string
    field :description, :string
    field :price_cents, :integer
    field :stock, :integer, default: 0
    field :supplier_sku, :string
    field :active, :boolean, default: true
    field :featured, :boolean, default: false
    # Shipping is priced by weight now.
    field :weight_grams, :integer

    belongs_to :category, Category

    timestamps(type: :utc_datetime)
  end

  @doc false
  def changeset(product, attrs) do
    product
    |> cast(attrs, [:name, :slug, :description, :price_cents, :stock, :supplier_sku, :active, :category_id,
                    :weight_grams])
    |> validate_required([:name, :slug, :price_cents])
    |> validate_format(:slug, ~r/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
    |> validate_prices_and_stock()
    |> unique_constraint(:slug)
    |> unique_constraint(:supplier_sku)
    |> foreign_key_constraint(:category_id)
  end

  @doc "Changes the supplier feed is allowed to make."
  def supplier_changeset(product, attrs) do
    product
    |> cast(attrs, [:price_cents, :stock])
    |> validate_required([:price_cents, :stock])
    |> validate_prices_and_stock()
  end

  defp validate_prices_and_stock(changeset) do
    changeset
    |> validate_number(:price_cents, greater_than_or_equal_to: 0, less_than_or_equal_to: @max_price_cents)
    |> validate_number(:stock, greater_than_or_equal_to: 0)
  end
end
