"""The site decision: consistency of the Decision, identical paths shown once, ties in the stated
order, break-evens that close the gap, reasons ranked by impact and pinned against re-valued
scenarios, the waterfall adds up, every recommendation a board can hear, the portfolio table."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sites.schema import Facility, PowerRights, Site
from valuation.decision import DecisionError, choose, compare, compare_portfolio, gap_usd
from valuation.finance import monthly_rate, npv
from valuation.formatting import usd
from valuation.power import ERCOT_ERS
from valuation.scenario import Scenario
from valuation.strategies import (
    CONVERTING,
    NOT_CONVERTING,
    STRATEGY_ORDER,
    build_site_model,
    evaluate,
    on_rows,
)
from valuation.tenant import TenantProspects

SCENARIO = Scenario(horizon_months=84)


def _site(
    site_id: str = "d1",
    mw: float = 120.0,
    halls: int = 3,
    price: float = 30.0,
    contract_type: str = "fixed_ppa",
    region: str = "ERCOT",
) -> Site:
    return Site(
        id=site_id,
        name=f"Site {site_id}",
        grid_region=region,
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
    npv_by_key = decision.strategy_npv_usd
    assert set(npv_by_key) == set(STRATEGY_ORDER)
    assert set(decision.strategies) | set(decision.identical_to) == set(STRATEGY_ORDER)
    assert not set(decision.strategies) & set(decision.identical_to)
    for hidden, same in decision.identical_to.items():
        assert same in decision.strategies
        assert npv_by_key[hidden] == pytest.approx(npv_by_key[same], abs=1.0)
    for key, result in decision.strategies.items():
        assert result.summary.npv_usd == pytest.approx(npv_by_key[key])
    conv = max(npv_by_key[k] for k in CONVERTING)
    non = max(npv_by_key[k] for k in NOT_CONVERTING)
    assert decision.value_of_converting_usd == pytest.approx(conv - non)
    assert decision.best_strategy in decision.strategies
    assert npv_by_key[decision.best_strategy] == pytest.approx(max(npv_by_key.values()))
    assert decision.best_converting in CONVERTING
    assert decision.best_not_converting in NOT_CONVERTING


def test_conversion_summary_is_the_incremental_stream(decision):
    conv = decision.strategies[decision.identical_to.get(decision.best_converting,
                                                         decision.best_converting)]  # fmt: skip
    non_key = decision.identical_to.get(decision.best_not_converting, decision.best_not_converting)
    non = decision.strategies[non_key]
    inc = conv.monthly["levered_fcf_usd"].to_numpy() - non.monthly["levered_fcf_usd"].to_numpy()
    r = monthly_rate(SCENARIO.discount_rate_per_year)
    assert decision.conversion.npv_usd == pytest.approx(float(npv(r, inc)), rel=1e-9)


def test_waterfall_adds_up(decision):
    w = decision.waterfall["value_usd"].to_numpy()
    assert w[0] == pytest.approx(decision.strategy_npv_usd[decision.best_not_converting])
    assert w[-1] == pytest.approx(decision.strategy_npv_usd[decision.best_converting])
    assert w[0] + w[1:-1].sum() == pytest.approx(w[-1], rel=1e-9)


def test_reasons_ranked_named_and_never_zero(decision):
    impacts = [abs(r.impact_usd) for r in decision.reasons]
    assert impacts == sorted(impacts, reverse=True)
    assert all(usd(abs(r.impact_usd)) != usd(0.0) for r in decision.reasons)
    text = " ".join(r.text for r in decision.reasons)
    assert "Tenant odds of" in text
    assert "fleet's age" in text
    assert "Value at the horizon" in text and "% of converting's NPV" in text
    assert "$" in text


def test_breakevens_close_the_gap(decision):
    site = _site()
    model = build_site_model(site, SCENARIO)
    # The break-evens are valued on the rows the base case chose: re-value those rows there.
    full = evaluate(model)
    rank_rows = {int(np.argmax(full.npv_usd[g])) for g in model.plan.groups.values()}
    assert rank_rows  # the groups are not empty
    be = decision.breakevens
    rows = sorted({model.plan.keep_row, model.plan.dr_row, model.plan.sale_row,
                   *[int(model.plan.groups[k][np.argmax(full.npv_usd[model.plan.groups[k]])])
                     for k in CONVERTING]})  # fmt: skip
    sub = on_rows(model, np.array(rows))
    scale = abs(decision.value_of_converting_usd)
    at_lease = gap_usd(
        sub, evaluate(sub, lease_rate_usd_per_kw_month=be.lease_rate_usd_per_kw_month).npv_usd
    )
    assert abs(float(at_lease)) < 1e-6 * scale
    k = be.max_capex_usd_per_mw / model.capex_usd_per_critical_mw
    at_capex = gap_usd(sub, evaluate(sub, capex_scale=k).npv_usd)
    assert abs(float(at_capex)) < 1e-6 * scale
    # A little above the lease break-even converting wins on the full plan (it can only add
    # converting candidates), a little below it loses on the chosen rows.
    up = compare(
        site, replace(SCENARIO, lease_rate_usd_per_kw_month=be.lease_rate_usd_per_kw_month * 1.05)
    )
    assert up.value_of_converting_usd > 0


def test_todays_figures_beside_the_break_evens_are_the_ones_the_valuation_used():
    # Contingency, the high capex case and a readiness-moved rate each take the valuation's
    # figure away from the scenario's own: "today" is the valuation's, for all four.
    scenario = replace(SCENARIO, contingency=0.1, capex_scenario="high",
                       tenant_prospects=TenantProspects(rate_change_per_point=0.01))  # fmt: skip
    site = _site()
    d = compare(site, scenario)
    model = build_site_model(site, scenario, d.retrofit)
    today = d.breakevens.today
    assert today["lease_rate_usd_per_kw_month"] == model.lease_rate_usd_per_kw_month
    assert today["lease_rate_usd_per_kw_month"] != scenario.lease_rate_usd_per_kw_month
    assert today["max_capex_usd_per_mw"] == model.capex_usd_per_critical_mw
    # high case with 10% contingency: above the base estimate by more than the contingency
    assert today["max_capex_usd_per_mw"] > 1.1 * d.retrofit.capex_per_critical_mw_usd
    assert today["btc_price_usd"] == scenario.market.btc_price_usd
    assert today["hashprice_usd_per_ph_day"] == model.hashprice.hashprice_usd_per_ph_day[0]
    assert set(d.breakevens.values) == set(today)
    assert d.breakevens.values["lease_rate_usd_per_kw_month"] == (
        d.breakevens.lease_rate_usd_per_kw_month
    )


def test_market_reasons_equal_recomputed_markets():
    # Cheap power: mining stays the best path that does not convert in both markets, so the
    # re-valued decision compares the same two paths as the reason does.
    site = _site(price=20.0)
    decision = compare(site, SCENARIO)
    no_growth = compare(site, replace(SCENARIO, market=replace(
        SCENARIO.market, network_hashrate_growth_per_year=0.0)))  # fmt: skip
    assert no_growth.best_converting == decision.best_converting
    assert no_growth.best_not_converting == decision.best_not_converting
    impact = decision.value_of_converting_usd - no_growth.value_of_converting_usd
    reason = next(r for r in decision.reasons if r.text.startswith("Network hashrate growth"))
    assert reason.impact_usd == pytest.approx(impact, rel=1e-6, abs=1.0)


def test_tenant_reason_equals_a_certain_tenant():
    # The readiness mapping is switched off so the site's odds are the scenario's.
    flat = replace(SCENARIO, tenant_prospects=TenantProspects.neutral())
    certain = compare(_site(), replace(flat, tenant_signing_probability=1.0))
    base = compare(_site(), flat)
    reason = next(r for r in base.reasons if "Tenant odds of" in r.text)
    assert reason.impact_usd == pytest.approx(
        base.value_of_converting_usd - certain.value_of_converting_usd, rel=1e-6, abs=1.0
    )
    assert reason.impact_usd < 0  # uncertainty about a tenant only takes from converting


# ---- ties and identical paths -------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.permutations(STRATEGY_ORDER), st.floats(-1e9, 1e9))
def test_ties_go_to_the_first_strategy_in_the_stated_order(order, value):
    # Every strategy within $1 of each other: the first in STRATEGY_ORDER wins whatever order
    # the values arrive in.
    values = {k: value + 0.5 * (i % 2) for i, k in enumerate(order)}
    assert choose(values) == "keep_mining"
    without_keep = {k: v for k, v in values.items() if k != "keep_mining"}
    assert choose(without_keep) == "mining_with_dr"
    assert choose(values, CONVERTING) == "convert"


def test_a_site_with_no_programs_is_never_told_to_partner():
    # A NYISO site offered only ERCOT's ERS: no program pays it, so the partnership is plain
    # mining: shown once, never recommended (Lake Mariner's $2.4e-7 "win").
    d = compare(_site(region="NYISO"), replace(SCENARIO, dr_programs=(ERCOT_ERS,),
                                                lease_rate_usd_per_kw_month=100.0,
                                                capex_usd_per_critical_mw=11e6,
                                                construction_delay_months=12))  # fmt: skip
    assert d.identical_to.get("mining_with_dr") == "keep_mining"
    assert d.best_strategy != "mining_with_dr"
    assert d.best_not_converting != "mining_with_dr"


def test_the_best_split_that_is_the_whole_site_is_shown_once(decision):
    if decision.hybrid_grid["npv_usd"].idxmax() == len(decision.hybrid_grid) - 1:
        assert decision.identical_to.get("hybrid") == "convert"
        assert "hybrid" not in decision.strategies


# ---- a board can hear every answer --------------------------------------------------------------


def test_keep_mining_or_sell_when_the_lease_market_is_poor():
    d = compare(_site(), replace(SCENARIO, lease_rate_usd_per_kw_month=30.0))
    assert d.best_strategy in NOT_CONVERTING
    assert d.value_of_converting_usd < 0
    assert d.recommendation.startswith(("Keep mining", "Sell the powered site"))


def test_sell_when_power_rights_are_worth_more_than_mining_them():
    # Expensive power: mining earns little, the powered site still sells at the comparables.
    d = compare(_site(price=70.0), replace(SCENARIO, lease_rate_usd_per_kw_month=30.0))
    assert d.best_strategy == "sell_site"
    assert d.recommendation.startswith("Sell the powered site")


def test_wait_when_mining_pays_more_than_rent_until_the_halving():
    # BTC at 4x: mining out-earns the lease until the 2028 halving, so the best path mines
    # first and converts later; the recommendation names the month. (At 3x the fleet, whose
    # resale price tracks hashprice, is worth selling now: converting at once wins narrowly.)
    market = replace(SCENARIO.market, btc_price_usd=4 * SCENARIO.market.btc_price_usd)
    d = compare(_site(price=25.0), replace(SCENARIO, horizon_months=180, market=market))
    assert d.best_strategy == "mine_then_convert"
    assert d.conversion_start_month > 0
    assert "Keep mining now and look for a tenant from" in d.recommendation
    assert str(int(d.conversion_start_month)) in d.recommendation


def test_compare_refuses_what_is_not_a_site():
    for bad in ({"id": "x"}, None):
        with pytest.raises(DecisionError, match="sites.schema.Site is required"):
            compare(bad)  # type: ignore[arg-type]


def test_compare_portfolio_sorted_and_reports_bad_sites():
    good = [_site("a", mw=80.0), _site("b", mw=200.0, halls=4)]
    # No power at all: valued with an error in its row, not raised.
    bad = replace(_site("c"), power=PowerRights(energized_mw=0.0, contracted_mw=0.0))
    table = compare_portfolio([*good, bad], SCENARIO)
    assert list(table["site_id"][:2]) != [] and table["site_id"].iloc[-1] == "c"
    ok = table[table["error"] == ""]
    assert list(ok["value_of_converting_usd"]) == sorted(
        ok["value_of_converting_usd"], reverse=True
    )
    assert table.loc[table["site_id"] == "c", "error"].iloc[0] != ""
    assert math.isnan(table.loc[table["site_id"] == "c", "value_of_converting_usd"].iloc[0])
    single = compare(good[0], SCENARIO)
    row = table[table["site_id"] == "a"].iloc[0]
    assert row["value_of_converting_usd"] == pytest.approx(single.value_of_converting_usd)
    assert row["best_strategy"] == single.best_strategy
    # the value of converting is the difference of the two NPVs the table shows beside it
    np.testing.assert_allclose(
        ok["value_of_converting_usd"],
        ok["best_converting_npv_usd"] - ok["best_not_converting_npv_usd"], rtol=1e-12,
    )  # fmt: skip
    assert row["best_not_converting_npv_usd"] == pytest.approx(
        single.strategy_npv_usd[single.best_not_converting]
    )


def test_never_converting_is_not_a_converting_path():
    # At a $5 lease nothing that converts is worth as much as keeping the site; the best
    # converting path must still be one that converts (mine-then-convert's "never" is keep
    # mining), so the value of converting is deeply negative, not capped at keep mining.
    d = compare(_site(), replace(SCENARIO, lease_rate_usd_per_kw_month=5.0))
    converting = max(d.start_grid["npv_usd"].max(), d.hybrid_grid["npv_usd"].iloc[1:].max())
    best_non = max(d.strategy_npv_usd[k] for k in NOT_CONVERTING)
    assert d.value_of_converting_usd == pytest.approx(converting - best_non)
    assert d.value_of_converting_usd < d.strategy_npv_usd["keep_mining"] - best_non - 1e6
    w = d.waterfall["value_usd"].to_numpy()
    assert w[-1] == pytest.approx(converting)


def test_payback_is_of_the_operations_before_the_value_at_the_horizon():
    # The chart draws each path's cumulative flow before the exit; payback is where that line is
    # back to zero. With the exit in, a path whose operations never earn the outlay back "paid
    # back" in the horizon's last months.
    from valuation.finance import payback_month

    d = compare(_site(), SCENARIO)
    for result in d.strategies.values():
        m = result.monthly
        ops = m["levered_fcf_usd"] - m["terminal_value_usd"] + m["terminal_tax_usd"]
        want = payback_month(ops.to_numpy())
        got = result.summary.payback_month
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)
        if math.isfinite(got) and result.summary.peak_funding_usd > 0:
            assert float(ops.cumsum().iloc[int(got) + 1]) >= 0.0
    # A lease too low to earn the retrofit back in the horizon: operations never pay back, while
    # with the exit the flows would have.
    low = compare(_site(), replace(SCENARIO, lease_rate_usd_per_kw_month=40.0))
    convert = low.strategies.get("convert")
    assert convert is not None
    m = convert.monthly
    assert math.isnan(convert.summary.payback_month)
    with_exit = float(payback_month(m["levered_fcf_usd"].to_numpy()))
    assert SCENARIO.horizon_months - 3 < with_exit < SCENARIO.horizon_months  # the exit's month


def test_the_value_at_the_horizon_share_is_after_the_tax_on_the_sale():
    # The share divided the value before the sale tax by an NPV after it; the chart's legend
    # names the value after the tax. By hand with one discount rate for every kind of flow: the
    # horizon month's value less its tax, discounted from that month, over the NPV.
    one_rate = replace(SCENARIO, discount_rate_per_year=0.1, mining_discount_rate_per_year=0.1,
                       contracted_discount_rate_per_year=0.1,
                       construction_discount_rate_per_year=0.1)  # fmt: skip
    d = compare(_site(), one_rate)
    last = one_rate.horizon_months - 1
    factor = (1 + monthly_rate(0.1)) ** -last
    checked = 0
    for key, result in d.strategies.items():
        if not result.summary.npv_usd > 0:
            continue
        m = result.monthly
        after_tax = float(m["terminal_value_usd"].iloc[-1] - m["terminal_tax_usd"].iloc[-1])
        want = after_tax * factor / result.summary.npv_usd
        assert result.terminal_value_share == pytest.approx(want, rel=1e-9), key
        checked += float(m["terminal_tax_usd"].iloc[-1]) > 0
    assert checked  # a path whose sale is taxed: before and after differ


def test_the_reasons_value_at_the_horizon_share_is_the_paths_tables():
    # The site page read "63%" in the paths table and "75% of converting's NPV" in the reasons.
    d = compare(_site(), replace(SCENARIO, horizon_months=180))
    (reason,) = [r.text for r in d.reasons if r.text.startswith("Value at the horizon (exit")]
    best = d.best_converting
    key = d.identical_to.get(best, best)
    share = d.strategies[key].terminal_value_share
    assert f"is {share:.0%} of converting's NPV" in reason


@settings(max_examples=12, deadline=None)
@given(low=st.floats(0.05, 3.0), ratio=st.floats(1.05, 3.0))
@example(low=0.3, ratio=3.0)
def test_no_path_is_worth_more_when_btc_is_lower(low, ratio):
    """The fleet's resale price tracks hashprice, so BTC: a lower BTC price, today, lowers
    every path's value (with the resale price pinned to the snapshot's, a crash to $20k had
    raised Ellendale's keep-mining from $58M to $140M: shut down and sell at full price)."""
    from sites import load_example_portfolio

    site = next(s for s in load_example_portfolio() if s.id == "apld-ellendale")
    base = Scenario()

    def npv_at(factor: float) -> dict[str, float]:
        market = replace(base.market, btc_price_usd=factor * base.market.btc_price_usd)
        return compare(site, replace(base, market=market)).strategy_npv_usd

    lower, higher = npv_at(low), npv_at(low * ratio)
    for key, value in lower.items():
        assert value <= higher[key] + 1e-6 * abs(higher[key]), key


def test_a_conversions_peak_funding_is_the_money_it_needs_whatever_the_odds():
    """Peak funding of a converting path is on its flows as if the tenant signs: the same at 30%
    and 90% odds (on the odds-weighted flows it had been about capex x odds), the p = 1 path's
    own, and most of the retrofit's capex; a path with no tenant is unchanged by the odds."""
    flat = replace(SCENARIO, tenant_prospects=TenantProspects.neutral())
    low, high, certain = (
        compare(_site(), replace(flat, tenant_signing_probability=p)) for p in (0.3, 0.9, 1.0)
    )
    for key in ("convert", "keep_mining"):
        peaks = [d.strategies[key].summary.peak_funding_usd for d in (low, high, certain)]
        assert peaks == pytest.approx([peaks[2]] * 3, rel=1e-9), key
    capex = low.retrofit.total_base_usd * (1 + flat.contingency)
    assert 0.5 * capex < low.strategies["convert"].summary.peak_funding_usd <= 1.05 * capex
    # the NPV still weighs in the odds
    assert low.strategy_npv_usd["convert"] < high.strategy_npv_usd["convert"]


@pytest.mark.parametrize("factor", [0.5, 1.6])
def test_a_hashprice_path_values_every_row_as_a_model_rebuilt_at_that_btc(factor):
    """The tornado, spider and break-evens move BTC by handing the evaluator a hashprice path;
    every row, the sale with its fleet (sold at month 0's hashprice) included, must be worth
    what a model rebuilt at that BTC price says (the sale row had kept the base fleet price and
    turned Childress's BTC bars the wrong way)."""
    from sites import load_example_portfolio
    from valuation.strategies import build_site_model, evaluate

    site = next(s for s in load_example_portfolio() if s.id == "iren-childress")
    base = Scenario()
    moved = replace(
        base, market=replace(base.market, btc_price_usd=factor * base.market.btc_price_usd)
    )
    model, rebuilt = build_site_model(site, base), build_site_model(site, moved)
    by_path = evaluate(model, hashprice_usd_per_ph_day=rebuilt.hashprice.hashprice_usd_per_ph_day)
    np.testing.assert_allclose(by_path.npv_usd, evaluate(rebuilt).npv_usd, rtol=1e-9)
    sale = model.plan.sale_row
    assert by_path.npv_usd[sale] != pytest.approx(evaluate(model).npv_usd[sale], rel=1e-3)
