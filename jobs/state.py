"""The truth about a tracked job, whoever learns it: the job itself, RQ's callbacks, or the
reconciliation that looks for jobs whose worker is gone.

A job ends "finished" or "failed" with a reason (models.jobs.FAILURE_REASONS); a job that may
run twice and has attempts left is queued again instead. When a job gives up for good, the
hook its module registered (`on_give_up`) tidies what the job owned — a bulk request marks its
unapplied items failed — so the page that shows that thing tells the truth too.
"""
import datetime
import importlib
import json
import logging

from models import JobRecord, utcnow

from . import context

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
_give_up_hooks = {}  # job name -> fn(record, reason)


def on_give_up(name):
    """Register `fn(record, reason)` for the job `name`, called once it has failed for good."""
    def register(fn):
        _give_up_hooks[name] = fn
        return fn
    return register


def reason_of(exc_type):
    """The failure reason for an exception type (RQ's timeout, an abandoned job, anything else)."""
    name = getattr(exc_type, "__name__", "")
    if name == "JobTimeoutException":
        return "timeout"
    if name == "AbandonedJobError":
        return "worker_stopped"
    if name == "StopRequested":
        return "stopped"
    return "error"


def record_failure(job_id, exc, retrying=False, rq_id=None):
    """The job raised: queued again when RQ will retry it, else failed."""
    fail(job_id, reason_of(type(exc)), message=type(exc).__name__, retrying=retrying, rq_id=rq_id)


def fail(job_id, reason, message="", retrying=False, rq_id=None):
    """End the current attempt of a job that is still under way (a finished job stays finished).

    `rq_id`: only when that RQ job is still the record's current attempt (a late callback of an
    attempt that was replaced changes nothing). Returns True when the record changed."""
    query = JobRecord.update(status="queued", heartbeat_at=None, message="retrying") if retrying else \
        JobRecord.update(status="failed", reason=reason, message=message[:200], finished_at=utcnow())
    conditions = [JobRecord.id == job_id, JobRecord.status.in_(ACTIVE)]
    if rq_id:
        conditions.append(JobRecord.rq_id == rq_id)
    changed = query.where(*conditions).execute() > 0
    if changed and not retrying:
        _gave_up(job_id, reason)
    return changed


def _gave_up(job_id, reason):
    record = JobRecord.get_or_none(JobRecord.id == job_id)
    hook = _give_up_hooks.get(record.name) if record else None
    if hook is None and record is not None and record.func:
        _import_module_of(record.func)  # the module registers its hook as it loads
        hook = _give_up_hooks.get(record.name)
    if hook is not None:
        try:
            hook(record, reason)
        except Exception:
            log.exception("give-up hook of job %s failed", job_id)


def _import_module_of(func):
    module = func.rpartition(".")[0]
    if module.startswith("jobs."):
        importlib.import_module(module)


def _function(record):
    module, _, name = record.func.rpartition(".")
    if not module.startswith("jobs."):
        return None
    fn = getattr(importlib.import_module(module), name, None)
    return fn if getattr(fn, "is_job", False) else None


# -- limits --------------------------------------------------------------------------------

def check_limit(fn, user_id):
    """:raise services.exports.TooManyJobs: the user has `fn.per_user` jobs of that limited kind under way."""
    from services.exports import TooManyJobs  # services import this package

    names = [name for name in _limited_names() if name]
    active = list(JobRecord.select().where(JobRecord.user == user_id, JobRecord.status.in_(ACTIVE),
                                           JobRecord.name.in_(names)))
    reconcile(active)
    still = JobRecord.select().where(JobRecord.user == user_id, JobRecord.status.in_(ACTIVE),
                                     JobRecord.name.in_(names)).count()
    if still >= fn.per_user:
        raise TooManyJobs(fn.per_user)


def _limited_names():
    from . import exports  # the limited jobs: every export counts against one limit

    return [fn.__name__ for fn in (exports.export_audit_csv, exports.export_subscriptions_csv)]


# -- reconciliation ------------------------------------------------------------------------

def stale_after(record):
    """How long a running job may go without a heartbeat before its worker counts as gone."""
    from . import STALE_BEATS, heartbeat_seconds

    return datetime.timedelta(seconds=heartbeat_seconds(context.get_app()) * STALE_BEATS)


def _rq_state(record, connection):
    """The status RQ has for the record's current attempt, or None when RQ has no such job."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        return Job.fetch(record.rq_id or record.id, connection=connection).get_status(refresh=False)
    except NoSuchJobError:
        return None


def _dead(record, now, connection):
    """Why the record's job can no longer end by itself ('worker_stopped', 'timeout', 'lost'), or None."""
    beat = record.heartbeat_at or record.started_at
    if record.status == "running":
        if beat is not None and now - beat > stale_after(record):
            return "worker_stopped"
        if record.started_at and now - record.started_at > datetime.timedelta(seconds=record.timeout_seconds + 60):
            return "timeout"
    if connection is not None:
        status = _rq_state(record, connection)
        status = getattr(status, "value", status)
        if status is None:
            # enqueue writes the record before the RQ job: give it a moment to appear
            return "lost" if now - record.created_at > datetime.timedelta(seconds=60) else None
        if status in ("failed", "stopped", "canceled"):
            return "stopped" if status in ("stopped", "canceled") else "worker_stopped"
        return None
    # in-process: a queued job the pool never started (the process ended before it ran)
    if record.status == "queued" and now - record.created_at > datetime.timedelta(
            seconds=record.timeout_seconds + stale_after(record).total_seconds()):
        return "lost"
    return None


def reconcile(records):
    """End or restart the jobs among `records` (JobRecords under way) whose worker is gone.

    Called on every poll of a job's page and by the maintenance job; returns how many changed."""
    records = [r for r in records if r is not None and r.status in ACTIVE]
    if not records:
        return 0
    app = context.get_app()
    connection = context.redis() if app.config.get("REDIS_URL") else None
    now = utcnow()
    changed = 0
    for record in records:
        try:
            reason = _dead(record, now, connection)
        except Exception:  # Redis unreachable: nothing can be concluded now
            log.warning("could not reconcile job %s", record.id, exc_info=True)
            continue
        if reason is None:
            continue
        _forget_rq_job(record, connection)
        if record.attempts < record.max_attempts and resubmit(record):
            changed += 1
        elif fail(record.id, reason, message=reason):
            changed += 1
    return changed


def reconcile_all(limit=1000):
    """Every job under way (the maintenance job); returns how many changed."""
    records = list(JobRecord.select().where(JobRecord.status.in_(ACTIVE)).order_by(JobRecord.created_at).limit(limit))
    return reconcile(records)


def _forget_rq_job(record, connection):
    """Remove the dead attempt from RQ, so its late cleanup neither retries nor re-reports it."""
    if connection is None:
        return
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        Job.fetch(record.rq_id or record.id, connection=connection).delete(remove_from_queue=True)
    except NoSuchJobError:
        pass


def resubmit(record):
    """Queue another attempt of an idempotent job; False when it cannot be run again."""
    from . import submit

    fn = _function(record) if record.func else None
    if fn is None or not fn.max_retries or not record.payload:
        return False
    payload = json.loads(record.payload)
    kwargs = dict(payload.get("kwargs") or {}, job_id=record.id)
    rq_id = f"{record.id}_{record.attempts + 1}"
    claimed = (JobRecord.update(status="queued", rq_id=rq_id, heartbeat_at=None, message="retrying")
               .where(JobRecord.id == record.id, JobRecord.status.in_(ACTIVE), JobRecord.rq_id == record.rq_id)
               .execute())
    if not claimed:
        return False
    try:
        submit(fn, tuple(payload.get("args") or ()), kwargs, rq_id=rq_id)
    except Exception:
        log.exception("could not queue job %s again", record.id)
        fail(record.id, "lost", message="queue unavailable")
    return True
