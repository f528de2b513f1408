"""The plan's exact pruning: starts that cannot fit a row, and starts another start of the same
site dominates, are dropped before the solve; the optimal value never changes."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_array

from valuation import portfolio
from valuation.portfolio import _dominated_starts, _fit_alone, plan_conversions


def test_fit_alone_by_hand() -> None:
    # one row, limit 10: a start drawing 12 fits only if another group can give back 3 or more
    rows = csr_array(np.array([[12.0, 5.0, -3.0]]))
    upper = np.ones(3, dtype=bool)
    # three groups: 12 - 3 = 9 <= 10, every variable may be 1
    assert _fit_alone(upper, rows, np.array([10.0])).tolist() == [True, True, True]
    # the -3 in the 12's own group (at most one of the two): 12 alone is over the limit
    fits = _fit_alone(upper, rows, np.array([10.0]), np.array([0, 1, 0]))
    assert fits.tolist() == [False, True, True]
    # a variable already fixed at 0 gives nothing back
    assert _fit_alone(np.array([True, True, False]), rows, np.array([10.0])).tolist() == [
        False,
        True,
        False,
    ]
    # over by less than the solver's tolerance: kept for the solver to judge
    assert _fit_alone(upper[:1], csr_array(np.array([[10.0 + 1e-9]])), np.array([10.0]))[0]


def test_dominated_starts_by_hand() -> None:
    # one site, four start years, one row (its draw by start); values and draws:
    value = np.array([5.0, 5.0, 3.0, 6.0])
    draw = np.array([[4.0, 4.0, 4.0, 5.0]])
    dom = _dominated_starts(value, np.ones(4, dtype=bool), csr_array(draw), 1, 4)
    # year 1 ties year 0 (identical start, later), year 2 is worth less for the same draw;
    # year 3 is worth more but draws more: kept
    assert dom.tolist() == [False, True, True, False]
    # no rows at all (no budget): only the best year (the earliest of equals) is kept
    dom = _dominated_starts(value, np.ones(4, dtype=bool), None, 1, 4)
    assert dom.tolist() == [True, True, True, False]
    # a start that is not allowed dominates nothing
    allowed = np.array([True, True, True, False])
    dom = _dominated_starts(value, allowed, None, 1, 4)
    assert dom.tolist() == [False, True, True, False]
    # per-year draws on different rows: neither dominates the other
    two_rows = csr_array(np.array([[4.0, 0.0], [0.0, 4.0]]))
    dom = _dominated_starts(np.array([5.0, 4.0]), np.ones(2, dtype=bool), two_rows, 1, 2)
    assert dom.tolist() == [False, False]


def test_a_start_too_large_for_any_year_is_never_chosen() -> None:
    # site 1 needs 1,200 MW and tenants take 1,000 a year: it cannot start, site 0 starts in
    # year 0 and site 2 in year 1 (the 900 + 300 MW do not fit one year)
    plan = plan_conversions(
        [[10e6, 9e6], [50e6, 49e6], [8e6, 7.5e6]],
        [100e6, 100e6, 100e6],
        critical_it_mw=[900.0, 1200.0, 300.0],
        mw_cap_per_year=1000.0,
    )
    assert plan.start_year.tolist() == [0, -1, 1]
    assert plan.value_usd == pytest.approx(17.5e6)  # 10 + 7.5 beats 8 + 9
    assert plan.optimal


def _instance(rng: np.random.Generator, n: int, years: int) -> dict:
    """Random small plans where pruning has work: capex often the same every year (dominance
    under a total budget), budgets that some starts exceed alone, prepayments that make the
    equity of a start year negative, and some years without a budget."""
    value = rng.normal(80e6, 100e6, (n, years))
    value[rng.random((n, years)) < 0.1] = np.nan
    if rng.random() < 0.5:
        value = np.sort(value, axis=1)[:, ::-1]  # worth less later, as waiting costs
    capex = rng.uniform(100e6, 1.5e9, (n, 1) if rng.random() < 0.5 else (n, years))
    k = int(rng.integers(1, 3))
    per_year = rng.uniform(30e6, 300e6, years + k - 1)
    per_year[rng.random(per_year.size) < 0.2] = np.inf
    inst = {
        "value_usd": value,
        "capex_usd": capex,
        "capex_schedule": rng.dirichlet(np.ones(k)),
        "loan_to_cost": rng.uniform(0.5, 0.85),
        "tenant_prepayment_usd": rng.uniform(0, 150e6, n) if rng.random() < 0.3 else 0.0,
    }
    kind = rng.integers(0, 4)
    if kind in (0, 3):
        inst["equity_budget_usd_per_year"] = per_year
    if kind in (1, 3):
        inst["equity_budget_usd_total"] = rng.uniform(50e6, 1e9)
    if kind in (2, 3) or rng.random() < 0.3:
        inst["critical_it_mw"] = rng.uniform(20, 400, n)
        inst["mw_cap_per_year"] = rng.uniform(50, 500, years)
    return inst


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), years=st.integers(1, 4))
def test_pruned_and_unpruned_plans_have_the_same_value(seed, n, years) -> None:
    inst = _instance(np.random.default_rng(seed), n, years)
    pruned = plan_conversions(**inst)

    def keep_all(upper, rows, row_upper, group_of=None):  # noqa: ANN001, ARG001
        return upper

    def none_dominated(value, allowed, resource_rows, n_sites, n_years):  # noqa: ANN001, ARG001
        return np.zeros(n_sites * n_years, dtype=bool)

    with (
        mock.patch.object(portfolio, "_fit_alone", keep_all),
        mock.patch.object(portfolio, "_dominated_starts", none_dominated),
    ):
        unpruned = plan_conversions(**inst)
    assert pruned.optimal and unpruned.optimal
    assert pruned.value_usd == pytest.approx(unpruned.value_usd, rel=1e-9, abs=1.0)
    if pruned.shadow_value_usd is not None:
        assert pruned.shadow_value_usd == pytest.approx(unpruned.shadow_value_usd, abs=2.0)
    # the pruned plan keeps every limit (its funding curve against the budgets)
    f = pruned.funding
    assert (f["equity_usd"] <= f["equity_budget_usd"] + 1.0).all()
    if "equity_budget_usd_total" in inst:
        assert f["equity_usd"].sum() <= inst["equity_budget_usd_total"] + 1.0
    if "mw_cap_per_year" in inst:
        assert (f["critical_it_mw_started"] <= f["mw_cap"] + 1e-6).all()
