#!/usr/bin/env bash
# `make install`: uv (installed with pip when missing), then the locked dependencies into .venv.
# Runs on a machine that has only Python and make; nothing asks uv anything before it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
export UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy

if command -v "$PY" >/dev/null 2>&1; then :; else
  echo "make install: '$PY' not found. Install Python 3.13 (or 3.12) and make, then run make again." >&2
  exit 1
fi

if command -v uv >/dev/null 2>&1; then
  UV=(uv)
else
  if ! "$PY" -m uv --version >/dev/null 2>&1; then
    echo "[install] installing uv with pip" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check uv 2>/dev/null ||
      "$PY" -m pip install --quiet --disable-pip-version-check --user --break-system-packages uv
  fi
  UV=("$PY" -m uv)
fi

# uv reads .python-version (3.13) itself; fall back to 3.12 where only that exists.
if "${UV[@]}" python find >/dev/null 2>&1; then
  PYVER=""
elif "${UV[@]}" python find 3.12 >/dev/null 2>&1; then
  PYVER="3.12"
else
  echo "make install: no Python 3.13 or 3.12 found. Install one (e.g. 'apt-get install python3.13' or 'pyenv install 3.13') and run make again." >&2
  exit 1
fi

if [ -n "$PYVER" ]; then
  "${UV[@]}" sync --frozen --quiet --python "$PYVER"
else
  "${UV[@]}" sync --frozen --quiet
fi
