defmodule Shop.Repo.Migrations.CreateProducts do
  use Ecto.Migration

  def change do
    create table(:products) do
      add :name, :string, null: false
      add :slug, :string, null: false
      add :description, :text
      add :price_cents, :integer, null: false
      add :stock, :integer, null: false, default: 0
      add :supplier_sku, :string
      add :active, :boolean, null: false, default: true
      add :category_id, references(:categories, on_delete: :nilify_all)

      timestamps(type: :utc_datetime)
    end

    create index(:products, [:category_id])
    create index(:products, [:slug])
    create unique_index(:products, [:supplier_sku])
  end
end
