defmodule Shop.Workers.SyncSupplierPrices do
  @moduledoc """
  Pulls the supplier's price and stock feed and applies it to the products
  we carry, matched on `supplier_sku`.

  Scheduled by the Oban cron plugin (see `config/config.exs`). A failed
  request raises, so Oban retries the job with backoff.
  """

  use Oban.Worker, queue: :suppliers, max_attempts: 5

  require Logger

  alias Shop.Catalog
  alias Shop.Catalog.Product
  alias Shop.Inventory.StockCache
  alias Shop.Repo

  @impl Oban.Worker
  def perform(%Oban.Job{}) do
    config = Application.fetch_env!(:shop, :supplier)

    # Decoded by hand: Req's automatic JSON decoding would give us string keys.
    %Req.Response{status: 200, body: body} =
      Req.get!(config[:feed_url],
        auth: {:bearer, config[:api_token]},
        decode_body: false,
        receive_timeout: 30_000
      )

    %{items: items} = Jason.decode!(body, keys: :atoms)

    updated =
      Enum.count(items, fn item ->
        with %Product{} = product <- Repo.get_by(Product, supplier_sku: item.sku),
             {:ok, _product} <-
               Catalog.apply_supplier_update(product, %{price_cents: item.price_cents, stock: item.stock}) do
          true
        else
          nil ->
            false

          {:error, changeset} ->
            Logger.warning("supplier update rejected for #{item.sku}: #{inspect(changeset.errors)}")
            false
        end
      end)

    Logger.info("supplier sync updated #{updated} of #{length(items)} products")
    StockCache.refresh()

    :ok
  end
end
