"""Short full garbage collections in the app's server process.

Python's collector walks every tracked object on a full (generation 2) collection. After the
first page run the server holds about 180,000 of them: the imported libraries (Streamlit,
pandas, scipy, pyarrow), their modules' tables and the first caches. A full collection then
held the interpreter for 75-130 ms (the server's own, timed with a collector callback; and
``python3 benchmarks/bench_gc.py``, Nov 2026), and it comes whenever enough objects have piled
up, in the middle of whatever slider step is running. Nearly all of those objects
live as long as the process, so after the first run they are moved to the collector's permanent
generation (``gc.freeze``, the standard library's tool for this): later full collections walk
only what the session created since.

Frozen objects are still freed when nothing refers to them; only a reference cycle among them
would stay, and those are collected once before freezing.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_after_first_run() -> bool:
    """Once per process: collect the garbage, then freeze every object alive. Called at the end
    of each script run; True on the run that froze, False after."""
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.collect()
    gc.freeze()
    return True
