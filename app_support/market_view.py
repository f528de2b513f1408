"""What the Market page shows: the dated market defaults as rows (label, formatted value, unit,
source), the deals split into leases and other contracts, and the scenario an offer values.

Values and sources come from the ``MarketState`` in use (``valuation.market``); this module only
chooses labels and number formats.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from valuation import formatting as fmt
from valuation.market import MarketState
from valuation.scenario import Scenario

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


_LEASE_COLUMNS = [
    "announced", "operator", "tenant", "site", "critical_it_mw", "term_years", "contract_value",
    "implied_year1_rate_usd_per_kw_month", "implied_average_rate_usd_per_kw_month",
    "credit_support", "source",
]  # fmt: skip
_OTHER_COLUMNS = [
    "announced", "operator", "tenant", "critical_it_mw", "term_years", "contract_value",
    "what_it_is", "source",
]  # fmt: skip
_WHAT_IT_IS = {
    "gpu_cloud": "GPU cloud capacity: the price includes the GPUs and their operation, so it is "
    "not a rent for powered space",
}


def lease_and_other_deals(deals: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The deals table split for the Market page: leases (``comparable``) with their implied rents,
    and the other contracts (a GPU-cloud deal) without any rent per kW, which would sit beside
    the leases' as if it were one. ``contract_value`` is the announced total in executive format
    ($8.7B)."""
    shown = deals.assign(contract_value=deals["total_value_usd"].map(fmt.usd))
    is_lease = shown["comparable"].astype(bool)
    others = shown.loc[~is_lease].assign(
        what_it_is=shown.loc[~is_lease, "structure"]
        .map(_WHAT_IT_IS)
        .fillna("Not a lease of powered space: not compared with rents")
    )
    return (
        shown.loc[is_lease, _LEASE_COLUMNS].reset_index(drop=True),
        others[_OTHER_COLUMNS].reset_index(drop=True),
    )


def offer_scenario(scenario: Scenario, offer_usd_per_kw_month: float) -> Scenario:
    """The scenario with an offered year-one rent as every site's rate: an offer is a price for
    one site, so the readiness adjustment of the rate is off (the odds that the tenant signs
    keep theirs)."""
    return dataclasses.replace(
        scenario,
        lease_rate_usd_per_kw_month=float(offer_usd_per_kw_month),
        tenant_prospects=dataclasses.replace(scenario.tenant_prospects, rate_change_per_point=0.0),
    )
