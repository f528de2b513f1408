"""The site decision: consistency of the Decision, break-evens that close the gap, reasons ranked
by impact with $ figures, the waterfall adds up, the portfolio table is sorted."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from sites.schema import Facility, PowerRights, Site
from valuation.decision import compare, compare_portfolio
from valuation.formatting import usd
from valuation.scenario import Scenario
from valuation.strategies import build_site_model, evaluate

SCENARIO = Scenario(horizon_months=84)


def _site(site_id: str = "d1", mw: float = 120.0, halls: int = 3, price: float = 30.0) -> Site:
    return Site(
        id=site_id,
        name=f"Site {site_id}",
        grid_region="ERCOT",
        state="TX",
        power=PowerRights(
            energized_mw=mw,
            contracted_mw=mw,
            contract_type="fixed_ppa",
            contract_price_usd_per_mwh=price,
        ),  # fmt: skip
        facility=Facility(hall_count=halls, hall_power_mw=mw / halls),
    )


@pytest.fixture(scope="module")
def decision():
    return compare(_site(), SCENARIO)


def test_decision_is_consistent(decision):
    assert set(decision.strategies) == {"keep_mining", "mining_with_dr", "convert", "hybrid"}
    npv = {k: v.summary.npv_usd for k, v in decision.strategies.items()}
    best_mining = max(npv["keep_mining"], npv["mining_with_dr"])
    assert decision.value_of_converting_usd == pytest.approx(npv["convert"] - best_mining)
    assert npv[decision.best_strategy] == pytest.approx(max(npv.values()))
    grid = decision.hybrid_grid
    assert grid["share_converted"].iloc[0] == 0.0 and grid["share_converted"].iloc[-1] == 1.0
    assert grid["npv_usd"].iloc[0] == pytest.approx(npv["keep_mining"])
    assert grid["npv_usd"].iloc[-1] == pytest.approx(npv["convert"])
    assert decision.best_hybrid_share == grid.loc[grid["npv_usd"].idxmax(), "share_converted"]
    monthly = decision.strategies["convert"].monthly
    assert len(monthly) == 84 and "levered_fcf_usd" in monthly
    assert decision.recommendation.endswith(".") and "$" in decision.recommendation


def test_conversion_summary_is_the_incremental_stream(decision):
    """The return on converting: convert's flows minus the best mining path's, month by month."""
    from valuation.finance import irr, monthly_rate, npv

    s = decision.strategies
    mining_key = max(("keep_mining", "mining_with_dr"), key=lambda k: s[k].summary.npv_usd)
    added = s["convert"].monthly["levered_fcf_usd"] - s[mining_key].monthly["levered_fcf_usd"]
    r = float(monthly_rate(SCENARIO.discount_rate_per_year))
    c = decision.conversion
    assert c.npv_usd == pytest.approx(decision.value_of_converting_usd, rel=1e-9)
    assert c.npv_usd == pytest.approx(float(npv(r, added.to_numpy())), rel=1e-9)
    assert c.irr_kind == "conventional"  # outlay (capex, mining given up) first, rent after
    assert c.irr_per_year == pytest.approx((1 + float(irr(added.to_numpy()))) ** 12 - 1)
    # NPV at the conversion's own IRR is zero, so at the 10% hurdle it is positive iff IRR > 10%.
    assert (c.irr_per_year > SCENARIO.discount_rate_per_year) == (c.npv_usd > 0)


def test_waterfall_adds_up(decision):
    wf = decision.waterfall
    assert wf["value_usd"].iloc[:-1].sum() == pytest.approx(wf["value_usd"].iloc[-1], abs=1.0)
    assert wf["value_usd"].iloc[-1] == pytest.approx(decision.strategies["convert"].summary.npv_usd)


def test_reasons_ranked_with_dollar_figures(decision):
    impacts = [abs(r.impact_usd) for r in decision.reasons]
    assert impacts == sorted(impacts, reverse=True)
    assert all("$" in r.text for r in decision.reasons)
    lease = next(r for r in decision.reasons if r.text.startswith("The lease"))
    # The lease only helps converting; capex only hurts it.
    assert lease.impact_usd > 0
    capex = next(r for r in decision.reasons if "retrofit capex" in r.text)
    assert capex.impact_usd < 0


def test_breakevens_close_the_gap(decision):
    be = decision.breakevens
    model = build_site_model(_site(), SCENARIO)
    h = model.n_halls

    def gap(npvs):
        return npvs[..., h] - np.maximum(npvs[..., 0], npvs[..., h + 1])

    scale = np.array([be.lease_rate_usd_per_kw_month / SCENARIO.lease_rate_usd_per_kw_month])
    assert not math.isnan(be.lease_rate_usd_per_kw_month)
    base_gap = abs(decision.value_of_converting_usd)
    assert abs(gap(evaluate(model, lease_scale=scale)["npv_usd"])[0]) < 1e-3 * base_gap
    assert not math.isnan(be.max_capex_usd_per_mw)
    factor = be.max_capex_usd_per_mw / model.capex_usd_per_critical_mw
    assert abs(gap(evaluate(model, capex_scale=np.array([factor]))["npv_usd"])[0]) < 1e-3 * base_gap
    if not math.isnan(be.hashprice_usd_per_ph_day):
        hp0 = model.hashprice.hashprice_usd_per_ph_day
        f = be.hashprice_usd_per_ph_day / hp0[0]
        g = gap(evaluate(model, hashprice_usd_per_ph_day=hp0 * f)["npv_usd"])
        assert abs(g) < 1e-3 * base_gap
        assert be.btc_price_usd == pytest.approx(f * model.hashprice.btc_price_usd[0])


def test_higher_lease_rate_raises_value_of_converting():
    low = compare(_site(), replace(SCENARIO, lease_rate_usd_per_kw_month=90.0))
    high = compare(_site(), replace(SCENARIO, lease_rate_usd_per_kw_month=160.0))
    assert high.value_of_converting_usd > low.value_of_converting_usd


def test_reasons_use_the_executive_money_format(decision):
    for reason in decision.reasons:
        assert usd(abs(reason.impact_usd)) in reason.text


def test_compare_portfolio_sorted_and_reports_bad_sites():
    sites = [_site("a", 60.0, 2), _site("b", 150.0, 3, price=50.0), _site("c", 90.0, 3, price=20.0)]
    bad = replace(_site("z"), power=PowerRights(energized_mw=0.0, contracted_mw=0.0))
    table = compare_portfolio([*sites, bad], SCENARIO)
    assert list(table.columns[:11]) == [
        "site_id", "name", "operator", "power_mw", "grid_region", "latitude", "longitude",
        "best_strategy", "keep_mining_npv_usd", "convert_npv_usd", "value_of_converting_usd",
    ]  # fmt: skip
    values = table["value_of_converting_usd"].dropna().to_numpy()
    assert np.all(np.diff(values) <= 0)
    assert table["site_id"].iloc[-1] == "z" and table["error"].iloc[-1] != ""
    one = compare(sites[0], SCENARIO)
    row = table.set_index("site_id").loc["a"]
    assert row["value_of_converting_usd"] == pytest.approx(one.value_of_converting_usd)
