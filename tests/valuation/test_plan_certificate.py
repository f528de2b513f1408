"""The MW-cap fast path: its knapsack is exact, a plan it returns is optimal (brute force and the
full MILP agree) and feasible, and it gives up (None) rather than return an unproven plan."""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import plan_certificate, portfolio
from valuation.plan_certificate import _YearKnapsack, certified_mw_plan
from valuation.portfolio import plan_conversions


def _brute_knapsack(weight: np.ndarray, profit: np.ndarray, cap: float) -> float:
    n = weight.size
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    ok = masks @ weight <= cap
    return float((masks[ok] @ profit).max())


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_meet_in_the_middle_knapsack_is_exact(seed, n) -> None:
    rng = np.random.default_rng(seed)
    weight = rng.uniform(10, 400, n)
    profit = rng.normal(50, 80, n)
    cap = rng.uniform(0, weight.sum())
    sites = np.arange(n)
    best_k, masks = _YearKnapsack.build(sites, weight, cap).best(profit[:, None])
    best, mask = float(best_k[0]), masks[0]
    assert best == pytest.approx(_brute_knapsack(weight, profit, cap), abs=1e-9)
    chosen = mask > 0.5
    assert weight[chosen].sum() <= cap + 1e-9
    assert profit[chosen].sum() == pytest.approx(best, abs=1e-9)


def test_certified_plan_by_hand() -> None:
    # 1,000 MW a year; 900 + 300 MW do not fit one year. Site 1 (1,200 MW) never fits.
    value = np.array([[10.0, 9.0], [50.0, 49.0], [8.0, 7.5]])
    plan = certified_mw_plan(
        value, np.ones((3, 2), dtype=bool), np.array([900.0, 1200.0, 300.0]), np.full(2, 1e3)
    )
    assert plan is not None and plan.tolist() == [0, -1, 1]
    # a year with no cap takes every start worth more there
    plan = certified_mw_plan(
        value,
        np.ones((3, 2), dtype=bool),
        np.array([900.0, 1200.0, 300.0]),
        np.array([1000.0, np.inf]),
    )
    assert plan is not None and plan.tolist() == [0, 1, 1]


def _brute_mw_plan(value, allowed, mw, cap) -> float:
    n, years = value.shape
    best = 0.0
    for choice in itertools.product(range(-1, years), repeat=n):
        c = np.array(choice)
        on = np.flatnonzero(c >= 0)
        if not allowed[on, c[on]].all() or (value[on, c[on]] <= 0).any():
            continue
        started = np.bincount(c[on], weights=mw[on], minlength=years)
        if (started <= cap).all():
            best = max(best, float(value[on, c[on]].sum()))
    return best


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), years=st.integers(1, 4))
def test_certified_plan_equals_brute_force(seed, n, years) -> None:
    rng = np.random.default_rng(seed)
    value = rng.normal(60.0, 80.0, (n, years))
    allowed = (rng.random((n, years)) > 0.1) & (value > 0)
    mw = rng.uniform(20, 400, n)
    cap = rng.uniform(50, 700, years)
    cap[rng.random(years) < 0.2] = np.inf
    plan = certified_mw_plan(value, allowed, mw, cap)
    best = _brute_mw_plan(value, allowed, mw, cap)
    if plan is None:  # gave up: allowed, never wrong; the MILP solves these
        return
    on = np.flatnonzero(plan >= 0)
    assert allowed[on, plan[on]].all()
    assert (np.bincount(plan[on], weights=mw[on], minlength=years) <= cap + 1e-9).all()
    assert float(value[on, plan[on]].sum()) == pytest.approx(best, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 14), years=st.integers(2, 6))
def test_plan_with_mw_caps_equals_the_full_milp(seed, n, years) -> None:
    """Larger than brute force: the fast path inside plan_conversions against the MILP alone."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(50e6, 3e9, n)
    decay = rng.uniform(0.85, 0.99, n)
    value = base[:, None] * decay[:, None] ** np.arange(years)[None, :]  # worth less later
    value[rng.random((n, years)) < 0.05] = np.nan
    kw = {
        "critical_it_mw": rng.uniform(50, 900, n),
        "mw_cap_per_year": rng.uniform(300, 1500, years),
    }
    fast = plan_conversions(value, np.full(n, 1e9), **kw)
    with mock.patch.object(portfolio, "certified_mw_plan", lambda *a, **k: None):
        slow = plan_conversions(value, np.full(n, 1e9), **kw)
    assert fast.optimal and slow.optimal
    assert fast.value_usd == pytest.approx(slow.value_usd, rel=1e-9, abs=1.0)
    f = fast.funding
    assert (f["critical_it_mw_started"] <= f["mw_cap"] + 1e-6).all()


def test_gives_up_past_its_size_or_time() -> None:
    n = plan_certificate.MAX_SITES_PER_YEAR + 1
    value = np.ones((n, 2))
    allowed = np.ones((n, 2), dtype=bool)
    assert certified_mw_plan(value, allowed, np.full(n, 10.0), np.full(2, 100.0)) is None
    # no time at all: None, and plan_conversions still solves (the MILP) to optimality
    assert (
        certified_mw_plan(value[:5], allowed[:5], np.full(5, 10.0), np.full(2, 25.0), -1.0) is None
    )
    with mock.patch.object(portfolio, "_CERTIFY_TIME_S", -1.0):
        plan = plan_conversions(value[:5] * 1e6, np.full(5, 1e8), critical_it_mw=np.full(5, 10.0),
                                mw_cap_per_year=25.0)  # fmt: skip
    assert plan.optimal and plan.value_usd == pytest.approx(4e6)  # two a year
