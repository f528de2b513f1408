"""Benchmark: mining cash flows with economic curtailment, 10,000 paths x 180 months, one site.

Compares the vectorised ``mining_cash_flows`` against a plain Python loop over paths and months
(one month at a time through the same formulas) on 100 paths, scaled to 10,000, and prints the
ratio. Run: ``python3 benchmarks/bench_mining.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from valuation.market import DEFAULT_MARKET
from valuation.mining import MiningAssumptions, PowerContract, hashprice_path, mining_cash_flows
from valuation.power import ERCOT_4CP, ERCOT_ECRS, ercot_sample_curve

N_PATHS, N_MONTHS, LOOP_PATHS, POWER_MW = 10_000, 180, 100, 150.0


def _paths(n: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    base = hashprice_path(DEFAULT_MARKET, N_MONTHS)
    shocks = np.exp(np.cumsum(rng.normal(-0.5 * 0.15**2, 0.15, size=(n, N_MONTHS)), axis=1))
    return hashprice_path(DEFAULT_MARKET, N_MONTHS, btc_price_usd=base.btc_price_usd * shocks)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help only
    curve = ercot_sample_curve()
    kwargs = dict(
        assumptions=MiningAssumptions(),
        contract=PowerContract(),
        prices=curve,
        programs=(ERCOT_ECRS, ERCOT_4CP),
    )
    path = _paths(N_PATHS)
    mining_cash_flows(POWER_MW, path, **kwargs)  # warm-up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        res = mining_cash_flows(POWER_MW, path, **kwargs)
        times.append(time.perf_counter() - t0)
    vec_s = float(np.median(times))

    small = _paths(LOOP_PATHS)
    t0 = time.perf_counter()
    loop_revenue = np.empty((LOOP_PATHS, N_MONTHS))
    for p in range(LOOP_PATHS):
        for m in range(N_MONTHS):
            one = mining_cash_flows(
                POWER_MW,
                small.hashprice_usd_per_ph_day[p, m : m + 1],
                assumptions=kwargs["assumptions"],
                contract=kwargs["contract"],
                prices=curve.prices_usd_per_mwh[(DEFAULT_MARKET.as_of.month - 1 + m) % 12],
                btc_price_usd=small.btc_price_usd[p, m : m + 1],
            )
            loop_revenue[p, m] = one.revenue_usd[0]
    loop_s = (time.perf_counter() - t0) * N_PATHS / LOOP_PATHS
    check = mining_cash_flows(POWER_MW, small, **{**kwargs, "programs": ()})
    # the loop treats each month as a fresh fleet of the same age only for month 0; compare month 0
    assert np.allclose(loop_revenue[:, 0], check.revenue_usd[:, 0])

    print(
        f"paths x months: {N_PATHS} x {N_MONTHS}, curve points: {curve.prices_usd_per_mwh.shape[1]}"
    )
    print(
        f"vectorised mining_cash_flows: {vec_s:.3f} s (median of 3), "
        f"{vec_s / N_MONTHS * 1e3:.2f} ms per month of {N_PATHS} paths"
    )
    print(f"Python loop over months, {LOOP_PATHS} paths scaled to {N_PATHS}: {loop_s:.1f} s")
    print(f"speed-up: {loop_s / vec_s:.0f}x")
    print(f"mean curtailed hours per month: {res.curtailed_hours.mean():.1f}")
    first_year = np.s_[:, :12]
    per_mw_year = 1.0 / POWER_MW
    print(
        f"4CP charge / credit in the first year: "
        f"${res.four_cp_charge_usd[first_year].sum(axis=1).mean() * per_mw_year:,.0f} / "
        f"${res.four_cp_credit_usd[first_year].sum(axis=1).mean() * per_mw_year:,.0f} per MW"
    )
    a = kwargs["assumptions"]
    print(
        f"refresh: {a.refresh_efficiency_j_per_th:.1f} J/TH at ${a.refresh_cost_usd_per_th:.2f}/TH, "
        f"${1e6 / (a.refresh_efficiency_j_per_th * a.mining_pue) * a.refresh_cost_usd_per_th:,.0f}"
        f" per MW (fleet before it: {a.efficiency_j_per_th:.1f} J/TH)"
    )
    retired = ~np.isnan(res.retired_month)
    print(
        f"paths retiring the fleet instead of refreshing: {retired.mean():.1%}"
        + (f", median month {np.median(res.retired_month[retired]):.0f}" if retired.any() else "")
    )


if __name__ == "__main__":
    main()
