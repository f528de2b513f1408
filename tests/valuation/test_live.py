"""Live market data: a real HTTP server on loopback plays the API; failures fall back offline."""

from __future__ import annotations

import time
from datetime import date

import pytest
from loopback import LIVE_API_ANSWERS as ANSWERS
from loopback import serve_json as _serve

from valuation.live import fetch_market_state, parse_live_market
from valuation.market import DEFAULT_MARKET

TODAY = date(2026, 11, 29)


@pytest.fixture
def api(live_api_url: str) -> str:
    return live_api_url


def test_live_figures_replace_the_defaults(api: str) -> None:
    live = fetch_market_state(api_url=api, timeout_s=2, today=TODAY)
    assert live.is_live
    m = live.market
    assert m.btc_price_usd == 91_250
    # 150 T x 2^32 / 600 s = 1.0737e21 H/s = 1,073.7 EH/s
    assert m.network_hashrate_eh_s == pytest.approx(150.0e12 * 2**32 / 600 / 1e18)
    assert m.network_hashrate_eh_s == pytest.approx(1073.74, abs=0.01)
    # mean of 2,000,000 and 4,000,000 sats = 3,000,000 sats = 0.03 BTC
    assert m.fees_btc_per_block == pytest.approx(0.03)
    assert m.as_of == TODAY
    assert "live" in m.sources["btc_price_usd"]
    # what was not fetched keeps the defaults
    assert m.network_hashrate_growth_per_year == DEFAULT_MARKET.network_hashrate_growth_per_year
    assert "$91,250" in live.message


def test_unreachable_source_falls_back_to_the_dated_defaults() -> None:
    server = _serve(ANSWERS)
    port = server.server_address[1]
    server.shutdown()
    server.server_close()  # nothing listens on this port any more
    live = fetch_market_state(api_url=f"http://127.0.0.1:{port}/api", timeout_s=1, today=TODAY)
    assert not live.is_live
    assert live.market == DEFAULT_MARKET
    assert "using the defaults as of 2025-11-03" in live.message


def test_a_slow_source_times_out_and_falls_back() -> None:
    server = _serve(ANSWERS, delay_s=2.0)
    try:
        start = time.perf_counter()
        live = fetch_market_state(
            api_url=f"http://127.0.0.1:{server.server_address[1]}/api", timeout_s=0.3
        )
        assert time.perf_counter() - start < 1.5
    finally:
        server.shutdown()
    assert not live.is_live
    assert live.market == DEFAULT_MARKET


def test_a_malformed_answer_names_the_field_and_falls_back() -> None:
    server = _serve({**ANSWERS, "/api/v1/prices": {"time": 1, "USD": "n/a"}})
    try:
        live = fetch_market_state(
            api_url=f"http://127.0.0.1:{server.server_address[1]}/api", timeout_s=2
        )
    finally:
        server.shutdown()
    assert not live.is_live
    assert "prices.USD" in live.message


@pytest.mark.parametrize(
    ("prices", "hashrate", "fees", "field"),
    [
        ({"USD": -5}, ANSWERS["/api/v1/mining/hashrate/3d"], [{"avgFees": 1}], "prices.USD"),
        ({"USD": 1}, {"currentDifficulty": None}, [{"avgFees": 1}], "currentDifficulty"),
        ({"USD": 1}, {"currentDifficulty": 1e12}, [], "fees answer is empty"),
    ],
)
def test_parse_rejects_bad_fields(prices, hashrate, fees, field) -> None:
    with pytest.raises(Exception, match=field):
        parse_live_market(prices, hashrate, fees, DEFAULT_MARKET, TODAY)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="api_url"):
        fetch_market_state(api_url="ftp://example.org")
    with pytest.raises(ValueError, match="timeout_s"):
        fetch_market_state(api_url="http://127.0.0.1:9", timeout_s=0)


def test_the_api_root_comes_from_the_environment(api: str, monkeypatch) -> None:
    monkeypatch.setenv("HASHPIVOT_LIVE_API_URL", api)
    live = fetch_market_state(timeout_s=2, today=TODAY)
    assert live.is_live and api in live.message
