"""The named strategies: mine-then-convert against convert and keep mining, the tenant
expectation, economic shutdown, the readiness mapping, discount rates by kind, and hand-worked
sale and mine-then-convert values."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_strategies import HAND, SIMPLE_MINING, _site, neutral, row_index

from models import estimate_retrofit
from valuation.finance import TaxAssumptions, monthly_rate, npv
from valuation.mining import mining_cash_flows, used_asic_usd_per_th
from valuation.scenario import Scenario
from valuation.site_sale import SALE_COMPARABLES_USD_PER_MW, SaleTerms
from valuation.strategies import build_site_model, evaluate
from valuation.tenant import TenantProspects

BASE = Scenario(horizon_months=96)


# ---- mine then convert -------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(
    lease=st.floats(60.0, 200.0),
    btc_scale=st.floats(0.5, 3.0),
    lease_up=st.integers(0, 18),
    halls=st.integers(1, 3),
)
def test_mine_then_convert_at_month_d_is_convert_with_a_longer_lease_up(
    lease, btc_scale, lease_up, halls
):
    # Two code paths: the plan's shifted rows, and a scenario whose lease-up is d months longer.
    market = replace(BASE.market, btc_price_usd=BASE.market.btc_price_usd * btc_scale)
    sc = replace(BASE, lease_rate_usd_per_kw_month=lease, lease_up_months=lease_up, market=market)
    site = _site(hall_count=halls)
    model = build_site_model(site, sc)
    values = evaluate(model).npv_usd
    plan = model.plan
    for row in plan.groups["mine_then_convert"][1:-1][:3]:  # a few later starts
        d = int(plan.detail[row])
        later = build_site_model(site, replace(sc, lease_up_months=lease_up + d))
        got = evaluate(later).npv_usd[row_index(later, "convert")]
        assert values[row] == pytest.approx(got, rel=1e-9, abs=1.0)
    # Month 0 is convert itself and "never" is keep mining: the group's ends.
    group = plan.groups["mine_then_convert"]
    assert group[0] == row_index(model, "convert") and group[-1] == row_index(model, "keep_mining")
    # Its value is never below either.
    best = values[group].max()
    assert best >= values[row_index(model, "convert")] and best >= values[plan.keep_row]


def test_hand_worked_mine_then_convert_month_by_month():
    # One hall on the hand-worked site (200 MW, tariff $20/MWh, no tax, no terminal value, 10%):
    # mine months 0..11, then build from month 12 (a tenant signs at the decision month: lease-up
    # 0), rent from month 12 + RFS.
    site = _site(hall_count=1)
    est = estimate_retrofit(site)
    model = build_site_model(site, HAND, est)
    row = next(r for r in model.plan.groups["mine_then_convert"] if model.plan.detail[r] == 12)
    (hall,) = est.halls
    crit, rfs = hall.critical_it_mw, hall.ready_for_service_month
    assert hall.construction_start_month == 0 and 12 + rfs < 36
    hp = model.hashprice.hashprice_usd_per_ph_day
    months = np.arange(36)
    mining = np.where(
        months < 12,
        200 * 1000 / (17.5 * 1.05) * 0.95 * hp * 30.4375 * 0.98  # revenue
        - 200 * 730.5 * 0.95 * 20.0  # power at the tariff
        - 200 * 6_000.0,  # site opex
        0.0,
    )
    x = np.clip((months + 1 - 12) / rfs, 0, 1)
    x0 = np.clip((months - 12) / rfs, 0, 1)
    capex = 8_000_000.0 * crit * ((x**2) * (3 - 2 * x) - (x0**2) * (3 - 2 * x0))
    k = months - 12 - rfs  # lease month
    rent = np.where(k >= 0, crit * 1000 * 128.0 * np.where(k >= 12, 1.03, 1.0), 0.0)
    flows = mining + rent * (1 - 0.028) - capex
    expected = float(np.sum(flows / (1.10 ** (1 / 12)) ** months))
    assert evaluate(model).npv_usd[row] == pytest.approx(expected, abs=1.0)


# ---- sale ----------------------------------------------------------------------------------------


def test_hand_worked_sell_site():
    # 200 MW energized, 50 MW more contracted; fleet 2 years old at 17.5 J/TH, degradation 1%/yr.
    site = _site(hall_count=2)
    site = replace(site, power=replace(site.power, contracted_mw=250.0))
    sc = Scenario(horizon_months=36)  # salvage on, 21% federal tax, no state tax
    model = build_site_model(site, sc)
    # Comparables: median of $0.458M, $0.4365M, $0.570M, $1.48M per MW = (0.458 + 0.570) / 2.
    price = np.median(list(SALE_COMPARABLES_USD_PER_MW.values()))
    assert price == pytest.approx((178.6e6 / 390 + 175e6 / 307) / 2)
    saleable_mw = 200 + 0.5 * 50
    proceeds = price * saleable_mw * (1 - 0.02)
    th = 200 * 1e6 / (17.5 * 1.05) * 0.99**2.0  # TH/s, two years of 1% degradation
    # 15-20 J/TH band, $13.50/TH when hashprice was $43.33; month 0's hashprice here is the
    # base market's (within 2% of that day's published $43.33)
    hashprice_now = model.hashprice.hashprice_usd_per_ph_day[0]
    assert hashprice_now == pytest.approx(43.33, rel=0.02)
    fleet = th * 13.50 * hashprice_now / 43.33
    assert used_asic_usd_per_th(17.5) == 13.50
    # Everything at month 0 (undiscounted), taxed as ordinary income at 21% (basis 0).
    expected = (proceeds + fleet) * (1 - 0.21)
    assert evaluate(model).npv_usd[model.plan.sale_row] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="price_usd_per_mw"):
        SaleTerms(price_usd_per_mw=2e6)  # above the high end of the range


# ---- tenant, shutdown, readiness, rates ----------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(p=st.floats(0.0, 1.0))
def test_converting_rows_are_the_tenant_expectation(p):
    site = _site(hall_count=2)
    model = build_site_model(site, replace(BASE, tenant_prospects=TenantProspects.neutral(),
                                           tenant_signing_probability=p))  # fmt: skip
    out = evaluate(model)
    keep = model.plan.keep_row
    signed = model.plan.signed
    assert model.signing_probability == pytest.approx(p)
    expected = p * out.npv_signed_usd + (1 - p) * out.npv_signed_usd[keep]
    np.testing.assert_allclose(out.npv_usd[signed], expected[signed], rtol=1e-12, atol=1e-3)
    np.testing.assert_array_equal(out.npv_usd[~signed], out.npv_signed_usd[~signed])


@settings(max_examples=25, deadline=None)
@given(tariff=st.floats(10.0, 90.0), hp_scale=st.floats(0.2, 3.0), age=st.floats(0.0, 4.9))
def test_economic_shutdown_never_lowers_keep_mining(tariff, hp_scale, age):
    site = _site(hall_count=1)
    site = replace(site, power=replace(site.power, contract_price_usd_per_mwh=tariff))
    mining = replace(SIMPLE_MINING, fleet_age_years=age, fleet_life_years=5.0)
    on = build_site_model(site, neutral(horizon_months=60, mining=mining,
                                        economic_shutdown=True))  # fmt: skip
    off = build_site_model(site, neutral(horizon_months=60, mining=mining))
    hp = on.hashprice.hashprice_usd_per_ph_day * hp_scale
    keep_on = evaluate(on, hashprice_usd_per_ph_day=hp).npv_signed_usd[on.plan.keep_row]
    keep_off = evaluate(off, hashprice_usd_per_ph_day=hp).npv_signed_usd[off.plan.keep_row]
    # Idle months only drop negative margins (a loss saves at most the tax rate of itself).
    assert keep_on >= keep_off - 1e-6 * max(1.0, abs(keep_off))


def test_economic_shutdown_idles_the_loss_making_months():
    # $55/MWh tariff: the S21-class fleet loses money at the floor's hashprice; idle months stop
    # every flow, so keep mining is worth more than running through them.
    hp = np.r_[np.full(12, 60.0), np.full(24, 25.0)]
    kw = dict(assumptions=SIMPLE_MINING, contract=None)
    from valuation.power import PowerContract

    tariff = PowerContract(contract_type="utility_tariff", price_usd_per_mwh=55.0)
    kw["contract"] = tariff
    run = mining_cash_flows(100.0, hp, **kw)
    idle = mining_cash_flows(100.0, hp, economic_shutdown=True, **kw)
    losing = (run.net_cash_flow_usd + run.capex_usd) < 0
    assert losing[12:].all() and not losing[:12].any()
    np.testing.assert_array_equal(idle.idle[12:], True)
    np.testing.assert_array_equal(idle.net_cash_flow_usd[12:], 0.0)
    np.testing.assert_allclose(idle.net_cash_flow_usd[:12], run.net_cash_flow_usd[:12])
    assert idle.energy_mwh[12:].sum() == 0.0


@settings(max_examples=50, deadline=None)
@given(
    a=st.floats(0.0, 100.0),
    b=st.floats(0.0, 100.0),
    rate_slope=st.floats(0.0, 0.05),
    prob_slope=st.floats(0.0, 0.05),
    p=st.floats(0.0, 1.0),
)
def test_better_readiness_never_lowers_the_rate_or_the_odds(a, b, rate_slope, prob_slope, p):
    m = TenantProspects(rate_change_per_point=rate_slope, probability_change_per_point=prob_slope)
    lo, hi = min(a, b), max(a, b)
    assert m.lease_rate_usd_per_kw_month(hi, 128.0) >= m.lease_rate_usd_per_kw_month(lo, 128.0)
    assert m.signing_probability(hi, p) >= m.signing_probability(lo, p)
    assert 0.0 <= m.signing_probability(lo, p) <= 1.0
    # At the fixed reference score the scenario's own figures apply.
    assert m.lease_rate_usd_per_kw_month(m.reference_score, 128.0) == pytest.approx(128.0)
    assert m.signing_probability(m.reference_score, p) == pytest.approx(p)


def test_rate_slope_default_is_the_fit_to_the_portfolio_deals():
    from sites import load_example_portfolio
    from valuation.deals import load_hosting_deals
    from valuation.hosting import implied_rate_usd_per_kw_month
    from valuation.market import DEFAULT_MARKET
    from valuation.tenant import DEAL_SITES, fit_rate_change_per_point, readiness_score

    deals = load_hosting_deals().set_index("deal_id")
    sites = {s.id: s for s in load_example_portfolio()}
    scores, rates = [], []
    for deal_id, site_id in DEAL_SITES.items():
        d = deals.loc[deal_id]
        rates.append(implied_rate_usd_per_kw_month(
            d.total_value_usd, d.critical_it_mw, d.term_years, d.escalator_per_year))  # fmt: skip
        scores.append(readiness_score(sites[site_id], DEFAULT_MARKET.as_of))
    slope, r2 = fit_rate_change_per_point(scores, rates, TenantProspects().reference_score)
    # the announced rents fall slightly with readiness (-0.0011 a point), floored at 0: no
    # premium for readiness, exactly the default
    assert slope == TenantProspects().rate_change_per_point == 0.0
    assert r2 < 0.2  # readiness explains little of the announced rents: the docstring says so


def test_a_site_without_power_cannot_sign_before_it_has_power():
    site = _site(hall_count=2)
    queued = replace(site, power=replace(site.power, energized_mw=0.0))
    model = build_site_model(queued, replace(BASE, lease_up_months=3))
    # No energized MW and no queue date: contracted MW take 24 months (sites.readiness).
    assert model.months_to_power == 24
    assert model.construction_start_month.min() >= 24


def test_equal_rates_give_the_one_rate_npv_of_the_levered_flows():
    site = _site(hall_count=3)
    sc = neutral(horizon_months=120, tax=TaxAssumptions())
    model = build_site_model(site, sc)
    out = evaluate(model, full=True)
    r = monthly_rate(sc.discount_rate_per_year)
    np.testing.assert_allclose(out.npv_usd, npv(r, out.flows.levered_fcf_usd), rtol=1e-9, atol=1e-3)
    # With the default rates, mining is worth less and contracted rent more than at one rate.
    split = build_site_model(site, replace(sc, mining_discount_rate_per_year=0.15,
                                           contracted_discount_rate_per_year=0.09))  # fmt: skip
    got = evaluate(split).npv_usd
    assert got[split.plan.keep_row] < out.npv_usd[model.plan.keep_row]
    assert got[row_index(split, "convert")] > out.npv_usd[row_index(model, "convert")]


def test_a_fleet_past_its_life_decides_at_month_0():
    # A 6-year-old fleet with a 5-year life is at its end of life now: refresh or retire in
    # month 0 (not a new fleet that kept the old J/TH until month 48), the same as a fleet
    # exactly 5 years old.
    hp = np.full(60, 45.0)
    old = mining_cash_flows(10.0, hp, assumptions=replace(SIMPLE_MINING, fleet_age_years=6.0,
                                                          fleet_life_years=5.0))  # fmt: skip
    due = mining_cash_flows(10.0, hp, assumptions=replace(SIMPLE_MINING, fleet_age_years=5.0,
                                                          fleet_life_years=5.0))  # fmt: skip
    decided = (old.capex_usd[0] > 0) or (old.retired_month == 0)
    assert decided
    np.testing.assert_array_equal(old.net_cash_flow_usd, due.net_cash_flow_usd)
