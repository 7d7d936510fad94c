defmodule Shop.Repo.Migrations.IndexOrdersByStatus do
  use Ecto.Migration

  # The back office lists pending and paid orders.
  def change do
    create index(:orders, [:status])

    alter table(:orders) do
      # Already NOT NULL since the table was created: no scan, no lock.
      modify :status, :string, null: false, default: "pending", from: {:string, null: false, default: "pending"}
    end
  end
end
