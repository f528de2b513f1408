"""The plan from the sites: each start's value is compare's start grid less the best path that
does not convert, its capex spread over its own schedule, a supplied value source replaces the
deterministic values, and the plan on hand-built tables is the one worked out by hand."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sites import load_example_portfolio
from valuation.conversion_plan import (
    ConversionPlanError,
    SiteStarts,
    StartTable,
    plan_portfolio,
    shadow_price_sentence,
    site_starts,
    start_table,
)
from valuation.decision import compare
from valuation.portfolio import plan_conversions
from valuation.strategies import NOT_CONVERTING


@pytest.fixture(scope="module")
def few_sites():
    by_id = {s.id: s for s in load_example_portfolio()}
    # an energized ERCOT site, one waiting for power (its signing waits), a small SPP site
    return [by_id["corz-muskogee"], by_id["hut-river-bend"], by_id["mara-granbury"]]


@pytest.fixture(scope="module")
def few_starts(few_sites):
    return [site_starts(s) for s in few_sites]


def test_values_are_compare_start_grid_less_the_best_path_not_converting(few_sites, few_starts):
    for site, st_ in zip(few_sites, few_starts, strict=True):
        d = compare(site)
        best_non = max(d.strategy_npv_usd[k] for k in NOT_CONVERTING)
        grid = d.start_grid
        assert st_.decision_month.tolist() == grid["decision_month"].tolist()
        np.testing.assert_allclose(st_.npv_usd, grid["npv_usd"], rtol=1e-12)
        np.testing.assert_allclose(st_.value_usd, grid["npv_usd"] - best_non, rtol=1e-12)
        assert st_.best_not_converting_npv_usd == pytest.approx(best_non, rel=1e-12)
        assert st_.start_year.tolist() == (grid["decision_month"] // 12).tolist()
        assert st_.critical_it_mw == pytest.approx(d.retrofit.critical_it_mw)


def test_capex_is_the_retrofit_total_spent_from_signing(few_sites, few_starts):
    for site, st_ in zip(few_sites, few_starts, strict=True):
        d = compare(site)
        s = d.scenario
        total = d.retrofit.capex_by_class_usd(s.capex_scenario)
        np.testing.assert_allclose(
            st_.capex_usd, sum(total.values()) * (1 + s.contingency), rtol=1e-9
        )
        np.testing.assert_allclose(st_.capex_schedule.sum(axis=1), 1.0)
        # nothing is spent before a tenant can sign: lease-up (12 months) and the site's power
        first_month = np.maximum(st_.decision_month + s.lease_up_months,
                                 d.tenant["months_to_power"])  # fmt: skip
        first_spend_year = np.argmax(st_.capex_by_year_usd > 0, axis=1) + st_.start_year
        assert (first_spend_year >= first_month // 12).all()
        assert (first_spend_year <= first_month // 12 + 1).all()


def test_a_site_waiting_for_power_spends_later_after_an_early_start(few_starts):
    waiting = few_starts[1]  # River Bend: no energized MW, signing waits for power
    lag = np.argmax(waiting.capex_by_year_usd > 0, axis=1)
    assert lag[0] > lag[-1]  # converting now spends years out; a late start as soon as it signs


def test_a_dataframe_source_replaces_the_values(few_sites, few_starts):
    ids = [s.id for s in few_sites]
    frame = pd.DataFrame(
        {0: [1e6, 2e6, 3e6], 1: [4e6, np.nan, 6e6]}, index=pd.Index(ids, name="site_id")
    )
    table = start_table(few_sites, values=frame, starts=few_starts)
    assert table.source == "supplied"
    np.testing.assert_array_equal(table.value_usd[:, 0], [1e6, 2e6, 3e6])
    np.testing.assert_array_equal(table.value_usd[:, 1], [4e6, np.nan, 6e6])
    assert np.isnan(table.value_usd[:, 2:]).all()  # years the frame does not have: no start
    plan = plan_portfolio(table)  # no budget: each site at its best supplied year
    assert dict(zip(plan.timeline["site_id"], plan.timeline["start_year"], strict=True)) == {
        ids[0]: 1,
        ids[1]: 0,
        ids[2]: 1,
    }
    assert plan.value_usd == pytest.approx(4e6 + 2e6 + 6e6)


def test_a_callable_source_gets_the_site_and_its_starts(few_sites, few_starts):
    seen = []

    def halve(site, scenario, starts: SiteStarts):
        seen.append(site.id)
        return starts.value_usd / 2

    table = start_table(few_sites, values=halve, starts=few_starts)
    assert seen == [s.id for s in few_sites]
    for i, st_ in enumerate(few_starts):
        np.testing.assert_allclose(table.value_usd[i, st_.start_year], st_.value_usd / 2)
    with pytest.raises(ConversionPlanError, match="values for site .* have shape"):
        start_table(few_sites, values=lambda *a: [1.0, 2.0], starts=few_starts)
    with pytest.raises(ConversionPlanError, match="no row for site"):
        start_table(few_sites, values=pd.DataFrame({0: [1.0]}, index=["x"]), starts=few_starts)


def _table(value, capex, schedule, mw) -> StartTable:
    value = np.asarray(value, dtype=float)
    n, y = value.shape
    return StartTable(
        site_ids=tuple(f"s{i}" for i in range(n)),
        names=tuple(f"Site {i}" for i in range(n)),
        value_usd=value,
        capex_usd=np.asarray(capex, dtype=float),
        capex_schedule=np.asarray(schedule, dtype=float),
        critical_it_mw=np.asarray(mw, dtype=float),
        source="hand",
        starts=(),
        errors={},
    )


def test_plan_by_hand_budget_per_year_and_mw_cap() -> None:
    # Three sites, two start years. Capex $500M each, spent 50/50 over two years; loan-to-cost
    # 80% so each start draws $50M of equity in its start year and $50M the next.
    # Values ($M): A 100 / 90, B 80 / 75, C 60 / 58. Equity budget $100M a year, so any year
    # holds at most two halves: three starts put three halves in one year (two start in the
    # same year and the third overlaps one of their years). Best pair: A and B now (180; A now
    # and B next year is 175).
    sched = np.zeros((3, 2, 2))
    sched[:, :, :] = [0.5, 0.5]
    table = _table([[100e6, 90e6], [80e6, 75e6], [60e6, 58e6]], np.full((3, 2), 500e6), sched,
                   [100, 100, 100])  # fmt: skip
    plan = plan_portfolio(table, equity_budget_usd_per_year=100e6, first_year=2026)
    assert plan.value_usd == pytest.approx(180e6)
    assert plan.timeline["site_id"].tolist() == ["s0", "s1"]
    assert plan.timeline["calendar_year"].tolist() == [2026, 2026]
    np.testing.assert_allclose(plan.funding["equity_usd"], [100e6, 100e6, 0.0])
    np.testing.assert_allclose(plan.funding["capex_usd"], [500e6, 500e6, 0.0])
    # The MW started each year with no cap set (it was blank): A and B's 200 MW in year 0.
    np.testing.assert_allclose(plan.funding["critical_it_mw_started"], [200.0, 0.0, 0.0])
    # $100M more a year: all three start now (240)
    assert plan.plan.shadow_value_usd == pytest.approx(60e6)
    assert "worth $60M" in plan.shadow_sentence and "every budgeted year" in plan.shadow_sentence
    # $100M more in each of the three budgeted funding years: $300M buys $60M, 0.20 per dollar
    assert "$300M over 3 years" in plan.shadow_sentence
    assert "(0.20 per dollar), by re-solving the plan." in plan.shadow_sentence
    # a re-solve stopped at its time limit: the same figure, called an estimate
    unproven = dataclasses.replace(plan.plan, shadow_optimal=False)
    assert shadow_price_sentence(unproven).endswith(
        "by re-solving the plan (a solve stopped at its time limit: an estimate)."
    )
    # nothing gained in unproven solves: no reason claimed for it
    nothing = dataclasses.replace(unproven, shadow_value_usd=0.0)
    assert shadow_price_sentence(nothing, unlimited_value_usd=1e12) == (
        "Another $100M of equity budget (in every budgeted year: $300M over 3 years) adds nothing "
        "to the "
        "plans found (a solve stopped at its time limit: an estimate)."
    )
    # An MW cap of 100 a year: one site a year, A now and B next year (175)
    capped = plan_portfolio(table, mw_cap_per_year=100.0)
    assert capped.value_usd == pytest.approx(175e6)
    assert capped.timeline[["site_id", "start_year"]].values.tolist() == [["s0", 0], ["s1", 1]]
    np.testing.assert_allclose(capped.funding["critical_it_mw_started"], [100.0, 100.0, 0.0])
    assert capped.shadow_sentence.startswith("No equity budget is set")
    assert capped.plan.shadow_value_usd is None


def test_total_budget_sentence() -> None:
    table = _table([[100e6], [80e6]], [[500e6], [500e6]], np.ones((2, 1, 1)), [10, 10])
    plan = plan_portfolio(table, equity_budget_usd_total=100e6)  # one start of $100M equity
    assert plan.value_usd == pytest.approx(100e6)
    assert plan.plan.shadow_value_usd == pytest.approx(80e6)
    assert "in total" in plan.shadow_sentence and "$80M" in plan.shadow_sentence


def test_the_sentence_says_does_not_bind_only_when_nothing_binds() -> None:
    # Three $200M-equity starts (capex $1B at 80% loan-to-cost). A $50M budget or a 0 MW cap
    # converts nothing: another $100M is worth nothing there, yet the budget or the cap binds.
    table = _table([[100e6], [80e6], [60e6]], np.full((3, 1), 1e9), np.ones((3, 1, 1)),
                   [10, 10, 10])  # fmt: skip
    nothing = plan_portfolio(table, equity_budget_usd_per_year=50e6)  # $150M < $200M: none fits
    assert nothing.value_usd == 0.0 and nothing.plan.shadow_value_usd == 0.0
    assert "does not bind" not in nothing.shadow_sentence
    assert "too little to fund another conversion" in nothing.shadow_sentence
    assert "MW cap" not in nothing.shadow_sentence  # none is set
    capped = plan_portfolio(table, mw_cap_per_year=0.0)
    assert capped.value_usd == 0.0 and "MW tenants take" in capped.shadow_sentence
    # A budget every start fits: it does not bind, and the sentence says so.
    loose = plan_portfolio(table, equity_budget_usd_total=1e12)
    assert loose.value_usd == pytest.approx(240e6)
    assert loose.shadow_sentence.endswith("the budget does not bind.")
    free = plan_portfolio(table)
    assert free.shadow_sentence.endswith("every start worth converting fits.")


def _brute(value, equity, mw, budget, cap) -> float:
    """Best plan by enumeration: each site picks a year or none."""
    n, y = value.shape
    best = 0.0
    for choice in itertools.product(range(-1, y), repeat=n):
        used = np.zeros(equity.shape[2])
        started = np.zeros(y)
        total = 0.0
        for i, t in enumerate(choice):
            if t < 0:
                continue
            if not np.isfinite(value[i, t]) or value[i, t] <= 0:
                break
            used += equity[i, t]
            started[t] += mw[i]
            total += value[i, t]
        else:
            if (used <= budget + 1.0).all() and (started <= cap + 1e-9).all():
                best = max(best, total)
    return best


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5))
def test_per_start_schedules_equal_brute_force(seed, n) -> None:
    """plan_conversions with a schedule per site and start year (what the sites give) equals
    enumeration on 5 sites x 3 years, and every constraint holds."""
    rng = np.random.default_rng(seed)
    y, k = 3, 3
    value = rng.normal(50e6, 60e6, (n, y))
    value[rng.random((n, y)) < 0.15] = np.nan
    capex = rng.uniform(100e6, 800e6, (n, y))
    sched = rng.dirichlet(np.ones(k), (n, y))
    mw = rng.uniform(20, 200, n)
    budget, cap = rng.uniform(20e6, 200e6), rng.uniform(50, 300)
    plan = plan_conversions(value, capex, sched, equity_budget_usd_per_year=budget,
                            critical_it_mw=mw, mw_cap_per_year=cap, loan_to_cost=0.8)  # fmt: skip
    equity = np.zeros((n, y, y + k - 1))
    for i, t in itertools.product(range(n), range(y)):
        equity[i, t, t : t + k] = 0.2 * capex[i, t] * sched[i, t]
    assert plan.value_usd == pytest.approx(_brute(value, equity, mw, budget, cap), abs=1.0)
    assert (plan.funding["equity_usd"] <= budget + 1.0).all()
    assert (plan.funding["critical_it_mw_started"] <= cap + 1e-6).all()
