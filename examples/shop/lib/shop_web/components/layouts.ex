defmodule ShopWeb.Layouts do
  @moduledoc """
  The root layout (`layouts/root.html.heex`) and the app layout every
  page is rendered in.
  """
  use ShopWeb, :html

  embed_templates "layouts/*"

  def app(assigns) do
    ~H"""
    <header class="border-b border-zinc-100 px-4 sm:px-6 lg:px-8">
      <nav class="mx-auto flex max-w-3xl items-center justify-between py-3 text-sm font-semibold">
        <.link navigate={~p"/products"} class="text-zinc-900">Shop</.link>
        <div class="flex gap-4 text-zinc-600">
          <.link navigate={~p"/products"} class="hover:text-zinc-900">Products</.link>
          <.link href={~p"/orders"} class="hover:text-zinc-900">Orders</.link>
        </div>
      </nav>
    </header>
    <main class="px-4 py-12 sm:px-6 lg:px-8">
      <div class="mx-auto max-w-3xl">
        <.flash_group flash={@flash} />
        <%= @inner_content %>
      </div>
    </main>
    """
  end
end
