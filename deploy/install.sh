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

# uv reads .python-version (3.13) itself and looks for it on PATH. Where it finds none there, use
# the interpreter running this script if it is new enough (a pyenv or venv Python: its base
# installation, since uv builds .venv from a system interpreter), else any 3.12.
base_python="$("$PY" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable) if sys.version_info >= (3, 12) else "")')"
if "${UV[@]}" python find --system >/dev/null 2>&1; then
  PYARG=()
elif [ -n "$base_python" ]; then
  PYARG=(--python "$base_python")
elif "${UV[@]}" python find --system 3.12 >/dev/null 2>&1; then
  PYARG=(--python 3.12)
else
  echo "make install: no Python 3.13 or 3.12 found. Install one (e.g. 'apt-get install python3.13' or 'pyenv install 3.13') and run make again." >&2
  exit 1
fi
"${UV[@]}" sync --frozen --quiet "${PYARG[@]}"
