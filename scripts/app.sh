#!/usr/bin/env bash
# The README's first command: install Hashpivot and start the app, on a fresh Debian machine as on
# a developer's (no `python` alias, a PEP 668 system Python, nothing activated: see
# scripts/python_env.sh). Prints the address to open; Ctrl+C stops the app. The port is
# $HASHPIVOT_PORT (default 8501); further arguments go to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/python_env.sh
source scripts/python_env.sh

"$PY" -m pip install -q -e .
PORT="${HASHPIVOT_PORT:-8501}"
echo "Hashpivot is starting: open http://localhost:${PORT} in your browser (Ctrl+C stops it)."
exec "$PY" -m streamlit run app.py --server.port "$PORT" --server.headless true \
  --browser.gatherUsageStats false "$@"
