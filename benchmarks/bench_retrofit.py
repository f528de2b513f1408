"""Benchmark: time of one ``models.estimate_retrofit`` call (the app re-runs it on every slider move).

Times the default target on every example site, and a custom Tier IV immersion target on the
largest, each ``--repeats`` times after one warm-up call; prints the median and the slowest
per-call time. Goal: a few milliseconds per call (budget 5 ms). Speed goals live here, never in
tests. Run: ``python3 benchmarks/bench_retrofit.py [--repeats 30]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from models import RetrofitTarget, default_target, estimate_retrofit
from sites import load_example_portfolio


def per_call_s(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall time of each of ``repeats`` calls after one warm-up, seconds."""
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    sites = load_example_portfolio()
    times: list[float] = []
    per_site: dict[str, float] = {}
    for site in sites:
        target = default_target(site)
        t = per_call_s(lambda s=site, g=target: estimate_retrofit(s, g), args.repeats)
        times += t
        per_site[site.id] = statistics.median(t)
    largest = max(sites, key=lambda s: s.firm_mw)
    custom = RetrofitTarget(
        default_target(largest).critical_it_mw,
        cooling="immersion",
        tier="IV",
        electrical_redundancy="2N",
        mechanical_redundancy="2N",
        reuse_buildings=False,
    )
    t_custom = per_call_s(lambda: estimate_retrofit(largest, custom), args.repeats)
    slowest = max(per_site, key=per_site.__getitem__)
    print(f"estimate_retrofit, default target, {len(sites)} example sites x {args.repeats} calls")
    print(f"  median per call        {statistics.median(times) * 1e3:7.2f} ms")
    print(f"  slowest site (median)  {per_site[slowest] * 1e3:7.2f} ms  ({slowest})")
    print(f"  worst single call      {max(times) * 1e3:7.2f} ms")
    print(
        f"Tier IV immersion new build on {largest.id}: median "
        f"{statistics.median(t_custom) * 1e3:.2f} ms per call"
    )


if __name__ == "__main__":
    main()
