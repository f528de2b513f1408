"""The search for a better plan at the solver's time limit: it never returns a worse plan or
one that breaks a row, reaches the optimum on small plans (its last neighbourhood is the whole
plan), and the plan's reported gap stays a proven bound."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import csr_array

from valuation import plan_search, portfolio
from valuation.plan_search import improve_plan
from valuation.portfolio import _plan_constraints, _start_variables, plan_conversions


def _instance(rng: np.random.Generator, n_sites: int, n_years: int) -> dict:
    """A plan with equity budgets per year and in total and an MW cap (amounts in USD, the
    rows in $M as the plan builds them; values in $M)."""
    capex = rng.uniform(100e6, 1.5e9, (n_sites, n_years))
    sched = rng.dirichlet(np.ones(3), (n_sites, n_years))
    prepay = rng.uniform(0.0, 40e6, (n_sites, n_years))  # can exceed the first year's equity
    starts = _start_variables(capex, sched, prepay, 0.8)
    n_funding = starts.n_funding
    mw = rng.uniform(20.0, 250.0, n_sites)
    rows, row_upper, _ = _plan_constraints(
        starts,
        rng.uniform(40e6, 300e6, n_funding),
        np.array(rng.uniform(200e6, 900e6)),
        mw,
        rng.uniform(50.0, 400.0, n_years),
    )
    value = rng.normal(80.0, 120.0, n_sites * n_years)
    return {"value": value, "upper": value > 0, "rows": rows, "row_upper": row_upper,
            "site_of": starts.site_of, "year_of": starts.year_of}  # fmt: skip


def _brute_force_best(inst: dict) -> float:
    """Every assignment of a start year (or none) to every site: the best feasible value."""
    site_of, year_of = inst["site_of"], inst["year_of"]
    n_sites, n_years = int(site_of.max()) + 1, int(year_of.max()) + 1
    dense = inst["rows"].toarray()
    best = 0.0
    for choice in itertools.product(range(-1, n_years), repeat=n_sites):
        c = np.array(choice)
        on = np.flatnonzero(c >= 0)
        idx = on * n_years + c[on]
        if not inst["upper"][idx].all():
            continue
        if (dense[:, idx].sum(axis=1) <= inst["row_upper"] + 1e-6).all():
            best = max(best, float(inst["value"][idx].sum()))
    return best


def _keeps_every_row(inst: dict, x: np.ndarray) -> bool:
    return bool((inst["rows"] @ x.astype(float) <= inst["row_upper"] + 1e-6).all())


def test_improve_plan_by_hand() -> None:
    # two sites, two start years, one budget row of 10: each start draws 6, so only one fits;
    # starting from the worse (site 1 in year 1, worth 2) the search finds site 0 in year 0 (5)
    rows = csr_array(np.array([[1.0, 1, 0, 0], [0, 0, 1, 1], [6, 6, 6, 6]]))
    row_upper = np.array([1.0, 1.0, 10.0])
    site_of, year_of = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    value = np.array([5.0, 4.0, 3.0, 2.0])
    start = np.array([False, False, False, True])
    x, proven = improve_plan(value, np.ones(4, bool), rows, row_upper, site_of, year_of, start,
                             5.0)  # fmt: skip
    assert x.tolist() == [True, False, False, False]
    assert proven  # the last round re-solved the whole (tiny) plan to optimality
    # a plan already at a proven bound is optimal: the search stops at once
    same, _ = improve_plan(value, np.ones(4, bool), rows, row_upper, site_of, year_of, start, 5.0,
                           value_bound=2.0)  # fmt: skip
    assert same.tolist() == start.tolist()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_sites=st.integers(1, 5), n_years=st.integers(1, 4))
def test_never_worse_keeps_every_row_and_reaches_the_optimum(seed, n_sites, n_years) -> None:
    rng = np.random.default_rng(seed)
    inst = _instance(rng, n_sites, n_years)
    # a feasible start: nothing, or one random start kept if it fits
    start = np.zeros(n_sites * n_years, dtype=bool)
    one = int(rng.integers(start.size))
    trial = start.copy()
    trial[one] = inst["upper"][one]
    if _keeps_every_row(inst, trial):
        start = trial
    x, proven = improve_plan(**inst, plan=start, time_limit_s=30.0, seed=int(rng.integers(100)))
    assert proven  # small plans: the search ends by re-solving the whole plan
    assert _keeps_every_row(inst, x)
    assert not (x & ~inst["upper"] & ~start).any()  # only starts that may be chosen
    assert inst["value"][x].sum() >= inst["value"][start].sum() - 1e-9
    # with time, the neighbourhoods grow to the whole plan: the optimum, by brute force
    assert inst["value"][x].sum() == pytest.approx(_brute_force_best(inst), rel=1e-9, abs=1e-6)


def _hard_inputs(n_sites: int = 28, n_years: int = 14) -> dict:
    """``plan_conversions``'s inputs for a plan like the example portfolio at $0.5B a year,
    which HiGHS does not prove in 120 s: values falling 6% a year of delay, capex over three
    years, $400M of equity a year."""
    rng = np.random.default_rng(11)
    value = rng.uniform(200e6, 4e9, (n_sites, 1)) * 0.94 ** np.arange(n_years)
    return {"value_usd": value, "capex_usd": value[:, 0] * rng.uniform(1.2, 2.0, n_sites),
            "capex_schedule": [0.0, 0.3, 0.62, 0.08],
            "equity_budget_usd_per_year": 400e6}  # fmt: skip


def test_at_the_limit_the_plan_improves_and_its_gap_is_a_bound(monkeypatch) -> None:
    # the 28 x 14 hard plan; here HiGHS gets 0.5 s
    n_sites, n_years = 28, 14
    inst = {**_hard_inputs(n_sites, n_years), "budget_increment_usd": 100e6}
    value, capex = inst["value_usd"], inst["capex_usd"]
    calls = []
    real = portfolio.improve_plan

    def spy(value_musd, upper, rows, row_upper, site_of, year_of, plan, *args, **kwargs):
        out, proven = real(value_musd, upper, rows, row_upper, site_of, year_of, plan, *args,
                           **kwargs)  # fmt: skip
        calls.append((value_musd[plan].sum(), value_musd[out].sum(),
                      rows @ out <= row_upper + 1e-6, kwargs["value_bound"]))  # fmt: skip
        return out, proven

    bounds_musd = []
    real_milp = portfolio.milp

    def milp_spy(*args, **kwargs):
        res = real_milp(*args, **kwargs)
        bounds_musd.append(-res.mip_dual_bound)  # the solver maximises -(-value)
        return res

    monkeypatch.setattr(portfolio, "improve_plan", spy)
    monkeypatch.setattr(portfolio, "milp", milp_spy)
    plan = plan_conversions(**inst, time_limit_s=0.5)
    assert not plan.optimal and len(calls) == 2  # stopped at the limit, then searched, twice
    before_musd, after_musd, rows_hold, bound_given = calls[0]
    # never worse (0.5-5% better in review runs; under heavy load the search may get few tries)
    assert after_musd >= before_musd and rows_hold.all() and calls[1][2].all()
    assert bound_given == pytest.approx(bounds_musd[0], rel=1e-12)  # the solver's, passed on
    assert plan.value_usd == pytest.approx(after_musd * 1e6, rel=1e-12)
    assert (plan.funding["equity_usd"] <= 400e6 + 1.0).all()
    # the gap is against a proven bound: above the plan, below the LP relaxation's optimum
    equity = capex[:, None] * 0.2 * np.array([0.0, 0.3, 0.62, 0.08])  # (sites, k)
    n_funding = n_years + 3
    a_budget = np.zeros((n_funding, n_sites * n_years))
    for t in range(n_years):  # start year t draws equity in years t .. t + 3
        a_budget[t : t + 4, np.arange(n_sites) * n_years + t] = equity.T
    a_site = np.kron(np.eye(n_sites), np.ones((1, n_years)))
    lp = linprog(-value.reshape(-1), A_ub=np.vstack([a_site, a_budget]),
                 b_ub=np.concatenate([np.ones(n_sites), np.full(n_funding, 400e6)]),
                 bounds=(0, 1), method="highs")  # fmt: skip
    assert plan.mip_gap > 0
    assert plan.value_usd * (1 + plan.mip_gap) == pytest.approx(bounds_musd[0] * 1e6, rel=1e-9)
    assert bounds_musd[0] * 1e6 <= -lp.fun * (1 + 1e-9)


def test_a_re_solve_that_found_no_plan_starts_from_the_known_one(monkeypatch) -> None:
    # 300 sites over 20 years and 0.1 ms: HiGHS stops before it has a plan or a bound
    inst = _instance(np.random.default_rng(3), 300, 20)
    seen = []
    real_milp = portfolio.milp

    def milp_spy(*args, **kwargs):
        res = real_milp(*args, **kwargs)
        seen.append(res)
        return res

    monkeypatch.setattr(portfolio, "milp", milp_spy)
    known = np.zeros(inst["value"].size, dtype=bool)  # nothing converts: always feasible
    x, gap = portfolio._solve(
        inst["value"], inst["upper"], inst["rows"], inst["row_upper"], 1e-4, False,
        inst["site_of"], inst["year_of"], known,
    )  # fmt: skip
    # the case this test is about: stopped at the limit with no plan and no bound
    assert seen[0].status == 1 and seen[0].x is None and seen[0].mip_dual_bound is None
    assert _keeps_every_row(inst, x) and inst["value"][x].sum() >= 0.0
    assert gap == np.inf  # nothing proven: the gap is unbounded, never 0
    # without a known plan the same stop is an error, named as such
    with pytest.raises(portfolio.PortfolioSolveError, match="not solved to optimality"):
        portfolio._solve(
            inst["value"], inst["upper"], inst["rows"], inst["row_upper"], 1e-4, False,
            inst["site_of"], inst["year_of"],
        )  # fmt: skip


def _hard_plan(n_sites: int = 28, n_years: int = 14) -> dict:
    """The matrices of :func:`_hard_inputs`' plan, as ``plan_conversions`` builds them."""
    inputs = _hard_inputs(n_sites, n_years)
    sched = np.broadcast_to(np.asarray(inputs["capex_schedule"]), (n_sites, n_years, 4))
    starts = _start_variables(np.repeat(inputs["capex_usd"][:, None], n_years, axis=1), sched,
                              np.zeros((n_sites, n_years)), 0.8)  # fmt: skip
    per_year = np.full(starts.n_funding, inputs["equity_budget_usd_per_year"])
    rows, row_upper, _ = _plan_constraints(starts, per_year, None, None, None)
    flat = inputs["value_usd"].reshape(-1) / 1e6
    return {"value": flat, "upper": flat > 0, "rows": rows, "row_upper": row_upper,
            "site_of": starts.site_of, "year_of": starts.year_of}  # fmt: skip


def test_the_search_improves_a_weak_plan_on_a_hard_one() -> None:
    # from converting nothing, two seconds of search on the 28 x 14 plan find a plan worth
    # most of the LP relaxation's bound, every row kept (78% after 0.5 s, 80.7% from 1.5 s on,
    # on a machine as busy as the suite keeps it: the margin is for a busier one)
    inst = _hard_plan()
    start = np.zeros(inst["value"].size, dtype=bool)
    x, proven = improve_plan(**inst, plan=start, time_limit_s=2.0)
    assert _keeps_every_row(inst, x) and not proven
    dense = inst["rows"].toarray()
    lp = linprog(-inst["value"], A_ub=dense, b_ub=inst["row_upper"], bounds=(0, 1),
                 method="highs")  # fmt: skip
    assert 0.75 * -lp.fun < inst["value"][x].sum() <= -lp.fun


def test_a_re_solve_starts_from_the_known_plan_when_it_is_better(monkeypatch) -> None:
    # a good plan (HiGHS 0.5 s and its search) given as known to a 20 ms solve: the search must
    # start from it, not from HiGHS's weaker 20 ms plan
    inst = _hard_plan()
    args = (inst["value"], inst["upper"], inst["rows"], inst["row_upper"])
    good, _ = portfolio._solve(*args, 0.5, False, inst["site_of"], inst["year_of"])
    starts = []
    real = portfolio.improve_plan

    def spy(value_musd, upper, rows, row_upper, site_of, year_of, plan, *rest, **kwargs):
        starts.append(float(value_musd[plan].sum()))
        return real(value_musd, upper, rows, row_upper, site_of, year_of, plan, *rest, **kwargs)

    monkeypatch.setattr(portfolio, "improve_plan", spy)
    x, _ = portfolio._solve(*args, 0.02, False, inst["site_of"], inst["year_of"], good)
    assert starts[0] >= inst["value"][good].sum() - 1e-9
    assert inst["value"][x].sum() >= inst["value"][good].sum() - 1e-9


def test_the_search_stops_only_on_proven_rounds(monkeypatch) -> None:
    # re-solves that find nothing and prove it: the neighbourhoods grow to the whole plan and the
    # search ends at once, proven; re-solves that find nothing but stop at their limit prove
    # nothing: the search runs to its deadline and claims no proof
    inst = _hard_plan(6, 4)
    start = np.zeros(inst["value"].size, dtype=bool)
    rounds = {}
    for proven_miss, ends_early in ((True, True), (False, False)):
        calls = []
        monkeypatch.setattr(plan_search, "_reoptimise",
                            lambda *a, p=proven_miss, c=calls: (c.append(1), (None, p))[1])  # fmt: skip
        t0 = time.perf_counter()
        x, proven = improve_plan(**inst, plan=start, time_limit_s=0.3)
        took_s = time.perf_counter() - t0
        assert (x == start).all() and proven == ends_early
        rounds[ends_early] = len(calls)
        if not ends_early:
            assert took_s >= 0.3  # it ran to its deadline
    # proven misses: one round of re-solves (each window and as many draws), then the stop;
    # unproven ones: round after round until the deadline
    assert 0 < 10 * rounds[True] < rounds[False]  # measured: 6 re-solves against 17,792


@pytest.mark.parametrize(
    ("bound", "found", "gap"),
    [(110.0, 100.0, 0.10), (100.0, 100.0, 0.0), (100.0 + 1e-8, 100.0, 0.0), (np.inf, 100.0, np.inf),
     (np.nan, 100.0, np.inf), (10.0, 0.0, np.inf), (0.0, 0.0, 0.0)],
)  # fmt: skip
def test_relative_gap_by_hand(bound, found, gap) -> None:
    # HiGHS's definition: (bound - found) / found; 0 at the bound (within 1e-9); inf unproven
    assert portfolio._relative_gap(bound, found) == pytest.approx(gap, rel=1e-12)
