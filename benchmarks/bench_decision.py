"""Benchmark: ``compare`` for one site (goal well under 50 ms median) and ``compare_portfolio`` on
the example portfolio (goal under 1 s). Prints the figures; run ``python benchmarks/bench_decision.py``."""

from __future__ import annotations

import statistics
import time

from sites import load_example_portfolio
from valuation.decision import compare, compare_portfolio
from valuation.scenario import Scenario


def _median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    sites = load_example_portfolio()
    scenario = Scenario()
    table = compare_portfolio(sites, scenario)  # warm caches (price curve, imports)
    ok = table[table["error"] == ""]
    site = next(s for s in sites if s.id == ok["site_id"].iloc[0])
    one = _median_s(lambda: compare(site, scenario), 15)
    whole = _median_s(lambda: compare_portfolio(sites, scenario), 5)
    print(f"compare(one site {site.id!r}): median {one * 1e3:.1f} ms (goal < 50 ms)")
    print(
        f"compare_portfolio({len(sites)} sites, {len(ok)} valued): median {whole * 1e3:.0f} ms "
        "(goal < 1,000 ms)"
    )


if __name__ == "__main__":
    main()
