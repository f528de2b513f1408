"""Sliders to Scenario: units converted, untouched sliders leave the base scenario unchanged."""

import dataclasses

from app_support.scenario_inputs import capex_slider_default, scenario_from_inputs, slider_defaults
from valuation.scenario import Scenario

ESTIMATE = 8_176_123.0  # USD per critical MW, like a models.estimate_retrofit result


def test_capex_default_rounds_to_the_step():
    assert capex_slider_default(ESTIMATE) == 8.25  # 8.176 M / 0.25 = 32.7 -> 33 x 0.25
    assert capex_slider_default(11_100_000.0) == 11.0  # 44.4 steps -> 44


def test_untouched_sliders_give_the_base_scenario():
    base = Scenario()
    d = slider_defaults(base, ESTIMATE)
    scenario = scenario_from_inputs(
        base,
        lease_rate_usd_per_kw_month=d["lease_rate_usd_per_kw_month"],
        capex_musd_per_critical_mw=d["capex_musd_per_critical_mw"],
        btc_price_kusd=d["btc_price_kusd"],
        network_hashrate_growth_pct_per_year=d["network_hashrate_growth_pct_per_year"],
        discount_rate_pct_per_year=d["discount_rate_pct_per_year"],
        estimate_usd_per_critical_mw=ESTIMATE,
    )
    assert scenario == base
    assert scenario.capex_usd_per_critical_mw is None  # the estimate is used exactly
    exact = base.market.btc_price_usd  # e.g. $106,935 shown as $107k on the slider ...
    assert d["btc_price_kusd"] == round(exact / 1_000.0)
    assert scenario.market.btc_price_usd == exact  # ... but valued at the exact price


def test_moved_sliders_set_library_units():
    base = Scenario()
    scenario = scenario_from_inputs(
        base,
        lease_rate_usd_per_kw_month=150.0,
        capex_musd_per_critical_mw=10.5,
        btc_price_kusd=80.0,
        network_hashrate_growth_pct_per_year=20.0,
        discount_rate_pct_per_year=12.5,
        estimate_usd_per_critical_mw=ESTIMATE,
    )
    assert scenario.lease_rate_usd_per_kw_month == 150.0
    assert scenario.capex_usd_per_critical_mw == 10_500_000.0  # 10.5 M per MW
    assert scenario.market.btc_price_usd == 80_000.0  # 80 thousand USD
    assert scenario.market.network_hashrate_growth_per_year == 0.2  # 20 % a year
    assert scenario.discount_rate_per_year == 0.125
    # Everything else is the base's.
    assert (
        dataclasses.replace(
            scenario,
            market=base.market,
            lease_rate_usd_per_kw_month=base.lease_rate_usd_per_kw_month,
            capex_usd_per_critical_mw=None,
            discount_rate_per_year=base.discount_rate_per_year,
        )
        == base
    )
