"""Benchmark: a full garbage collection in a process like the app's server after its first page
run, before and after ``app_support.heap.freeze_after_first_run`` (goal: a collection no longer
holds a slider step for a noticeable time; under 10 ms).

Run: ``python3 benchmarks/bench_gc.py``.

The heap is built as the server's first run builds it: the libraries the app imports
(Streamlit, pandas, pyarrow, scipy, scikit-learn, the app's packages) and the example
portfolio valued once. Baseline, measured in the same run: ``gc.collect()`` on that heap.
Then the heap is frozen, one more site is valued (what a session adds after the first run) and
the collection is timed again. Medians of five.
"""

from __future__ import annotations

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
    sites = load_example_portfolio()
    compare_portfolio(sites, Scenario())
    kept = [compare(sites[0], Scenario())]  # a decision the first run caches
    tracked_before = len(gc.get_objects())
    before_s = median_seconds(gc.collect, 5)
    heap.freeze_after_first_run()
    kept.append(compare(sites[1], Scenario()))  # what a session adds after the first run
    tracked_after = len(gc.get_objects())
    after_s = median_seconds(gc.collect, 5)
    print(
        f"full collection after the first run: {after_s * 1e3:.2f} ms over {tracked_after:,} "
        f"tracked objects (goal < 10 ms); baseline (not frozen) {before_s * 1e3:.1f} ms over "
        f"{tracked_before:,}, {before_s / after_s:.0f}x faster; frozen: {gc.get_freeze_count():,}"
    )
    del kept


if __name__ == "__main__":
    main()
