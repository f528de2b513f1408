"""app_support.heap: the server's heap is frozen once, after the first run."""

from __future__ import annotations

import gc
import weakref

import pytest

from app_support import heap


@pytest.fixture
def fresh_heap_state(monkeypatch: pytest.MonkeyPatch):
    """The module as a new process has it (not frozen; the root conftest marks it done for every
    other test), and the test worker's heap unfrozen after."""
    monkeypatch.setattr(heap, "_frozen", False)
    yield
    gc.unfreeze()


def test_the_first_run_freezes_the_heap_and_later_runs_do_not_collect(
    fresh_heap_state, monkeypatch: pytest.MonkeyPatch
):
    gc.unfreeze()
    holder = [[1.0], [2.0]]  # a container alive before the first run ends: tracked
    assert any(o is holder for o in gc.get_objects())
    assert heap.freeze_after_first_run() is True
    assert gc.get_freeze_count() > 0
    assert not any(o is holder for o in gc.get_objects())  # frozen: full collections skip it
    collections: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or 0)
    assert heap.freeze_after_first_run() is False  # a later run: nothing collected or frozen
    assert collections == []


def test_objects_made_after_the_freeze_are_still_collected(fresh_heap_state):
    gc.unfreeze()
    heap.freeze_after_first_run()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a reference cycle made by a later run: only the collector frees it
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    assert gone() is None
