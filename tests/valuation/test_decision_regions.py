"""Each site on its own region's prices and programs: names and aliases, programs that pay only
their own region's sites, and a user's price history in place of the region's shape."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sites.schema import Facility, PowerRights, Site
from valuation.decision import compare
from valuation.power import PriceSeries
from valuation.regions import region_for
from valuation.scenario import Scenario
from valuation.strategies import build_site_model, evaluate

SCENARIO = Scenario(horizon_months=60)


def _site(region: str = "ERCOT", contract_type: str = "index_plus_adder", price: float = 5.0):
    return Site(
        id=f"r-{region}",
        name=f"Site in {region}",
        grid_region=region,
        state="TX",
        power=PowerRights(
            energized_mw=100.0,
            contracted_mw=100.0,
            contract_type=contract_type,
            contract_price_usd_per_mwh=price,
        ),  # fmt: skip
        facility=Facility(hall_count=2, hall_power_mw=50.0),
    )


def test_a_pjm_site_is_paid_pjm_programs_and_never_ercot_ones():
    model = build_site_model(_site("PJM"), SCENARIO)
    names = [p.name for p in model.dr_programs]
    assert names and all(p.grid_region == "PJM" for p in model.dr_programs)
    assert not any("ERCOT" in n for n in names)
    assert model.grid_region == "PJM"
    # Its prices are PJM's shape, not ERCOT's.
    pjm = region_for("PJM").price_curve(SCENARIO.price_curve_points).prices_usd_per_mwh
    cal = (SCENARIO.market.as_of.month - 1 + np.arange(60)) % 12
    np.testing.assert_allclose(model.prices_usd_per_mwh, pjm[cal])
    out = evaluate(model).npv_usd
    assert out[model.plan.dr_row] != pytest.approx(out[model.plan.keep_row])  # PJM pays


def test_region_names_and_aliases_value_the_same_and_mars_is_refused():
    values = {
        name: compare(_site(name), SCENARIO).strategy_npv_usd["mining_with_dr"]
        for name in ("ERCOT", "ercot", "Ercot")
    }
    assert len({round(v, 6) for v in values.values()}) == 1
    with pytest.raises(ValueError, match="Mars"):
        compare(_site("Mars"), SCENARIO)


def test_a_flat_price_history_equals_that_flat_price_as_the_contract_price():
    # A year of hourly prices at $30/MWh on an index + $5 contract against a $35 tariff: the
    # same power cost in every hour, so the same mining (and the same decision).
    hours = pd.date_range("2024-01-01", "2025-01-01", freq="h", inclusive="left")
    flat = PriceSeries(hours, np.full(hours.size, 30.0), 1.0, hub="flat")
    with_history = build_site_model(_site(), replace(SCENARIO, dr_programs=()), price_history=flat)
    tariff = build_site_model(
        _site(contract_type="utility_tariff", price=35.0), replace(SCENARIO, dr_programs=())
    )
    assert with_history.history_months == tuple(range(1, 13))
    a, b = evaluate(with_history).npv_usd, evaluate(tariff).npv_usd
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_the_portfolio_and_the_plan_value_a_site_on_its_price_history_as_compare_does():
    # A stored history was used by the site page (compare) and ignored by the portfolio table
    # and the plan's starts: one site, two values.
    from valuation.conversion_plan import start_table
    from valuation.decision import compare_portfolio

    hours = pd.date_range("2024-01-01", "2024-04-01", freq="h", inclusive="left")
    dear = PriceSeries(hours, np.full(hours.size, 120.0), 1.0, hub="flat")
    site = _site()
    with_history = compare(site, SCENARIO, price_history=dear)
    plain = compare(site, SCENARIO)
    assert with_history.value_of_converting_usd != pytest.approx(plain.value_of_converting_usd)
    row = compare_portfolio([site], SCENARIO, price_histories={site.id: dear}).iloc[0]
    assert row["value_of_converting_usd"] == pytest.approx(with_history.value_of_converting_usd)
    other = compare_portfolio([site], SCENARIO, price_histories={"another-site": dear}).iloc[0]
    assert other["value_of_converting_usd"] == pytest.approx(plain.value_of_converting_usd)
    table = start_table([site], SCENARIO, price_histories={site.id: dear})
    base = start_table([site], SCENARIO)
    assert not np.allclose(
        np.nan_to_num(table.value_usd), np.nan_to_num(base.value_usd), rtol=1e-9, atol=1.0
    )
