defmodule Shop.Inventory.StockCacheTest do
  use Shop.DataCase

  alias Shop.Inventory.StockCache

  @moduletag :tmp_dir

  setup %{tmp_dir: tmp_dir} do
    product = product_fixture(stock: 7)
    cache = start_supervised!({StockCache, name: nil, snapshot_path: Path.join(tmp_dir, "stock.bin")})

    %{cache: cache, product: product}
  end

  test "loads stock levels when it starts", %{cache: cache, product: product} do
    assert StockCache.get(cache, product.id) == 7
  end

  test "records a new level", %{cache: cache, product: product} do
    StockCache.put(cache, product.id, 3)
    assert StockCache.get(cache, product.id) == 3
  end

  test "reloads levels from the database on refresh", %{cache: cache, product: product} do
    {:ok, _} = Shop.Catalog.update_product(product, %{stock: 2})

    StockCache.refresh(cache)
    Process.sleep(100)

    assert StockCache.get(cache, product.id) == 2
  end

  test "snapshots the levels it reloads", %{cache: cache, tmp_dir: tmp_dir} do
    StockCache.refresh(cache)
    :sys.get_state(cache)

    assert File.exists?(Path.join(tmp_dir, "stock.bin"))
  end
end
