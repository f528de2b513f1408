"""The app's helpers live beside app.py, outside the installed packages: make the repository root
importable for these tests the same way ``streamlit run app.py`` does for the app."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def db_url(app_store_url: str) -> str:
    """The app's own store (the root conftest's ``app_store_url``), in place of the root
    ``db_url``'s plain databases."""
    return app_store_url
