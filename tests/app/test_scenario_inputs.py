"""Sliders to Scenario: units converted, untouched sliders leave the base scenario unchanged."""

import dataclasses
import re

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


# --- The sidebar's control table (app_support.assumptions uses it) ------------------------------

import math  # noqa: E402

import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as hst  # noqa: E402

from app_support.scenario_inputs import (  # noqa: E402
    CAPEX_KEY,
    CAPEX_SITE,
    CONTROLS,
    CONTROLS_BY_KEY,
    apply_changes,
    control_default,
    param_text,
    parse_capex,
    parse_param,
)
from valuation.saved_scenario import scenario_changes  # noqa: E402

SLIDERS = [c for c in CONTROLS if c.kind == "slider"]


def test_every_control_at_rest_leaves_the_scenario_alone():
    base = Scenario()
    for control in SLIDERS:  # the base's values sit inside every slider's range
        assert control.low <= float(control.read(base)) <= control.high
    assert CONTROLS_BY_KEY["terminal"].read(base) in CONTROLS_BY_KEY["terminal"].choices
    # No change at all is the base; the defaults are where the controls rest.
    assert apply_changes(base, {}) == base
    assert control_default(CONTROLS_BY_KEY["btc_price"], base) == 107.0  # $106,935 rests at $107k
    assert control_default(CONTROLS_BY_KEY["terminal"], base) == "exit_cap"


@given(data=hst.data())
def test_a_written_value_reads_back_in_the_controls_units(data):
    control = data.draw(hst.sampled_from(SLIDERS))
    steps = int(round((control.high - control.low) / control.step))
    value = control.low + data.draw(hst.integers(0, steps)) * control.step
    scenario = apply_changes(Scenario(), {control.key: value})
    assert math.isclose(float(control.read(scenario)), value, rel_tol=1e-12, abs_tol=1e-12)
    # ... and nothing else moved: at most one field differs from the base.
    changed = scenario_changes(scenario)
    leaves = [k for k, v in changed.items() for _ in (v if isinstance(v, dict) else [k])]
    assert len(leaves) <= 1, changed


def test_changes_set_library_units():
    s = apply_changes(
        Scenario(),
        {
            "rate_mining": 18.0,
            "rate_contracted": 8.5,
            "rate_construction": 13.0,
            "signing": 55.0,
            "terminal": "perpetuity",
            CAPEX_KEY: 9.25,
        },
    )
    assert s.mining_discount_rate_per_year == 0.18
    assert s.contracted_discount_rate_per_year == 0.085
    assert s.construction_discount_rate_per_year == 0.13
    assert s.tenant_signing_probability == 0.55
    assert s.terminal.method == "perpetuity"
    assert s.terminal.exit_cap_rate == Scenario().terminal.exit_cap_rate  # untouched
    assert s.capex_usd_per_critical_mw == 9_250_000.0
    with_capex = dataclasses.replace(Scenario(), capex_usd_per_critical_mw=7e6)
    assert apply_changes(with_capex, {CAPEX_KEY: CAPEX_SITE}).capex_usd_per_critical_mw is None


@pytest.mark.parametrize(
    ("param", "text", "message"),
    [
        ("lease", "9999", "lease='9999' is not allowed: a number from 60 to 250"),
        ("lease", "inf", "a number from 60 to 250"),
        ("btc", "1e400", "a number from 20 to 250"),
        ("signing", "-5", "a number from 0 to 100"),
        ("terminal", "gordon", "one of exit_cap, perpetuity, none"),
    ],
)
def test_address_values_out_of_bounds_are_refused_by_name(param, text, message):
    from app_support.scenario_inputs import CONTROLS_BY_PARAM

    with pytest.raises(ValueError, match=re.escape(message)):
        parse_param(CONTROLS_BY_PARAM[param], text)


def test_address_values_snap_to_the_controls_grid():
    from app_support.scenario_inputs import CONTROLS_BY_PARAM

    assert parse_param(CONTROLS_BY_PARAM["lease"], "102.4") == 102.0
    assert parse_param(CONTROLS_BY_PARAM["r_mining"], "15.3") == 15.5  # 0.5-point steps
    assert parse_capex("site") == CAPEX_SITE
    assert parse_capex("9.1") == 9.0  # 0.25 steps
    with pytest.raises(ValueError, match="capex='99'"):
        parse_capex("99")
    assert param_text(102.0) == "102" and param_text(12.5) == "12.5"
