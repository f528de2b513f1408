"""Benchmark: vectorised ``valuation.finance.irr`` against per-row numpy-financial and pyxirr.

10,000 monthly cash-flow paths of 181 periods (capex up front, then positive flows with noise).
numpy_financial.irr (an eigenvalue solve per row) is timed on a few hundred rows and scaled to
10,000; pyxirr.irr is looped over every row. Prints times, speed ratios and the worst
disagreement with each reference. Run: ``python3 benchmarks/bench_finance.py [--sample 300]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import numpy_financial as npf
import pyxirr

from valuation import finance

N_PATHS = 10_000
N_PERIODS = 181


def make_paths(n_paths: int, n_periods: int, seed: int = 0) -> np.ndarray:
    """Capex of 80-120 at month 0, then monthly inflows around 1.2 with 40% noise (kept > 0)."""
    rng = np.random.default_rng(seed)
    cf = np.abs(rng.normal(1.2, 0.48, (n_paths, n_periods))) + 0.01
    cf[:, 0] = -rng.uniform(80, 120, n_paths)
    return cf


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=300, help="rows timed for numpy-financial")
    args = parser.parse_args()

    cf = make_paths(N_PATHS, N_PERIODS)
    finance.irr(cf[:10])  # build the cached rate grid outside the timing

    t_vec = best_of(lambda: finance.irr(cf), 3)
    ours = finance.irr(cf)

    sample = cf[: args.sample]
    t0 = time.perf_counter()
    ref_npf = np.array([npf.irr(row) for row in sample])
    t_npf = (time.perf_counter() - t0) * N_PATHS / args.sample

    t0 = time.perf_counter()
    ref_pyx = np.array([pyxirr.irr(row) for row in cf], dtype=float)
    t_pyx = time.perf_counter() - t0

    worst_npf = np.nanmax(np.abs(ours[: args.sample] - ref_npf))
    worst_pyx = np.nanmax(np.abs(ours - ref_pyx))
    residual = np.abs(finance.npv(ours, cf))

    print(f"paths x periods: {N_PATHS} x {N_PERIODS}")
    print(f"valuation.finance.irr (vectorised)   : {t_vec:8.3f} s")
    print(
        f"numpy_financial.irr loop (scaled from {args.sample} rows): {t_npf:8.1f} s "
        f"({t_npf / N_PATHS * 1e3:.1f} ms/row)"
    )
    print(f"pyxirr.irr loop                      : {t_pyx:8.3f} s")
    print(f"speed-up vs numpy-financial loop     : {t_npf / t_vec:8.0f} x  (goal >= 300 x)")
    print(f"speed-up vs pyxirr loop              : {t_pyx / t_vec:8.2f} x  (goal > 1 x)")
    print(f"worst |irr - numpy_financial.irr|    : {worst_npf:.2e}  (goal <= 1e-6)")
    print(f"worst |irr - pyxirr.irr|             : {worst_pyx:.2e}")
    print(f"worst |NPV at irr| (flows ~1e2)      : {residual.max():.2e}")
    kinds, counts = np.unique(finance.irr_details(cf).kind, return_counts=True)
    print(f"IRR kinds: {dict(zip(kinds.tolist(), counts.tolist(), strict=True))}")


if __name__ == "__main__":
    main()
