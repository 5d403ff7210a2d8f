"""The worker process (the Procfile's `worker`): `flask --app app worker`.

The Flask CLI has built the app before this runs, so every job's work horse (RQ forks one per
job, for isolation and timeouts) inherits it ready-made instead of building it again (about a
second per job before). Nothing may be connected to the database when RQ forks: the parent closes
its connection first, and each job opens its own (`jobs.job`).

The recurring jobs run from rq's own CronScheduler on a thread of this process. Every worker
machine runs one, but only the holder of a Redis lock enqueues, so a job runs once however many
workers there are; another takes over within LEADER_TTL seconds when the holder stops. The times
are cron expressions in the worker's local time (TZ), see SCHEDULE.

Each job is logged as one JSON line when it starts and one when it ends, with the request id of
the request that enqueued it (the enqueue helper puts it in the RQ job's meta).
"""
import logging
import os
import socket
import threading
import time
import uuid

from rq import Queue, Worker
from rq.cron import CronScheduler

from jobs import enqueue, job
from services import request_log

log = logging.getLogger("selvbetjening.worker")
LEADER_KEY = "selvbetjening:cron:leader"
LEADER_TTL = 90  # seconds; renewed every loop (at most 60 s apart)


@job
def monthly_billing():
    """On the first of the month: invoice last month (a run only adds what is missing)."""
    from jobs.billing import run_billing
    from services.billing import last_complete_period

    enqueue(run_billing, last_complete_period().strftime("%Y-%m"), None, track=True)
    return "billing run queued"


@job
def daily_end_due():
    """Cancellations and transfers whose date has come take effect."""
    from services.orders import end_due

    return f"{end_due()} subscriptions ended"


def schedule():
    """(function, cron expression) of every recurring job."""
    from jobs.maintenance import run_maintenance
    from jobs.porting import complete_due_ports
    from jobs.provisioning import release_due_orders

    return [
        (monthly_billing, "0 4 1 * *"),  # 04:00 on the 1st
        (daily_end_due, "5 0 * * *"),  # just after midnight
        (complete_due_ports, "0 6 * * *"),  # port-ins whose confirmed date has come
        (release_due_orders, "* * * * *"),  # orders whose fraud-guard notice is over
        # jobs whose worker was lost are retried or failed; orders never enqueued (or whose run died)
        # are enqueued again (services.orders.sweep); idle sessions, spent codes, old files
        (run_maintenance, "*/5 * * * *"),
    ]


class AppWorker(Worker):
    """RQ's forking worker: logs each job with the request id that enqueued it."""

    def perform_job(self, job, queue, execution):
        token = request_log.set_request_id((job.meta or {}).get("request_id"))
        started = time.perf_counter()
        fields = {"event": "job", "job_id": job.id, "function": job.func_name, "queue": queue.name}
        log.info("job started", extra={"fields": {**fields, "status": "started"}})
        ok = False
        try:
            ok = super().perform_job(job, queue, execution)
            return ok
        finally:
            log.info("job ended", extra={"fields": {**fields, "status": "finished" if ok else "failed",
                                                    "duration_ms": round((time.perf_counter() - started) * 1000, 1)}})
            request_log.reset_request_id(token)


class _CronLeader(threading.Thread):
    """rq's CronScheduler driven on a thread, enqueueing only while this process holds the lock."""

    def __init__(self, connection, entries):
        super().__init__(name="cron", daemon=True)
        self.connection = connection
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()
        self.cron = CronScheduler(connection=connection, name=self.identity)
        for func, expression in entries:
            self.cron.register(func, "default", cron=expression, result_ttl=86400,
                               job_timeout=getattr(func, "job_timeout", None))

    def _lead(self):
        """Take or renew the lock; True while we hold it."""
        if self.connection.set(LEADER_KEY, self.identity, nx=True, ex=LEADER_TTL):
            log.info("cron scheduler %s leads", self.identity)
            return True
        if (self.connection.get(LEADER_KEY) or b"").decode() == self.identity:
            self.connection.expire(LEADER_KEY, LEADER_TTL)
            return True
        return False

    def run(self):
        while not self.stopping.is_set():
            try:
                if self._lead():
                    if self.cron.enqueue_jobs():
                        self.cron.save()
                    self.cron.heartbeat()
                else:  # a job that fell due while another led is its; start from now when we take over
                    for entry in self.cron.get_jobs():
                        entry.latest_enqueue_time = None
                        entry.next_enqueue_time = entry.get_next_enqueue_time()
            except Exception:
                log.exception("cron scheduler loop failed; retrying")
            self.stopping.wait(min(self.cron.calculate_sleep_interval() or 1, LEADER_TTL / 3))

    def stop(self):
        self.stopping.set()
        try:  # hand over at once instead of after LEADER_TTL
            if (self.connection.get(LEADER_KEY) or b"").decode() == self.identity:
                self.connection.delete(LEADER_KEY)
        except Exception:  # Redis gone: the lock lapses after LEADER_TTL by itself
            log.debug("could not hand over the cron lead", exc_info=True)


def run(app, queues=("default",), burst=False, with_cron=True):
    """Work the queues until stopped (or, with burst, until they are empty)."""
    import jobs.context
    from models import db

    jobs.context.bind(app)  # work horses use this app, built once, instead of building their own
    connection = jobs.context.redis()
    if not db.is_closed():
        db.close()  # a forked horse must not share the parent's database socket
    cron = None
    if with_cron and not burst:
        from redis import Redis

        # a connection pool of its own: a horse forked while this thread holds the worker's pool lock would hang
        cron = _CronLeader(Redis.from_url(app.config["REDIS_URL"]), schedule())
        cron.start()
    worker = AppWorker([Queue(name, connection=connection) for name in queues], connection=connection,
                       log_job_description=False)  # descriptions hold arguments: search terms of exports
    try:
        # with_scheduler: jobs enqueued for later (enqueue_in/at, retries) are moved to their queue on time
        return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        if cron is not None:
            cron.stop()
