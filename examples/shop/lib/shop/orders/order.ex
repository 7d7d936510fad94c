defmodule Shop.Orders.Order do
  use Ecto.Schema
  import Ecto.Changeset

  alias Shop.Orders.LineItem

  @statuses ~w(pending paid shipped cancelled)

  schema "orders" do
    field :reference, :string
    field :email, :string
    field :status, :string, default: "pending"
    field :total_cents, :integer
    field :notes, :string

    has_many :line_items, LineItem, on_replace: :delete

    timestamps(type: :utc_datetime)
  end

  def statuses, do: @statuses

  # pending?/1, paid?/1, shipped?/1 and cancelled?/1
  for status <- @statuses do
    @doc "Returns true when the order is #{status}."
    def unquote(String.to_atom(status <> "?"))(%__MODULE__{status: unquote(status)}), do: true
    def unquote(String.to_atom(status <> "?"))(%__MODULE__{}), do: false
  end

  @doc """
  Changeset for placing an order. `prices` maps product ids to their
  current price in cents and is used to price the line items.
  """
  def changeset(order, attrs, prices \\ %{}) do
    order
    |> cast(attrs, [:email, :notes, :status, :total_cents])
    |> validate_required([:email])
    |> validate_format(:email, ~r/^[^\s@]+@[^\s@]+$/, message: "must be a valid email")
    |> validate_length(:notes, max: 2_000)
    |> validate_inclusion(:status, @statuses)
    |> cast_assoc(:line_items, with: &LineItem.changeset(&1, &2, prices), required: true)
    |> put_reference()
    |> put_total()
    |> unique_constraint(:reference)
  end

  @doc "Moves an order to another status (admin and payment webhooks only)."
  def status_changeset(order, status) do
    order
    |> change(status: status)
    |> validate_inclusion(:status, @statuses)
  end

  defp put_reference(changeset) do
    case get_field(changeset, :reference) do
      nil -> put_change(changeset, :reference, generate_reference())
      _reference -> changeset
    end
  end

  defp put_total(changeset) do
    case get_field(changeset, :total_cents) do
      nil -> put_change(changeset, :total_cents, line_items_total(changeset))
      _total -> changeset
    end
  end

  defp line_items_total(changeset) do
    changeset
    |> get_assoc(:line_items, :struct)
    |> Enum.reduce(0, fn item, acc -> acc + (item.unit_price_cents || 0) * (item.quantity || 0) end)
  end

  defp generate_reference do
    "SO-" <> (:crypto.strong_rand_bytes(5) |> Base.encode32(padding: false))
  end
end
