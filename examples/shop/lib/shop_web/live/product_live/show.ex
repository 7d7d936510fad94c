defmodule ShopWeb.ProductLive.Show do
  use ShopWeb, :live_view

  alias Shop.Catalog

  @impl true
  def mount(%{"id" => id}, _session, socket) do
    product = Catalog.get_product!(id)
    {:ok, assign(socket, page_title: product.name, product: product) |> watch_price()}
  end

  # Keeps the price and stock on the page current while the supplier feed syncs.
  defp watch_price(socket) do
    Phoenix.PubSub.subscribe(Shop.PubSub, Catalog.topic())
    socket
  end

  @impl true
  def handle_info({:product_updated, %{id: id} = updated}, %{assigns: %{product: %{id: id}}} = socket) do
    product = %{socket.assigns.product | price_cents: updated.price_cents, stock: updated.stock}
    {:noreply, assign(socket, :product, product)}
  end

  def handle_info({:product_updated, _other}, socket), do: {:noreply, socket}
end
