defmodule Shop.Repo.Migrations.CreateOrders do
  use Ecto.Migration

  def change do
    create table(:orders) do
      add :reference, :string, null: false
      add :email, :string, null: false
      add :status, :string, null: false, default: "pending"
      add :total_cents, :integer, null: false
      add :notes, :text

      timestamps(type: :utc_datetime)
    end

    create unique_index(:orders, [:reference])
    create index(:orders, [:inserted_at])
  end
end
