"""Housekeeping jobs. `run_maintenance` is the one the scheduler runs (every few minutes):
it ends or restarts jobs whose worker is gone, enqueues again the orders no job will carry out,
then purges what has expired. Without Redis (jobs in-process) `start_in_process` runs it on a
timer thread of the web process instead."""
import datetime
import logging
import threading

from flask import current_app

from models import OneTimeCode, WebSession, utcnow
from services.exports import purge_old_exports

from . import job, report_progress, state

log = logging.getLogger(__name__)
IN_PROCESS_SECONDS = 300  # as often as the worker's schedule runs it (worker.schedule)
_timer_started = False
_timer_lock = threading.Lock()


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
    """Reconcile every job under way (jobs/state.py), sweep the orders never enqueued (or whose run
    died), then purge; returns one line of what it did."""
    from services.orders import sweep

    jobs_changed = state.reconcile_all()
    orders_requeued = sweep()
    return f"{jobs_changed} jobs reconciled; " + purge_expired.__wrapped__() + f"; {orders_requeued} orders re-enqueued"


def reconcile_jobs():
    """The reconciliation alone, in place (a CLI or a scheduler that calls functions directly)."""
    return state.reconcile_all()


def start_in_process(app):
    """Jobs in-process (no REDIS_URL): run `run_maintenance` every MAINTENANCE_SECONDS (default
    IN_PROCESS_SECONDS) on a daemon thread of this process, once per process. Not with Redis (the
    worker's scheduler runs it), nor with JOBS_INLINE or in testing mode unless MAINTENANCE_IN_PROCESS
    says so. Returns the Event that stops the thread, or None when none was started."""
    global _timer_started
    wanted = app.config.get("MAINTENANCE_IN_PROCESS")
    if wanted is None:
        wanted = not app.config.get("JOBS_INLINE") and app.config.get("ENV_MODE") != "testing"
    if not wanted or app.config.get("REDIS_URL"):
        return None
    with _timer_lock:
        if _timer_started:
            return None
        _timer_started = True
    seconds = float(app.config.get("MAINTENANCE_SECONDS") or IN_PROCESS_SECONDS)
    stop = threading.Event()

    def loop():
        global _timer_started
        while not stop.wait(seconds):
            try:
                run_maintenance()  # the job wrapper gives it the app context and its own connection
            except Exception:  # logged by the job wrapper; the next round tries again
                log.debug("in-process maintenance failed", exc_info=True)
        with _timer_lock:
            _timer_started = False

    threading.Thread(target=loop, name="maintenance", daemon=True).start()
    return stop
