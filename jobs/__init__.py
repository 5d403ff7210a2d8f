"""The one enqueue helper and the `job` decorator.

With REDIS_URL set, jobs go to RQ (the Procfile's worker runs them). Without
it they run in-process: on a small thread pool, or in the calling thread's
place when JOBS_INLINE is set (tests). Job functions take ids and plain
values, never model objects, and open their own database connection.
"""
import functools
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from models import JobRecord, db, utcnow

from . import context

log = logging.getLogger(__name__)
_current = threading.local()  # the JobRecord id of the job running on this thread
_pool = None
_pool_lock = threading.Lock()


def job(fn):
    """Run `fn` inside the app context with its own connection and keep its JobRecord current.
    `public_base`: the address it was enqueued from, for links in the messages it writes."""
    @functools.wraps(fn)
    def wrapper(*args, job_id=None, public_base=None, **kwargs):
        from services.messages import link_base  # services import this module

        app = context.get_app()
        with app.app_context(), db.connection_context(), link_base(public_base):
            if job_id:
                JobRecord.update(status="running").where(JobRecord.id == job_id).execute()
            _current.job_id = job_id
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                log.exception("job %s failed", fn.__name__)
                if job_id:
                    (JobRecord.update(status="failed", message=type(exc).__name__,
                                      finished_at=utcnow())
                     .where(JobRecord.id == job_id).execute())
                raise
            finally:
                _current.job_id = None
            if job_id:
                (JobRecord.update(status="finished", progress=100, finished_at=utcnow(),
                                  result=str(result or ""))
                 .where(JobRecord.id == job_id).execute())
            return result
    wrapper.is_job = True
    return wrapper


def current_job_id():
    """The JobRecord id of the tracked job running on this thread, or None."""
    return getattr(_current, "job_id", None)


def report_progress(progress, message=""):
    """Called by long jobs so the page that started them can show how far they are."""
    job_id = getattr(_current, "job_id", None)
    if job_id:
        (JobRecord.update(progress=int(progress), message=message[:200])
         .where(JobRecord.id == job_id).execute())


def enqueue(fn, *args, track=False, user_id=None, company_id=None, **kwargs):
    """Queue `fn(*args)`; with track=True a JobRecord is written and its id returned."""
    if not getattr(fn, "is_job", False):
        raise TypeError("only @job functions from jobs/ can be enqueued")
    if db.in_transaction():
        # The job runs on another connection: it must see committed data only.
        raise RuntimeError("enqueue after the transaction commits")
    job_id = None
    from services.messages import captured_base  # services import this module

    kwargs["public_base"] = captured_base()  # where the request came in: links in the job's letters
    if track:
        job_id = str(uuid.uuid4())
        JobRecord.create(id=job_id, name=fn.__name__, user=user_id, company=company_id)
        kwargs["job_id"] = job_id
    app = context.get_app()
    if app.config.get("REDIS_URL"):
        from rq import Queue

        Queue("default", connection=context.redis()).enqueue(
            fn, args=args, kwargs=kwargs, job_id=job_id, result_ttl=3600)
    elif app.config.get("JOBS_INLINE"):
        _run_in_thread(fn, args, kwargs)
    else:
        _executor().submit(_safely, fn, args, kwargs)
    return job_id


def _safely(fn, args, kwargs):
    try:
        fn(*args, **kwargs)
    except Exception:  # already logged and recorded by the job wrapper
        pass


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
