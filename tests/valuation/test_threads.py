"""valuation.threads: results in order, errors raised, early stops cancel the rest, the thread
count from the machine or HASHPIVOT_THREADS (bounded, named when bad), and one BLAS thread while
any caller is inside, restored when the last one leaves."""

from __future__ import annotations

import threading
import time

import pytest
from threadpoolctl import threadpool_info

from valuation import threads


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_results_come_in_order_and_the_first_error_is_raised(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(threads, "local_threads", lambda: 3)
    items = list(range(23))
    assert list(threads.map_in_threads(lambda i: i * i, items)) == [i * i for i in items]

    def fail_at_5(i: int) -> int:
        if i == 5:
            raise ValueError("item 5")
        return i

    with pytest.raises(ValueError, match="item 5"):
        list(threads.map_in_threads(fail_at_5, items))


def test_a_consumer_that_stops_early_cancels_what_has_not_started(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(threads, "local_threads", lambda: 2)
    started: list[int] = []
    lock = threading.Lock()

    def slow(i: int) -> int:
        with lock:
            started.append(i)
        time.sleep(0.02)
        return i

    results = threads.map_in_threads(slow, list(range(100)))
    assert next(results) == 0
    results.close()  # the consumer stops: the pool shuts down, queued items are cancelled
    assert len(started) <= 2 * 2 + 2  # at most the queue ahead plus the running ones
    assert threads._blas_users == 0


def test_thread_count_from_the_environment_is_bounded_and_named(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("HASHPIVOT_THREADS", "3")
    assert threads.local_threads() == 3
    for bad in ("0", "65", "two", "1e9"):
        monkeypatch.setenv("HASHPIVOT_THREADS", bad)
        with pytest.raises(threads.ThreadsError, match="HASHPIVOT_THREADS.*1 to 64"):
            threads.local_threads()
    monkeypatch.delenv("HASHPIVOT_THREADS")
    assert 1 <= threads.local_threads() <= threads.MAX_THREADS


@pytest.mark.parametrize(
    ("cpu_max", "want"),
    [("max 100000\n", None), ("150000 100000\n", 2), ("50000 100000\n", 1), ("garbage", None)],
)
def test_a_cgroup_quota_caps_the_threads(tmp_path, monkeypatch, cpu_max, want) -> None:  # noqa: ANN001
    path = tmp_path / "cpu.max"
    path.write_text(cpu_max)
    monkeypatch.setattr(threads, "_CPU_MAX", path)
    monkeypatch.delenv("HASHPIVOT_THREADS", raising=False)
    assert threads._quota_cpus() == want
    if want is not None:
        assert threads.local_threads() <= want


def test_one_blas_thread_is_shared_and_restored_by_the_last_caller() -> None:
    before = _blas_threads()
    first = threads.one_blas_thread()
    second = threads.one_blas_thread()
    first.__enter__()
    second.__enter__()
    assert all(n == 1 for n in _blas_threads())
    first.__exit__(None, None, None)  # the first caller leaves while the second is inside
    assert all(n == 1 for n in _blas_threads())
    second.__exit__(None, None, None)
    assert _blas_threads() == before
