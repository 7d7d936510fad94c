defmodule ShopWeb.OrderControllerTest do
  use ShopWeb.ConnCase, async: true

  describe "index" do
    test "lists orders", %{conn: conn} do
      order = order_fixture()

      conn = get(conn, ~p"/orders")
      assert html_response(conn, 200) =~ order.reference
    end

    test "sorts by the requested column", %{conn: conn} do
      zoe = order_fixture(%{"email" => "zoe@example.com"})
      abe = order_fixture(%{"email" => "abe@example.com"})

      conn = get(conn, ~p"/orders?#{[sort_by: "email", dir: "asc"]}")
      assert html_response(conn, 200)
      assert Enum.map(conn.assigns.orders, & &1.id) == [abe.id, zoe.id]
    end

    test "accepts every sortable column", %{conn: conn} do
      order_fixture()

      for field <- ~w(email total_cents inserted_at) do
        conn = get(conn, ~p"/orders?#{[sort_by: field]}")
        assert html_response(conn, 200) =~ "Orders"
        assert Enum.all?(conn.assigns.orders, &Map.has_key?(&1, String.to_atom(field)))
      end
    end
  end

  describe "show" do
    test "shows the line items", %{conn: conn} do
      order = order_fixture()

      conn = get(conn, ~p"/orders/#{order}")
      body = html_response(conn, 200)
      assert body =~ "Order #{order.reference}"
      assert body =~ "House blend"
    end
  end

  describe "create" do
    test "prices line items from the catalog", %{conn: conn} do
      product = product_fixture(price_cents: 1_000)

      params = %{
        "email" => "grace@example.com",
        "line_items" => %{"0" => %{"product_id" => product.id, "quantity" => 3, "unit_price_cents" => 1}}
      }

      conn = post(conn, ~p"/orders", order: params)
      assert %{id: id} = redirected_params(conn)
      assert redirected_to(conn) == ~p"/orders/#{id}"

      order = Shop.Orders.get_order!(id)
      assert order.total_cents == 3_000
      assert [%{unit_price_cents: 1_000}] = order.line_items
    end

    test "redirects back to the products with an error", %{conn: conn} do
      conn = post(conn, ~p"/orders", order: %{"email" => "not-an-email"})

      assert redirected_to(conn) == ~p"/products"
      assert Phoenix.Flash.get(conn.assigns.flash, :error) =~ "could not place your order"
    end
  end
end
