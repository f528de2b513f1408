"""Saved scenarios: the changes against the base and the market date, read back exactly."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valuation.market import DEFAULT_MARKET
from valuation.saved_scenario import (
    SavedScenarioError,
    saved_form,
    scenario_changes,
    scenario_from_saved,
)
from valuation.scenario import Scenario


def test_base_has_no_changes_and_reads_back():
    form = saved_form(Scenario())
    assert form == {"format": 1, "changes": {}, "market_as_of": DEFAULT_MARKET.as_of.isoformat()}
    assert scenario_from_saved(form) == Scenario()


def test_changes_hold_only_what_moved_nested_as_to_dict():
    base = Scenario()
    s = dataclasses.replace(
        base,
        lease_rate_usd_per_kw_month=110.0,
        market=dataclasses.replace(base.market, btc_price_usd=90_000.0),
        tax=dataclasses.replace(base.tax, state_rate=0.05),
    )
    assert scenario_changes(s) == {
        "lease_rate_usd_per_kw_month": 110.0,
        "market": {"btc_price_usd": 90_000.0},
        "tax": {"state_rate": 0.05},
    }


@given(
    lease=st.floats(0.0, 400.0),
    btc=st.floats(1_000.0, 1_000_000.0),
    discount=st.floats(0.0, 0.5),
    horizon=st.integers(12, 600),
)
def test_saved_form_round_trips_through_json(lease, btc, discount, horizon):
    base = Scenario()
    s = dataclasses.replace(
        base,
        lease_rate_usd_per_kw_month=lease,
        market=dataclasses.replace(base.market, btc_price_usd=btc),
        discount_rate_per_year=discount,
        horizon_months=horizon,
    )
    assert scenario_from_saved(json.loads(json.dumps(saved_form(s)))) == s


def test_a_plain_to_dict_is_read_too():
    s = Scenario(lease_rate_usd_per_kw_month=99.0)
    assert scenario_from_saved(s.to_dict()) == s
    assert scenario_from_saved({"lease_rate_usd_per_kw_month": 99.0}) == s


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"lease_rate_usd_per_kw_month": -5}, "lease_rate_usd_per_kw_month=-5"),
        ({"mining": {"speed": 1}}, "speed"),
        ({"nonsense": 1}, "nonsense"),
        ({"format": 9, "changes": {}}, "format = 9"),
        ({"changes": [1, 2]}, "changes = [1, 2]"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_saved_scenarios_name_the_problem(data, words):
    with pytest.raises(SavedScenarioError) as err:
        scenario_from_saved(data)
    assert words in str(err.value)
