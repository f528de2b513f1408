"""Benchmark: mining on many 1-MW power profiles, the kernel against the path it replaced.

Old: ``mining_cash_flows`` on the ``(P, n)`` 0/1 profile mask with hashprice ``(K, 1, n)`` (every
operation on ``(K, P, n)``; what ``valuation.strategies._mining`` ran for the profiles). New:
``valuation.mining_profiles.profile_blocks`` (the per-MW economics once on ``(K, n)``, the stop
rules per profile). Both measured in the same run, interleaved (old, new, old, new, ...), median
of ``--repeats``; the ratio old / new is printed with the absolute times and the largest
difference between the two results.

1. Synthetic: ``--paths`` (default 1,024) paths x ``--profiles`` (15: profile 0 mines throughout,
   the others stop at months spread over the horizon and past it) x 180 months, 48 price points
   per path and month (as the Monte Carlo passes them), economic shutdown and fleet sales on
   (the scenario defaults).
2. ``compare`` on one example site (``--site``, default riot-rockdale), with
   ``valuation.strategies.profile_blocks`` swapped for the old path and back.

Run: ``python3 benchmarks/bench_mining_profiles.py`` (``--quick``: 256 paths, 3 repeats).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import valuation.strategies as strategies
from sites import load_example_portfolio
from valuation.decision import compare
from valuation.market import DEFAULT_MARKET
from valuation.mining import MiningAssumptions, hashprice_path, mining_cash_flows
from valuation.mining_profiles import profile_blocks
from valuation.power import PowerContract


def old_profile_blocks(hp, end_month, *, prices=None, **kwargs) -> dict[str, np.ndarray]:  # noqa: ANN001, ANN003
    """The replaced path: ``mining_cash_flows`` on the profile mask, composed as ``_mining``."""
    end = np.asarray(end_month, dtype=float)
    hp = np.asarray(hp, dtype=float)
    mask = (np.arange(hp.shape[-1]) < end[:, None]).astype(float)
    if isinstance(prices, np.ndarray) and prices.ndim == 3:  # (K, n, points): one per path
        prices = prices[:, None]
    mcf = mining_cash_flows(mask, hp[..., None, :], prices=prices, power_end_month=end, **kwargs)
    return {
        "revenue": mcf.revenue_usd + mcf.curtailment_credit_usd + mcf.dr_payment_usd
        + mcf.salvage_usd,
        "opex": mcf.power_cost_usd + mcf.opex_usd,
        "capex": mcf.capex_usd,
        "continuation_value": mcf.continuation_value_usd,
    }  # fmt: skip


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each function, run in turn ``repeats`` times (after one warm-up each)."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def max_rel_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    return max(float(np.abs(a[k] - b[k]).max() / max(1.0, float(np.abs(b[k]).max()))) for k in b)


def synthetic(n_paths: int, n_profiles: int, repeats: int) -> None:
    n = 180
    rng = np.random.default_rng(11)
    base = hashprice_path(DEFAULT_MARKET, n).hashprice_usd_per_ph_day
    hp = base * np.exp(rng.normal(-0.5 * 0.1**2, 0.1, (n_paths, n)).cumsum(axis=-1))
    end = np.r_[np.inf, np.linspace(6, 240, n_profiles - 1).round()]
    points = np.sort(rng.gamma(2.0, 15.0, 48) - 5.0)
    prices = points * rng.uniform(0.7, 1.4, (n_paths, n, 1))  # (K, n, 48)
    kwargs = dict(
        assumptions=MiningAssumptions(),
        contract=PowerContract(),
        prices=prices,
        start=DEFAULT_MARKET.as_of,
        discount_rate_per_year=0.15,
        economic_shutdown=True,
        salvage=True,
    )
    diff = max_rel_diff(profile_blocks(hp, end, **kwargs), old_profile_blocks(hp, end, **kwargs))
    t = interleaved(
        {
            "old": lambda: old_profile_blocks(hp, end, **kwargs),
            "new": lambda: profile_blocks(hp, end, **kwargs),
        },
        repeats,
    )
    print(f"1. profiles: K={n_paths:,} paths x P={n_profiles} profiles x n={n} months, 48 points")
    print(f"   old (mining_cash_flows on the mask): {t['old']:.3f} s")
    print(f"   new (profile_blocks):                {t['new']:.3f} s")
    print(f"   speed-up old/new: {t['old'] / t['new']:.1f}x; max relative difference {diff:.1e}")


def compare_site(site_id: str, repeats: int) -> None:
    site = next(s for s in load_example_portfolio() if s.id == site_id)
    kernel = strategies.profile_blocks

    def run(fn: Callable) -> float:  # noqa: ANN001
        strategies.profile_blocks = fn  # type: ignore[attr-defined]
        try:
            return compare(site).strategy_npv_usd["keep_mining"]
        finally:
            strategies.profile_blocks = kernel  # type: ignore[attr-defined]

    def blocks(fn: Callable) -> object:  # noqa: ANN001
        strategies.profile_blocks = fn  # type: ignore[attr-defined]
        try:
            return strategies.mining_blocks(model)
        finally:
            strategies.profile_blocks = kernel  # type: ignore[attr-defined]

    model = strategies.build_site_model(site)
    tb = interleaved(
        {"old": lambda: blocks(old_profile_blocks), "new": lambda: blocks(kernel)}, repeats
    )
    npv_old, npv_new = run(old_profile_blocks), run(kernel)
    t = interleaved({"old": lambda: run(old_profile_blocks), "new": lambda: run(kernel)}, repeats)
    print(f"2. {site.id}: {model.profiles.end_month.size} profiles")
    print(f"   mining_blocks(model), the scenario's path: old {1e3 * tb['old']:.1f} ms, new "
          f"{1e3 * tb['new']:.1f} ms, speed-up {tb['old'] / tb['new']:.2f}x")  # fmt: skip
    print(f"   compare old: {t['old']:.3f} s   new: {t['new']:.3f} s   speed-up "
          f"{t['old'] / t['new']:.2f}x"
          f"; keep_mining NPV old {npv_old:,.0f} new {npv_new:,.0f} USD")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paths", type=int, default=1_024)
    ap.add_argument("--profiles", type=int, default=15)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--site", default="riot-rockdale")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    paths, repeats = (256, 3) if args.quick else (args.paths, args.repeats)
    synthetic(paths, args.profiles, repeats)
    compare_site(args.site, repeats)


if __name__ == "__main__":
    main()
