defmodule Shop.CatalogTest do
  use Shop.DataCase, async: true

  alias Shop.Catalog
  alias Shop.Catalog.Product

  @valid_attrs %{"name" => "Espresso cups (set of 4)", "slug" => "espresso-cups", "price_cents" => 2_400}

  describe "categories" do
    test "create_category/1 rejects a duplicate slug" do
      category = category_fixture()

      assert {:error, changeset} = Catalog.create_category(%{name: "Tea", slug: category.slug})
      assert "has already been taken" in errors_on(changeset).slug
    end

    test "list_categories/0 orders by name" do
      category_fixture(name: "Tea")
      category_fixture(name: "Accessories")

      assert ["Accessories", "Tea"] = Enum.map(Catalog.list_categories(), & &1.name)
    end
  end

  describe "products" do
    test "list_products/1 filters by category" do
      coffee = category_fixture()
      tea = category_fixture(name: "Tea", slug: unique_slug("tea"))
      beans = product_fixture(category_id: coffee.id)
      _sencha = product_fixture(category_id: tea.id)

      assert [%Product{id: id}] = Catalog.list_products(category_id: coffee.id)
      assert id == beans.id
    end

    test "list_products/1 hides inactive products" do
      product_fixture(active: false)
      assert Catalog.list_products() == []
    end

    test "list_products/1 ignores unknown sort fields" do
      product = product_fixture()
      assert [%Product{id: id}] = Catalog.list_products(sort: :"drop table products")
      assert id == product.id
    end

    for field <- ~w(name slug price_cents) do
      @field field

      test "create_product/1 requires #{field}" do
        assert {:error, changeset} = Catalog.create_product(Map.delete(@valid_attrs, @field))
        assert "can't be blank" in errors_on(changeset)[String.to_atom(@field)]
      end
    end

    test "apply_supplier_update/2 only changes price and stock" do
      product = product_fixture()

      assert {:ok, updated} =
               Catalog.apply_supplier_update(product, %{price_cents: 1_600, stock: 3, name: "Renamed"})

      assert updated.price_cents == 1_600
      assert updated.stock == 3
      assert updated.name == product.name
    end

    test "update_product/2 broadcasts the change" do
      Phoenix.PubSub.subscribe(Shop.PubSub, Catalog.topic())
      product = product_fixture()

      assert {:ok, _product} = Catalog.update_product(product, %{stock: 0})
      assert_receive {:product_updated, %Product{stock: 0}}
    end

    test "prices_by_id/1 maps ids to current prices" do
      product = product_fixture(price_cents: 999)
      assert Catalog.prices_by_id([product.id]) == %{product.id => 999}
    end
  end
end
