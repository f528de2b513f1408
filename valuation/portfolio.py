"""The portfolio plan: which sites to convert, and in which year, with the money and the tenants
there are. An exact mixed-integer program (scipy.optimize.milp, HiGHS, zero optimality gap), not a
greedy rule.

- :func:`choose_sites` is the single-period core: maximise the value of the chosen sites subject
  to their capex fitting a budget and, optionally, their critical IT MW fitting a cap.
- :func:`plan_conversions` is the multi-year plan: for each site at most one start year, each
  start's capex spread over its schedule years, the equity it draws (capex x (1 - loan-to-cost)
  less the tenant's prepayment) within a budget per year and/or in total, and the critical IT MW
  starting each year (leases signed that year) within what tenants will take. It reports the plan's
  value, the funding curve by year and what another $100M of equity budget would be worth (by
  re-solving; a step, not a derivative, because the problem is integer).

Values are the caller's: the Monte Carlo mean of each site's incremental value of converting in
each start year over its best path that does not convert, in USD at the valuation date. A start
whose value is not positive is never chosen. Amounts are nominal USD by plan year.

The formulation: one binary per (site, start year), at most one per site, one row per budgeted
funding year, per total budget and per capped start year. Before the solve, exact pruning drops
starts that cannot fit a row even alone (:func:`_fit_alone`) and starts another start of the
same site dominates (:func:`_dominated_starts`); each has its proof in its docstring. With MW
caps and no budget, :func:`valuation.plan_certificate.certified_mw_plan` first tries the
configuration LP, whose Lagrangian bound proves its plan optimal (the 28 example sites at 1,000
MW a year: 0.7 s, where HiGHS alone stopped at 10 s with a 0.3% gap); when it cannot prove one,
the MILP solves. Tried and not kept (measured on the 28 sites, 2026-11-30): cumulative
start-by variables (a unimodular change of variables: the same LP bound, and HiGHS's bound
after 20 s was worse), redundant cumulative budget rows, HiGHS without presolve, and CP-SAT
(OR-Tools 9.15; no proof in 20 s either). Per-year equity budgets remain hard: capex spread over
two to three years ties the start years together, and the configuration LP over start-year
cohorts is no tighter than the plain LP there (41,444.7 against 41,445.3 $M at $2B a year).
Also tried (same day) on the exact models of the two per-year cases of
benchmarks/bench_plan.py ($2B a year; $1.5B a year with 1,000 MW a year): HiGHS 1.16 through
highspy, then the latest release (proves $2B a year in 15-23 s against scipy's 20 s; the other
case still 0.53% from proof after 150 s) and a dozen of its settings (symmetry detection,
heuristic effort, pseudo-cost reliability, LP ageing, seeds: none proves either case in 20 s);
given the optimal plan as its start, HiGHS still needs 11 s to prove it, so the time is the
proof, not the search; a per-funding-year Lagrangian decomposition (each year an exact
knapsack, by column generation) closes only two thirds of the LP gap at $2B a year after
1,500 s (bound 41,357.2 against the optimum 41,312.2 and the LP's 41,445.3 $M). SCIP 10.0
(PySCIPOpt 6.3) proves $2B a year in 20.8 s. A budget whose unspent equity carries forward
(cumulative rows in place of per-year ones) is not the way out either: scipy's HiGHS proves
that model in 12.6 s where it proves the per-year one in 15.9 s (2026-12-01). For scale, not
as a dependency (a commercial solver; its pip wheel's licence is for non-production use), Gurobi
13.0.3 on this machine's two cores (2026-12-01): $2B a year proven in 2.2 s (the same optimum,
$41,312.2M; 11,250 nodes), $1.5B a year 3.4 s, $1.5B a year with 1,000 MW a year 21.1 s
($34,013.6M), $1B a year still 1.4% from proof after 60 s, $0.5B a year 2.2% after 30 s: a proof
in under a second for binding per-year budgets is beyond the best solver we could measure, not
only HiGHS.

When HiGHS stops at its time limit, :mod:`valuation.plan_search` improves its best plan by exact
re-solves of small neighbourhoods before the plan is reported with the solver's proven gap:
tighter budgets leave HiGHS's plan further from the best. On the 28 sites at 5 s a solve
(2026-12-01), $1B a year: HiGHS's plan $28.3B with its own proven gap 5.3%, the search's plan
$29.0B, reported with a 2.75% gap; $0.5B a year: HiGHS's plan $12.56B (gap 11.9%), the
search's $12.85B (9.4%).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, vstack

from valuation.errors import ValuationError
from valuation.plan_certificate import certified_mw_plan
from valuation.plan_search import improve_plan, reaches

__all__ = [
    "PortfolioInputError",
    "PortfolioSolveError",
    "DEFAULT_LOAN_TO_COST",
    "DEFAULT_TENANT_PREPAYMENT_USD",
    "choose_sites",
    "PortfolioPlan",
    "plan_conversions",
    "MAX_SITES",
    "MAX_YEARS",
    "LEFT_OUT_REASONS",
    "SEARCH_SHARE",
]

# Project debt at 80% loan-to-cost: Galaxy's Helios Phase-1 project loan, $1.4B at 80% LTC
# (Deutsche Bank, Aug 15 2025, bitxjournal.com/?p=17632); Hut 8's River Bend financing is "up to
# 85% loan-to-cost" (Dec 17 2025, dcpulse.com). Both as compiled in the team's hosting fact sheet
# of 2026-11-29; 80% is the lower, confirmed figure.
DEFAULT_LOAN_TO_COST = 0.80
# Assumption: no tenant prepayment. The colocation leases in the fact sheet (2026-11-29) report
# none; Microsoft's 20% prepayment to IREN (Nov 3 2025) was for a GPU cloud contract including the
# GPUs, not comparable with a powered-shell or colocation lease.
DEFAULT_TENANT_PREPAYMENT_USD = 0.0

MAX_SITES = 2_000
MAX_YEARS = 60
_SCALE_USD = 1e6  # the solver works in $M so its tolerances are far below a dollar
_SOLVER_OPTIONS = {"mip_rel_gap": 0.0, "time_limit": 60.0}
_CERTIFY_TIME_S = 3.0  # the MW-cap fast path gives up (to the MILP) after this
# When HiGHS stops at its time limit on the multi-year plan, the neighbourhood search gets up to
# this share of that limit more (on the 28 example sites it usually uses all of it). At $0.5B,
# $1B, $1.5B and $2B of equity a year (2026-12-01, two runs), 5 s of HiGHS and 2 s of search
# gave plans worth 0.4-3.6%, 0.8-2.2%, 0.27% and 0.20% more than 7 s of HiGHS alone; how much
# depends on the plan HiGHS hands over, which varies from run to run (benchmarks/bench_plan.py).
SEARCH_SHARE = 0.4


class PortfolioInputError(ValuationError, ValueError):
    """A portfolio-plan input has the wrong shape or value."""


class PortfolioSolveError(ValuationError, RuntimeError):
    """The solver did not prove an optimal plan (time limit or a numerical failure)."""


def _array(value: Any, name: str, *, allow_nan: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise PortfolioInputError(f"{name} must be numeric; got {type(value).__name__}") from exc
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise PortfolioInputError(
            f"{name} has the value {arr[pos]!r} at index {pos}; allowed finite numbers"
            + (" (nan: not allowed)" if allow_nan else "")
        )
    return arr


def _non_negative(arr: np.ndarray, name: str) -> None:
    if (arr < 0).any():
        pos = tuple(int(i) for i in np.argwhere(arr < 0)[0])
        raise PortfolioInputError(
            f"{name} has the value {arr[pos]!r} at index {pos}; allowed 0 or more"
        )


def _shaped(arr: np.ndarray, name: str, shape: tuple[int, ...], allowed: str) -> np.ndarray:
    try:
        return np.broadcast_to(arr, shape).copy()
    except ValueError as exc:
        raise PortfolioInputError(f"{name} has shape {arr.shape}; allowed {allowed}") from exc


def _fit_alone(
    upper: np.ndarray, rows: Any, row_upper: np.ndarray, group_of: np.ndarray | None = None
) -> np.ndarray:
    """Which variables may be 1 in some feasible solution of ``rows @ x <= row_upper``, as far
    as one row at a time tells (``upper`` and-ed with that).

    Variable ``j`` in row ``r`` needs ``a[r, j] + m[r] <= row_upper[r]``, where ``m[r]`` is the
    least the other variables allowed by ``upper`` can add to row ``r``: the sum over the other
    groups of ``min(0, least a[r, k] of the group's allowed variables)``. ``group_of`` names
    each variable's group, a set of which at most one variable is 1 (the plan's sites, held to
    one start by their own rows); None: every variable is its own group.

    Proof: a solution with ``x[j] = 1`` adds to row ``r`` ``a[r, j]``, no other variable of
    ``j``'s group, and at most one allowed variable of each other group, which adds at least
    the group's minimum or, if none is chosen, nothing. So the row's activity is at least
    ``a[r, j] + m[r]``; where that exceeds ``row_upper[r]`` no feasible solution has ``x[j] =
    1``. A variable is dropped only when it is over by more than 1e-6 (relative, for limits
    over 1), above the solver's feasibility tolerance, so the solver rejects it too: the
    optimum is unchanged.
    """
    if rows is None:
        return upper
    a = rows.tocoo() if hasattr(rows, "tocoo") else coo_array(np.asarray(rows))
    on = upper[a.col] & (a.data != 0)
    r, c, v = a.row[on], a.col[on], a.data[on]
    groups = np.arange(upper.size) if group_of is None else group_of
    g = groups[c]
    # each group's least (most negative) coefficient in each row, 0 if none is negative
    neg = v < 0
    key = r[neg].astype(np.int64) * (int(groups.max()) + 1) + g[neg]
    uniq, inv = np.unique(key, return_inverse=True)
    group_min = np.zeros(uniq.size)
    np.minimum.at(group_min, inv, v[neg])
    m = np.zeros(a.shape[0])
    np.add.at(m, uniq // (int(groups.max()) + 1), group_min)
    own = np.zeros(r.size)  # j's own group's minimum in row r, not counted for j
    if uniq.size:
        k = r.astype(np.int64) * (int(groups.max()) + 1) + g
        pos = np.searchsorted(uniq, k)
        hit = (pos < uniq.size) & (uniq[np.minimum(pos, uniq.size - 1)] == k)
        own[hit] = group_min[pos[hit]]
    lhs = v + m[r] - own
    limit = row_upper[r]
    over = lhs > limit + 1e-6 * np.maximum(1.0, np.abs(limit))
    fits = upper.copy()
    fits[c[over]] = False
    return fits


def _solve(
    value: np.ndarray,
    upper: np.ndarray,
    rows: Any,
    row_upper: np.ndarray,
    time_limit_s: float = 60.0,
    require_optimal: bool = True,
    group_of: np.ndarray | None = None,
    year_of: np.ndarray | None = None,
    known_plan: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Maximise value @ x over binary x <= upper subject to rows @ x <= row_upper.

    Variables that cannot fit their rows in any solution are fixed at 0 first
    (:func:`_fit_alone`, exact). Returns the solution and its proven relative optimality gap
    (0 when optimal). At the time limit, unless ``require_optimal``, the multi-year plan
    (``group_of`` and ``year_of`` given) is improved by :func:`valuation.plan_search.improve_plan`
    for up to ``SEARCH_SHARE`` of that time more, from the better of HiGHS's plan and
    ``known_plan`` (a feasible plan, e.g. the base plan for a budget re-solve); the gap is the
    solver's proven bound against the improved plan (0 when the search reaches that bound or
    re-solves the whole plan to optimality; inf when the solver had proven no bound or the plan
    is worth nothing). With no plan from HiGHS nor a known one, PortfolioSolveError.
    """
    n = value.size
    upper = _fit_alone(upper, rows, row_upper, group_of)
    if not upper.any():
        return np.zeros(n, dtype=bool), 0.0
    constraints = [] if rows is None else [LinearConstraint(rows, -np.inf, row_upper)]
    res = milp(
        -value,
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), upper.astype(float)),
        constraints=constraints,
        options={**_SOLVER_OPTIONS, "time_limit": float(time_limit_s)},
    )
    x = None if res.x is None else np.round(res.x) > 0.5
    if res.status == 0 and x is not None:
        return x, 0.0
    at_limit = res.status == 1 and not require_optimal
    if (
        at_limit
        and known_plan is not None
        and (x is None or value[known_plan].sum() > value[x].sum())
    ):
        x = known_plan.copy()  # feasible: it kept limits no larger than these
    if x is None or not at_limit or group_of is None or year_of is None:
        raise PortfolioSolveError(f"the plan was not solved to optimality: {res.message}")
    # milp minimises -value: its dual bound, negated, is a proven upper bound on the value
    dual = getattr(res, "mip_dual_bound", None)  # None when HiGHS stopped before proving one
    bound = -float(dual) if dual is not None and np.isfinite(dual) else np.inf
    x, proven = improve_plan(
        value, upper, rows, row_upper, group_of, year_of, x,
        SEARCH_SHARE * float(time_limit_s), value_bound=bound,
    )  # fmt: skip
    return x, 0.0 if proven else _relative_gap(bound, float(value[x].sum()))


def _relative_gap(bound: float, found: float) -> float:
    """How far ``found`` may be below the best value, as a share of ``found`` (HiGHS's
    definition): 0 when it reaches the proven ``bound``, inf when nothing is proven or it is
    worth nothing while the bound is above it."""
    if reaches(found, bound):
        return 0.0
    if not np.isfinite(bound) or found <= 0:
        return np.inf
    return (bound - found) / found


def choose_sites(
    value_usd: Any,
    capex_usd: Any,
    budget_usd: float,
    critical_it_mw: Any = None,
    mw_cap: float | None = None,
) -> np.ndarray:
    """Which sites to convert now, exactly (HiGHS branch and bound, zero gap).

    Maximises the sum of ``value_usd`` over the chosen sites with the chosen ``capex_usd`` summing
    to at most ``budget_usd`` and, when both are given, the chosen ``critical_it_mw`` to at most
    ``mw_cap``: a 0-1 knapsack solved as a mixed-integer program.

    Parameters
    ----------
    value_usd : array_like
        (sites,) finite value of converting each site, USD (a site worth nothing or less is never
        chosen).
    capex_usd : array_like
        (sites,) capex of each conversion, USD, >= 0.
    budget_usd : float
        Capex budget, USD, >= 0 (``numpy.inf`` for no budget).
    critical_it_mw : array_like, optional
        (sites,) critical IT MW of each conversion, >= 0; with ``mw_cap``.
    mw_cap : float, optional
        Most critical IT MW tenants will take, >= 0; with ``critical_it_mw``.

    Returns
    -------
    numpy.ndarray
        (sites,) boolean mask of the sites to convert.

    References
    ----------
    .. [1] SciPy ``scipy.optimize.milp`` (HiGHS), https://docs.scipy.org/doc/scipy/reference/generated/scipy.optimize.milp.html

    Examples
    --------
    $110M of budget: the two smaller sites ($11M together) beat the largest alone ($10M):

    >>> from valuation.portfolio import choose_sites
    >>> choose_sites([10e6, 6e6, 5e6], [100e6, 60e6, 50e6], budget_usd=110e6)
    array([False,  True,  True])
    """
    value = _array(value_usd, "value_usd")
    if value.ndim != 1 or not 1 <= value.size <= MAX_SITES:
        raise PortfolioInputError(
            f"value_usd has shape {value.shape}; allowed (sites,) with 1 to {MAX_SITES:,} sites"
        )
    n = value.size
    capex = _array(capex_usd, "capex_usd")
    if capex.shape != (n,):
        raise PortfolioInputError(f"capex_usd has shape {capex.shape}; allowed ({n},)")
    _non_negative(capex, "capex_usd")
    try:
        budget = float(budget_usd)
    except (TypeError, ValueError) as exc:
        raise PortfolioInputError(f"budget_usd must be a number; got {budget_usd!r}") from exc
    if np.isnan(budget) or budget < 0:
        raise PortfolioInputError(f"budget_usd is {budget_usd!r}; allowed 0 or more (inf: none)")
    if (critical_it_mw is None) != (mw_cap is None):
        raise PortfolioInputError(
            "critical_it_mw and mw_cap must be given together; "
            f"got critical_it_mw={'set' if critical_it_mw is not None else None}, mw_cap={mw_cap!r}"
        )
    rows, limits = [], []
    if np.isfinite(budget):
        rows.append(capex[None, :] / _SCALE_USD)
        limits.append(budget / _SCALE_USD)
    if critical_it_mw is not None:
        mw = _array(critical_it_mw, "critical_it_mw")
        if mw.shape != (n,):
            raise PortfolioInputError(f"critical_it_mw has shape {mw.shape}; allowed ({n},)")
        _non_negative(mw, "critical_it_mw")
        try:
            cap = float(mw_cap)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise PortfolioInputError(f"mw_cap must be a number; got {mw_cap!r}") from exc
        if np.isnan(cap) or cap < 0:
            raise PortfolioInputError(f"mw_cap is {mw_cap!r}; allowed 0 or more (inf: none)")
        if np.isfinite(cap):
            rows.append(mw[None, :])
            limits.append(cap)
    a = np.vstack(rows) if rows else None
    return _solve(value / _SCALE_USD, value > 0, a, np.array(limits))[0]


@dataclass(frozen=True)
class PortfolioPlan:
    """The multi-year conversion plan.

    ``start_year`` (sites,) the chosen start-year index (0 = first plan year), -1 where the site
    does not convert; ``value_usd`` the plan's value (sum of the chosen starts' values);
    ``timeline`` one row per converting site (site_id, start_year, value_usd, capex_usd,
    equity_usd, critical_it_mw); ``funding`` one row per funding year (capex_usd, debt_usd,
    prepayment_usd, equity_usd, equity_budget_usd, critical_it_mw_started, mw_cap); the shadow
    values are the plan's gain from ``budget_increment_usd`` more equity: ``shadow_value_usd`` on
    the total budget when one is set, else in every year's budget; ``shadow_value_by_year_usd``
    (funding years,) in one year's budget at a time (only when asked for). ``optimal`` says the
    solver proved the plan optimal (else ``mip_gap`` bounds its relative shortfall);
    ``shadow_optimal`` the same for the re-solves. ``left_out`` one row per site that does not
    convert (site_id, best_value_usd: its best start's value, USD; reason: one of
    :data:`LEFT_OUT_REASONS`' texts).
    """

    start_year: np.ndarray
    value_usd: float
    timeline: pd.DataFrame
    funding: pd.DataFrame
    budget_increment_usd: float
    shadow_value_usd: float | None
    shadow_value_by_year_usd: np.ndarray | None
    optimal: bool = True
    mip_gap: float = 0.0
    shadow_optimal: bool = True
    left_out: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["site_id", "best_value_usd", "reason"])
    )


# Why a site does not convert, checked in this order: the first that holds is its reason.
LEFT_OUT_REASONS = {
    "worthless": "no start year is worth converting",
    "year": "every start needs more equity in some year than the budget per year",
    "total": "every start needs more equity than the budget in total",
    "mw": "its critical IT MW are more than tenants take in a year",
    "together": "no start fits the limits together",
    "elsewhere": "the limits go further on other sites",
}


def _left_out(
    value: np.ndarray,
    x: np.ndarray,
    starts: _StartVariables,
    rows: Any,
    row_upper: np.ndarray,
    budget_rows: list[tuple[str, int]],
    ids: list[str],
) -> pd.DataFrame:
    """The sites the plan ``x`` leaves out, each with its best start's value and why
    (:data:`LEFT_OUT_REASONS`): a start fits a limit when it can be 1 under that limit's rows
    alone (:func:`_fit_alone`, the solver's own pruning)."""
    n_sites = starts.n_sites
    positive = np.isfinite(value) & (value > 0)
    kind_of_row = np.full(rows.shape[0], "mw", dtype=object)
    kind_of_row[:n_sites] = "site"
    for kind, row in budget_rows:
        kind_of_row[row] = kind
    fits = {"together": _fit_alone(positive, rows[n_sites:], row_upper[n_sites:], starts.site_of)}
    for kind in ("year", "total", "mw"):
        sel = np.flatnonzero(kind_of_row == kind)
        fits[kind] = _fit_alone(positive, rows[sel], row_upper[sel], starts.site_of)

    def any_by_site(mask: np.ndarray) -> np.ndarray:
        return np.bincount(starts.site_of, weights=mask, minlength=n_sites) > 0

    converting = any_by_site(x)
    best = np.full(n_sites, -np.inf)
    np.maximum.at(best, starts.site_of, np.where(np.isfinite(value), value, -np.inf))
    reason = np.full(n_sites, "elsewhere", dtype=object)
    for kind in ("together", "mw", "total", "year", "worthless"):  # the last set wins
        fails = ~any_by_site(positive) if kind == "worthless" else ~any_by_site(fits[kind])
        reason[fails] = kind
    out = np.flatnonzero(~converting)
    return pd.DataFrame({
        "site_id": [ids[i] for i in out],
        "best_value_usd": np.where(np.isfinite(best[out]), best[out], np.nan),
        "reason": [LEFT_OUT_REASONS[k] for k in reason[out]],
    })  # fmt: skip


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise PortfolioInputError(f"{name} must be a number; got {value!r}") from exc


def _budget(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray | None:
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or np.isnan(arr).any():
        raise PortfolioInputError(f"{name} is {value!r}; allowed numbers 0 or more (inf: none)")
    _non_negative(arr, name)
    return _shaped(arr, name, shape, f"a number or {shape}")


def plan_conversions(
    value_usd: Any,
    capex_usd: Any,
    capex_schedule: Sequence[float] | np.ndarray = (1.0,),
    *,
    equity_budget_usd_per_year: Any = None,
    equity_budget_usd_total: float | None = None,
    critical_it_mw: Any = None,
    mw_cap_per_year: Any = None,
    loan_to_cost: float = DEFAULT_LOAN_TO_COST,
    tenant_prepayment_usd: Any = DEFAULT_TENANT_PREPAYMENT_USD,
    site_ids: Sequence[str] | None = None,
    budget_increment_usd: float = 100e6,
    shadow_by_year: bool = False,
    time_limit_s: float = 10.0,
) -> PortfolioPlan:
    """Choose for each site at most one start year, maximising the plan's value. Exact.

    Each start's capex is spread over its schedule years; the equity it draws (capex x (1 -
    loan-to-cost) less the tenant's prepayment) must fit a budget per year and/or in total, and the
    critical IT MW starting each year must fit what tenants will take. The plan's gain from
    ``budget_increment_usd`` more equity is found by re-solving (a step, not a derivative: the
    problem is integer).

    Parameters
    ----------
    value_usd : array_like
        (sites, years): the value of starting the conversion in each plan year, USD at the
        valuation date; nan where that start is not possible.
    capex_usd : array_like
        (sites,) or (sites, years): the capex of a start in each year, USD, >= 0.
    capex_schedule : array_like, default (1.0,)
        (k,), (sites, k) or (sites, years, k): the share of the capex spent in the start year
        and the k - 1 years after (per site, or per site and start year); >= 0, summing to 1.
        Funding years are years + k - 1.
    equity_budget_usd_per_year : float or array_like, optional
        Equity the company can fund each funding year, USD (a number or (funding years,)).
    equity_budget_usd_total : float, optional
        Equity over the whole plan, USD. Both None: no budget.
    critical_it_mw : array_like, optional
        (sites,) critical IT MW of each conversion; with ``mw_cap_per_year``.
    mw_cap_per_year : float or array_like, optional
        Critical IT MW whose leases may start each year (a number or (years,)).
    loan_to_cost : float, default 0.80
        Share of each year's capex project debt funds, in [0, 1) (Galaxy Helios, 2025).
    tenant_prepayment_usd : float or array_like, default 0.0
        Received in the start year, it reduces the equity drawn (a number, (sites,) or (sites,
        years)); 0 is an assumption.
    site_ids : sequence of str, optional
        Names for the timeline (default 0, 1, ...).
    budget_increment_usd : float, default 100e6
        The extra equity whose value the plan reports.
    shadow_by_year : bool, default False
        Also value the increment in each funding year's budget alone (one re-solve a year).
    time_limit_s : float, default 10.0
        Per solve (with MW caps and no budget, the certified fast path's time included). At the
        limit, a neighbourhood search (:mod:`valuation.plan_search`) improves the best plan
        found for up to ``SEARCH_SHARE`` of this time more, and that plan is returned with its
        proven ``mip_gap`` (``optimal`` False unless the search proved it optimal; inf when
        nothing was proven). PortfolioSolveError when the solver found no plan in the time.

    Returns
    -------
    PortfolioPlan
        ``start_year`` (sites,) (-1: not converted), ``value_usd``, ``timeline`` (one row per
        converting site), ``funding`` (one row per funding year: capex, debt, prepayment and
        equity in USD, budgets, MW), ``shadow_value_usd`` and the solver's ``optimal`` and
        ``mip_gap``.

    References
    ----------
    .. [1] SciPy ``scipy.optimize.milp`` (HiGHS), https://docs.scipy.org/doc/scipy/reference/generated/scipy.optimize.milp.html

    Examples
    --------
    Three sites over two start years with $25M of equity a year at 80% loan-to-cost: site 0 goes
    first, sites 1 and 2 wait a year (their value falls a little for it):

    >>> from valuation.portfolio import plan_conversions
    >>> plan = plan_conversions(
    ...     [[10e6, 9e6], [6e6, 5.5e6], [5e6, 4.8e6]],  # value by start year, USD
    ...     [100e6, 60e6, 50e6],  # capex, USD
    ...     equity_budget_usd_per_year=25e6,
    ... )
    >>> plan.start_year, plan.value_usd, plan.shadow_value_usd
    (array([0, 1, 1]), 20300000.0, 700000.0)
    >>> plan.funding[["year", "capex_usd", "debt_usd", "equity_usd"]]
       year    capex_usd    debt_usd  equity_usd
    0     0  100000000.0  80000000.0  20000000.0
    1     1  110000000.0  88000000.0  22000000.0
    """
    value = _value_by_start_usd(value_usd)
    n_sites, n_years = value.shape
    capex = _per_site_year(capex_usd, "capex_usd", n_sites, n_years, f"({n_sites},)")
    sched = _capex_schedule_shares(capex_schedule, n_sites, n_years)
    k = sched.shape[2]
    n_funding = n_years + k - 1
    ltc = _loan_to_cost(loan_to_cost)
    prepay = _per_site_year(
        tenant_prepayment_usd, "tenant_prepayment_usd", n_sites, n_years, f"a number, ({n_sites},)"
    )
    per_year = _budget(equity_budget_usd_per_year, "equity_budget_usd_per_year", (n_funding,))
    total = _budget(equity_budget_usd_total, "equity_budget_usd_total", ())
    mw, mw_cap = _site_mw_and_caps(critical_it_mw, mw_cap_per_year, n_sites, n_years)
    tl, inc = _solver_limits(time_limit_s, budget_increment_usd)
    ids = _site_id_list(site_ids, n_sites)
    starts = _start_variables(capex, sched, prepay, ltc)
    a_all, b_all, budget_rows = _plan_constraints(starts, per_year, total, mw, mw_cap)
    flat_value = value.reshape(-1)
    allowed = np.isfinite(flat_value) & (flat_value > 0)
    obj = np.where(allowed, flat_value, 0.0) / _SCALE_USD
    # exact: a dominated start is never needed (the docstring's proof); compared in USD
    value_or_0 = np.where(allowed, flat_value, 0.0)
    allowed &= ~_dominated_starts(value_or_0, allowed, a_all[n_sites:], n_sites, n_years)

    gaps: list[float] = []

    def solve(extra: np.ndarray | None = None, known: np.ndarray | None = None) -> np.ndarray:
        """The plan under the budgets ``b_all + extra``; ``known`` a plan feasible there."""
        b = b_all if extra is None else b_all + extra
        search = (starts.site_of, starts.year_of, known)
        if not budget_rows and mw is not None and mw_cap is not None:
            # MW caps only: the configuration LP's certificate, exact, often far faster
            t0 = time.perf_counter()
            years = certified_mw_plan(
                obj.reshape(n_sites, n_years), allowed.reshape(n_sites, n_years), mw, mw_cap,
                min(_CERTIFY_TIME_S, tl / 2),
            )  # fmt: skip
            if years is not None:
                gaps.append(0.0)
                xs = np.zeros(obj.size, dtype=bool)
                on = np.flatnonzero(years >= 0)
                xs[on * n_years + years[on]] = True
                return xs
            tl_left = max(tl - (time.perf_counter() - t0), 0.1 * tl)
            xs, gap = _solve(obj, allowed, a_all, b, tl_left, False, *search)
            gaps.append(gap)
            return xs
        xs, gap = _solve(obj, allowed, a_all, b, tl, False, *search)
        gaps.append(gap)
        return xs

    x = solve()
    plan_gap = gaps[0]
    plan_value = float(flat_value[x].sum()) if x.any() else 0.0

    def gain_usd(extra: np.ndarray) -> float:
        # the plan stays feasible with more budget: at a time limit keep the better of the two
        return max(float(flat_value[solve(extra, x)].sum()), plan_value) - plan_value

    shadow, shadow_by_year_value = _shadow_values_usd(
        gain_usd, b_all, budget_rows, inc, per_year if shadow_by_year else None, n_funding
    )
    chosen = np.flatnonzero(x)
    start_year = np.full(n_sites, -1, dtype=np.int64)
    start_year[starts.site_of[chosen]] = starts.year_of[chosen]
    return PortfolioPlan(
        start_year=start_year,
        value_usd=plan_value,
        timeline=_plan_timeline(starts, chosen, ids, flat_value, capex, mw),
        funding=_plan_funding(starts, chosen, ltc, per_year, mw, mw_cap),
        budget_increment_usd=inc,
        shadow_value_usd=shadow,
        shadow_value_by_year_usd=shadow_by_year_value,
        optimal=plan_gap == 0.0,
        mip_gap=plan_gap,
        shadow_optimal=all(g == 0.0 for g in gaps[1:]),
        left_out=_left_out(flat_value, x, starts, a_all, b_all, budget_rows, ids),
    )


def _loan_to_cost(loan_to_cost: Any) -> float:
    """The share of capex project debt funds, in [0, 1)."""
    ltc = _number(loan_to_cost, "loan_to_cost")
    if not (np.isfinite(ltc) and 0 <= ltc < 1):
        raise PortfolioInputError(f"loan_to_cost is {loan_to_cost!r}; allowed [0, 1)")
    return ltc


def _site_id_list(site_ids: Sequence[str] | None, n_sites: int) -> list[str]:
    """The sites' ids as text, one per site (0, 1, ... when not given)."""
    ids = [str(i) for i in site_ids] if site_ids is not None else [str(i) for i in range(n_sites)]
    if len(ids) != n_sites:
        raise PortfolioInputError(f"site_ids has {len(ids)} ids; allowed {n_sites}")
    return ids


def _value_by_start_usd(value_usd: Any) -> np.ndarray:
    """The value (USD) of each (site, start year), nan where that start is not possible."""
    value = _array(value_usd, "value_usd", allow_nan=True)
    if (
        value.ndim != 2
        or not 1 <= value.shape[0] <= MAX_SITES
        or not 1 <= value.shape[1] <= MAX_YEARS
    ):
        raise PortfolioInputError(
            f"value_usd has shape {value.shape}; allowed (sites, years) with 1 to {MAX_SITES:,} "
            f"sites and 1 to {MAX_YEARS} years"
        )
    return value


def _per_site_year(
    value: Any, name: str, n_sites: int, n_years: int, allowed_shapes: str
) -> np.ndarray:
    """An amount (USD, 0 or more) given per site or per (site, start year), as (sites, years)."""
    arr = _array(value, name)
    arr = _shaped(
        arr if arr.ndim != 1 else arr[:, None],
        name,
        (n_sites, n_years),
        f"{allowed_shapes} or ({n_sites}, {n_years})",
    )
    _non_negative(arr, name)
    return arr


def _capex_schedule_shares(capex_schedule: Any, n_sites: int, n_years: int) -> np.ndarray:
    """The capex shares (sites, years, k) spent in the start year and the k - 1 years after,
    per site and start year; each 0 or more, summing to 1."""
    sched = _array(capex_schedule, "capex_schedule")
    if sched.ndim == 1:
        sched = np.broadcast_to(sched, (n_sites, sched.size))
    if sched.ndim == 2:  # one schedule per site, the same for every start year
        sched = np.broadcast_to(sched[:, None, :], (sched.shape[0], n_years, sched.shape[1]))
    if (
        sched.ndim != 3
        or sched.shape[:2] != (n_sites, n_years)
        or not 1 <= sched.shape[2] <= MAX_YEARS
    ):
        raise PortfolioInputError(
            f"capex_schedule has shape {sched.shape}; allowed (k,), ({n_sites}, k) or "
            f"({n_sites}, {n_years}, k), k from 1 to {MAX_YEARS}"
        )
    _non_negative(sched, "capex_schedule")
    sums = sched.sum(axis=2)
    if not np.allclose(sums, 1.0, atol=1e-9):
        bad = np.unravel_index(int(np.argmax(np.abs(sums - 1.0))), sums.shape)
        raise PortfolioInputError(
            f"capex_schedule of site {bad[0]}, start year {bad[1]} sums to {sums[bad]!r}; "
            "allowed shares summing to 1"
        )
    return sched


def _site_mw_and_caps(
    critical_it_mw: Any, mw_cap_per_year: Any, n_sites: int, n_years: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Critical IT MW per site (sites,) and the MW tenants take per start year (years,), or
    both None."""
    if (critical_it_mw is None) != (mw_cap_per_year is None):
        raise PortfolioInputError("critical_it_mw and mw_cap_per_year must be given together")
    if critical_it_mw is None:
        return None, None
    mw = _array(critical_it_mw, "critical_it_mw")
    if mw.shape != (n_sites,):
        raise PortfolioInputError(f"critical_it_mw has shape {mw.shape}; allowed ({n_sites},)")
    _non_negative(mw, "critical_it_mw")
    return mw, _budget(mw_cap_per_year, "mw_cap_per_year", (n_years,))


def _solver_limits(time_limit_s: Any, budget_increment_usd: Any) -> tuple[float, float]:
    """The per-solve time limit (s, in (0, 3600]) and the shadow step (USD, > 0)."""
    tl = _number(time_limit_s, "time_limit_s")
    if not (np.isfinite(tl) and 0 < tl <= 3600):
        raise PortfolioInputError(f"time_limit_s is {time_limit_s!r}; allowed (0, 3600]")
    inc = _number(budget_increment_usd, "budget_increment_usd")
    if not (np.isfinite(inc) and inc > 0):
        raise PortfolioInputError(f"budget_increment_usd is {budget_increment_usd!r}; allowed > 0")
    return tl, inc


@dataclass(frozen=True)
class _StartVariables:
    """The plan's binary variables, v = i * n_years + t for site i starting in year t, and what
    each draws by funding year (USD, (variables, funding years))."""

    site_of: np.ndarray  # (variables,)
    year_of: np.ndarray  # (variables,)
    capex_by_year_usd: np.ndarray
    prepay_by_year_usd: np.ndarray
    equity_by_year_usd: np.ndarray  # capex x (1 - loan-to-cost) - tenant prepayment

    @property
    def n_sites(self) -> int:
        return int(self.site_of[-1]) + 1

    @property
    def n_funding(self) -> int:
        return int(self.capex_by_year_usd.shape[1])


def _start_variables(
    capex: np.ndarray, sched: np.ndarray, prepay: np.ndarray, ltc: float
) -> _StartVariables:
    """Capex, prepayment and equity of each start (i, t) in each funding year t + j."""
    n_sites, n_years = capex.shape
    k = sched.shape[2]
    n_funding = n_years + k - 1
    n_var = n_sites * n_years
    site_of = np.repeat(np.arange(n_sites), n_years)
    year_of = np.tile(np.arange(n_years), n_sites)
    # capex and equity by (variable, funding year): spend of start (i, t) in year t + j
    spend = capex.reshape(-1)[:, None] * sched.reshape(n_var, k)  # (var, k)
    fy = year_of[:, None] + np.arange(k)[None, :]  # (var, k)
    var_idx = np.repeat(np.arange(n_var), k)
    capex_by_year = coo_array(
        (spend.reshape(-1), (var_idx, fy.reshape(-1))), shape=(n_var, n_funding)
    ).toarray()
    prepay_by_year = np.zeros((n_var, n_funding))
    prepay_by_year[np.arange(n_var), year_of] = prepay.reshape(-1)
    equity_by_year = capex_by_year * (1 - ltc) - prepay_by_year  # (var, funding years)
    return _StartVariables(site_of, year_of, capex_by_year, prepay_by_year, equity_by_year)


def _plan_constraints(
    starts: _StartVariables,
    per_year: np.ndarray | None,
    total: np.ndarray | None,
    mw: np.ndarray | None,
    mw_cap: np.ndarray | None,
) -> tuple[Any, np.ndarray, list[tuple[str, int]]]:
    """Rows ``A x <= b`` (in $M and MW): one start per site, equity by funding year and in
    total, critical IT MW started per year; and which rows are budgets (for the shadow
    re-solves), as ("year" | "total", row)."""
    site_of, year_of, equity_by_year = starts.site_of, starts.year_of, starts.equity_by_year_usd
    n_var, n_sites = site_of.size, starts.n_sites
    rows = [coo_array((np.ones(n_var), (site_of, np.arange(n_var))), shape=(n_sites, n_var))]
    limits = [np.ones(n_sites)]
    budget_rows: list[tuple[str, int]] = []
    if per_year is not None:
        finite = np.flatnonzero(np.isfinite(per_year))
        if finite.size:
            rows.append(coo_array(equity_by_year[:, finite].T / _SCALE_USD))
            start = sum(r.shape[0] for r in limits)
            budget_rows += [("year", start + j) for j in range(finite.size)]
            limits.append(per_year[finite] / _SCALE_USD)
    if total is not None and np.isfinite(total):
        rows.append(coo_array(equity_by_year.sum(axis=1)[None, :] / _SCALE_USD))
        budget_rows.append(("total", sum(r.shape[0] for r in limits)))
        limits.append(np.array([float(total)]) / _SCALE_USD)
    if mw is not None and mw_cap is not None:
        finite = np.flatnonzero(np.isfinite(mw_cap))
        if finite.size:
            a = np.zeros((finite.size, n_var))
            sel = np.isin(year_of, finite)
            a[np.searchsorted(finite, year_of[sel]), np.flatnonzero(sel)] = mw[site_of[sel]]
            rows.append(coo_array(a))
            limits.append(mw_cap[finite])
    return vstack(rows).tocsr(), np.concatenate(limits), budget_rows


_DOMINANCE_CHUNK_CELLS = 4_000_000  # floats per block of pairwise comparisons (32 MB)


def _dominated_starts(
    value: np.ndarray, allowed: np.ndarray, resource_rows: Any, n_sites: int, n_years: int
) -> np.ndarray:
    """Which allowed starts another start of the same site dominates: those never needed for an
    optimal plan, (variables,) bool.

    Variables are ``i * n_years + t`` (site ``i`` starting in year ``t``), ``value`` their
    values and ``resource_rows`` (rows, variables) their draws on every budget and MW row (not
    the one-start-per-site rows). Start ``p`` of a site dominates its start ``q`` when ``p`` is
    allowed, ``value[p] >= value[q]``, ``p`` draws no more than ``q`` on every row, and ``p``
    is strictly better somewhere: a higher value, a smaller draw on some row, or (identical
    starts) an earlier year.

    Proof that dropping every dominated start keeps the optimal value: the relation is a
    strict partial order on each site's starts (irreflexive, and transitive: the weak
    inequalities chain, and a strict step stays strict along the chain, ties ending in ever
    earlier years), so every dominated start ``q`` is dominated by an undominated one ``p``
    (a maximal element above ``q``; the site's starts are finite). In any feasible plan that
    starts the site at ``q``, starting it at ``p`` instead changes every row by ``a[:, p] -
    a[:, q] <= 0`` (the rows are all ``<=``, so the plan stays feasible, whatever the signs of
    the draws) and the value by ``value[p] - value[q] >= 0``; the one-start row is unchanged.
    So some optimal plan uses undominated starts only. Nothing here depends on the limits, so
    the budget re-solves share it.

    Under a total budget alone, with the same capex every year, this leaves each site its best
    year; under a per-year budget or MW cap a start in another year draws on other rows and is
    rarely dominated.
    """
    dominated = np.zeros(n_sites * n_years, dtype=bool)
    a_csc = resource_rows.tocsc() if resource_rows is not None else None
    n_rows = 0 if a_csc is None else a_csc.shape[0]
    chunk = max(1, _DOMINANCE_CHUNK_CELLS // (n_years * n_years * max(n_rows, 1)))
    earlier = np.arange(n_years)[:, None] < np.arange(n_years)[None, :]  # [p, q]: p before q
    for s0 in range(0, n_sites, chunk):  # blocks of sites, memory bounded
        s1 = min(n_sites, s0 + chunk)
        cols = slice(s0 * n_years, s1 * n_years)
        v = value[cols].reshape(-1, n_years)
        ok = allowed[cols].reshape(-1, n_years)
        better = (v[:, :, None] > v[:, None, :]) | (
            earlier[None] & (v[:, :, None] == v[:, None, :])
        )
        no_worse = v[:, :, None] >= v[:, None, :]
        if a_csc is not None and n_rows:
            a = a_csc[:, cols].toarray().T.reshape(-1, n_years, n_rows)  # (sites, years, rows)
            le = (a[:, :, None, :] <= a[:, None, :, :]).all(axis=3)  # [s, p, q]: a_p <= a_q
            lt = (a[:, :, None, :] < a[:, None, :, :]).any(axis=3)
        else:
            le, lt = np.ones_like(better), np.zeros_like(better)
        dom = ok[:, :, None] & no_worse & le & (better | lt)
        dominated[cols] = (dom.any(axis=1) & ok).reshape(-1)
    return dominated


def _shadow_values_usd(
    gain_usd: Callable[[np.ndarray], float],
    b_all: np.ndarray,
    budget_rows: list[tuple[str, int]],
    inc: float,
    per_year: np.ndarray | None,
    n_funding: int,
) -> tuple[float | None, np.ndarray | None]:
    """The plan's gain (USD) from ``inc`` more equity: in the total budget when one is set, else
    in every year's; and, when ``per_year`` is given, in each funding year's budget alone (one
    re-solve per year). ``gain_usd(extra)`` re-solves with ``b + extra``."""
    if not budget_rows:
        return None, None
    step = inc / _SCALE_USD
    extra = np.zeros_like(b_all)
    total_rows = [r for kind, r in budget_rows if kind == "total"]
    extra[total_rows if total_rows else [r for _, r in budget_rows]] = step
    shadow = gain_usd(extra)
    year_rows = [r for kind, r in budget_rows if kind == "year"]
    if per_year is None or not year_rows:
        return shadow, None
    gains = np.zeros(n_funding)
    finite_years = np.flatnonzero(np.isfinite(per_year))
    for y, r in zip(finite_years, year_rows, strict=True):  # one re-solve per funding year
        extra = np.zeros_like(b_all)
        extra[r] = step
        gains[y] = gain_usd(extra)
    return shadow, gains


def _plan_timeline(
    starts: _StartVariables,
    chosen: np.ndarray,
    ids: list[str],
    flat_value: np.ndarray,
    capex: np.ndarray,
    mw: np.ndarray | None,
) -> pd.DataFrame:
    """One row per converting site: site_id, start_year, value_usd, capex_usd, equity_usd,
    critical_it_mw; by start year, then site."""
    site_of, year_of = starts.site_of, starts.year_of
    return pd.DataFrame(
        {
            "site_id": [ids[i] for i in site_of[chosen]],
            "start_year": year_of[chosen],
            "value_usd": flat_value[chosen],
            "capex_usd": capex.reshape(-1)[chosen],
            "equity_usd": starts.equity_by_year_usd[chosen].sum(axis=1),
            "critical_it_mw": mw[site_of[chosen]] if mw is not None else np.nan,
        }
    ).sort_values(["start_year", "site_id"], ignore_index=True)


def _plan_funding(
    starts: _StartVariables,
    chosen: np.ndarray,
    ltc: float,
    per_year: np.ndarray | None,
    mw: np.ndarray | None,
    mw_cap: np.ndarray | None,
) -> pd.DataFrame:
    """One row per funding year: capex, debt, prepayment and equity (USD), the equity budget,
    the critical IT MW started and the MW cap."""
    site_of, year_of = starts.site_of, starts.year_of
    n_funding = starts.n_funding
    capex_curve = starts.capex_by_year_usd[chosen].sum(axis=0)
    return pd.DataFrame(
        {
            "year": np.arange(n_funding),
            "capex_usd": capex_curve,
            "debt_usd": capex_curve * ltc,
            "prepayment_usd": starts.prepay_by_year_usd[chosen].sum(axis=0),
            "equity_usd": starts.equity_by_year_usd[chosen].sum(axis=0),
            "equity_budget_usd": per_year if per_year is not None else np.inf,
            "critical_it_mw_started": np.bincount(
                year_of[chosen],
                weights=mw[site_of[chosen]] if mw is not None else None,
                minlength=n_funding,
            )[:n_funding]
            if mw is not None
            else np.nan,
            "mw_cap": np.concatenate([mw_cap, np.full(n_funding - mw_cap.size, np.inf)])
            if mw_cap is not None
            else np.inf,
        }
    )
