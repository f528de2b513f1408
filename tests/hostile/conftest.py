"""Issue 16's hostile-input suite: one test per item (``test_itemNN_...``), plus the properties
that held under attack (concurrency, kill -9, injection) rerun briefly. Run it alone with
``PYTHONPATH=$PWD python3 -m pytest tests/hostile -q -p no:cacheprovider``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (HERE, ROOT):  # hostile_files, and app_support beside app.py
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database on SQLite, and on the real PostgreSQL server of tests/conftest."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hostile.sqlite3'}"
        return
    from sites.store import metadata

    url = request.getfixturevalue("postgres_url")
    yield url
    engine = create_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
    engine.dispose()
