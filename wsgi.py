"""The WSGI entry point for gunicorn (see the Procfile)."""
from app import create_app
from jobs.maintenance import start_in_process

app = create_app()
# Without Redis (scripts/start.sh) no worker schedules the maintenance job (job reconciliation, the
# order sweep): the serving process runs it on a thread. Here, not in create_app: CLI commands, the
# worker, tests and the benchmark build apps too and must not start one.
start_in_process(app)
