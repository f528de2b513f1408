#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run it whole:
# lint, unit and property tests, PostgreSQL store tests (a real server started by the fixtures)
# and the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

need_debs=()
command -v chromium >/dev/null 2>&1 || need_debs+=(chromium)
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_debs+=(postgresql)
if [ ${#need_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_debs[@]}"
fi

python -m pip install -q -e ".[test]"
python -m ruff check .
python -m ruff format --check .
# pytest exits 5 when it collects nothing: set -e turns that into a failure too.
python -m pytest "$@"
