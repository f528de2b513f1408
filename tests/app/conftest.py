"""The app's helpers live beside app.py, outside the installed packages: make the repository root
importable for these tests the same way ``streamlit run app.py`` does for the app."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
