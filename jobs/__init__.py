"""The one enqueue helper and the `job` decorator.

With REDIS_URL set, jobs go to RQ (the Procfile's worker runs them). Without
it they run in-process: on a small thread pool, or in the calling thread's
place when JOBS_INLINE is set (tests). Job functions take ids and plain
values, never model objects, and open their own database connection.

A tracked job's JobRecord is kept true by the job and by the queue (jobs/state.py): the job
writes running/finished/failed and a heartbeat while it runs; RQ's failure and stop callbacks
(jobs/callbacks.py) write a failure the job could not (a timeout, a killed work horse); and
`state.reconcile` — on every poll of a job's page and in the maintenance job — ends a job whose
worker is gone, so no page shows "running" for ever. Jobs declared `retry=N` may run more than
once (they are idempotent): RQ retries them, and the reconciliation starts them again.
"""
import functools
import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from models import JobRecord, db, utcnow

from . import context

log = logging.getLogger(__name__)
_current = threading.local()  # the JobRecord id of the job running on this thread
_pool = None
_pool_lock = threading.Lock()

DEFAULT_TIMEOUT = 600  # seconds a job may run before RQ stops it
RETRY_INTERVALS = (10, 30, 120)  # seconds before RQ's 1st, 2nd and 3rd retry
HEARTBEAT_SECONDS = 10.0  # a running job writes JobRecord.heartbeat_at this often
STALE_BEATS = 4  # missing heartbeats before a running job counts as stopped


def job(fn=None, *, retry=0, timeout=DEFAULT_TIMEOUT, per_user=None):
    """Run `fn` inside the app context with its own connection and keep its JobRecord current.
    `public_base`: the address it was enqueued from, for links in the messages it writes.

    `retry`: how often a failed or stopped run is tried again (only for jobs that may safely run
    twice); `timeout`: seconds before it is stopped; `per_user`: at most this many of the jobs
    so marked may be queued or running for one user at a time (exports)."""
    if fn is None:
        return functools.partial(job, retry=retry, timeout=timeout, per_user=per_user)

    @functools.wraps(fn)
    def wrapper(*args, job_id=None, public_base=None, **kwargs):
        from services.messages import link_base  # services import this module

        app = context.get_app()
        with app.app_context(), db.connection_context(), link_base(public_base):
            beat = _start(job_id)
            _current.job_id, _current.beat = job_id, beat
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                log.exception("job %s failed", fn.__name__)
                if job_id:
                    from . import state

                    state.record_failure(job_id, exc, retrying=_rq_will_retry(), rq_id=_rq_id())
                raise
            finally:
                _current.job_id = _current.beat = None
                if beat is not None:
                    beat.set()
            if job_id:
                (JobRecord.update(status="finished", progress=100, finished_at=utcnow(), reason="",
                                  result=str(result or ""))
                 .where(JobRecord.id == job_id).execute())
            return result
    wrapper.is_job = True
    wrapper.max_retries = int(retry)
    wrapper.job_timeout = int(timeout)
    wrapper.per_user = per_user
    return wrapper


def _start(job_id):
    """Mark the record running (one more attempt) and start its heartbeat; returns the _Beat."""
    if not job_id:
        return None
    now = utcnow()
    (JobRecord.update(status="running", started_at=now, heartbeat_at=now, reason="",
                      attempts=JobRecord.attempts + 1)
     .where(JobRecord.id == job_id).execute())
    beat = _Beat()
    threading.Thread(target=_heartbeat, args=(context.get_app(), job_id, beat), daemon=True,
                     name=f"heartbeat-{job_id[:8]}").start()
    return beat


class _Beat:
    """What a running job hands its heartbeat thread: the progress to write, and the stop signal.

    The job's own connection never writes its progress. A job reads while it reports (an export
    reports from inside the rows it iterates), and on SQLite in WAL mode a connection whose read
    began before another connection's commit (the heartbeat, a request's session, another job)
    cannot write any more: SQLITE_BUSY_SNAPSHOT, "database is locked", which no busy timeout
    waits out. The heartbeat thread writes on a connection of its own, outside the job's read."""

    def __init__(self):
        self.wake = threading.Event()
        self.stopped = False
        self.progress = None  # (percent, message) not written yet

    def report(self, progress, message):
        self.progress = (int(progress), message[:200])
        self.wake.set()

    def set(self):
        self.stopped = True
        self.wake.set()


PROGRESS_SECONDS = 0.5  # at most one progress write this often


def _heartbeat(app, job_id, beat):
    """While the job runs: its heartbeat every few seconds and its progress when it reports,
    on a connection of its own."""
    interval = heartbeat_seconds(app)
    while True:
        beat.wake.wait(interval)
        beat.wake.clear()
        if beat.stopped:
            return
        progress, beat.progress = beat.progress, None
        changes = {"heartbeat_at": utcnow()}
        if progress is not None:
            changes.update(progress=progress[0], message=progress[1])
        try:
            with app.app_context(), db.connection_context():
                (JobRecord.update(**changes)
                 .where(JobRecord.id == job_id, JobRecord.status == "running").execute())
        except Exception:  # a busy database: the next beat tries again
            if progress is not None and beat.progress is None:
                beat.progress = progress
            log.debug("heartbeat of job %s skipped", job_id, exc_info=True)
        time.sleep(min(PROGRESS_SECONDS, interval))  # reports in the meantime are written together


def heartbeat_seconds(app):
    return float(app.config.get("JOB_HEARTBEAT_SECONDS") or os.environ.get("JOB_HEARTBEAT_SECONDS")
                 or HEARTBEAT_SECONDS)


def item_delay(app):
    """Seconds a job waits per item: a test-only knob (testing mode) that makes a job slow enough
    to kill in the middle; always 0 elsewhere."""
    if app.config.get("ENV_MODE") != "testing":
        return 0.0
    return float(app.config.get("JOB_ITEM_DELAY_SECONDS") or os.environ.get("JOB_ITEM_DELAY_SECONDS") or 0)


def pause_for_item():
    delay = item_delay(context.get_app())
    if delay:
        time.sleep(delay)


def _rq_job():
    try:
        from rq import get_current_job

        return get_current_job()
    except Exception:
        return None


def _rq_id():
    rq_job = _rq_job()
    return rq_job.id if rq_job is not None else None


def _rq_will_retry():
    rq_job = _rq_job()
    return bool(rq_job is not None and rq_job.retries_left)


def current_job_id():
    """The JobRecord id of the tracked job running on this thread, or None."""
    return getattr(_current, "job_id", None)


def report_progress(progress, message=""):
    """Called by long jobs so the page that started them can show how far they are; written by
    the job's heartbeat thread (see _Beat), within PROGRESS_SECONDS."""
    beat = getattr(_current, "beat", None)
    if beat is not None:
        beat.report(progress, message)


# -- enqueueing --------------------------------------------------------------------------

_deferred = threading.local()


class deferred:
    """Inside: enqueue() inside a transaction is held back and done when the block ends (after the
    caller's transaction committed). A bulk item's change and its item row commit together; the
    change's jobs (provisioning, messages) are queued right after."""

    def __enter__(self):
        _deferred.stack = getattr(_deferred, "stack", []) + [[]]
        return self

    def __exit__(self, exc_type, exc, tb):
        held = _deferred.stack.pop()
        if exc_type is None:
            for fn, args, kwargs in held:
                enqueue(fn, *args, **kwargs)
        return False


def enqueue(fn, *args, track=False, user_id=None, company_id=None, **kwargs):
    """Queue `fn(*args)`; with track=True a JobRecord is written and its id returned.

    :raise services.exports.TooManyJobs: the user already has `fn.per_user` such jobs under way."""
    if not getattr(fn, "is_job", False):
        raise TypeError("only @job functions from jobs/ can be enqueued")
    if db.in_transaction():
        stack = getattr(_deferred, "stack", None)
        if stack and not track:
            stack[-1].append((fn, args, dict(kwargs, user_id=user_id, company_id=company_id)))
            return None
        # The job runs on another connection: it must see committed data only.
        raise RuntimeError("enqueue after the transaction commits")
    job_id = None
    from services.messages import captured_base  # services import this module

    kwargs["public_base"] = captured_base()  # where the request came in: links in the job's letters
    if track:
        if fn.per_user and user_id is not None:
            from . import state

            state.check_limit(fn, user_id)
        job_id = str(uuid.uuid4())
        JobRecord.create(id=job_id, name=fn.__name__, user=user_id, company=company_id,
                         func=f"{fn.__module__}.{fn.__name__}", rq_id=job_id, max_attempts=1 + fn.max_retries,
                         timeout_seconds=fn.job_timeout,
                         payload=json.dumps({"args": list(args), "kwargs": kwargs}, default=str))
        kwargs["job_id"] = job_id
    submit(fn, args, kwargs, rq_id=job_id)
    return job_id


def submit(fn, args, kwargs, rq_id=None):
    """Hand a job to the queue (RQ, or this process): no JobRecord is written here."""
    app = context.get_app()
    if app.config.get("REDIS_URL"):
        from rq import Callback, Queue, Retry

        from services.request_log import current_request_id

        options = {"job_timeout": fn.job_timeout, "result_ttl": 3600, "failure_ttl": 7 * 24 * 3600,
                   "meta": {"request_id": current_request_id()},  # the worker logs the job with it
                   "on_failure": Callback("jobs.callbacks.on_failure"),
                   "on_stopped": Callback("jobs.callbacks.on_stopped")}
        if fn.max_retries:
            options["retry"] = Retry(max=fn.max_retries, interval=list(RETRY_INTERVALS[:fn.max_retries]))
        Queue("default", connection=context.redis()).enqueue(fn, args=args, kwargs=kwargs, job_id=rq_id, **options)
    elif app.config.get("JOBS_INLINE"):
        _run_in_thread(fn, args, kwargs)
    else:
        _executor().submit(_safely, fn, args, kwargs)


def _safely(fn, args, kwargs):
    try:
        fn(*args, **kwargs)
    except Exception:  # already logged and recorded by the job wrapper
        return


def _run_in_thread(fn, args, kwargs):
    """Run to completion before returning, on a thread of its own (its own connection)."""
    worker = threading.Thread(target=_safely, args=(fn, args, kwargs))
    worker.start()
    worker.join()


def _executor():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="job")
        return _pool
