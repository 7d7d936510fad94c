defmodule Shop.Repo.Migrations.AddFeaturedToProducts do
  use Ecto.Migration
  # The index is built concurrently, which Postgres only does outside a transaction.
  @disable_ddl_transaction true
  @disable_migration_lock true

  def change do
    alter table(:products) do
      # A constant default: instant on Postgres 11+, no rewrite of `products`.
      add :featured, :boolean, null: false, default: false
    end

    create index(:products, [:category_id],
             where: "featured",
             name: :products_featured_category_id_index,
             concurrently: true
           )
  end
end
