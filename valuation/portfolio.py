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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, vstack

from valuation.errors import ValuationError

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


def _solve(
    value: np.ndarray,
    upper: np.ndarray,
    rows: Any,
    row_upper: np.ndarray,
    time_limit_s: float = 60.0,
    require_optimal: bool = True,
) -> tuple[np.ndarray, float]:
    """Maximise value @ x over binary x <= upper subject to rows @ x <= row_upper.

    Returns the solution and its proven relative optimality gap (0 when optimal). At the time
    limit the best plan found is returned with its gap unless ``require_optimal``.
    """
    n = value.size
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
    if res.x is None or (res.status != 0 and (require_optimal or res.status != 1)):
        raise PortfolioSolveError(f"the plan was not solved to optimality: {res.message}")
    gap = 0.0 if res.status == 0 else float(getattr(res, "mip_gap", np.nan))
    return np.round(res.x) > 0.5, gap


def choose_sites(
    value_usd: Any,
    capex_usd: Any,
    budget_usd: float,
    critical_it_mw: Any = None,
    mw_cap: float | None = None,
) -> np.ndarray:
    """Which sites to convert now: the boolean mask (sites,) maximising the sum of ``value_usd``
    with the chosen ``capex_usd`` summing to at most ``budget_usd`` and, when both are given, the
    chosen ``critical_it_mw`` to at most ``mw_cap``. Exact (HiGHS branch and bound, zero gap).

    ``value_usd`` (sites,) finite USD (a site worth nothing or less is never chosen);
    ``capex_usd`` (sites,) USD, 0 or more; ``budget_usd`` 0 or more (``np.inf`` for no budget);
    ``critical_it_mw`` (sites,) 0 or more; ``mw_cap`` 0 or more.
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
    ``shadow_optimal`` the same for the re-solves.
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

    - ``value_usd`` (sites, years): the value of starting the conversion in each plan year (USD at
      the valuation date); nan where that start is not possible.
    - ``capex_usd`` (sites,) or (sites, years): the capex of a start in each year, USD, 0 or more.
    - ``capex_schedule`` (k,), (sites, k) or (sites, years, k): the share of the capex spent in
      the start year and the k - 1 years after (per site, or per site and start year); 0 or
      more, summing to 1. Funding years are years + k - 1.
    - ``equity_budget_usd_per_year`` (a number or (funding years,)) and/or
      ``equity_budget_usd_total``: what the company can fund from equity; at least one, or both
      None for no budget.
    - ``critical_it_mw`` (sites,) and ``mw_cap_per_year`` (a number or (years,)): the critical IT
      MW whose leases start each year may not exceed what tenants will take that year.
    - ``loan_to_cost`` in [0, 1): the share of each year's capex project debt funds (default 0.80,
      sourced above). ``tenant_prepayment_usd`` (a number, (sites,) or (sites, years)): received
      in the start year, it reduces the equity drawn (default 0, an assumption, see above).
    - ``budget_increment_usd``: the extra budget whose value the plan reports (default $100M).
    - ``time_limit_s``: per solve. HiGHS proves most plans optimal in well under a second, but a
      budget that binds in every year can leave many near-equal plans to rule out; at the limit
      the best plan found is returned with ``optimal`` False and its proven ``mip_gap``.
    """
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
    n_sites, n_years = value.shape
    capex = _array(capex_usd, "capex_usd")
    capex = _shaped(
        capex if capex.ndim != 1 else capex[:, None],
        "capex_usd",
        (n_sites, n_years),
        f"({n_sites},) or ({n_sites}, {n_years})",
    )
    _non_negative(capex, "capex_usd")
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
    k = sched.shape[2]
    n_funding = n_years + k - 1
    ltc = _number(loan_to_cost, "loan_to_cost")
    if not (np.isfinite(ltc) and 0 <= ltc < 1):
        raise PortfolioInputError(f"loan_to_cost is {loan_to_cost!r}; allowed [0, 1)")
    prepay = _array(tenant_prepayment_usd, "tenant_prepayment_usd")
    prepay = _shaped(
        prepay if prepay.ndim != 1 else prepay[:, None],
        "tenant_prepayment_usd",
        (n_sites, n_years),
        f"a number, ({n_sites},) or ({n_sites}, {n_years})",
    )
    _non_negative(prepay, "tenant_prepayment_usd")
    per_year = _budget(equity_budget_usd_per_year, "equity_budget_usd_per_year", (n_funding,))
    total = _budget(equity_budget_usd_total, "equity_budget_usd_total", ())
    if (critical_it_mw is None) != (mw_cap_per_year is None):
        raise PortfolioInputError("critical_it_mw and mw_cap_per_year must be given together")
    mw = mw_cap = None
    if critical_it_mw is not None:
        mw = _array(critical_it_mw, "critical_it_mw")
        if mw.shape != (n_sites,):
            raise PortfolioInputError(f"critical_it_mw has shape {mw.shape}; allowed ({n_sites},)")
        _non_negative(mw, "critical_it_mw")
        mw_cap = _budget(mw_cap_per_year, "mw_cap_per_year", (n_years,))
    tl = _number(time_limit_s, "time_limit_s")
    if not (np.isfinite(tl) and 0 < tl <= 3600):
        raise PortfolioInputError(f"time_limit_s is {time_limit_s!r}; allowed (0, 3600]")
    inc = _number(budget_increment_usd, "budget_increment_usd")
    if not (np.isfinite(inc) and inc > 0):
        raise PortfolioInputError(f"budget_increment_usd is {budget_increment_usd!r}; allowed > 0")
    ids = [str(i) for i in site_ids] if site_ids is not None else [str(i) for i in range(n_sites)]
    if len(ids) != n_sites:
        raise PortfolioInputError(f"site_ids has {len(ids)} ids; allowed {n_sites}")

    # variable v = i * n_years + t: site i starts in year t
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

    rows = [coo_array((np.ones(n_var), (site_of, np.arange(n_var))), shape=(n_sites, n_var))]
    limits = [np.ones(n_sites)]
    budget_rows: list[tuple[str, int]] = []  # which rows are budgets, for the shadow re-solves
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
    a_all = vstack(rows).tocsr()
    b_all = np.concatenate(limits)
    flat_value = value.reshape(-1)
    allowed = np.isfinite(flat_value) & (flat_value > 0)
    obj = np.where(allowed, flat_value, 0.0) / _SCALE_USD

    gaps: list[float] = []

    def solve(extra: np.ndarray | None = None) -> np.ndarray:
        xs, gap = _solve(
            obj,
            allowed,
            a_all,
            b_all if extra is None else b_all + extra,
            tl,
            require_optimal=False,
        )
        gaps.append(gap)
        return xs

    x = solve()
    plan_gap = gaps[0]
    plan_value = float(flat_value[x].sum()) if x.any() else 0.0

    shadow = shadow_by_year_value = None
    if budget_rows:
        step = inc / _SCALE_USD
        extra = np.zeros_like(b_all)
        total_rows = [r for kind, r in budget_rows if kind == "total"]
        extra[total_rows if total_rows else [r for _, r in budget_rows]] = step
        # the plan stays feasible with more budget: at a time limit keep the better of the two
        shadow = max(float(flat_value[solve(extra)].sum()), plan_value) - plan_value
        year_rows = [r for kind, r in budget_rows if kind == "year"]
        if shadow_by_year and year_rows:
            gains = np.zeros(n_funding)
            finite_years = np.flatnonzero(np.isfinite(per_year))  # type: ignore[arg-type]
            for y, r in zip(finite_years, year_rows, strict=True):  # one re-solve per funding year
                extra = np.zeros_like(b_all)
                extra[r] = step
                gains[y] = max(float(flat_value[solve(extra)].sum()), plan_value) - plan_value
            shadow_by_year_value = gains

    chosen = np.flatnonzero(x)
    start_year = np.full(n_sites, -1, dtype=np.int64)
    start_year[site_of[chosen]] = year_of[chosen]
    timeline = pd.DataFrame(
        {
            "site_id": [ids[i] for i in site_of[chosen]],
            "start_year": year_of[chosen],
            "value_usd": flat_value[chosen],
            "capex_usd": capex.reshape(-1)[chosen],
            "equity_usd": equity_by_year[chosen].sum(axis=1),
            "critical_it_mw": mw[site_of[chosen]] if mw is not None else np.nan,
        }
    ).sort_values(["start_year", "site_id"], ignore_index=True)
    capex_curve = capex_by_year[chosen].sum(axis=0)
    funding = pd.DataFrame(
        {
            "year": np.arange(n_funding),
            "capex_usd": capex_curve,
            "debt_usd": capex_curve * ltc,
            "prepayment_usd": prepay_by_year[chosen].sum(axis=0),
            "equity_usd": equity_by_year[chosen].sum(axis=0),
            "equity_budget_usd": per_year if per_year is not None else np.inf,
            "critical_it_mw_started": np.bincount(
                year_of[chosen],
                weights=mw[site_of[chosen]] if mw is not None else None,
                minlength=n_funding,
            )[:n_funding]
            if mw is not None
            else np.nan,
            "mw_cap": np.concatenate([mw_cap, np.full(k - 1, np.inf)])
            if mw_cap is not None
            else np.inf,
        }
    )
    return PortfolioPlan(
        start_year=start_year,
        value_usd=plan_value,
        timeline=timeline,
        funding=funding,
        budget_increment_usd=inc,
        shadow_value_usd=shadow,
        shadow_value_by_year_usd=shadow_by_year_value,
        optimal=plan_gap == 0.0,
        mip_gap=plan_gap,
        shadow_optimal=all(g == 0.0 for g in gaps[1:]),
    )
