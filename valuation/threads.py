"""Local parallelism: a few worker threads over independent pieces of array work, in order.

numpy releases the GIL inside its array operations, so chunks of Monte Carlo paths (or sites)
valued on threads use the machine's cores without copying anything between processes. Results
come back in the items' order, so no number depends on the thread count. While workers run,
BLAS is held to one thread (the workers already fill the cores; BLAS threads on top of them
oversubscribe and stall a small machine); the limit is shared by overlapping callers (two app
sessions, a plan and a Monte Carlo) and lifted when the last one finishes.

Threads: the cores this process may use (CPU affinity and a cgroup v2 CPU quota, whichever is
fewer), at most :data:`MAX_THREADS`; the environment variable ``HASHPIVOT_THREADS`` (1 to 64)
sets it. Memory grows with the threads: each holds one chunk's working arrays.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits  # a scikit-learn dependency

from valuation.errors import ValuationError

__all__ = ["MAX_THREADS", "ThreadsError", "local_threads", "map_in_threads", "one_blas_thread"]

# A default cap: beyond a few threads the chunks' memory grows faster than the speed (and the
# GIL-held Python between array operations stops scaling). HASHPIVOT_THREADS overrides it.
MAX_THREADS = 4
_ENV = "HASHPIVOT_THREADS"
_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "quota period" or "max period"

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


class ThreadsError(ValuationError, ValueError):
    """A bad thread setting: names the variable, its value and what is allowed."""


def _quota_cpus() -> int | None:
    """Whole CPUs of the cgroup v2 quota (rounded up), None without one."""
    try:
        quota, period = _CPU_MAX.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(1, math.ceil(int(quota) / int(period)))
    except (ValueError, ZeroDivisionError):
        return None


def local_threads() -> int:
    """Worker threads for local runs (module docstring)."""
    env = os.environ.get(_ENV)
    if env is not None and env.strip():
        try:
            value = int(env)
        except ValueError:
            value = 0
        if not 1 <= value <= 64:
            raise ThreadsError(f"{_ENV}={env[:20]!r} is not allowed: a whole number from 1 to 64")
        return value
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = _quota_cpus()
    return max(1, min(cores, quota or cores, MAX_THREADS))


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS held to one thread while any caller is inside (re-entrant across threads: the first
    caller sets the limit, the last one restores what was there before)."""
    global _blas_users, _blas_limiter
    with _blas_lock:
        if _blas_users == 0:
            _blas_limiter = threadpool_limits(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


def map_in_threads(fn: Callable[[_Item], _Result], items: Sequence[_Item]) -> Iterator[_Result]:
    """``fn`` over ``items`` on :func:`local_threads` threads, results in the items' order, at
    most two items ahead of the consumer per thread. A consumer that stops early (or raises)
    cancels what has not started; the pieces already running finish first."""
    workers = min(local_threads(), len(items))
    if workers <= 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(workers)
    pending: deque[Future[_Result]] = deque()
    try:
        with one_blas_thread():
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
