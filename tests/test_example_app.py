"""The example app under examples/ keeps showing real findings, and only real ones."""

from __future__ import annotations

import json

from conftest import ROOT, run_cli

SHOP = ROOT / "examples" / "shop"


def test_demo_command_shows_expert_findings():
    result = run_cli("review", str(SHOP))
    assert result.returncode == 1
    assert "Security.CodeEvaluation" in result.stdout and "(high confidence)" in result.stdout


def test_example_findings_are_exactly_the_planted_mistakes():
    doc = json.loads(run_cli("review", str(SHOP), "-f", "json", "--min-confidence", "low").stdout)
    found = {(f["path"], f["line"], f["rule"], f["confidence"]) for f in doc["findings"]}
    assert found == {
        ("lib/shop_web/controllers/order_controller.ex", 7, "Security.UnsafeAtomConversion", "high"),
        ("lib/shop_web/controllers/order_html/index.html.heex", 3, "Security.XSS", "high"),
        ("lib/shop_web/controllers/order_html/show.html.heex", 26, "Security.XSS", "medium"),
        ("lib/shop/workers/sync_supplier_prices.ex", 31, "Security.UnsafeAtomConversion", "high"),
        ("lib/shop_web/live/product_live/index.ex", 38, "Security.CodeEvaluation", "high"),
        ("lib/shop/inventory/stock_cache.ex", 82, "Security.UnsafeBinaryToTerm", "low"),
        ("lib/shop/catalog.ex", 60, "Ecto.LeadingWildcardSearch", "high"),
        ("lib/shop/catalog/product.ex", 33, "Ecto.UniqueConstraintWithoutIndex", "high"),
        ("lib/shop/orders.ex", 29, "Ecto.PreloadInLoop", "high"),
        ("lib/shop_web/live/product_live/show.ex", 9, "Ecto.AssociationNotLoaded", "high"),
        ("lib/shop/orders.ex", 34, "Ecto.UnindexedQuery", "medium"),
        ("lib/shop/workers/sync_supplier_prices.ex", 35, "Ecto.NPlusOne", "high"),
        ("lib/shop/workers/sync_supplier_prices.ex", 37, "Ecto.NPlusOne", "medium"),
        ("priv/repo/migrations/20240312094800_create_line_items.exs", 7, "Ecto.MissingForeignKeyIndex", "high"),
        ("priv/repo/migrations/20240410093000_index_orders_by_status.exs", 6, "Migration.IndexNotConcurrent", "high"),
    }
    assert doc["summary"]["files"] == 43
