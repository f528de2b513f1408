"""Benchmark: the conversion option by least-squares Monte Carlo (goal: about 5 s or less at 10,000
paths) against a naive per-path loop measured in the same run, and the 28-site x 15-year plan
(goal: under a second once the values are known).

Run: ``python3 benchmarks/bench_options.py`` (``--quick`` for 2,000 paths and one timing run).
The paths are synthetic and conversion-like (a lease rate and a hashprice as geometric random
walks; mining with economic shutdown; converting costs capex and earns the lease after a 24-month
build), 15 yearly decision dates over 180 months. The plan's values and capex are synthetic too
(values that shrink with a later start, capex $0.3-2B a site, 80% loan-to-cost, a 60/40 build
schedule), under budgets from loose to tight (``--quick``: the first two). Timings are wall-clock medians.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from timing import median_seconds

from valuation.options import conversion_option, longstaff_schwartz
from valuation.portfolio import plan_conversions


def synthetic_conversion(n_paths: int, n_years: int = 15, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    n_months, dt = 12 * n_years, 1.0 / 12.0
    z = rng.standard_normal((2, n_paths, n_months))
    z[:, :, 0] = 0.0
    lease = 120.0 * np.exp(np.cumsum(-0.5 * 0.25**2 * dt + 0.25 * np.sqrt(dt) * z[0], axis=1))
    hp = 50.0 * np.exp(np.cumsum((-0.15 - 0.5 * 0.5**2) * dt + 0.5 * np.sqrt(dt) * z[1], axis=1))
    mining = np.maximum(hp * 10_000.0 * 30.4 - 9e6, 0.0)
    months = np.arange(0, n_months, 12)
    r_month = 1.10 ** (1 / 12) - 1
    remaining = np.maximum(n_months - months - 24, 0)
    annuity = (1 + r_month) ** -24 * (1 - (1 + r_month) ** (-remaining)) / r_month
    return {
        "convert_now_value_usd": lease[:, months] * 100.0 * 1000.0 * annuity - 900e6,
        "mining_cash_flow_usd": mining,
        "decision_months": months,
        "discount_rate_per_year": 0.10,
        "features": np.stack([lease[:, months], hp[:, months]], axis=2),
        "feature_names": ["lease_rate_usd_per_kw_month", "hashprice_usd_per_ph_day"],
    }


def naive_lsm(exercise: np.ndarray, df: np.ndarray, hold: np.ndarray, x: np.ndarray) -> float:
    """The same algorithm written path by path: a Python loop over paths builds each date's design
    matrix and applies each decision (the baseline the vectorised engine is measured against)."""
    n_paths, n_dates = exercise.shape
    value_after = [0.0] * n_paths
    for d in range(n_dates - 1, -1, -1):
        rows, targets, idx = [], [], []
        for p in range(n_paths):
            if exercise[p, d] > 0:
                a, b = x[p, d, 0], x[p, d, 1]
                rows.append([1.0, a, b, a * a, a * b, b * b])
                targets.append((value_after[p] + df[d] * hold[p, d]) / df[d])
                idx.append(p)
        coef = None
        if len(idx) >= 20:
            design = np.array(rows)
            scale = np.abs(design).max(axis=0)
            coef = np.linalg.lstsq(design / scale, np.array(targets), rcond=None)[0] / scale
        for p in range(n_paths):
            cont = value_after[p] + df[d] * hold[p, d]
            if exercise[p, d] > 0:
                a, b = x[p, d, 0], x[p, d, 1]
                fitted = (
                    float(np.dot(coef, [1.0, a, b, a * a, a * b, b * b]))
                    if coef is not None
                    else float(np.mean(targets))
                )
                value_after[p] = df[d] * exercise[p, d] if exercise[p, d] > fitted else cont
            else:
                value_after[p] = cont
    return float(np.mean(value_after))


def engine_inputs(data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    months = data["decision_months"]
    mining = data["mining_cash_flow_usd"]
    df_month = 1.10 ** (-np.arange(mining.shape[1]) / 12.0)
    segments = np.add.reduceat(mining * df_month, months, axis=1)
    df = df_month[months]
    return data["convert_now_value_usd"], df, segments / df, data["features"]


def synthetic_plan(seed: int = 1, n_sites: int = 28, n_years: int = 15) -> dict:
    rng = np.random.default_rng(seed)
    base = rng.normal(150e6, 200e6, n_sites)
    growth = rng.normal(0.0, 0.05, n_sites)
    years = np.arange(n_years)
    return {
        "value_usd": base[:, None] * (1 + growth[:, None]) ** years / 1.10**years,
        "capex_usd": rng.uniform(300e6, 2e9, n_sites),
        "capex_schedule": (0.6, 0.4),
        "critical_it_mw": rng.uniform(30, 300, n_sites),
        "site_ids": [f"site-{i:02d}" for i in range(n_sites)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 paths, one timing run")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (median)")
    args = parser.parse_args()
    n_paths = 2_000 if args.quick else 10_000
    repeat = 1 if args.quick else args.repeat

    data = synthetic_conversion(n_paths)
    ex, df, hold, x = engine_inputs(data)
    option = conversion_option(**data)
    t_option = median_seconds(lambda: conversion_option(**data), repeat)
    t_engine = median_seconds(
        lambda: longstaff_schwartz(ex, df, x, holding_cash_flow_usd=hold, keep_boundary=False),
        repeat,
    )
    fast_value = longstaff_schwartz(ex, df, x, holding_cash_flow_usd=hold).value
    t0 = time.perf_counter()
    slow_value = naive_lsm(ex, df, hold, x)
    t_naive = time.perf_counter() - t0
    print(f"LSM engine, {n_paths:,} paths x {ex.shape[1]} yearly dates: median {t_engine * 1e3:.1f} ms; "
          f"naive per-path loop {t_naive * 1e3:,.0f} ms; ratio {t_naive / t_engine:,.0f}x "
          f"(values {fast_value / 1e6:,.2f} vs {slow_value / 1e6:,.2f} $M)")  # fmt: skip
    print(f"conversion_option (engine + rule + summaries): median {t_option * 1e3:.1f} ms (goal ~5 s); "
          f"option to wait {option.option_to_wait_usd / 1e6:,.1f} $M +/- {option.option_to_wait_std_error_usd / 1e6:,.1f}; "
          f"rule: {option.rule.text} ({option.rule.agreement_share:.0%} of decisions)")  # fmt: skip

    plan_data = synthetic_plan()
    cases = [
        (
            "loose, $1,500M/yr, 600 MW/yr",
            {"equity_budget_usd_per_year": 1.5e9, "mw_cap_per_year": 600.0},
        ),
        (
            "medium, $800M/yr, 400 MW/yr",
            {"equity_budget_usd_per_year": 800e6, "mw_cap_per_year": 400.0},
        ),
        ("total $3B, 400 MW/yr", {"equity_budget_usd_total": 3e9, "mw_cap_per_year": 400.0}),
        (
            "tight, $400M/yr, 300 MW/yr",
            {"equity_budget_usd_per_year": 400e6, "mw_cap_per_year": 300.0},
        ),
    ]
    for label, budget in cases[:2] if args.quick else cases:
        t0, c0 = time.perf_counter(), time.process_time()
        plan = plan_conversions(**plan_data, **budget, time_limit_s=10.0)
        t_plan, c_plan = time.perf_counter() - t0, time.process_time() - c0
        state = "optimal" if plan.optimal else f"time limit, gap {plan.mip_gap:.2%}"
        state += "" if plan.shadow_optimal else "; re-solve at time limit"
        print(f"plan 28 sites x 15 years, {label}: {t_plan * 1e3:,.0f} ms wall, "
              f"{c_plan * 1e3:,.0f} ms CPU for the plan and its +$100M re-solve ({state}); "
              f"{(plan.start_year >= 0).sum()} sites, value {plan.value_usd / 1e9:,.2f} $B, "
              f"+$100M worth {plan.shadow_value_usd / 1e6:,.1f} $M (goal < 1 s)")  # fmt: skip


if __name__ == "__main__":
    main()
