"""The portfolio plan: exact against brute force, every constraint holds, unlimited money converts
exactly the sites worth converting, and the shadow value of the budget is a re-solve."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.errors import ValuationError
from valuation.portfolio import (
    DEFAULT_LOAN_TO_COST,
    LEFT_OUT_REASONS,
    PortfolioInputError,
    choose_sites,
    plan_conversions,
)

TOL_USD = 1.0  # the solver works in $M with tolerances far below a dollar


def test_choose_sites_by_hand() -> None:
    # budget 6: the best site alone (10) loses to the next two together (7 + 6 = 13)
    mask = choose_sites([10.0e6, 7.0e6, 6.0e6], [5.0e6, 3.0e6, 3.0e6], 6.0e6)
    assert mask.tolist() == [False, True, True]
    # an MW cap of 150 with sites of 100, 100, 40 MW: the 100 MW best site and the 40 MW one
    mask = choose_sites([10.0e6, 7.0e6, 6.0e6], [5.0e6, 3.0e6, 3.0e6], 20e6, [100, 100, 40], 150)
    assert mask.tolist() == [True, False, True]


def _brute_single(value, capex, budget, mw=None, cap=None) -> float:
    n = value.size
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    ok = masks @ capex <= budget
    if mw is not None:
        ok &= masks @ mw <= cap
    return float((masks[ok] @ value).max())


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 10),
    budget_share=st.floats(0.0, 1.2),
    with_mw=st.booleans(),
)
def test_choose_sites_equals_brute_force(seed, n, budget_share, with_mw) -> None:
    rng = np.random.default_rng(seed)
    value = rng.normal(50e6, 120e6, n)
    capex = rng.uniform(50e6, 2e9, n)
    budget = budget_share * capex.sum()
    mw = rng.uniform(20, 300, n) if with_mw else None
    cap = rng.uniform(0, mw.sum()) if with_mw else None
    mask = choose_sites(value, capex, budget, mw, cap)
    assert mask.dtype == bool and mask.shape == (n,)
    assert capex[mask].sum() <= budget + TOL_USD
    if with_mw:
        assert mw[mask].sum() <= cap + 1e-6
    assert not (mask & (value <= 0)).any()
    assert value[mask].sum() == pytest.approx(
        _brute_single(value, capex, budget, mw, cap), rel=1e-9, abs=1.0
    )


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30))
@settings(max_examples=30, deadline=None)
def test_unlimited_budget_and_mw_choose_exactly_the_positive_sites(seed, n) -> None:
    rng = np.random.default_rng(seed)
    value = rng.normal(0.0, 100e6, n)
    value[rng.random(n) < 0.1] = 0.0  # worth nothing: not converted
    capex = rng.uniform(0, 2e9, n)
    mw = rng.uniform(20, 300, n)
    np.testing.assert_array_equal(choose_sites(value, capex, np.inf), value > 0)
    np.testing.assert_array_equal(choose_sites(value, capex, np.inf, mw, np.inf), value > 0)
    plan = plan_conversions(np.column_stack([value, value * 0.9, value * 1.1]), capex)
    expected = np.where(value > 0, 2, -1)  # each positive site at its best year
    np.testing.assert_array_equal(plan.start_year, expected)
    assert plan.value_usd == pytest.approx(1.1 * value[value > 0].sum())
    assert plan.optimal and plan.shadow_value_usd is None


def _plan_instance(rng: np.random.Generator, n: int, years: int) -> dict:
    value = rng.normal(80e6, 120e6, (n, years))
    value[rng.random((n, years)) < 0.1] = np.nan  # that start is not possible
    return {
        "value_usd": value,
        "capex_usd": rng.uniform(200e6, 1.5e9, (n, years)),
        "capex_schedule": rng.dirichlet(np.ones(2)),
        "critical_it_mw": rng.uniform(20, 250, n),
        "mw_cap_per_year": rng.uniform(50, 400, years),
        "equity_budget_usd_per_year": rng.uniform(50e6, 400e6, years + 1),
        "equity_budget_usd_total": rng.uniform(200e6, 1.2e9),
        "loan_to_cost": rng.uniform(0.5, 0.85),
        "tenant_prepayment_usd": rng.uniform(0, 60e6, n),
    }


def _brute_plan(inst: dict) -> tuple[float, np.ndarray]:
    """Every assignment of a start year (or none) to every site; returns the best value and the
    equity by funding year of the best plans' value (for the shadow check, the value only)."""
    value = inst["value_usd"]
    n, years = value.shape
    sched = inst["capex_schedule"]
    k = sched.size
    ltc = inst["loan_to_cost"]
    # equity[i, t, y]: equity drawn in funding year y by site i starting in year t
    equity = np.zeros((n, years, years + k - 1))
    for t in range(years):
        equity[:, t, t : t + k] = inst["capex_usd"][:, t, None] * sched[None, :] * (1 - ltc)
        equity[:, t, t] -= inst["tenant_prepayment_usd"]
    best = 0.0
    for choice in itertools.product(range(-1, years), repeat=n):
        c = np.array(choice)
        on = c >= 0
        v = value[np.flatnonzero(on), c[on]]
        if not (np.isfinite(v).all() and (v > 0).all()):
            continue
        eq = equity[np.flatnonzero(on), c[on]].sum(axis=0)
        if (eq > inst["equity_budget_usd_per_year"]).any() or eq.sum() > inst[
            "equity_budget_usd_total"
        ]:
            continue
        mw_started = np.bincount(c[on], weights=inst["critical_it_mw"][on], minlength=years)
        if (mw_started > inst["mw_cap_per_year"]).any():
            continue
        best = max(best, float(v.sum()))
    return best, equity


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), years=st.integers(1, 3))
def test_plan_equals_brute_force_and_keeps_every_constraint(seed, n, years) -> None:
    inst = _plan_instance(np.random.default_rng(seed), n, years)
    plan = plan_conversions(**inst, budget_increment_usd=100e6)
    best, equity = _brute_plan(inst)
    assert plan.optimal and plan.mip_gap == 0.0
    assert plan.value_usd == pytest.approx(best, rel=1e-9, abs=1.0)
    # every constraint holds in the reported funding curve
    f = plan.funding
    assert len(f) == years + 1
    assert (f["equity_usd"] <= inst["equity_budget_usd_per_year"] + TOL_USD).all()
    assert f["equity_usd"].sum() <= inst["equity_budget_usd_total"] + TOL_USD
    assert (f["critical_it_mw_started"][:years] <= inst["mw_cap_per_year"] + 1e-6).all()
    np.testing.assert_allclose(f["debt_usd"], f["capex_usd"] * inst["loan_to_cost"])
    np.testing.assert_allclose(
        f["equity_usd"], f["capex_usd"] - f["debt_usd"] - f["prepayment_usd"], atol=1e-3
    )
    # the funding curve is the chosen starts' schedules, recomputed by hand
    on = np.flatnonzero(plan.start_year >= 0)
    np.testing.assert_allclose(
        f["equity_usd"], equity[on, plan.start_year[on]].sum(axis=0), atol=1e-3
    )
    assert len(plan.timeline) == on.size
    assert plan.timeline["value_usd"].sum() == pytest.approx(plan.value_usd)
    # another $100M on the total budget, by brute force
    more = dict(inst, equity_budget_usd_total=inst["equity_budget_usd_total"] + 100e6)
    assert plan.shadow_value_usd == pytest.approx(_brute_plan(more)[0] - best, abs=2.0)
    assert plan.shadow_value_usd >= -TOL_USD


def test_shadow_value_by_year_and_per_year_budget_only() -> None:
    # two sites, one plan year, all capex in the start year, no debt: a budget of 100 funds one
    plan = plan_conversions(
        [[50e6], [40e6]],
        [100e6, 100e6],
        loan_to_cost=0.0,
        equity_budget_usd_per_year=100e6,
        shadow_by_year=True,
    )
    assert plan.start_year.tolist() == [0, -1]
    assert plan.value_usd == pytest.approx(50e6)
    assert plan.shadow_value_usd == pytest.approx(40e6)  # $100M more funds the second site
    np.testing.assert_allclose(plan.shadow_value_by_year_usd, [40e6])
    assert plan.funding["equity_usd"].tolist() == [100e6]


def test_default_loan_to_cost_and_prepayment_reduce_equity() -> None:
    plan = plan_conversions([[10e6]], [1e9], (0.5, 0.5), tenant_prepayment_usd=50e6)
    f = plan.funding
    assert DEFAULT_LOAN_TO_COST == 0.80
    np.testing.assert_allclose(f["capex_usd"], [500e6, 500e6])
    np.testing.assert_allclose(f["equity_usd"], [100e6 - 50e6, 100e6])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: choose_sites([1.0, np.nan], [1.0, 1.0], 1.0), "value_usd"),
        (lambda: choose_sites([1.0, 2.0], [1.0, -1.0], 1.0), "capex_usd"),
        (lambda: choose_sites([1.0, 2.0], [1.0, 1.0], -5.0), "budget_usd"),
        (lambda: choose_sites([1.0, 2.0], [1.0, 1.0], 1.0, [1.0, 1.0]), "mw_cap"),
        (lambda: plan_conversions([[1.0]], [1.0], (0.5, 0.4)), "capex_schedule"),
        (lambda: plan_conversions([[1.0]], [1.0], loan_to_cost=1.0), "loan_to_cost"),
        (lambda: plan_conversions([[1.0]], [1.0, 2.0]), "capex_usd"),
        (
            lambda: plan_conversions([[1.0]], [1.0], equity_budget_usd_per_year=[1.0, 2.0, 3.0]),
            "equity_budget_usd_per_year",
        ),
        (lambda: plan_conversions([[1.0]], [1.0], site_ids=["a", "b"]), "site_ids"),
        (lambda: plan_conversions([[1.0]], [1.0], loan_to_cost="high"), "loan_to_cost"),
        (
            lambda: plan_conversions([[1.0]], [1.0], equity_budget_usd_total="lots"),
            "equity_budget_usd_total",
        ),
        (lambda: plan_conversions([[1.0]], [1.0], [1.0], critical_it_mw=[5.0]), "mw_cap_per_year"),
        (lambda: plan_conversions([[1.0]], [1.0], time_limit_s=0), "time_limit_s"),
    ],
)
def test_bad_input_names_the_field(call, field) -> None:
    with pytest.raises(PortfolioInputError, match=field) as info:
        call()
    assert isinstance(info.value, ValuationError) and isinstance(info.value, ValueError)


def test_the_sites_left_out_and_why() -> None:
    # $20M of equity a year at 80% loan-to-cost ($100M of capex), 60 MW of leases a year:
    # a: worth $10M, $100M capex, 50 MW: converts;  b: worth $8M but $150M capex ($30M of
    # equity, over the year's $20M);  c: worth -$1M: nothing to gain;  d: worth $5M, $100M
    # capex: fits alone but a takes the year's budget (one start year);  e: worth $4M, $10M
    # capex, 70 MW: over the 60 MW tenants take.
    plan = plan_conversions(
        [[10e6], [8e6], [-1e6], [5e6], [4e6]], [100e6, 150e6, 50e6, 100e6, 10e6],
        equity_budget_usd_per_year=20e6, critical_it_mw=[50, 10, 10, 10, 70],
        mw_cap_per_year=60.0, site_ids=list("abcde"),
    )  # fmt: skip
    assert list(plan.start_year) == [0, -1, -1, -1, -1]
    why = dict(zip(plan.left_out["site_id"], plan.left_out["reason"], strict=True))
    assert why == {
        "b": LEFT_OUT_REASONS["year"],
        "c": LEFT_OUT_REASONS["worthless"],
        "d": LEFT_OUT_REASONS["elsewhere"],
        "e": LEFT_OUT_REASONS["mw"],
    }
    assert list(plan.left_out["best_value_usd"]) == [8e6, -1e6, 5e6, 4e6]
    # a total budget too small for any start alone; nothing left out without limits
    total = plan_conversions([[10e6], [8e6]], [100e6, 150e6], equity_budget_usd_total=15e6)
    assert set(total.left_out["reason"]) == {LEFT_OUT_REASONS["total"]}
    assert plan_conversions([[10e6], [8e6]], [100e6, 150e6]).left_out.empty
