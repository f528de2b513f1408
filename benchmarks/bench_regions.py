"""Benchmark: grid-region curves and the replay of a dated price file.

Run: ``python3 benchmarks/bench_regions.py`` (``--quick`` for a month instead of a year).
Prints (1) the time to generate each region's hourly year and its 744-point curve once (cached
afterwards, so a ``compare`` pays it at most once per region and size) and the cached lookup
time; (2) ``replay`` on 5-minute prices against a plain Python loop over the same intervals
building the same monthly table (the baseline, measured in the same run), as a ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from timing import median_seconds

from valuation.power import PowerContract, PriceSeries
from valuation.regions import all_regions
from valuation.replay import mining_value_usd_per_mwh, replay


def _loop_replay(series: PriceSeries, r: float, mw: float, flex: float) -> dict:
    """The same monthly table as ``replay`` (fixed price with resale), one interval at a time."""
    h = series.interval_hours
    table: dict[tuple[int, int], list[float]] = {}
    for t, p in zip(series.timestamps, series.prices_usd_per_mwh.tolist(), strict=True):
        row = table.setdefault((t.year, t.month), [0.0] * 7)
        row[0] += h
        row[1] += p
        if p > r:
            mwh = mw * flex * h
            row[2] += h
            row[3] += mwh
            row[4] += mwh * p
            row[5] += mwh * r
            row[6] += mwh * (p - r)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one month of prices, 3 runs")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    for region in all_regions():
        t0 = time.perf_counter()
        region.price_curve(744)
        first = time.perf_counter() - t0
        cached = median_seconds(lambda r=region: r.price_curve(744), repeat)
        print(f"{region.name:10s} first curve {first * 1e3:7.1f} ms, cached {cached * 1e6:6.1f} us")
    end = "2023-09-01" if args.quick else "2024-08-01"
    stamps = pd.date_range("2023-08-01", end, freq="5min", inclusive="left")
    prices = np.random.default_rng(1).lognormal(3.3, 0.9, len(stamps))
    series = PriceSeries(stamps, prices, 5 / 60)
    contract = PowerContract(contract_type="fixed_ppa", price_usd_per_mwh=25.0, flexible_share=0.95)
    r = mining_value_usd_per_mwh(60.0, 25.0)
    fast = median_seconds(lambda: replay(series, contract, 100.0, 25.0, 60.0), repeat)
    slow = median_seconds(lambda: _loop_replay(series, r, 100.0, 0.95), repeat)
    print(
        f"replay of {len(stamps):,} 5-minute prices: {fast * 1e3:.1f} ms; plain Python loop (same table) "
        f"{slow * 1e3:.1f} ms; ratio loop/replay {slow / fast:.1f}x"
    )


if __name__ == "__main__":
    main()
