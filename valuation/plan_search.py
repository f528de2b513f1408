"""A better plan when the solver stops at its time limit: exact re-optimisation of small
neighbourhoods of the best plan found (large neighbourhood search).

HiGHS proves tight per-year budgets slowly, and at its time limit its best plan can be well
below what exists: on the 28 example sites, $1B of equity a year, its plan after 5 s was worth
$28.3B where HiGHS itself found one worth $29.0B in 30 s (2026-12-01). :func:`improve_plan`
takes a feasible plan and repeatedly frees a few sites, fixes the rest, and solves the freed
part exactly (``scipy.optimize.milp``, the same HiGHS): a window of consecutive start years (the
sites starting in it, and those not converting, may move to any year of the window) or a
few sites drawn at random (any year). A move is kept only when it raises the plan's value, so
the result is never worse than the plan it starts from and keeps every constraint. It is for
better plans, not proofs: the plan's proven gap still comes from the solver's bound (zero when
the search's plan reaches that bound, or, on a plan small enough, when its last round re-solves
the whole plan to optimality).

The search is Shaw's large neighbourhood search [1]_; its repair step, an exact MILP over the
freed part, is the one Danna, Rothberg and Le Pape use for their relaxation-induced
neighbourhoods [2]_ (the neighbourhoods here come from the plan's years and sites, not from the
LP relaxation).

References
----------
.. [1] P. Shaw, "Using constraint programming and local search methods to solve vehicle routing
   problems", CP 1998, LNCS 1520, pp. 417-431.
.. [2] E. Danna, E. Rothberg and C. Le Pape, "Exploring relaxation induced neighborhoods to
   improve MIP solutions", Mathematical Programming 102 (2005), pp. 71-90.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["improve_plan", "reaches", "WINDOW_YEARS", "RANDOM_SITES"]

WINDOW_YEARS = 3  # start years freed together at first: one start's capex spans 2-3 years
RANDOM_SITES = 6  # sites freed together at random at first
# Both chosen on the 28 example sites at $0.5B-$2B a year (2026-12-01): each sub-problem solves
# in milliseconds; wider windows or more sites solve slower and found less in the same time.
_SUB_TIME_LIMIT_S = 0.5  # one sub-problem; the search's deadline caps it too


def reaches(value: float, target: float) -> bool:
    """Whether ``value`` is at least a finite ``target``, within a relative 1e-9 (far below the
    solver's tolerances, far above float noise); never for an infinite or NaN target."""
    return bool(np.isfinite(target)) and value >= target - 1e-9 * max(1.0, abs(target))


def improve_plan(
    value: np.ndarray,
    upper: np.ndarray,
    rows: Any,
    row_upper: np.ndarray,
    site_of: np.ndarray,
    year_of: np.ndarray,
    plan: np.ndarray,
    time_limit_s: float,
    seed: int = 0,
    value_bound: float = np.inf,
) -> tuple[np.ndarray, bool]:
    """A plan at least as valuable as ``plan`` that keeps every row, found within about
    ``time_limit_s`` seconds, and whether the search proved it optimal.

    Parameters
    ----------
    value : numpy.ndarray
        (variables,) value of each start, any unit (the plan's solver uses $M).
    upper : numpy.ndarray
        (variables,) bool: the starts that may be chosen.
    rows, row_upper : sparse matrix, numpy.ndarray
        ``rows @ x <= row_upper``: every constraint of the plan, the one-start-per-site rows
        included.
    site_of, year_of : numpy.ndarray
        (variables,) each start's site and start year.
    plan : numpy.ndarray
        (variables,) bool: a feasible plan to start from.
    time_limit_s : float
        Seconds to search. When a round of every window and as many random draws finds nothing
        better and each of its re-solves was proven, the neighbourhoods grow (a year wider, two
        sites more); a proven round over the whole plan proves the plan optimal and ends the
        search. A round with a re-solve stopped at its own limit is repeated at the same size
        (new random draws). On the 28 example sites the search usually runs to its limit.
    seed : int, default 0
        The random draws' seed: the same inputs and seed search the same neighbourhoods in the
        same order (how far it gets depends on the time).
    value_bound : float, default inf
        A proven upper bound on the best plan's value (the solver's): the search stops when the
        plan reaches it.

    Returns
    -------
    numpy.ndarray
        (variables,) bool: the best plan found; ``plan`` itself when nothing better was.
    bool
        True when a round over the whole plan re-solved it to optimality without a gain (the
        plan is optimal); reaching ``value_bound`` is the caller's proof, not counted here.
    """
    deadline = time.perf_counter() + time_limit_s
    cols = rows.tocsc()
    n_sites = int(site_of.max()) + 1
    n_years = int(year_of.max()) + 1
    rng = np.random.default_rng(seed)
    best = plan.copy()
    best_value = float(value[best].sum())
    window, drawn_sites = min(WINDOW_YEARS, n_years), min(RANDOM_SITES, n_sites)
    misses, unproven, step = 0, 0, 0
    # the plan is proven optimal once it reaches the bound
    while (left := deadline - time.perf_counter()) > 0 and not reaches(best_value, value_bound):
        n_windows = n_years - window + 1
        if misses >= 2 * n_windows:  # a round of every window and as many draws found nothing
            if unproven == 0 and window == n_years and drawn_sites == n_sites:
                return best, True  # the whole plan re-solved to optimality: this plan is optimal
            if unproven == 0:  # every re-solve proven: only larger neighbourhoods can help
                window, drawn_sites = min(window + 1, n_years), min(drawn_sites + 2, n_sites)
            misses, unproven, step = 0, 0, 0
            continue
        if step % 2 == 0:  # a window of start years
            first = (step // 2) % n_windows
            in_window = (year_of >= first) & (year_of < first + window)
            start_of_site = np.full(n_sites, -1)
            start_of_site[site_of[best]] = year_of[best]
            moving = (start_of_site < 0) | (
                (start_of_site >= first) & (start_of_site < first + window)
            )
            free = upper & in_window & moving[site_of]
        else:  # a few sites at random, any year
            drawn = rng.choice(n_sites, size=drawn_sites, replace=False)
            free = upper & np.isin(site_of, drawn)
        step += 1
        candidate, proven = _reoptimise(
            value, cols, row_upper, best, free, min(left, _SUB_TIME_LIMIT_S)
        )
        candidate_value = -np.inf if candidate is None else float(value[candidate].sum())
        if candidate is None or reaches(best_value, candidate_value):  # no gain
            misses += 1
            unproven += not proven
            continue
        best, best_value, misses, unproven = candidate, candidate_value, 0, 0
    return best, False


def _reoptimise(
    value: np.ndarray,
    cols: Any,
    row_upper: np.ndarray,
    plan: np.ndarray,
    free: np.ndarray,
    time_limit_s: float,
) -> tuple[np.ndarray | None, bool]:
    """``plan`` with its ``free`` starts re-chosen exactly (the others fixed), or None when the
    solver returned nothing; and whether the re-solve was proven optimal. The current choice of
    the free starts is feasible for the sub-problem, so its optimum is never worse."""
    free_idx = np.flatnonzero(free)
    if free_idx.size == 0:
        return None, True  # nothing to re-choose
    fixed = plan & ~free
    room = row_upper - cols[:, np.flatnonzero(fixed)] @ np.ones(int(fixed.sum()))
    sub = cols[:, free_idx].tocsr()
    touched = np.diff(sub.indptr) > 0  # rows the free starts draw on
    res = milp(
        -value[free_idx],
        integrality=np.ones(free_idx.size),
        bounds=Bounds(0.0, 1.0),
        constraints=[LinearConstraint(sub[touched], -np.inf, room[touched])],
        options={"mip_rel_gap": 0.0, "time_limit": float(time_limit_s)},
    )
    if res.x is None:
        return None, False
    out = plan & ~free
    out[free_idx] = np.round(res.x) > 0.5
    return out, res.status == 0
