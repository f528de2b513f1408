"""The app's helpers live beside app.py, outside the installed packages: make the repository root
importable for these tests the same way ``streamlit run app.py`` does for the app."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite store for the app under test (``HASHPIVOT_DB_URL``). The store and the
    valuations are cached resources: they are cleared before and after, so each test starts on
    its own database."""
    import streamlit as st

    url = f"sqlite:///{tmp_path / 'hashpivot-app.sqlite'}"
    monkeypatch.setenv("HASHPIVOT_DB_URL", url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield url
    st.cache_resource.clear()
    st.cache_data.clear()
