#!/usr/bin/env bash
# Set up and run the whole test suite: installs Chromium, Redis and PostgreSQL when missing,
# starts a throw-away PostgreSQL server for the model and query tests, then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-test.lock

# Linters first: they take seconds, and a red one fails the run.
.venv/bin/ruff check .
.venv/bin/bandit -q -c pyproject.toml -r .
# Known vulnerabilities in the locked packages, when the advisory service answers: a package it
# cannot look up is reported as "could not be audited", and when none could be, the run says so.
AUDIT=$(mktemp)
if timeout 180 .venv/bin/pip-audit --progress-spinner off --requirement requirements-test.lock \
    --disable-pip --timeout 20 > "$AUDIT" 2>&1; then
  LOCKED=$(grep -cE "^[A-Za-z0-9_.-]+==" requirements-test.lock)
  UNAUDITED=$(grep -c "could not be audited" "$AUDIT" || true)
  if [ "$UNAUDITED" -ge "$LOCKED" ]; then
    echo "pip-audit: skipped, the advisory database cannot be reached from this machine"
  else
    echo "pip-audit: no known vulnerabilities ($UNAUDITED of $LOCKED packages could not be looked up)"
  fi
elif grep -qiE "could not be audited|connection|timed out|resolve|unreachable" "$AUDIT" \
    && ! grep -qE "^Name +Version +ID" "$AUDIT"; then
  echo "pip-audit: skipped, the advisory database cannot be reached from this machine"
else
  cat "$AUDIT"; rm -f "$AUDIT"; exit 1  # a known vulnerability
fi
rm -f "$AUDIT"

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A private PostgreSQL server on a free port, removed on exit.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGROOT=$(mktemp -d /tmp/selvbetjening-pg.XXXXXX)
PGPORT=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
install -d -o postgres -g postgres "$PGROOT/data" "$PGROOT/sock"
chown postgres:postgres "$PGROOT"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGROOT/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w \
  -o "-p $PGPORT -k $PGROOT/sock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
cleanup() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap cleanup EXIT
export TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PGPORT/postgres"

# Two processes (one per core), whole files to each: module fixtures are built once.
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=15 "$@"
