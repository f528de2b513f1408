"""A fast exact path for conversion plans limited only by critical IT MW per start year: column
generation on the year-by-year configuration LP, with a Lagrangian bound that certifies the plan.

The plan (``valuation.portfolio.plan_conversions``) with MW caps and no equity budget is a
generalised assignment problem: each site starts in at most one year, and the sites starting in
year ``t`` form a 0-1 knapsack (their critical IT MW within ``mw_cap[t]``). Its LP relaxation is
weak (on the 28 example sites at 1,000 MW a year, 1% above the optimum after the starts that
cannot fit are dropped) and HiGHS's branch and bound does not close that gap in 10 s. The
configuration LP (one column per year and set of sites that fits the year) is much tighter: on
that instance it equals the optimum.

How it works:

1. A restricted master LP over the columns found so far: maximise the columns' value with each
   site in at most one chosen column and at most one column per year. Its duals are ``lam``
   (sites) and ``mu`` (years).
2. Pricing, exact: for each year the best set of sites by value less ``lam``, a 0-1 knapsack
   solved by meet in the middle (every subset of each half of the sites, which bounds this path
   to :data:`MAX_SITES_PER_YEAR` sites a year). Sets worth more than ``mu[t]`` join the master.
3. The bound: for any ``lam >= 0``, relaxing the one-start-per-site rows with ``lam`` splits the
   plan into the years' knapsacks, so ``UB(lam) = sum(lam) + sum over t of K_t(lam)``, with
   ``K_t`` the best knapsack value of year ``t`` (0 at least: the empty set), bounds every
   feasible plan's value (weak Lagrangian duality: a feasible plan's value is at most its
   Lagrangian, which is at most the sum of the years' maxima plus ``sum(lam)``). The pricing
   computes exactly these ``K_t``.
4. The plan: the master's columns when its solution is 0-1, else the best 0-1 choice of the
   generated columns (a small MILP). It is feasible by construction (checked).

A plan whose value is within :data:`CERTIFY_TOL` ($1 in the solver's $M, HiGHS's own absolute
gap at ``mip_rel_gap = 0``) of the best bound is optimal; otherwise (or past the iteration or
time limit) the caller falls back to the full MILP. So the path never returns an unproven plan.

References
----------
.. [1] Gilmore, P. C., Gomory, R. E. (1961), A linear programming approach to the cutting-stock
   problem, Operations Research 9(6), 849-859 (column generation, the configuration LP).
.. [2] Savelsbergh, M. (1997), A branch-and-price algorithm for the generalized assignment
   problem, Operations Research 45(6), 831-841 (the knapsack pricing of the GAP).
.. [3] Horowitz, E., Sahni, S. (1974), Computing partitions with applications to the knapsack
   problem, Journal of the ACM 21(2), 277-292 (meet in the middle).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array

from valuation.threads import one_blas_thread

__all__ = ["MAX_SITES_PER_YEAR", "CERTIFY_TOL", "certified_mw_plan"]

MAX_SITES_PER_YEAR = 30  # meet in the middle: 2 x 2**15 subsets a year at most
CERTIFY_TOL = 1e-6  # in the caller's units ($M): $1
_MAX_ITERATIONS = 400
_PRICE_TOL = 1e-9


@dataclass(frozen=True)
class _YearKnapsack:
    """Every subset of each half of one year's sites (meet in the middle), by weight."""

    sites: np.ndarray  # (m,) the sites that may start this year and fit the cap alone
    masks_a: np.ndarray  # (2**h, h) subsets of the first half
    masks_b: np.ndarray  # (2**(m - h), m - h) subsets of the second half, by weight
    best_b_index: np.ndarray  # (2**h,) last second-half subset that fits beside each first one

    @classmethod
    def build(cls, sites: np.ndarray, weight: np.ndarray, cap: float) -> _YearKnapsack:
        h = sites.size // 2
        masks_a = _subsets(h)
        masks_b = _subsets(sites.size - h)
        w_a = masks_a @ weight[:h]
        w_b = masks_b @ weight[h:]
        order = np.argsort(w_b, kind="stable")
        masks_b, w_b = masks_b[order], w_b[order]
        # the empty second half (weight 0) fits beside every first half that fits alone
        best_b = np.searchsorted(w_b, cap - w_a, side="right") - 1
        return cls(sites, masks_a, masks_b, best_b)

    def best(self, profit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The most profitable subset within the cap for each column of ``profit`` (sites,
        k): (k,) profits and (k, sites) 0/1 masks over ``sites``."""
        h = self.masks_a.shape[1]
        p_a = profit[:h].T @ self.masks_a.T  # (k, 2**h)
        p_b = profit[h:].T @ self.masks_b.T  # (k, 2**(m - h)), the subsets by weight
        run = np.maximum.accumulate(p_b, axis=1)  # best second half up to each weight
        ok = self.best_b_index >= 0
        j = np.maximum(self.best_b_index, 0)
        total = np.where(ok[None, :], p_a + run[:, j], -np.inf)
        a = np.argmax(total, axis=1)  # (k,)
        rows = np.arange(profit.shape[1])
        # the (first) second half attaining the running best beside each chosen first half
        b = [int(np.argmax(p_b[r, : j[a[r]] + 1])) for r in rows]  # a loop over k years
        masks = np.concatenate([self.masks_a[a], self.masks_b[b]], axis=1)
        return total[rows, a], masks


def _subsets(n: int) -> np.ndarray:
    """(2**n, n) 0/1 rows: every subset of n items."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(float)


def _certified_mw_plan(
    value: np.ndarray,
    allowed: np.ndarray,
    mw: np.ndarray,
    mw_cap: np.ndarray,
    time_limit_s: float = 2.0,
) -> np.ndarray | None:
    """The body of :func:`certified_mw_plan`."""
    t0 = time.perf_counter()
    n_sites, n_years = value.shape
    # one knapsack per distinct (eligible sites, cap): years alike share it, priced together
    groups: dict[tuple[bytes, float], tuple[_YearKnapsack, list[int]]] = {}
    free_years: list[int] = []  # no cap or no eligible site: priced start by start
    for t in range(n_years):  # a loop over the plan's few years
        sites = np.flatnonzero(allowed[:, t] & (value[:, t] > 0) & (mw <= mw_cap[t]))
        if not np.isfinite(mw_cap[t]) or not sites.size:
            free_years.append(t)
            continue
        if sites.size > MAX_SITES_PER_YEAR:
            return None
        key = (sites.tobytes(), float(mw_cap[t]))
        if key not in groups:
            groups[key] = (_YearKnapsack.build(sites, mw[sites], float(mw_cap[t])), [])
        groups[key][1].append(t)
    # the starting columns: each start alone
    col_year: list[int] = []
    col_sites: list[np.ndarray] = []
    for t in range(n_years):
        for i in np.flatnonzero(allowed[:, t] & (value[:, t] > 0) & (mw <= mw_cap[t])):
            col_year.append(t)
            col_sites.append(np.array([i]))
    if not col_year:
        return np.full(n_sites, -1, dtype=np.int64)
    best_bound = np.inf
    for _ in range(_MAX_ITERATIONS):
        if time.perf_counter() - t0 > time_limit_s:
            return None
        a, c = _master(col_year, col_sites, value, n_sites, n_years)
        lp = linprog(-c, A_ub=a, b_ub=np.ones(a.shape[0]), bounds=(0, None), method="highs")
        if lp.status != 0:
            return None
        duals = np.maximum(-lp.ineqlin.marginals, 0.0)
        lam, mu = duals[:n_sites], duals[n_sites:]
        bound = float(lam.sum())
        added = 0
        priced: list[tuple[int, float, np.ndarray]] = []  # (year, best, chosen sites)
        for t in free_years:  # no cap: every start worth more than its site's price
            profit = np.where(allowed[:, t] & (mw <= mw_cap[t]), value[:, t] - lam, 0.0)
            chosen = np.flatnonzero(profit > 0)
            priced.append((t, float(profit[chosen].sum()), chosen))
        for knapsack, ts in groups.values():  # one knapsack a year, alike years at once
            sites = knapsack.sites
            best, masks = knapsack.best(
                value[np.ix_(sites, np.asarray(ts, dtype=np.int64))] - lam[sites][:, None]
            )
            priced += [
                (t, float(v), sites[m > 0.5]) for t, v, m in zip(ts, best, masks, strict=True)
            ]
        for t, profit_t, chosen in sorted(priced, key=lambda p: p[0]):
            bound += max(profit_t, 0.0)
            if profit_t - mu[t] > _PRICE_TOL and chosen.size:
                col_year.append(t)
                col_sites.append(chosen)
                added += 1
        best_bound = min(best_bound, bound)
        if not added or best_bound - (-lp.fun) <= CERTIFY_TOL:
            break
    left_s = time_limit_s - (time.perf_counter() - t0)
    if left_s <= 0:
        return None
    plan = _integer_plan(lp.x, col_year, col_sites, value, n_sites, n_years, left_s)
    if plan is None:
        return None
    got = float(value[np.flatnonzero(plan >= 0), plan[plan >= 0]].sum())
    started = np.bincount(plan[plan >= 0], weights=mw[plan >= 0], minlength=n_years)
    feasible = bool(
        (started <= mw_cap + 1e-9 * np.maximum(1.0, np.abs(mw_cap))).all()
        and allowed[np.flatnonzero(plan >= 0), plan[plan >= 0]].all()
    )
    if not feasible or got < best_bound - CERTIFY_TOL:
        return None
    return plan


def certified_mw_plan(
    value: np.ndarray,
    allowed: np.ndarray,
    mw: np.ndarray,
    mw_cap: np.ndarray,
    time_limit_s: float = 2.0,
) -> np.ndarray | None:
    """The optimal plan's start year per site (-1: none), proven by a Lagrangian bound, or None
    when this path cannot prove one (the caller then solves the full MILP).

    ``value`` (sites, years) the value of each start in the caller's units ($M), used where
    ``allowed``; ``mw`` (sites,) critical IT MW, >= 0; ``mw_cap`` (years,) MW that may start
    each year (``inf``: no cap). Only the one-start-per-site rows and the MW caps constrain the
    plan: no equity budget. ``time_limit_s`` wall-clock seconds before giving up.

    The knapsacks' small matrix products run on one BLAS thread: threads only contend here
    (measured on the 28 example sites, two shared cores: 0.5 s on one thread, 1.5 s on two).
    """
    with one_blas_thread():
        return _certified_mw_plan(value, allowed, mw, mw_cap, time_limit_s)


def _master(
    col_year: list[int],
    col_sites: list[np.ndarray],
    value: np.ndarray,
    n_sites: int,
    n_years: int,
) -> tuple[coo_array, np.ndarray]:
    """The master's rows (sites, then years) and its columns' values."""
    n_cols = len(col_year)
    lengths = np.array([s.size for s in col_sites])
    col_of = np.repeat(np.arange(n_cols), lengths)
    site_rows = np.concatenate(col_sites)
    year_of = np.array(col_year)
    rows = np.concatenate([site_rows, n_sites + year_of])
    cols = np.concatenate([col_of, np.arange(n_cols)])
    a = coo_array((np.ones(rows.size), (rows, cols)), shape=(n_sites + n_years, n_cols))
    c = np.bincount(col_of, weights=value[site_rows, year_of[col_of]], minlength=n_cols)
    return a.tocsr(), c


def _integer_plan(
    y: np.ndarray,
    col_year: list[int],
    col_sites: list[np.ndarray],
    value: np.ndarray,
    n_sites: int,
    n_years: int,
    time_limit_s: float,
) -> np.ndarray | None:
    """The master's 0-1 solution as start years, or the best 0-1 choice of its columns (within
    the time left, else None)."""
    if not ((y < 1e-9) | (y > 1 - 1e-9)).all():
        a, c = _master(col_year, col_sites, value, n_sites, n_years)
        res = milp(
            -c,
            integrality=np.ones(c.size),
            bounds=Bounds(0, 1),
            constraints=[LinearConstraint(a, -np.inf, np.ones(a.shape[0]))],
            options={"mip_rel_gap": 0.0, "time_limit": float(time_limit_s)},
        )
        if res.status != 0 or res.x is None:
            return None
        y = res.x
    plan = np.full(n_sites, -1, dtype=np.int64)
    for k in np.flatnonzero(y > 0.5):  # the few chosen columns
        if (plan[col_sites[k]] >= 0).any():
            return None
        plan[col_sites[k]] = col_year[k]
    return plan
