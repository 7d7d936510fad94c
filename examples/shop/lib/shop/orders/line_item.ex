defmodule Shop.Orders.LineItem do
  use Ecto.Schema
  import Ecto.Changeset

  alias Shop.Catalog.Product
  alias Shop.Orders.Order

  schema "line_items" do
    field :quantity, :integer
    field :unit_price_cents, :integer

    belongs_to :order, Order
    belongs_to :product, Product

    timestamps(type: :utc_datetime)
  end

  @doc false
  def changeset(line_item, attrs, prices \\ %{}) do
    line_item
    |> cast(attrs, [:product_id, :quantity])
    |> validate_required([:product_id, :quantity])
    |> validate_number(:quantity, greater_than: 0, less_than_or_equal_to: 99)
    |> put_unit_price(prices)
    |> foreign_key_constraint(:order_id)
    |> foreign_key_constraint(:product_id)
  end

  defp put_unit_price(%Ecto.Changeset{valid?: false} = changeset, _prices), do: changeset

  defp put_unit_price(changeset, prices) do
    case Map.fetch(prices, get_field(changeset, :product_id)) do
      {:ok, cents} -> put_change(changeset, :unit_price_cents, cents)
      :error -> add_error(changeset, :product_id, "is not available")
    end
  end
end
