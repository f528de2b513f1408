#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run it whole:
# lint, unit and property tests, PostgreSQL store tests (a real server started by the fixtures)
# and the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# SUDO, and PY: a Python pip may install into (a .venv where the system Python is PEP 668).
# shellcheck source=scripts/python_env.sh
source scripts/python_env.sh

# Debian packages: Chromium for the browser tests, PostgreSQL for the store tests.
need_debs=()
command -v chromium >/dev/null 2>&1 || need_debs+=(chromium)
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_debs+=(postgresql)
if [ ${#need_debs[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_debs[@]}"
fi
# PostgreSQL refuses to run as root: the fixture runs it as the "postgres" user, which a server
# built from source (initdb on PATH, no Debian package) does not create.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi

"$PY" -m pip install -q -e ".[test]"
"$PY" -m ruff check .
"$PY" -m ruff format --check .
"$PY" -m mypy  # packages and settings in pyproject.toml [tool.mypy]
# Two workers (pytest-xdist), one per core, the browser tests grouped (tests/conftest.py): about
# 4 min against 5 in one process on the two-core CI machine. pytest exits 5 when it collects
# nothing: set -e turns that into a failure too.
"$PY" -m pytest -n 2 --dist loadgroup "$@"
