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
        ("lib/shop_web/controllers/order_html/show.html.heex", 29, "Security.XSS", "medium"),
        # an icon-only print button: `<.icon>` (core_components) renders an empty <span>, so it has no name
        ("lib/shop_web/controllers/order_html/show.html.heex", 6, "A11y.EmptyButtonOrLink", "medium"),
        ("lib/shop/workers/sync_supplier_prices.ex", 31, "Security.UnsafeAtomConversion", "high"),
        ("lib/shop_web/live/product_live/index.ex", 38, "Security.CodeEvaluation", "high"),
        ("lib/shop/inventory/stock_cache.ex", 82, "Security.UnsafeBinaryToTerm", "low"),
        # `init/1` loads every stock level from the database (Catalog.stock_levels/0 -> Repo.all/1)
        ("lib/shop/inventory/stock_cache.ex", 51, "OTP.HeavyInit", "high"),
        # `privileged-fields` in the app's .beamsage.toml: customers must not set status or totals
        ("lib/shop/orders/order.ex", 36, "Security.MassAssignment", "high"),
        ("lib/shop/catalog.ex", 60, "Ecto.LeadingWildcardSearch", "high"),
        ("lib/shop/catalog/product.ex", 36, "Ecto.UniqueConstraintWithoutIndex", "high"),
        # `weight_grams` was added to the Product schema (and its changeset) but no migration adds the column:
        # every query through the schema fails
        ("lib/shop/catalog/product.ex", 21, "Schema.FieldWithoutColumn", "high"),
        ("lib/shop/orders.ex", 29, "Ecto.PreloadInLoop", "high"),
        ("lib/shop_web/live/product_live/show.ex", 9, "Ecto.AssociationNotLoaded", "high"),
        # the show page subscribes to price updates in mount/3 (through watch_price/1) without `connected?`
        ("lib/shop_web/live/product_live/show.ex", 9, "LiveView.SubscribeWithoutConnected", "high"),
        # a search-as-you-type box with no phx-debounce: every keystroke runs Catalog.search_products/1
        ("lib/shop_web/live/product_live/index.ex", 101, "LiveView.MissingDebounce", "high"),
        ("lib/shop/orders.ex", 34, "Ecto.UnindexedQuery", "medium"),
        ("lib/shop/workers/sync_supplier_prices.ex", 35, "Ecto.NPlusOne", "high"),
        ("lib/shop/workers/sync_supplier_prices.ex", 37, "Ecto.NPlusOne", "medium"),
        # the worker names a queue the Oban config never starts: its cron jobs pile up unrun
        ("lib/shop/workers/sync_supplier_prices.ex", 10, "Oban.UnknownQueue", "high"),
        ("priv/repo/migrations/20240312094800_create_line_items.exs", 7, "Ecto.MissingForeignKeyIndex", "high"),
        ("priv/repo/migrations/20240410093000_index_orders_by_status.exs", 6, "Migration.IndexNotConcurrent", "high"),
        ("config/runtime.exs", 45, "Security.CrossSiteWebSocket", "medium"),
        ("lib/shop_web/router.ex", 4, "Security.MissingContentSecurityPolicy", "low"),
        # an https URL and no force_ssl (low: a proxy in front may redirect)
        ("config/runtime.exs", 38, "Security.MissingForceSSL", "low"),
        # phoenix 1.7.21 in mix.lock: long-poll DoS (the endpoint enables longpoll), channel-join DoS, Presence JS
        ("mix.lock", 18, "Security.KnownVulnerableDependency", "high"),
        # a test sleeps 100 ms "for the refresh", though a call after `send` is already handled after it
        ("test/shop/inventory/stock_cache_test.exs", 28, "Tests.SleepInTest", "high"),
    }
    assert doc["summary"]["files"] == 44


def test_example_sarif_is_what_code_scanning_accepts(tmp_path):
    """Valid SARIF 2.1.0 whose security rules carry CWE tags and a
    security-severity, and whose paths across functions keep their callers."""
    import jsonschema

    from conftest import DATA

    out = tmp_path / "shop.sarif"
    assert run_cli("review", str(SHOP), "-f", "sarif", "-o", str(out)).returncode == 1
    doc = json.loads(out.read_text())
    jsonschema.Draft202012Validator(json.loads((DATA / "sarif-2.1.0.json").read_text())).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for rule in rules:
        if rule["id"].startswith("Security."):
            tags = rule["properties"]["tags"]
            assert "security" in tags and any(t.startswith("external/cwe/cwe-") for t in tags), rule["id"]
            assert 0 < float(rule["properties"]["security-severity"]) <= 10
    mass = next(r for r in run["results"] if r["ruleId"] == "Security.MassAssignment")
    related = mass["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"].endswith("lib/shop_web/controllers/order_controller.ex")


def test_readme_opening_sample_is_what_review_prints():
    """The review output the README opens with is copied from a real run; every line of it still appears."""
    readme = (ROOT / "README.md").read_text()
    sample = readme.split("```", 2)[1]  # the first fenced block
    out = run_cli("review", str(ROOT / "examples" / "shop"), "--no-cache").stdout
    lines = [line for line in sample.splitlines()[1:] if line.strip()]
    assert lines and [line for line in lines if line not in out] == []
