defmodule Shop.Repo.Migrations.CreateLineItems do
  use Ecto.Migration

  def change do
    create table(:line_items) do
      add :order_id, references(:orders, on_delete: :delete_all), null: false
      add :product_id, references(:products, on_delete: :restrict), null: false
      add :quantity, :integer, null: false
      add :unit_price_cents, :integer, null: false

      timestamps(type: :utc_datetime)
    end

    create index(:line_items, [:order_id])
  end
end
