"""The dated market defaults as rows for the Market page: label, formatted value, unit, source.

Values and sources come from the ``MarketState`` in use (``valuation.market``); this module only
chooses labels and number formats.
"""

from __future__ import annotations

from valuation import formatting as fmt
from valuation.market import MarketState

# (field, label, unit, formatter)
_FIELDS = (
    ("btc_price_usd", "Bitcoin price", "USD per BTC", fmt.usd_exact),
    (
        "network_hashrate_eh_s",
        "Network hashrate",
        "EH/s (10^18 hashes per second)",
        lambda v: f"{v:,.0f} EH/s",
    ),
    ("fees_btc_per_block", "Transaction fees", "BTC per block", lambda v: f"{v:.4f} BTC"),
    (
        "network_hashrate_growth_per_year",
        "Hashrate growth",
        "fraction a year, shown as %",
        lambda v: fmt.pct(v) + " a year",
    ),
    (
        "btc_price_growth_per_year",
        "Bitcoin price growth",
        "fraction a year, shown as %",
        lambda v: fmt.pct(v) + " a year",
    ),
    (
        "hashprice_floor_usd_per_ph_day",
        "Hashprice floor today",
        "USD per PH/s per day: the marginal miner's cash cost, where the network stops growing",
        fmt.hashprice,
    ),
    (
        "hashprice_floor_decline_per_year",
        "Hashprice floor decline",
        "fraction a year, shown as %: efficiency gains lower the marginal cash cost",
        lambda v: fmt.pct(v) + " a year",
    ),
    (
        "hashrate_adjustment_months",
        "Network adjustment time",
        "months: how fast hashrate moves towards the level the floor allows",
        lambda v: f"{v:.0f} months",
    ),
    ("mean_block_time_s", "Mean block time", "seconds per block", lambda v: f"{v:.0f} s"),
    ("anchor_height", "Halving anchor block", "block height", lambda v: f"{v:,}"),
    ("anchor_time", "Halving anchor time", "UTC", lambda v: f"{v:%d %b %Y %H:%M} UTC"),
    ("as_of", "Figures as of", "date", lambda v: f"{v:%d %b %Y}"),
)


def market_rows(market: MarketState) -> list[dict[str, str]]:
    """One row per market assumption: ``label``, ``value`` (formatted), ``unit``, ``source``."""
    rows = []
    for name, label, unit, formatter in _FIELDS:
        rows.append(
            {
                "field": name,
                "label": label,
                "value": formatter(getattr(market, name)),
                "unit": unit,
                "source": market.sources.get(name, "set by the user in this session"),
            }
        )
    return rows
