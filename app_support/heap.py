"""Short full garbage collections in the app's server process.

Python's collector walks every tracked object on a full (generation 2) collection. After the
first page run the server holds 140,000-180,000 of them: the imported libraries (Streamlit,
pandas, scipy, pyarrow), their modules' tables and the first caches. A full collection then held
the interpreter for 75-130 ms (timed in the server with a ``gc.callbacks`` hook during
``benchmarks/bench_app.py``, Nov 2026), whenever enough objects had piled up, in the middle of
whatever slider step was running. Nearly all of those objects live as long as the process, so
after the first run they are moved to the collector's permanent generation (``gc.freeze``, the
standard library's tool for this): later full collections walk only what was made since: under
1 ms in the server, 0.7 ms on ``python3 benchmarks/bench_gc.py``'s heap (120 ms before). They come
more often (they are triggered relative to the objects not frozen), each one short.

The costs, accepted: the first run that completes pays one ``gc.collect()`` (about 0.1 s, once
per process); and objects alive at the freeze (the libraries, the first session's state and
caches) are left to reference counting, so one of them that later becomes part of a garbage
reference cycle is never freed. That is bounded by the first run's heap, once per process.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_after_first_run() -> bool:
    """Once per process: collect the garbage, then freeze every object alive. Called at the end
    of app.py's run (a run that stops early, for st.rerun, st.stop or a page switch, does not
    reach it: the next one that completes freezes); True on the run that froze, False after."""
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.collect()
    gc.freeze()
    return True
