# Sourced by scripts/app.sh and scripts/test.sh (not run alone): sets SUDO and PY, a Python that
# pip may install into, on a fresh Debian machine as on a developer's.
#
# PY is the interpreter on PATH (`python`, else `python3`: Debian has no `python` alias). Where it
# is an externally managed system Python (PEP 668: pip refuses to install into it), PY is a
# virtual environment in .venv instead, created on first use (installing Debian's python3-venv
# when the venv module cannot bootstrap pip). Nothing needs to be activated.

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

PY="$(command -v python || command -v python3 || true)"
if [ -z "$PY" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3
  PY="$(command -v python3)"
fi
if "$PY" -c 'import sys, sysconfig, pathlib; sys.exit(0 if (pathlib.Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED").exists() and sys.prefix == sys.base_prefix else 1)'; then
  # A venv whose pip does not run (a failed earlier attempt) is made again.
  if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    rm -rf .venv
    "$PY" -m venv .venv 2>/dev/null || {
      rm -rf .venv
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
      "$PY" -m venv .venv
    }
  fi
  PY="$PWD/.venv/bin/python"
fi
export PY SUDO
