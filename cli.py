"""Flask CLI commands: migrate, demo-data, translate, purge, import-attachments, end-due, port-due, billing-run, rotate-totp-key."""
import subprocess  # nosec B404  # pybabel runs as a child process, see pybabel()
import sys
import time
from pathlib import Path

import click

from models import Customer, db
from models.database import migrate as run_migrations

ROOT = Path(__file__).resolve().parent


def register_cli(app):
    @app.cli.command("migrate")
    def migrate_command():
        """Apply pending database migrations."""
        applied = run_migrations(db.obj)
        click.echo(f"applied: {', '.join(applied)}" if applied else "schema is up to date")

    @app.cli.command("demo-data")
    @click.option("--subscriptions", type=int, default=None, help="Subscriptions for Demo Koncern (benchmarks).")
    def demo_data_command(subscriptions):
        """Create the demo data (only when the database holds no customer)."""
        from services.demo_data import create_demo_data

        run_migrations(db.obj)
        with db.connection_context():
            if Customer.select().exists():
                click.echo("demo data already present")
                return
            started = time.perf_counter()
            summary = create_demo_data(subscriptions=subscriptions)
            db.execute_sql("ANALYZE")  # statistics for the query planner
        click.echo(f"demo data created in {time.perf_counter() - started:.1f} s: {summary}")

    @app.cli.group()
    def translate():
        """Translation commands for translators: extract, update, compile."""

    def pybabel(*args):
        # our own interpreter and fixed arguments: no shell and no user input (bandit B603)
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)  # nosec B603

    @translate.command()
    def extract():
        """Collect the English source strings into locales/messages.pot."""
        pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-o", "locales/messages.pot", "--no-location",
                "--sort-output", "--project", "Selvbetjening", ".")

    @translate.command()
    def update():
        """Extract, then merge new strings into locales/da and locales/en."""
        extract.callback()
        pybabel("update", "-i", "locales/messages.pot", "-d", "locales", "--no-fuzzy-matching",
                "--ignore-obsolete")

    @translate.command("compile")
    def compile_command():
        """Compile the catalogues (.po -> .mo)."""
        pybabel("compile", "-d", "locales", "--statistics")

    @app.cli.command("purge")
    def purge_command():
        """Delete idle sessions and spent codes."""
        from jobs import enqueue
        from jobs.maintenance import purge_expired

        enqueue(purge_expired)

    @app.cli.command("import-attachments")
    @click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Where the files are (default: DATA_DIR/attachments).")
    def import_attachments_command(folder):
        """Keep in the database the ticket attachments this machine held on disk (before migration 0028)."""
        from services.ticket_files import import_folder

        folder = folder or Path(app.config["DATA_DIR"]) / "attachments"
        with db.connection_context():
            imported, kept, missing = import_folder(folder)
        click.echo(f"{imported} imported from {folder}, {kept} kept already, {missing} not found here")

    @app.cli.command("end-due")
    def end_due_command():
        """Let cancellations and transfers whose date has come take effect (run daily)."""
        from services.orders import end_due

        with db.connection_context():
            click.echo(f"{end_due()} subscriptions ended")

    @app.cli.command("billing-run")
    @click.option("--period", default=None, help="The month to invoice, YYYY-MM (default: last month).")
    @click.option("--issued-on", default=None, help="Issue date, YYYY-MM-DD (default: today).")
    @click.option("--queue", is_flag=True, help="Run it as a job (on the RQ worker when REDIS_URL is set).")
    def billing_run_command(period, issued_on, queue):
        """Invoice every account for a month; run again, it only adds what is missing."""
        from jobs import enqueue
        from jobs.billing import run_billing
        from services.billing import last_complete_period, parse_period
        from services.errors import ServiceError

        period = period or last_complete_period().strftime("%Y-%m")
        try:
            parse_period(period)  # a bad period is the caller's mistake, not a failed job
            if queue:
                enqueue(run_billing, period, issued_on, track=True)
                click.echo("billing run queued")
                return
            started = time.perf_counter()
            summary = run_billing(period, issued_on)
        except ServiceError as error:
            raise click.UsageError(str(error.message)) from None
        click.echo(f"{summary} in {time.perf_counter() - started:.1f} s")

    @app.cli.command("rotate-totp-key")
    def rotate_totp_key_command():
        """Re-encrypt every TOTP secret with the current SECRET_KEY (the old key in SECRET_KEY_FALLBACKS)."""
        from services.two_factor import SecretKeyError, rotate_secrets

        with db.connection_context():
            try:
                sealed, rotated = rotate_secrets()
            except SecretKeyError as error:
                raise click.ClickException(str(error)) from None
        click.echo(f"TOTP secrets: {rotated} re-encrypted, {sealed} plain ones encrypted")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    @click.option("--no-cron", is_flag=True, help="Do not schedule the recurring jobs from this worker.")
    @click.argument("queues", nargs=-1)
    def worker_command(burst, no_cron, queues):
        """Run queued jobs (REDIS_URL) with this app, built once; schedules the recurring jobs."""
        from flask import current_app

        import worker

        if not current_app.config.get("REDIS_URL"):
            raise click.UsageError("REDIS_URL is not set: without it jobs run in the web process")
        worker.run(current_app._get_current_object(), queues or ("default",), burst=burst, with_cron=not no_cron)

    @app.cli.command("fraud-due")
    def fraud_due_command():
        """Orders whose fraud-guard notice is over go to the network (run every minute)."""
        from services.fraud import release_due

        with db.connection_context():
            click.echo(f"{release_due()} orders released")

    @app.cli.command("port-due")
    def port_due_command():
        """Complete the port-ins whose confirmed date has come (run daily)."""
        from services.numbers import complete_due

        with db.connection_context():
            click.echo(f"{complete_due()} port-ins completed")
