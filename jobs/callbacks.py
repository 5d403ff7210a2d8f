"""RQ's callbacks: the queue's side of a job's state (jobs/state.py).

`on_failure` runs in the work horse after the job raised or timed out, and in whichever process
cleans up an abandoned job (its worker was killed); `on_stopped` after a stop command. Each
opens its own app context and connection: in a cleanup the job's own never existed.
"""
from models import db

from . import context, state


def _record_id(rq_job):
    return (rq_job.kwargs or {}).get("job_id")


def on_failure(rq_job, connection, exc_type=None, exc_value=None, traceback=None):
    job_id = _record_id(rq_job)
    if not job_id:
        return
    retrying = bool(rq_job.retries_left)
    with context.get_app().app_context(), db.connection_context():
        state.fail(job_id, state.reason_of(exc_type), message=getattr(exc_type, "__name__", ""),
                   retrying=retrying, rq_id=rq_job.id)


def on_stopped(rq_job, connection):
    job_id = _record_id(rq_job)
    if not job_id:
        return
    with context.get_app().app_context(), db.connection_context():
        state.fail(job_id, "stopped", message="stopped", rq_id=rq_job.id)
