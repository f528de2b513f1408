"""Benchmark: Monte Carlo driver paths, 10,000 paths x 180 months (``valuation.drivers``).

Times ``generate_paths`` and measures its peak traced memory (``tracemalloc``: numpy reports
its array allocations to it), then times a naive baseline on a subset of paths: a Python loop
over paths and months through the same formulas, recursions written as recursions (AR(1),
the lagged moving response), fed the same raw draws. The baseline's numbers are checked against
the vectorised ones, then its time is scaled to the full path count and the ratio printed.

Run: ``python3 benchmarks/bench_drivers.py`` (``--quick``: 2,048 paths; ``--paths N``).
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

import numpy as np

from valuation.drivers import (
    BLOCK_SIZE_PATHS,
    BasePaths,
    RiskDrivers,
    _draw,
    _month_steps,
    generate_blocks,
    generate_paths,
)
from valuation.market import BLOCKS_PER_DAY, DEFAULT_MARKET

N_MONTHS, LOOP_PATHS, SEED = 180, 40, 2026


def _naive(base: BasePaths, d: RiskDrivers, n: int) -> tuple[np.ndarray, np.ndarray]:
    """BTC price and hashprice of the first ``n`` paths, one path and one month at a time."""
    z, _, _, _ = _draw(SEED, 0, 1, N_MONTHS)
    chol = d.cholesky()
    dt = _month_steps(N_MONTHS)
    price = np.empty((n, N_MONTHS))
    hashprice = np.empty((n, N_MONTHS))
    s, sh = d.btc_volatility_per_year, d.hashrate_volatility_per_year
    phi = d.fees_persistence_per_month
    sig_f = d.fees_log_sd * math.sqrt(1 - phi * phi)
    lag, window = d.hashrate_lag_months, d.hashrate_response_months
    for p in range(n):
        x_btc = x_fee = var_f = noise = 0.0
        r_hist: list[float] = []
        for m in range(N_MONTHS):
            eps = [sum(chol[i, j] * z[j, p, m] for j in range(i + 1)) for i in range(5)]
            x_btc += (d.btc_excess_drift_per_year - 0.5 * s * s) * dt[m] + s * math.sqrt(
                dt[m]
            ) * eps[0]
            x_fee = phi * x_fee + sig_f * math.sqrt(dt[m] * 12) * eps[2]
            var_f = phi * phi * var_f + sig_f * sig_f * dt[m] * 12
            pr = base.btc_price_usd[m] * math.exp(x_btc)
            fee = base.fees_btc_per_block[m] * math.exp(x_fee - 0.5 * var_f)
            sub = base.subsidy_btc[m]
            r_hist.append(x_btc + math.log((sub + fee) / (sub + base.fees_btc_per_block[m])))
            lagged = [
                r_hist[t] if t >= 0 else 0.0 for t in range(m - lag - window + 1, m - lag + 1)
            ]
            response = d.hashrate_elasticity * sum(lagged) / window
            noise += (d.hashrate_excess_drift_per_year - 0.5 * sh * sh) * dt[m] + sh * math.sqrt(
                dt[m]
            ) * eps[1]
            h = base.network_hashrate_eh_s[m] * math.exp(response + noise)
            floor = base.hashprice_floor_usd_per_ph_day[m]
            if floor > 0:
                h = min(h, pr * BLOCKS_PER_DAY * (sub + fee) / (1000.0 * floor))
            price[p, m] = pr
            hashprice[p, m] = pr * BLOCKS_PER_DAY * (sub + fee) / (h * 1000.0)
    return price, hashprice


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,048 paths")
    ap.add_argument("--paths", type=int, default=10_000)
    args = ap.parse_args()
    n_paths = 2 * BLOCK_SIZE_PATHS if args.quick else args.paths
    base = BasePaths.from_market(DEFAULT_MARKET, N_MONTHS)
    drivers = RiskDrivers()
    generate_blocks(base, drivers, SEED, 0, 1)  # warm-up

    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        paths = generate_paths(base, drivers, SEED, n_paths)
        times.append(time.perf_counter() - t0)
    vec_s = float(np.median(times))
    del paths
    tracemalloc.start()
    paths = generate_paths(base, drivers, SEED, n_paths)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    output_bytes = sum(
        getattr(paths, f).nbytes
        for f in (
            "btc_price_usd",
            "network_hashrate_eh_s",
            "fees_btc_per_block",
            "hashprice_usd_per_ph_day",
            "power_price_scale",
            "lease_rate_scale",
            "signing_month",
            "default_month",
            "capex_scale",
            "delay_months",
        )
    )

    t0 = time.perf_counter()
    naive_price, naive_hp = _naive(base, drivers, LOOP_PATHS)
    loop_s = (time.perf_counter() - t0) * n_paths / LOOP_PATHS
    np.testing.assert_allclose(naive_price, paths.btc_price_usd[:LOOP_PATHS], rtol=1e-9)
    np.testing.assert_allclose(naive_hp, paths.hashprice_usd_per_ph_day[:LOOP_PATHS], rtol=1e-9)

    print(f"driver paths: {n_paths:,} paths x {N_MONTHS} months, seed {SEED}")
    print(f"  vectorised generate_paths: {vec_s:.3f} s ({vec_s / n_paths * 1e6:.1f} us per path)")
    print(
        f"  naive per-path loop (BTC, fees, hashrate only; {LOOP_PATHS} paths scaled): "
        f"{loop_s:.1f} s; agrees with the vectorised paths to 1e-9"
    )
    print(f"  speed-up: {loop_s / vec_s:.0f}x")
    print(
        f"  peak traced memory: {peak / 2**20:.0f} MiB "
        f"({peak / output_bytes:.1f}x the {output_bytes / 2**20:.0f} MiB of output arrays)"
    )


if __name__ == "__main__":
    main()
