#!/usr/bin/env bash
# Set up and serve the portal with demo data on SQLite, jobs in-process: http://127.0.0.1:${PORT:-5000}
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.lock
export SELVBETJENING_MODE=${SELVBETJENING_MODE:-demo}
mkdir -p instance
if [ -z "${SECRET_KEY:-}" ]; then
  [ -f instance/secret_key ] || .venv/bin/python -c 'import secrets; print(secrets.token_hex(32))' > instance/secret_key
  SECRET_KEY=$(cat instance/secret_key)
  export SECRET_KEY
fi
.venv/bin/flask --app app demo-data   # migrates; creates the demo data when the database is empty
echo "Selvbetjening: http://127.0.0.1:${PORT:-5000}  (admin@demo.dk / demo-password-1)"
exec .venv/bin/gunicorn --workers 1 --threads 8 --bind "127.0.0.1:${PORT:-5000}" \
  --no-control-socket --access-logfile - wsgi:app
