"""Benchmark: a full garbage collection over the libraries' objects, before and after
``app_support.heap.freeze_after_first_run`` (goal: a collection no longer holds a slider step
for a noticeable time; under 10 ms).

Run: ``python3 benchmarks/bench_gc.py``.

The heap is the libraries the app's server imports (Streamlit, pandas, pyarrow, scipy,
scikit-learn, the app's packages and chart helpers) with the example portfolio valued once; it
is not the server itself (no sessions, no Tornado), so it has about as many tracked objects as
the server after its first page run (about 140,000-180,000, counted there with ``gc.get_objects``)
but not the same ones. Baseline, measured in the same run: ``gc.collect()`` on that heap. Then the
heap is frozen, the portfolio is valued again under another lease rate and every site's decision
is kept (more than a session adds after its first run), and the collection is timed again. Medians
of five.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
from pathlib import Path

# app_support is the app's own folder, not an installed package: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow  # noqa: F401, E402 - the server's libraries, imported as the app imports them
import scipy.optimize  # noqa: F401, E402
import sklearn.linear_model  # noqa: F401, E402
import streamlit  # noqa: F401, E402
from timing import median_seconds  # noqa: E402

import app_support.charts  # noqa: F401, E402
from app_support import heap  # noqa: E402
from sites import load_example_portfolio  # noqa: E402
from valuation.decision import compare, compare_portfolio  # noqa: E402
from valuation.scenario import Scenario  # noqa: E402


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    sites = load_example_portfolio()
    kept = [compare_portfolio(sites, Scenario())]  # the first run's valuation
    tracked_before = len(gc.get_objects())
    before_s = median_seconds(gc.collect, 5)
    heap.freeze_after_first_run()
    later = dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=110.0)
    kept.append(compare_portfolio(sites, later))
    kept.extend(compare(site, later) for site in sites)  # every site's decision, kept
    tracked_after = len(gc.get_objects())
    after_s = median_seconds(gc.collect, 5)
    print(
        f"full collection after the freeze: {after_s * 1e3:.2f} ms over {tracked_after:,} "
        f"tracked objects (goal < 10 ms); baseline (not frozen) {before_s * 1e3:.1f} ms over "
        f"{tracked_before:,}, {before_s / after_s:.0f}x faster; frozen: {gc.get_freeze_count():,}"
    )


if __name__ == "__main__":
    main()
