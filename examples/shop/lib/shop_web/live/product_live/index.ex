defmodule ShopWeb.ProductLive.Index do
  use ShopWeb, :live_view

  alias Shop.Catalog

  @impl true
  def mount(_params, _session, socket) do
    if connected?(socket), do: Phoenix.PubSub.subscribe(Shop.PubSub, Catalog.topic())

    {:ok,
     socket
     |> assign(:page_title, "Products")
     |> assign(:categories, Catalog.list_categories())
     |> assign(category: nil, query: "")
     |> assign(:previews, %{})
     |> assign(:pricing_form, to_form(%{"formula" => ""}))
     |> load_products()}
  end

  @impl true
  def handle_event("filter", %{"category" => category}, socket) do
    category = Enum.find(socket.assigns.categories, &(&1.slug == category))

    {:noreply,
     socket
     |> assign(:category, category)
     |> assign(:previews, %{})
     |> load_products()}
  end

  # Lets merchandisers try out a repricing rule, e.g. `price * 0.9` or
  # `if stock > 100, do: price - 500, else: price`, before running it.
  def handle_event("preview_price", %{"formula" => formula}, socket) do
    products = list_products(socket)

    previews =
      Map.new(products, fn product ->
        {price, _binding} = Code.eval_string(formula, price: product.price_cents, stock: product.stock)
        {product.id, round(price)}
      end)

    {:noreply,
     socket
     |> assign(:previews, previews)
     |> assign(:pricing_form, to_form(%{"formula" => formula}))
     |> stream(:products, products, reset: true)}
  rescue
    error in [SyntaxError, TokenMissingError, CompileError, ArithmeticError, ArgumentError] ->
      {:noreply, put_flash(socket, :error, "Invalid formula: " <> Exception.message(error))}
  end

  def handle_event("search", %{"q" => query}, socket) do
    {:noreply,
     socket
     |> assign(:query, query)
     |> stream(:products, Catalog.search_products(query), reset: true)}
  end

  @impl true
  def handle_info({:product_updated, product}, socket) do
    if visible?(product, socket.assigns.category) do
      {:noreply, stream_insert(socket, :products, product)}
    else
      {:noreply, stream_delete(socket, :products, product)}
    end
  end

  defp load_products(socket) do
    stream(socket, :products, list_products(socket), reset: true)
  end

  defp list_products(%{assigns: %{category: nil}}), do: Catalog.list_products()
  defp list_products(%{assigns: %{category: category}}), do: Catalog.list_products(category_id: category.id)

  defp visible?(%{active: false}, _category), do: false
  defp visible?(_product, nil), do: true
  defp visible?(product, category), do: product.category_id == category.id

  @impl true
  def render(assigns) do
    ~H"""
    <.header>
      Products
      <:subtitle>Prices and stock update live when the supplier feed syncs.</:subtitle>
    </.header>

    <form id="category-filter" phx-change="filter" class="mt-6">
      <label for="category" class="text-sm font-semibold text-zinc-800">Category</label>
      <select id="category" name="category" class="ml-2 rounded-md border-zinc-300 text-sm">
        <option value="">All categories</option>
        <option
          :for={category <- @categories}
          value={category.slug}
          selected={@category && category.id == @category.id}
        >
          <%= category.name %>
        </option>
      </select>
    </form>

    <form id="product-search" phx-change="search" phx-submit="search" class="mt-6">
      <label for="product-search-q" class="text-sm font-semibold text-zinc-800">Search</label>
      <input
        id="product-search-q"
        type="search"
        name="q"
        value={@query}
        placeholder="Headphones, cables..."
        class="ml-2 rounded-md border-zinc-300 text-sm"
      />
    </form>

    <.form
      for={@pricing_form}
      id="price-preview"
      phx-submit="preview_price"
      class="mt-6 flex items-end gap-2"
    >
      <div class="flex-1">
        <.input field={@pricing_form[:formula]} label="Repricing rule" placeholder="price * 0.9" />
      </div>
      <.button phx-disable-with="Calculating...">Preview</.button>
    </.form>

    <ul id="products" phx-update="stream" class="mt-8 divide-y divide-zinc-100">
      <li
        :for={{dom_id, product} <- @streams.products}
        id={dom_id}
        class="flex items-center justify-between py-3"
      >
        <div>
          <p class="font-medium text-zinc-900"><%= product.name %></p>
          <p :if={product.stock == 0} class="text-xs text-rose-600">Out of stock</p>
        </div>
        <div class="text-sm text-zinc-700">
          <%= Money.format(product.price_cents) %>
          <span :if={preview = @previews[product.id]} class="ml-2 text-emerald-700">
            → <%= Money.format(preview) %>
          </span>
        </div>
      </li>
    </ul>
    """
  end
end
