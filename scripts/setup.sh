#!/usr/bin/env bash
# Shared set-up: a virtual environment with the locked packages, and compiled translations.
# Usage: scripts/setup.sh [lock file]   (requirements.lock: the web; requirements-test.lock: tests)
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=${1:-requirements.lock}
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# Reinstall only when the lock changes; every package is checked against its hash.
STAMP=".venv/.installed-$(cat "$LOCK" | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$LOCK"
  touch "$STAMP"
fi
.venv/bin/pybabel -q compile --directory locales
