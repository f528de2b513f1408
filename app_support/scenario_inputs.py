"""The site page's sliders and the ``Scenario`` they describe.

Sliders show convenient units (USD M per MW, percent a year); the scenario holds the library's
units (USD per MW, fractions a year). The capex slider starts at the site's own retrofit estimate,
rounded to the slider step; left there, the scenario keeps ``capex_usd_per_critical_mw=None`` so the
estimate is used exactly.
"""

from __future__ import annotations

import dataclasses
import math

from valuation.scenario import Scenario

CAPEX_STEP_MUSD = 0.25  # slider step, USD M per critical MW


def capex_slider_default(estimate_usd_per_critical_mw: float) -> float:
    """The estimate in USD M per MW, rounded to the slider step: 8,176,123 -> 8.25."""
    if not math.isfinite(estimate_usd_per_critical_mw):
        return 0.0
    return round(estimate_usd_per_critical_mw / 1e6 / CAPEX_STEP_MUSD) * CAPEX_STEP_MUSD


def slider_defaults(base: Scenario, estimate_usd_per_critical_mw: float) -> dict[str, float]:
    """Slider starting values from a scenario, in the sliders' units."""
    capex = base.capex_usd_per_critical_mw
    return {
        "lease_rate_usd_per_kw_month": float(base.lease_rate_usd_per_kw_month),
        "capex_musd_per_critical_mw": capex_slider_default(
            estimate_usd_per_critical_mw if capex is None else capex
        ),
        "btc_price_kusd": float(round(base.market.btc_price_usd / 1_000.0)),
        "network_hashrate_growth_pct_per_year": base.market.network_hashrate_growth_per_year
        * 100.0,
        "discount_rate_pct_per_year": base.discount_rate_per_year * 100.0,
    }


def scenario_from_inputs(
    base: Scenario,
    *,
    lease_rate_usd_per_kw_month: float,
    capex_musd_per_critical_mw: float,
    btc_price_kusd: float,
    network_hashrate_growth_pct_per_year: float,
    discount_rate_pct_per_year: float,
    estimate_usd_per_critical_mw: float,
) -> Scenario:
    """The base scenario with the sliders' values, converted to the library's units.

    A capex slider left at the rounded estimate keeps the base's capex (the estimate itself); a
    BTC price slider (thousand USD) left at the rounded price keeps the base's exact price.
    """
    defaults = slider_defaults(base, estimate_usd_per_critical_mw)
    capex = (
        base.capex_usd_per_critical_mw
        if math.isclose(capex_musd_per_critical_mw, defaults["capex_musd_per_critical_mw"])
        else capex_musd_per_critical_mw * 1e6
    )
    market = dataclasses.replace(
        base.market,
        btc_price_usd=base.market.btc_price_usd
        if math.isclose(btc_price_kusd, defaults["btc_price_kusd"])
        else btc_price_kusd * 1_000.0,
        network_hashrate_growth_per_year=network_hashrate_growth_pct_per_year / 100.0,
    )
    return dataclasses.replace(
        base,
        market=market,
        lease_rate_usd_per_kw_month=float(lease_rate_usd_per_kw_month),
        capex_usd_per_critical_mw=capex,
        discount_rate_per_year=discount_rate_pct_per_year / 100.0,
    )
