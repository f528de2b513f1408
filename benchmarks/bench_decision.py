"""Benchmark: ``compare`` for one site (goal well under 50 ms median; the app calls it on every
slider move) and ``compare_portfolio`` on the example portfolio (goal under 1 s).

Run: ``python3 benchmarks/bench_decision.py`` (add ``--repeat N`` for more timing runs per site).
Prints the median ``compare`` time for a typical site (median power among the valued sites), for
the largest site (most MW, then most halls), the median across all sites of each site's median,
the slowest site, and the median ``compare_portfolio`` time. Timings are wall-clock medians, so a
busy machine shows up in the slowest site more than in the medians. Then the typical site on a
fixed contract expiring mid-horizon (two mining calls blended by month) and with every one of
its region's policy levers on, each as a ratio against the same site without, timed alternately
in the same run.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace
from datetime import date

from timing import median_seconds

from sites import load_example_portfolio
from valuation.decision import compare, compare_portfolio
from valuation.regions import region_for
from valuation.scenario import Scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timing runs per site (median)")
    args = parser.parse_args()
    sites = load_example_portfolio()
    scenario = Scenario()
    table = compare_portfolio(sites, scenario)  # warm caches (price curve, imports)
    ok_ids = set(table.loc[table["error"] == "", "site_id"])
    valued = sorted((s for s in sites if s.id in ok_ids), key=lambda s: s.power.contracted_mw)
    typical = valued[(len(valued) - 1) // 2]
    largest = max(valued, key=lambda s: (s.power.contracted_mw, s.facility.hall_count or 0))

    per_site = {s.id: median_seconds(lambda s=s: compare(s, scenario), args.repeat) for s in valued}
    whole = median_seconds(lambda: compare_portfolio(sites, scenario), 5)
    slowest = max(per_site, key=per_site.__getitem__)

    def ms(seconds: float) -> str:
        return f"{seconds * 1e3:.1f} ms"

    print(f"compare, typical site {typical.id!r} ({typical.power.contracted_mw:,.0f} MW): "
          f"median {ms(per_site[typical.id])} (goal < 50 ms)")  # fmt: skip
    print(f"compare, largest site {largest.id!r} ({largest.power.contracted_mw:,.0f} MW): "
          f"median {ms(per_site[largest.id])}")  # fmt: skip
    print(f"compare, median across {len(per_site)} sites: "
          f"{ms(statistics.median(per_site.values()))}; slowest {slowest!r} {ms(per_site[slowest])}")  # fmt: skip
    print(f"compare_portfolio({len(sites)} sites, {len(valued)} valued): median {ms(whole)} "
          "(goal < 1,000 ms)")  # fmt: skip

    # Contract expiry and policy levers on the typical site, against the site without them.
    as_of = scenario.market.as_of
    fixed = replace(typical, power=replace(typical.power, contract_type="fixed_ppa",
                                           contract_price_usd_per_mwh=30.0, contract_expiry=None))  # fmt: skip
    mid = scenario.horizon_months // 2
    expiry = date(as_of.year + (as_of.month - 1 + mid) // 12, (as_of.month - 1 + mid) % 12 + 1, 1)
    expiring = replace(fixed, power=replace(fixed.power, contract_expiry=expiry))
    levers = replace(scenario, policy_levers=tuple(lv.key for lv in region_for(typical.grid_region).levers()))  # fmt: skip
    for label, base_fn, fn in (
        (f"fixed contract expiring {expiry:%b %Y}", lambda: compare(fixed, scenario),
         lambda: compare(expiring, scenario)),
        (f"all {len(levers.policy_levers)} of its region's levers on",
         lambda: compare(typical, scenario), lambda: compare(typical, levers)),
    ):  # fmt: skip
        base_t, new_t = [], []
        for _ in range(args.repeat):  # alternate, so machine load falls on both alike
            base_t.append(median_seconds(base_fn, 1))
            new_t.append(median_seconds(fn, 1))
        b, t = statistics.median(base_t), statistics.median(new_t)
        print(f"compare, typical site, {label}: median {ms(t)} ({t / b:.2f}x the site without)")


if __name__ == "__main__":
    main()
