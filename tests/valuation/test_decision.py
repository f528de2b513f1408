"""The site decision: consistency of the Decision, break-evens that close the gap, reasons ranked
by impact with $ figures and pinned against markets re-valued from scratch, the waterfall adds
up, the portfolio table is sorted."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from sites.schema import Facility, PowerRights, Site
from valuation.decision import (
    _btc_scaled_hashprice,
    _free_hashprice_path,
    _hashprice_with_subsidy,
    compare,
    compare_portfolio,
)
from valuation.formatting import usd
from valuation.mining import hashprice_path
from valuation.power import ercot_sample_curve
from valuation.scenario import Scenario
from valuation.strategies import build_site_model, evaluate

SCENARIO = Scenario(horizon_months=84)


def _site(
    site_id: str = "d1",
    mw: float = 120.0,
    halls: int = 3,
    price: float = 30.0,
    contract_type: str = "fixed_ppa",
) -> Site:
    return Site(
        id=site_id,
        name=f"Site {site_id}",
        grid_region="ERCOT",
        state="TX",
        power=PowerRights(
            energized_mw=mw,
            contracted_mw=mw,
            contract_type=contract_type,
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
    # Month-0 hashprice of the whole (floored) path scaled by one factor.
    assert not math.isnan(be.hashprice_usd_per_ph_day)
    hp0 = model.hashprice.hashprice_usd_per_ph_day
    f = be.hashprice_usd_per_ph_day / hp0[0]
    g = gap(evaluate(model, hashprice_usd_per_ph_day=hp0 * f)["npv_usd"])
    assert abs(g) < 1e-3 * base_gap


def test_btc_breakeven_closes_the_gap_when_the_market_is_set_to_it(decision):
    """Re-value the site from scratch with the market's BTC price at the break-even: network
    hashrate then follows hashprice_path (growth, capped at the floor), as in the model."""
    be = decision.breakevens.btc_price_usd
    assert not math.isnan(be)
    # Converting wins today, so only a higher BTC price can make mining worth as much.
    assert decision.value_of_converting_usd > 0 and be > SCENARIO.market.btc_price_usd
    market = replace(SCENARIO.market, btc_price_usd=be)
    again = compare(_site(), replace(SCENARIO, market=market))
    assert abs(again.value_of_converting_usd) < 1e-3 * abs(decision.value_of_converting_usd)


def _reason(decision, starts: str):
    return next(r for r in decision.reasons if r.text.startswith(starts))


@pytest.mark.parametrize("floor", [SCENARIO.market.hashprice_floor_usd_per_ph_day, 12.0, 0.0])
def test_market_reasons_equal_recomputed_markets(floor):
    """Each market reason is the change in the value of converting when the whole site is valued
    again under the changed market: growth 0, BTC x1.1, and no halvings. With the default floor
    the halvings barely matter (the network sheds hashrate to keep hashprice at the floor); with
    lower floors (12, or none) they do, and the reason must still match."""
    scen = replace(SCENARIO, market=replace(SCENARIO.market, hashprice_floor_usd_per_ph_day=floor))
    m = scen.market
    base = compare(_site(), scen)
    g0 = base.value_of_converting_usd

    def gap(market) -> float:
        return compare(_site(), replace(scen, market=market)).value_of_converting_usd

    tol = {"rel": 1e-6, "abs": 1e-6 * abs(g0)}
    growth = _reason(base, "Network hashrate growth")
    assert growth.impact_usd == pytest.approx(
        g0 - gap(replace(m, network_hashrate_growth_per_year=0.0)), **tol
    )
    btc = _reason(base, "A 10% higher BTC price")
    assert btc.impact_usd == pytest.approx(gap(replace(m, btc_price_usd=1.1 * m.btc_price_usd)) - g0,
                                           **tol)  # fmt: skip
    # No halvings: blocks so slow (1e9 s) that none lands in the horizon, so the subsidy stays
    # at today's 3.125 BTC while hashprice still counts 144 blocks a day (mining.py).
    slow = replace(m, mean_block_time_s=1e9)
    held = hashprice_path(slow, SCENARIO.horizon_months).subsidy_btc
    assert held == pytest.approx(np.full_like(held, 3.125), rel=1e-5)
    halving = _reason(base, "The 2028")
    assert halving.impact_usd == pytest.approx(g0 - gap(slow), rel=1e-5, abs=1e-5 * abs(g0))
    if floor == 0.0:
        # With no floor the halvings halve hashprice: they must weigh against mining.
        assert halving.impact_usd > 0.01 * abs(g0)
        assert halving.text.startswith(f"The 2028, 2032 halvings add {usd(halving.impact_usd)}")
    if floor == m.hashprice_floor_usd_per_ph_day == 35.1:
        # Default floor: it binds from 2028 on (the no-halving path floors too), so nothing moves
        # and the text claims no direction.
        assert usd(abs(halving.impact_usd)) == "$0"
        assert "change the case for converting by $0" in halving.text and "floor" in halving.text


def test_power_reason_is_free_power_and_labels_the_rate_the_costs_use():
    """Tariff site: the reason equals re-valuing with the tariff at $0 (no curve is used, so
    nothing else changes). Index site: the label is the mean of the hub curve the costs use
    (over the horizon's calendar months) plus the adder."""
    tariff = _site(contract_type="utility_tariff", price=45.0)
    d = compare(tariff, SCENARIO)
    free = compare(tariff, replace(SCENARIO, power_price_usd_per_mwh=0.0))
    power = _reason(d, "Power at $45.00/MWh ")
    assert power.impact_usd == pytest.approx(
        d.value_of_converting_usd - free.value_of_converting_usd, rel=1e-6
    )
    index = compare(_site(contract_type="index_plus_adder", price=5.0), SCENARIO)
    curve = ercot_sample_curve(SCENARIO.price_curve_points).prices_usd_per_mwh
    months = (SCENARIO.market.as_of.month - 1 + np.arange(SCENARIO.horizon_months)) % 12
    rate = curve[months].mean() + 5.0  # hub mean + $5 adder, no wires by default
    assert 20.0 < rate < 40.0
    assert _reason(index, f"Power at ${rate:,.2f}/MWh on average").impact_usd > 0


def test_variant_hashprice_paths_follow_hashprice_path():
    """The no-halving helper re-applies hashprice_path's floor: with the path's own subsidy it
    reproduces hashprice_path, and with the subsidy held it never falls below the floor. The BTC
    rows equal hashprice_path with the price path scaled."""
    m, n = SCENARIO.market, 120
    path = hashprice_path(m, n)
    free = _free_hashprice_path(m, n)
    floor = path.hashprice_floor_usd_per_ph_day
    same = _hashprice_with_subsidy(free, floor, path.subsidy_btc)
    assert same == pytest.approx(path.hashprice_usd_per_ph_day, rel=1e-12)
    held = _hashprice_with_subsidy(free, floor, path.subsidy_btc[0])
    assert np.all(held >= floor)
    assert np.all(held >= path.hashprice_usd_per_ph_day * (1 - 1e-12))  # subsidy only falls
    # Month 30 (mid-2028, after the halving): hashprice at the free hashrate with 3.125 BTC,
    # floored, is the larger of the two by hand.
    by_hand = max(
        free.btc_price_usd[30] * 144 * (3.125 + m.fees_btc_per_block)
        / (1000 * free.network_hashrate_eh_s[30]),
        floor[30],
    )  # fmt: skip
    assert held[30] == pytest.approx(by_hand, rel=1e-12)
    model = build_site_model(_site(), replace(SCENARIO, horizon_months=n))
    factors = np.array([0.3, 1.0, 1.1, 6.0])
    rows = _btc_scaled_hashprice(model, factors)
    direct = hashprice_path(m, n, btc_price_usd=factors[:, None] * path.btc_price_usd)
    assert rows == pytest.approx(direct.hashprice_usd_per_ph_day, rel=1e-12)


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
    assert list(table.columns[:12]) == [
        "site_id", "name", "operator", "power_mw", "grid_region", "latitude", "longitude",
        "best_strategy", "best_npv_usd", "keep_mining_npv_usd", "convert_npv_usd",
        "value_of_converting_usd",
    ]  # fmt: skip
    values = table["value_of_converting_usd"].dropna().to_numpy()
    assert np.all(np.diff(values) <= 0)
    assert table["site_id"].iloc[-1] == "z" and table["error"].iloc[-1] != ""
    one = compare(sites[0], SCENARIO)
    row = table.set_index("site_id").loc["a"]
    assert row["value_of_converting_usd"] == pytest.approx(one.value_of_converting_usd)
    # The portfolio names the same path as the site's own decision, at that path's NPV.
    assert row["best_strategy"] == one.best_strategy
    assert row["best_npv_usd"] == pytest.approx(one.strategies[one.best_strategy].summary.npv_usd)
