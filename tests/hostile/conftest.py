"""Issue 16's hostile-input suite: one test per item (``test_itemNN_...``), plus the properties
that held under attack (concurrency, kill -9, injection) rerun briefly. Run it alone with
``PYTHONPATH=$PWD python3 -m pytest tests/hostile -q -p no:cacheprovider``."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (HERE, ROOT):  # hostile_files, and app_support beside app.py
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
