"""Benchmark: the option to wait for the largest example site (goal about 5 s at 10,000 paths)
and the 28-site plan once each site's values by start year are known (goal under 1 s).

Run: ``python3 benchmarks/bench_plan.py`` (``--quick``: 1,024 paths, two plan cases;
``--plan-only``: every plan case, no option).

- Option: ``wait_inputs`` values every start row of Sweetwater (1,400 MW, 28 halls, 14 yearly
  decision dates) on ``--paths`` Monte Carlo driver paths (default 10,000; base drivers, seed 0)
  through the named-strategy evaluator, then ``option_to_wait`` (regression of the gain,
  least-squares Monte Carlo, the plain-words rule) on them: both timed, their sum is the option
  at 10,000 paths. Baseline measured in the same run: the same rows valued one path at a time
  (one evaluator call per path and date, on two paths, per-path time scaled).
- Plan: the 28 example sites' deterministic start table (built once, not timed), solved by
  ``plan_portfolio`` under budgets from none to binding; the baseline is the unconstrained plan.
  Wall-clock medians. Each case's time includes the +$100M re-solve for the budget's shadow value
  (none for the MW cap alone: no budget); "optimal" means proven (zero gap), else the time limit
  (10 s a solve) was hit, the neighbourhood search ran up to 4 s more, and the proven gap is
  shown.
- Search (not with ``--quick``): under tight per-year budgets at the app's time limit (5 s a
  solve), the plan's value after HiGHS and the neighbourhood search (up to 2 s more), against
  HiGHS alone given those 7 s (the search given none), both measured in the same run; also
  HiGHS's own plan before the search in the same solve. HiGHS at a time limit varies from run
  to run, so a fraction of a percent is within its noise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator

import numpy as np
from timing import median_seconds

from sites import load_example_portfolio
from valuation import portfolio
from valuation.conversion_plan import INTERACTIVE_TIME_LIMIT_S, plan_portfolio, start_table
from valuation.drivers import BasePaths, RiskDrivers, generate_paths
from valuation.scenario import Scenario
from valuation.strategies import build_site_model, evaluate, on_rows
from valuation.wait_option import option_to_wait, wait_inputs

LARGEST = "iren-sweetwater"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """HiGHS prints progress lines on the process's stdout at a time limit: hide them."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def per_path_baseline(model, paths, n: int) -> float:  # noqa: ANN001
    """Seconds per path valuing each start row one path at a time (the same rows and drivers)."""
    plan = model.plan
    rows = plan.groups["mine_then_convert"][:-1]
    base = {plan.keep_row, plan.dr_row, plan.sale_row}
    subs = [on_rows(model, np.array(sorted(base | {int(r)}))) for r in rows]
    t0 = time.perf_counter()
    for i in range(n):  # the baseline: a Python loop over paths
        for sub in subs:
            evaluate(sub, hashprice_usd_per_ph_day=paths.hashprice_usd_per_ph_day[i],
                     capex_scale=float(paths.capex_scale[i]))  # fmt: skip
    return (time.perf_counter() - t0) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,024 paths, two plan cases")
    parser.add_argument("--paths", type=int, default=10_000, help="paths (default 10,000)")
    parser.add_argument("--plan-only", action="store_true", help="every plan case, no option")
    args = parser.parse_args()
    sites = {s.id: s for s in load_example_portfolio()}
    scenario = Scenario()
    if not args.plan_only:
        bench_option(sites, scenario, 1024 if args.quick else args.paths)
    bench_plan(sites, scenario, args.quick and not args.plan_only)


def bench_option(sites: dict, scenario: Scenario, n_paths: int) -> None:
    """The option to wait on the largest site (module docstring)."""
    model = build_site_model(sites[LARGEST], scenario)
    paths = generate_paths(
        BasePaths.from_market(scenario.market, scenario.horizon_months), RiskDrivers(), 0, n_paths
    )
    t0 = time.perf_counter()
    inputs = wait_inputs(model, paths)
    t_inputs = time.perf_counter() - t0
    t0 = time.perf_counter()
    rep = option_to_wait(**inputs.arguments())
    t_option = time.perf_counter() - t0
    per_path = t_inputs / n_paths
    base_per_path = per_path_baseline(model, paths, 2)
    total = t_inputs + t_option
    print(f"option to wait, {LARGEST} ({model.n_halls} halls, {inputs.decision_months.size} "
          f"dates): wait_inputs {n_paths:,} paths {t_inputs:,.2f} s ({per_path * 1e3:,.3f} ms a "
          f"path; one path at a time {base_per_path * 1e3:,.0f} ms a path, ratio "
          f"{base_per_path / per_path:,.0f}x)")  # fmt: skip
    how = "measured" if n_paths == 10_000 else f"scaled from {n_paths:,}"
    at_10k = total if n_paths == 10_000 else per_path * 10_000 + t_option * 10_000 / n_paths
    print(f"option_to_wait (regression, exercise rule, plain-words rule): {t_option:,.2f} s; "
          f"the option at 10,000 paths in all ({how}): {at_10k:,.1f} s (goal ~5 s: "
          f"{at_10k / 5.0:,.2f}x)")  # fmt: skip
    print(f"  {n_paths:,} paths: value ${rep.value_usd / 1e6:,.0f}M, waiting worth "
          f"${rep.option_to_wait_usd / 1e6:,.1f}M +/- {rep.option_to_wait_std_error_usd / 1e6:,.1f}M"
          f" over converting now; converted by year 1 {rep.converted_by_year[0]:.0%}; "
          f"{rep.rule} ({rep.rule_agreement_share:.0%} of decisions)")  # fmt: skip


def bench_plan(sites: dict, scenario: Scenario, quick: bool) -> None:
    """The 28-site plan under each budget case (module docstring)."""
    table = start_table(list(sites.values()), scenario)
    with _quiet():
        t_free = median_seconds(lambda: plan_portfolio(table), 3)
    cases = [
        ("total $5B", {"equity_budget_usd_total": 5e9}),
        ("$2B/yr", {"equity_budget_usd_per_year": 2e9}),
        ("1,000 MW/yr", {"mw_cap_per_year": 1000.0}),
        ("$1.5B/yr and 1,000 MW/yr",
         {"equity_budget_usd_per_year": 1.5e9, "mw_cap_per_year": 1000.0}),
    ]  # fmt: skip
    print(f"plan, 28 sites x {table.n_years} start years, no limit (baseline): "
          f"{t_free * 1e3:,.0f} ms")  # fmt: skip
    for label, kw in cases[:2] if quick else cases:
        with _quiet():
            t0 = time.perf_counter()
            res = plan_portfolio(table, time_limit_s=10.0, **kw)
            t = time.perf_counter() - t0
        p = res.plan
        state = "optimal" if p.optimal else f"time limit, gap {p.mip_gap:.2%}"
        state += "" if p.shadow_optimal else "; re-solve at time limit"
        what = "the plan" if p.shadow_value_usd is None else "the plan and its +$100M re-solve"
        print(f"plan, {label}: {t * 1e3:,.0f} ms for {what} "
              f"({t / t_free:,.0f}x baseline; {state}); {len(res.timeline)} sites, value "
              f"${p.value_usd / 1e9:,.2f}B (goal < 1 s)")  # fmt: skip
    if not quick:
        bench_search(table)


def bench_search(table) -> None:  # noqa: ANN001
    """The plan's value at the app's time limit with the neighbourhood search, against HiGHS
    alone given the search's time too (module docstring)."""
    share, limit_s = portfolio.SEARCH_SHARE, INTERACTIVE_TIME_LIMIT_S
    before_musd: list[tuple[float, float]] = []  # (the solve's limits summed, HiGHS's plan)
    real_search = portfolio.improve_plan

    def search(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        value, row_upper, plan = args[0], args[3], args[6]  # improve_plan's arguments
        before_musd.append((float(row_upper.sum()), float(value[plan].sum())))
        return real_search(*args, **kwargs)

    for budget_usd in (0.5e9, 1e9, 1.5e9, 2e9):
        runs = {}
        # the baseline: HiGHS alone for the limit and the search's share (the search gets none)
        for label, search_share, tl in (("alone", 0.0, limit_s * (1 + share)),
                                        ("search", share, limit_s)):  # fmt: skip
            portfolio.SEARCH_SHARE, portfolio.improve_plan = search_share, search
            before_musd.clear()
            try:
                with _quiet():
                    t0 = time.perf_counter()
                    res = plan_portfolio(table, equity_budget_usd_per_year=budget_usd,
                                         time_limit_s=tl)  # fmt: skip
                    t = time.perf_counter() - t0
            finally:
                portfolio.SEARCH_SHARE, portfolio.improve_plan = share, real_search
            # HiGHS's own plan: proven, it is the plan; else the search with the smallest limits
            # started from it (a re-solve adds $100M a year)
            highs = res.plan.value_usd if res.plan.optimal else min(before_musd)[1] * 1e6
            runs[label] = (res.plan, t, highs)
        (alone, t_alone, _), (found, t_found, highs_usd) = runs["alone"], runs["search"]
        print(f"search, ${budget_usd / 1e9:,.1f}B/yr: HiGHS alone {limit_s * (1 + share):.0f} s "
              f"${alone.value_usd / 1e9:,.2f}B (gap {alone.mip_gap:.2%}); HiGHS {limit_s:.0f} s "
              f"${highs_usd / 1e9:,.2f}B then the search ${found.value_usd / 1e9:,.2f}B (gap "
              f"{found.mip_gap:.2%}): {found.value_usd / alone.value_usd:,.4f}x HiGHS alone "
              f"(plan and re-solve {t_found:,.1f} s against {t_alone:,.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
