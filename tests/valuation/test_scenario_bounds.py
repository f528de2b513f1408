"""Every number of a scenario has an upper bound as well as a lower one, and every text a length:
a sanity limit far beyond any real value, refused with the class, the field, the value and the
range. A saved scenario's top level is checked as its changes are, and a value no input allows
(a whole number of hundreds of digits, a page of text) is named by where it is."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from valuation.errors import MarketError, PowerError, ScenarioError
from valuation.market import DEFAULT_MARKET, MarketState
from valuation.power import ERCOT_ERS, DemandResponseProgram, PowerContract
from valuation.risk_presets import preset, saved_risk_form
from valuation.saved_scenario import SavedScenarioError, saved_form, scenario_from_saved
from valuation.scenario import Scenario


@pytest.mark.parametrize(
    ("field", "highest", "too_high", "allowed"),
    [
        ("btc_price_usd", 10_000_000.0, 1e308, "(0, 1e+07]"),
        ("network_hashrate_eh_s", 100_000.0, 100_001.0, "(0, 100000]"),
        ("fees_btc_per_block", 100.0, 1e308, "[0, 100]"),
        ("btc_price_growth_per_year", 10.0, 10.5, "(-1, 10]"),
        ("network_hashrate_growth_per_year", 10.0, 1e308, "(-1, 10]"),
        ("anchor_height", 10_000_000, 10**23, "[0, 1e+07]"),
        ("mean_block_time_s", 6_000.0, 1e308, "[60, 6000]"),
        ("mean_block_time_s", 60.0, 1e-300, "[60, 6000]"),  # the lowest, and just below
        ("hashprice_floor_usd_per_ph_day", 100_000.0, 1e308, "[0, 100000]"),
        ("as_of", date(2100, 12, 31), date(2101, 1, 1), "from 2009-01-03 to 2100-12-31"),
        ("as_of", date(2009, 1, 3), date(2009, 1, 2), "from 2009-01-03 to 2100-12-31"),
    ],
)
def test_a_market_input_beyond_its_range_is_named(field, highest, too_high, allowed) -> None:  # noqa: ANN001
    dataclasses.replace(DEFAULT_MARKET, **{field: highest})  # the bound itself is allowed
    with pytest.raises(MarketError) as info:
        dataclasses.replace(DEFAULT_MARKET, **{field: too_high})
    message = str(info.value)
    assert message.startswith(f"MarketState.{field}={too_high!r} is not allowed: ")
    assert allowed in message


def test_a_market_date_that_is_no_date_names_the_field() -> None:
    with pytest.raises(MarketError, match=r"MarketState.as_of='tomorrow' is not allowed: an ISO"):
        MarketState.from_dict({"as_of": "tomorrow"})
    with pytest.raises(MarketError, match=r"MarketState.anchor_time='2024-0+\.\.\.0+' is not"):
        MarketState.from_dict({"anchor_time": "2024-" + "0" * 100_000})


@pytest.mark.parametrize(
    ("field", "highest", "too_high", "allowed"),
    [
        ("lease_rate_usd_per_kw_month", 1_000.0, 1e308, "[0, 1000]"),
        ("capex_usd_per_critical_mw", 100_000_000.0, 1e308, "[0, 1e+08]"),
        ("contingency", 3.0, 1e308, "[0, 3]"),
        ("power_price_usd_per_mwh", 10_000.0, 10_001.0, "[0, 10000]"),
        ("renewal_power_price_usd_per_mwh", 10_000.0, 1e308, "[0, 10000]"),
        ("dr_programs", (ERCOT_ERS,) * 50, (ERCOT_ERS,) * 51, "a tuple of at most 50"),
    ],
)
def test_a_scenario_input_beyond_its_range_is_named(field, highest, too_high, allowed) -> None:  # noqa: ANN001
    Scenario(**{field: highest})
    with pytest.raises(ScenarioError) as info:
        Scenario(**{field: too_high})
    message = str(info.value)
    assert message.startswith(f"Scenario.{field}=") and " is not allowed: " in message
    assert allowed in message


def test_too_many_programs_are_counted_not_listed() -> None:
    programs = [{"name": "p"}] * 10_000
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({"dr_programs": programs})
    assert str(info.value) == ("Scenario.dr_programs holds 10,000 programs; allowed: at most 50")


@pytest.mark.parametrize(
    ("field", "highest", "too_high", "allowed"),
    [
        ("capacity_payment_usd_per_mw_hour", 10_000.0, 1e308, "[0, 10000]"),
        ("annual_credit_usd_per_mw_year", 87_600_000.0, 1e308, "[0, 8.76e+07]"),
        ("transmission_charge_usd_per_kw_year", 10_000.0, 1e308, "[0, 10000]"),
        ("months_active", tuple(range(1, 13)), (6, 6), "a tuple of distinct months 1-12"),
    ],
)
def test_a_program_input_beyond_its_range_is_named(field, highest, too_high, allowed) -> None:  # noqa: ANN001
    DemandResponseProgram("p", **{field: highest})
    with pytest.raises(PowerError) as info:
        DemandResponseProgram("p", **{field: too_high})
    message = str(info.value)
    assert message.startswith(f"DemandResponseProgram.{field}={too_high!r} is not allowed: ")
    assert allowed in message


@pytest.mark.parametrize(
    ("field", "most"), [("name", 200), ("grid_region", 200), ("source", 1_000)]
)
def test_a_program_s_text_is_bounded_and_never_quoted_whole(field: str, most: int) -> None:
    kwargs = {"name": "p", field: "s" * most}
    DemandResponseProgram(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(PowerError) as info:
        DemandResponseProgram(**{**kwargs, field: "s" * 200_000})  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(f"DemandResponseProgram.{field}='ssss")
    assert message.endswith(
        f"(200,000 characters) is not allowed: text of at most {most:,} characters"
    )
    assert len(message) < 200


@pytest.mark.parametrize(
    ("field", "too_high", "allowed"),
    [
        ("price_usd_per_mwh", 1e308, "[-10000, 10000]"),
        ("adder_usd_per_mwh", -1e308, "[-10000, 10000]"),
        ("contracted_mw", 1e308, "None or a finite number in [0, 10000]"),
    ],
)
def test_a_contract_input_beyond_its_range_is_named(field, too_high, allowed) -> None:  # noqa: ANN001
    with pytest.raises(PowerError) as info:
        PowerContract(**{field: too_high})
    assert str(info.value).startswith(f"PowerContract.{field}={too_high!r} is not allowed: ")
    assert allowed in str(info.value)


# --- the saved form -------------------------------------------------------------------------------


def test_a_saved_form_s_unknown_top_level_key_is_refused_by_name() -> None:
    saved = {**saved_form(Scenario()), "extra": "<script>", "more": 1}
    with pytest.raises(SavedScenarioError) as info:
        scenario_from_saved(saved)
    assert str(info.value).startswith("unknown keys 'extra', 'more' beside 'changes'; allowed: ")


def test_a_risk_preset_s_own_keys_are_part_of_the_saved_form() -> None:
    named = preset("bull")
    assert scenario_from_saved(saved_risk_form(named, "bull")) == named.scenario


@pytest.mark.parametrize("as_of", ["yesterday", "2025-13-01", "1999-01-01", 20251103, None])
def test_a_saved_form_s_market_date_is_checked(as_of: object) -> None:
    with pytest.raises(SavedScenarioError) as info:
        scenario_from_saved({**saved_form(Scenario()), "market_as_of": as_of})
    assert str(info.value).startswith(f"market_as_of = {as_of!r}: allowed: a date YYYY-MM-DD")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"lease_rate_usd_per_kw_month": 10**4000},
         "lease_rate_usd_per_kw_month = a whole number of about 4,001 digits: allowed: at most 20"),
        ({"market": {"anchor_height": -(10**400)}},
         "market.anchor_height = a whole number of about 401 digits: allowed: at most 20"),
        ({"dr_programs": [{"name": "p", "source": "s" * 5_000}]},
         "dr_programs[0].source = 'ssssssssssss...sssssssssssss' (5,000 characters): allowed: text"),
        ({"mining": {"k" * 500: 1}}, "mining has a key 'kkkkkkkkkkkk...kkkkkkkkkkkkk': allowed"),
    ],
)  # fmt: skip
def test_a_value_no_input_allows_is_named_by_where_it_is(changes, problem) -> None:  # noqa: ANN001
    # A whole number beyond a float failed with OverflowError (an internal error), naming nothing.
    for saved, where in ((changes, ""), ({"format": 1, "changes": changes}, "changes.")):
        with pytest.raises(SavedScenarioError) as info:
            scenario_from_saved(saved)
        assert str(info.value).startswith(where + problem)


def test_the_app_s_market_snapshot_is_part_of_the_saved_form() -> None:
    scenario = dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=140.0)
    saved = {**saved_form(scenario), "market_snapshot": DEFAULT_MARKET.to_dict()}
    assert scenario_from_saved(saved) == scenario
    with pytest.raises(SavedScenarioError, match="market_snapshot = 'x': allowed: a JSON object"):
        scenario_from_saved({**saved, "market_snapshot": "x"})
