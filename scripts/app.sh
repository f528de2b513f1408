#!/usr/bin/env bash
# The README's first command: install Hashpivot and start the app, on a fresh Debian machine as on
# a developer's (no `python` alias, a PEP 668 system Python, nothing activated: see
# scripts/python_env.sh). Prints the address to open; Ctrl+C stops the app. The address is
# $HASHPIVOT_ADDRESS (default localhost; 0.0.0.0 serves other machines too) and the port
# $HASHPIVOT_PORT (default 8501); further arguments go to `streamlit run`. A set address also
# keeps Streamlit from looking up this machine's external IP on the network at start.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/python_env.sh
source scripts/python_env.sh

"$PY" -m pip install -q -e .
ADDRESS="${HASHPIVOT_ADDRESS:-localhost}"
PORT="${HASHPIVOT_PORT:-8501}"
echo "Hashpivot is starting: open http://${ADDRESS}:${PORT} in your browser (Ctrl+C stops it)."
exec "$PY" -m streamlit run app.py --server.address "$ADDRESS" --server.port "$PORT" \
  --server.headless true --browser.gatherUsageStats false "$@"
