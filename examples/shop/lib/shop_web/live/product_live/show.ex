defmodule ShopWeb.ProductLive.Show do
  use ShopWeb, :live_view

  alias Shop.Catalog

  @impl true
  def mount(%{"id" => id}, _session, socket) do
    product = Catalog.get_product!(id)
    {:ok, assign(socket, page_title: product.name, product: product)}
  end
end
