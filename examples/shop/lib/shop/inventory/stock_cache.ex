defmodule Shop.Inventory.StockCache do
  @moduledoc """
  Keeps current stock levels in memory so product pages don't query the
  database on every render.

  Levels are reloaded from the database every few minutes and snapshotted
  to disk, so a restarted node serves warm (if slightly stale) numbers
  straight away.
  """

  use GenServer

  require Logger

  alias Shop.Catalog

  @refresh_interval :timer.minutes(5)
  @snapshot_version 2
  @empty_snapshot :erlang.term_to_binary(%{version: @snapshot_version, levels: %{}})

  ## Client

  def start_link(opts) do
    {name, opts} = Keyword.pop(opts, :name, __MODULE__)
    GenServer.start_link(__MODULE__, opts, name: name)
  end

  @doc "Units in stock for a product, 0 when unknown."
  def get(server \\ __MODULE__, product_id) do
    GenServer.call(server, {:get, product_id})
  end

  @doc "Records a new stock level, e.g. after an order was placed."
  def put(server \\ __MODULE__, product_id, quantity) when is_integer(quantity) do
    GenServer.cast(server, {:put, product_id, quantity})
  end

  @doc "Reloads all levels from the database without waiting for the next tick."
  def refresh(server \\ __MODULE__) do
    send(server, :refresh)
    :ok
  end

  ## Server

  @impl true
  def init(opts) do
    path = Keyword.get_lazy(opts, :snapshot_path, &default_snapshot_path/0)
    %{levels: cached} = restore(path)

    levels = Map.merge(cached, Catalog.stock_levels())
    schedule_refresh()

    {:ok, %{path: path, levels: levels}}
  end

  @impl true
  def handle_call({:get, product_id}, _from, state) do
    {:reply, Map.get(state.levels, product_id, 0), state}
  end

  @impl true
  def handle_cast({:put, product_id, quantity}, state) do
    {:noreply, put_in(state.levels[product_id], quantity)}
  end

  @impl true
  def handle_info(:refresh, state) do
    levels = Catalog.stock_levels()
    persist(state.path, levels)
    schedule_refresh()

    {:noreply, %{state | levels: levels}}
  end

  defp schedule_refresh do
    Process.send_after(self(), :refresh, @refresh_interval)
  end

  defp restore(path) do
    with {:ok, binary} <- File.read(path),
         %{version: @snapshot_version} = snapshot <- :erlang.binary_to_term(binary) do
      snapshot
    else
      _missing_or_outdated -> :erlang.binary_to_term(@empty_snapshot)
    end
  end

  defp persist(path, levels) do
    binary = :erlang.term_to_binary(%{version: @snapshot_version, levels: levels})

    case File.write(path, binary) do
      :ok -> :ok
      {:error, reason} -> Logger.warning("could not write stock snapshot to #{path}: #{inspect(reason)}")
    end
  end

  defp default_snapshot_path do
    Path.join(System.tmp_dir!(), "shop_stock_cache.bin")
  end
end
