defmodule ShopWeb.OrderHTML do
  use ShopWeb, :html

  embed_templates "order_html/*"

  @doc "A coloured pill for an order status."
  attr :status, :string, required: true

  def status_badge(assigns) do
    ~H"""
    <span class={["rounded-full px-2 py-0.5 text-xs font-medium", badge_class(@status)]}>
      <%= @status %>
    </span>
    """
  end

  defp badge_class("paid"), do: "bg-emerald-50 text-emerald-700"
  defp badge_class("shipped"), do: "bg-sky-50 text-sky-700"
  defp badge_class("cancelled"), do: "bg-zinc-100 text-zinc-500 line-through"
  defp badge_class(_pending), do: "bg-amber-50 text-amber-700"

  @doc "Query params for a sortable column header: newest/largest first, ascending once the column is active."
  def sort_params(column, current) do
    dir = if column == current, do: "asc", else: "desc"
    [sort_by: column, dir: dir]
  end
end
