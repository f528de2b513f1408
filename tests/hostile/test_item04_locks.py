"""Item 4: opening a store takes no write lock when nothing needs creating or upgrading, and an
import parses and validates its file while holding no write lock."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from sites.store import SiteStore


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    raw = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")  # another session mid-write
    return raw


def test_item04_open_needs_no_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "inv.sqlite3"
    SiteStore(f"sqlite:///{path}", seed=True).close()
    raw = _hold_write_lock(path)
    try:
        t0 = time.perf_counter()
        store = SiteStore(f"sqlite:///{path}")  # was: waits 30 s, then "database is locked"
        assert time.perf_counter() - t0 < 5.0
        assert len(store.list()) > 0  # reads go on while another session writes
        store.close()
    finally:
        raw.execute("ROLLBACK")
        raw.close()


def test_item04_import_parses_without_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sites.store as store_module

    path = tmp_path / "inv.sqlite3"
    store = SiteStore(f"sqlite:///{path}")
    csv_path = tmp_path / "one.csv"
    csv_path.write_text("id,name,latitude,longitude,grid_region\na,Alpha,31,-100,ERCOT\n")
    real_parse = store_module.parse_sites
    seen: dict[str, str] = {}

    def parse_and_try_to_write(*args, **kwargs):
        # While the file is parsed and validated, another session can take the write lock.
        other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen["other"] = "could write"
        except sqlite3.OperationalError as exc:
            seen["other"] = str(exc)
        finally:
            other.close()
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(store_module, "parse_sites", parse_and_try_to_write)
    report = store.import_file(csv_path)
    assert seen["other"] == "could write"
    assert report.created == ("a",)
    store.close()
