"""Housekeeping jobs. `run_maintenance` is the one the scheduler runs (every few minutes):
it ends or restarts jobs whose worker is gone, then purges what has expired."""
import datetime

from flask import current_app

from models import OneTimeCode, WebSession, utcnow
from services.exports import purge_old_exports

from . import job, report_progress, state


@job
def purge_expired():
    """Delete idle sessions, spent codes and export files older than a day; returns what went."""
    idle = datetime.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    sessions = WebSession.delete().where(WebSession.last_seen_at < utcnow() - idle).execute()
    report_progress(33, "sessions")
    codes = OneTimeCode.delete().where(OneTimeCode.expires_at < utcnow() - datetime.timedelta(days=1)).execute()
    report_progress(66, "codes")
    files = purge_old_exports()
    report_progress(100, "exports")
    return f"{sessions} sessions, {codes} codes, {files} export files"


@job(timeout=600)
def run_maintenance():
    """Reconcile every job under way (jobs/state.py), then purge; returns one line of what it did."""
    jobs_changed = state.reconcile_all()
    return f"{jobs_changed} jobs reconciled; " + purge_expired.__wrapped__()


def reconcile_jobs():
    """The reconciliation alone, in place (a CLI or a scheduler that calls functions directly)."""
    return state.reconcile_all()
