#!/usr/bin/env bash
# Install the kit into .venv from the committed lock file.
#
# uv (from PyPI) installs exactly what uv.lock pins; if uv cannot be had, pip installs
# requirements.lock (the same pins, with hashes). Airflow's constraints URL is never
# needed: the lock replaces it. Nothing outside this folder is touched.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; shift; fi
PYTHON="${1:-}"

if [ -z "$PYTHON" ]; then
  echo "✗ No Python 3.11 or 3.12 found on PATH (found: $(python3 --version 2>&1 || echo none))." >&2
  echo "  Install Python 3.12 (python.org, pyenv, or your package manager) and run make again." >&2
  echo "  Python 3.13 is not supported yet: the embedded PostgreSQL (pgserver) has no wheels for it." >&2
  exit 1
fi
if [ "$check_only" = 1 ]; then
  echo "ok   $("$PYTHON" --version) at $(command -v "$PYTHON")"
  echo "FIX  the kit is not installed yet: run 'make lab' (or 'make install')"
  exit 1
fi

echo "Installing the kit into .venv with $("$PYTHON" --version) (first time: ~1–3 min)…"
mkdir -p .labkit
export UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv

if [ ! -x .labkit/uv/bin/uv ]; then
  "$PYTHON" -m venv .labkit/uv >/dev/null && .labkit/uv/bin/pip install --quiet --disable-pip-version-check "uv==0.13.8" || true
fi

if [ -x .labkit/uv/bin/uv ] && .labkit/uv/bin/uv sync --frozen --python "$PYTHON"; then
  echo "Installed with uv from uv.lock."
else
  echo "uv was not available; installing with pip from requirements.lock instead…"
  rm -rf .venv
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "Installed with pip from requirements.lock."
fi
