"""Market rows carry the MarketState's own values and citations."""

import dataclasses

from app_support.market_view import market_rows
from valuation.market import DEFAULT_MARKET


def test_rows_show_the_defaults_with_their_sources():
    rows = {r["field"]: r for r in market_rows(DEFAULT_MARKET)}
    assert rows["btc_price_usd"]["value"] == f"${DEFAULT_MARKET.btc_price_usd:,.0f}"
    assert rows["btc_price_usd"]["source"] == DEFAULT_MARKET.sources["btc_price_usd"]
    # 0.35 a year -> "35.0% a year"
    growth = dataclasses.replace(DEFAULT_MARKET, network_hashrate_growth_per_year=0.35)
    assert {r["field"]: r for r in market_rows(growth)}["network_hashrate_growth_per_year"][
        "value"
    ] == "35.0% a year"
    assert all(r["source"] for r in rows.values())


def test_a_changed_value_is_shown():
    changed = dataclasses.replace(DEFAULT_MARKET, btc_price_usd=95_000.0)
    rows = {r["field"]: r for r in market_rows(changed)}
    assert rows["btc_price_usd"]["value"] == "$95,000"


def test_every_market_field_the_valuation_uses_is_listed_with_its_source():
    """The page lists each MarketState field (sources excepted), the floor included."""
    fields = {f.name for f in dataclasses.fields(DEFAULT_MARKET)} - {"sources"}
    rows = {r["field"]: r for r in market_rows(DEFAULT_MARKET)}
    assert set(rows) == fields
    assert rows["hashprice_floor_usd_per_ph_day"]["source"].startswith("$35.1/PH/day")
