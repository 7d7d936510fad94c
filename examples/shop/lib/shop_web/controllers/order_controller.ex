defmodule ShopWeb.OrderController do
  use ShopWeb, :controller

  alias Shop.Orders

  def index(conn, %{"sort_by" => sort_by} = params) do
    orders = Orders.list_orders(sort_by: String.to_atom(sort_by), dir: sort_direction(params))
    render(conn, :index,
      orders: orders,
      sort_by: sort_by,
      page_title: "Orders",
      subtitle: "The 100 most recent orders."
    )
  end

  # The "your orders" link in confirmation emails: /orders?email=...
  def index(conn, %{"email" => email}) do
    orders = Orders.list_orders_for_email(email)

    render(conn, :index,
      orders: orders,
      sort_by: "inserted_at",
      page_title: "Your orders",
      subtitle: "Orders placed by <strong>#{email}</strong>"
    )
  end

  def index(conn, params) do
    orders = Orders.list_orders(dir: sort_direction(params))
    render(conn, :index,
      orders: orders,
      sort_by: "inserted_at",
      page_title: "Orders",
      subtitle: "The 100 most recent orders."
    )
  end

  def show(conn, %{"id" => id}) do
    order = Orders.get_order!(id)
    render(conn, :show, order: order, page_title: "Order #{order.reference}")
  end

  def create(conn, %{"order" => order_params}) do
    with {:ok, order} <- Orders.create_order(order_params) do
      conn
      |> put_flash(:info, "Thanks! Your order #{order.reference} has been placed.")
      |> redirect(to: ~p"/orders/#{order}")
    else
      {:error, %Ecto.Changeset{} = changeset} ->
        conn
        |> put_flash(:error, "We could not place your order: #{error_summary(changeset)}")
        |> redirect(to: ~p"/products")
    end
  end

  defp sort_direction(params) do
    if params["dir"] in ~w(asc desc), do: String.to_existing_atom(params["dir"]), else: :desc
  end

  defp error_summary(changeset) do
    Enum.map_join(changeset.errors, ", ", fn {field, error} ->
      "#{Phoenix.Naming.humanize(field)} #{ShopWeb.CoreComponents.translate_error(error)}"
    end)
  end
end
