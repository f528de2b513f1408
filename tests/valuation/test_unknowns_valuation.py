"""Unknown site facts in the valuation (issue 13): an unknown contract price is the region's price,
and unknowns never make converting look better than the known, favourable facts would."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sites import load_example_portfolio
from sites.schema import Substation
from valuation.decision import compare
from valuation.power import PowerContract
from valuation.regions import region_for
from valuation.scenario import Scenario
from valuation.tenant import months_to_power

ROCKDALE = next(s for s in load_example_portfolio() if s.id == "riot-rockdale")


def _with_price(site, price, contract_type=None):  # noqa: ANN001
    power = dataclasses.replace(
        site.power,
        contract_price_usd_per_mwh=price,
        contract_type=contract_type or site.power.contract_type,
    )
    return dataclasses.replace(site, power=power)


def test_from_site_values_an_unknown_price_at_the_index_plus_the_default_adder() -> None:
    index_site = _with_price(ROCKDALE, None, "index_plus_adder")
    c = PowerContract.from_site(
        index_site, index_price_usd_per_mwh=40.0, unknown_adder_usd_per_mwh=5.0
    )
    assert (c.price_usd_per_mwh, c.adder_usd_per_mwh) == (40.0, 5.0)
    fixed = PowerContract.from_site(
        _with_price(ROCKDALE, None, "fixed_ppa"),
        index_price_usd_per_mwh=40.0,
        unknown_adder_usd_per_mwh=5.0,
    )
    assert (fixed.price_usd_per_mwh, fixed.adder_usd_per_mwh) == (45.0, 0.0)
    # A scenario's power price still wins over the unknown.
    scen = PowerContract.from_site(index_site, contract_price_usd_per_mwh=7.0)
    assert scen.adder_usd_per_mwh == 7.0


def test_unknown_index_price_values_as_the_regions_default_adder() -> None:
    region = region_for(ROCKDALE.grid_region)
    unknown = compare(_with_price(ROCKDALE, None))
    stated = compare(_with_price(ROCKDALE, region.default_adder_usd_per_mwh))
    for key, value in stated.strategy_npv_usd.items():
        assert unknown.strategy_npv_usd[key] == pytest.approx(value, rel=1e-12), key


def test_unknown_fixed_price_values_as_the_regions_index_price_plus_adder() -> None:
    scenario = Scenario()
    region = region_for(ROCKDALE.grid_region)
    mean = float(region.price_curve(scenario.price_curve_points).prices_usd_per_mwh.mean())
    unknown = compare(_with_price(ROCKDALE, None, "fixed_ppa"), scenario)
    stated = compare(
        _with_price(ROCKDALE, mean + region.default_adder_usd_per_mwh, "fixed_ppa"), scenario
    )
    for key, value in stated.strategy_npv_usd.items():
        assert unknown.strategy_npv_usd[key] == pytest.approx(value, rel=1e-9), key
    # Never the old blank meaning, $0/MWh: free power would value mining far higher.
    free = compare(_with_price(ROCKDALE, 0.0, "fixed_ppa"), scenario)
    assert free.strategy_npv_usd["keep_mining"] > unknown.strategy_npv_usd["keep_mining"]


def test_unknown_substation_never_values_converting_above_a_known_one_with_headroom() -> None:
    unknown = dataclasses.replace(ROCKDALE, substation=Substation(None, None, None, None))
    known, guessed = compare(ROCKDALE), compare(unknown)
    assert guessed.retrofit.total_base_usd > known.retrofit.total_base_usd
    for key in ("convert", "hybrid"):
        assert guessed.strategy_npv_usd[key] <= known.strategy_npv_usd[key], key
    assert np.isclose(
        guessed.strategy_npv_usd["keep_mining"], known.strategy_npv_usd["keep_mining"]
    )


def test_unknown_energization_date_is_the_default_time_to_power() -> None:
    from datetime import date

    waiting = dataclasses.replace(
        ROCKDALE, power=dataclasses.replace(ROCKDALE.power, energized_mw=0.0)
    )
    assert waiting.power.queue_energization_date is None
    assert months_to_power(waiting, date(2026, 1, 1)) == 24  # CONTRACTED_NOT_ENERGIZED_MONTHS


@pytest.mark.parametrize(
    ("queue_date", "month"),
    [("2026-01-01", 0), ("2026-01-10", 1), ("2026-02-01", 1), ("2026-02-02", 2), ("2025-06-01", 0)],
)
def test_a_lease_waits_for_the_month_the_halls_have_power(queue_date, month) -> None:
    """Power energized on 10 Jan is there from month 1 (the retrofit schedule rounds up: the
    halls wait for it), so a tenant cannot sign in month 0; a date passed is power now."""
    from datetime import date

    from models.schedule import months_to_energize

    waiting = dataclasses.replace(ROCKDALE, power=dataclasses.replace(
        ROCKDALE.power, energized_mw=0.0, queue_energization_date=date.fromisoformat(queue_date)))  # fmt: skip
    as_of = date(2026, 1, 1)
    assert months_to_power(waiting, as_of) == month
    assert months_to_energize(date.fromisoformat(queue_date), as_of)[0] == month
