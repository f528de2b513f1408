"""Live market data, only on an explicit call: BTC price, network difficulty and fees per block.

Nothing here runs at import time. ``fetch_market_state`` asks a mempool.space-compatible REST API
(the public instance by default, or the user's own node) with a timeout, and on any failure
returns the dated offline defaults with a message saying what failed, so a valuation never stops
for want of a network.

Endpoints (mempool.space REST API reference, https://mempool.space/api, read 2026-11-29):
``GET /v1/prices`` -> ``{"time": s, "USD": price, ...}``;
``GET /v1/mining/hashrate/3d`` -> ``{"currentHashrate": H/s, "currentDifficulty": D, ...}``;
``GET /v1/mining/blocks/fees/24h`` -> ``[{"avgHeight", "timestamp", "avgFees": sats}, ...]``.
"""

from __future__ import annotations

import json
import math
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from valuation.errors import LiveDataError
from valuation.market import DEFAULT_MARKET, MarketState, hashrate_eh_s_from_difficulty

DEFAULT_API_URL = "https://mempool.space/api"
API_URL_ENV_VAR = "HASHPIVOT_LIVE_API_URL"  # e.g. the user's own mempool node
DEFAULT_TIMEOUT_S = 5.0
SATS_PER_BTC = 100_000_000


@dataclass(frozen=True)
class LiveMarket:
    """The market state to use and where it came from.

    ``is_live`` is False when the call failed and ``market`` is the offline fallback; ``message``
    says what was fetched, or what failed, in words for the app.
    """

    market: MarketState
    is_live: bool
    message: str


def _get_json(url: str, timeout_s: float) -> object:
    request = urllib.request.Request(url, headers={"User-Agent": "hashpivot"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (http/https only)
        return json.loads(response.read().decode("utf-8"))


def _positive(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LiveDataError(f"{field} is {value!r}; expected a number")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise LiveDataError(f"{field} is {value!r}; expected a positive finite number")
    return number


def parse_live_market(
    prices: object, hashrate: object, fees: object, base: MarketState, as_of: date
) -> MarketState:
    """Build a MarketState from the three endpoint answers; fields not fetched keep ``base``.

    Fees per block: the mean of the 24 h ``avgFees`` (sats) converted to BTC. Network hashrate:
    from ``currentDifficulty`` (D x 2^32 / 600 s), the same definition as the defaults.
    """
    if not isinstance(prices, dict):
        raise LiveDataError(f"prices answer is {type(prices).__name__}; expected an object")
    if not isinstance(hashrate, dict):
        raise LiveDataError(f"hashrate answer is {type(hashrate).__name__}; expected an object")
    if not isinstance(fees, list) or not fees:
        raise LiveDataError("fees answer is empty; expected a list of blocks with avgFees")
    btc_price_usd = _positive(prices.get("USD"), "prices.USD")
    difficulty = _positive(hashrate.get("currentDifficulty"), "hashrate.currentDifficulty")
    fee_sats = [
        _positive(row.get("avgFees") if isinstance(row, dict) else row, f"fees[{i}].avgFees")
        for i, row in enumerate(fees)
    ]
    fees_btc_per_block = sum(fee_sats) / len(fee_sats) / SATS_PER_BTC
    source = f"live, mempool.space-compatible API, fetched {as_of.isoformat()}"
    return replace(
        base,
        as_of=as_of,
        btc_price_usd=btc_price_usd,
        network_hashrate_eh_s=float(hashrate_eh_s_from_difficulty(difficulty)),
        fees_btc_per_block=fees_btc_per_block,
        sources={
            **base.sources,
            "as_of": source,
            "btc_price_usd": f"{source}: /v1/prices USD",
            "network_hashrate_eh_s": f"{source}: /v1/mining/hashrate/3d currentDifficulty",
            "fees_btc_per_block": f"{source}: mean avgFees of /v1/mining/blocks/fees/24h",
        },
    )


def fetch_market_state(
    base: MarketState = DEFAULT_MARKET,
    *,
    api_url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    today: date | None = None,
) -> LiveMarket:
    """Fetch today's BTC price, difficulty and fees; fall back to ``base`` on any failure.

    ``api_url``: the API root; None takes ``$HASHPIVOT_LIVE_API_URL`` or the public instance.
    ``timeout_s`` bounds each of the three requests. Only http(s) URLs are accepted.
    """
    api_url = api_url or os.environ.get(API_URL_ENV_VAR) or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise ValueError(f"api_url is {api_url!r}; allowed: an http:// or https:// URL")
    if not (math.isfinite(timeout_s) and timeout_s > 0):
        raise ValueError(f"timeout_s is {timeout_s!r}; allowed: a positive number of seconds")
    root = api_url.rstrip("/")
    as_of = today or datetime.now(UTC).date()
    try:
        prices = _get_json(f"{root}/v1/prices", timeout_s)
        hashrate = _get_json(f"{root}/v1/mining/hashrate/3d", timeout_s)
        fees = _get_json(f"{root}/v1/mining/blocks/fees/24h", timeout_s)
        market = parse_live_market(prices, hashrate, fees, base, as_of)
    except (OSError, urllib.error.URLError, ValueError, LiveDataError) as exc:
        reason = getattr(exc, "reason", exc)
        return LiveMarket(
            base,
            False,
            f"Live data unavailable from {root} ({reason}); using the defaults as of "
            f"{base.as_of.isoformat()}.",
        )
    return LiveMarket(
        market,
        True,
        f"Live data from {root} as of {as_of.isoformat()}: BTC ${market.btc_price_usd:,.0f}, "
        f"{market.network_hashrate_eh_s:,.0f} EH/s, {market.fees_btc_per_block:.4f} BTC fees "
        "per block.",
    )
