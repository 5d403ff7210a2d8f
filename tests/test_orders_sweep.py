"""Orders never enqueued: an order committed as "received" whose provisioning job was never queued
(the process died between the commit and the enqueue, Redis was down) or whose run died is found by
the sweep (services/orders.sweep, run by the maintenance job) and carried out exactly once, however
often the sweep runs and whether or not the original job runs too. Real parts: the demo database, the
job wrapper, threads with their own connections, and a real Redis with an `rq worker` process."""
import datetime
import threading

from jobs import enqueue
from jobs.maintenance import run_maintenance
from jobs.provisioning import provision_order
from models import (
    AuditEvent,
    Charge,
    JobRecord,
    Membership,
    Order,
    OrderStep,
    SimCard,
    Subscription,
    User,
    db,
    utcnow,
)
from services import fraud, orders
from services.scope import build_scope
from tests.test_jobs_vanish import (  # noqa: F401  (a real Redis and rq worker)
    redis_url,  # noqa: F401
    rq_app,
    run_burst_worker,
    wait_for,
)


def _scope():
    admin = User.get(User.email == "admin@demo.dk")
    return build_scope(Membership.get(Membership.user == admin.id, Membership.is_admin == True))  # noqa: E712


def _free_mobile(offset=0):
    open_subs = Order.select(Order.subscription).where(Order.status.in_(("received", "in_progress")),
                                                       Order.subscription.is_null(False))
    return (Subscription.select().where(Subscription.kind == "mobile", Subscription.status == "active",
                                        Subscription.id.not_in(open_subs))
            .order_by(Subscription.id).offset(offset).first())


def unqueued_order(app, minutes_ago=30, kind="sim_change", offset=0):
    """A SIM change committed with its audit event, whose job was never enqueued, `minutes_ago`."""
    with app.app_context():
        sub = _free_mobile(offset)
        with db.atomic():
            order = orders.create(_scope(), kind, subscription=sub,
                                  details={"number": sub.number, "sim_form": "esim", "how": "esim", "reason": "esim"})
        # no orders.submit(order): the process "died" here
        _age(order.id, minutes_ago)
    return Order.get_by_id(order.id), sub


def _age(order_id, minutes_ago):
    then = utcnow() - datetime.timedelta(minutes=minutes_ago)
    Order.update(created_at=then, updated_at=then).where(Order.id == order_id).execute()
    OrderStep.update(created_at=then).where(OrderStep.order == order_id).execute()


def applied(order, sub):
    """How often the SIM change was applied: its fee, its completion and the SIMs it activated."""
    return {"charges": Charge.select().where(Charge.subscription == sub.id, Charge.kind == "fee_sim_change").count(),
            "completed": AuditEvent.select().where(AuditEvent.action == "order.completed",
                                                   AuditEvent.object_id == str(order.id)).count(),
            "steps": OrderStep.select().where(OrderStep.order == order.id, OrderStep.step == "completed").count(),
            "esims": SimCard.select().where(SimCard.subscription == sub.id, SimCard.form == "esim").count()}


ONCE = {"charges": 1, "completed": 1, "steps": 1, "esims": 1}


def requeued(order):
    return AuditEvent.select().where(AuditEvent.action == "order.requeued",
                                     AuditEvent.object_id == str(order.id)).count()


def sweep(app, **kwargs):
    with app.app_context():
        return orders.sweep(**kwargs)


def test_an_order_committed_without_its_job_is_swept_and_carried_out_once(app, ctx):
    order, sub = unqueued_order(app)
    before = applied(order, sub)
    assert before["charges"] == 0 and Order.get_by_id(order.id).status == "received"
    assert sweep(app) >= 1
    done = Order.get_by_id(order.id)
    assert done.status == "completed" and done.applied_at is not None
    assert applied(order, sub) == ONCE
    event = AuditEvent.get(AuditEvent.action == "order.requeued", AuditEvent.object_id == str(order.id))
    assert event.company_id == order.company_id and '"was": "received"' in event.details
    # a second sweep finds nothing of it, and the original job arriving late changes nothing
    sweep(app)
    with app.app_context():
        assert provision_order(order.id) == "completed"
    assert applied(order, sub) == ONCE and requeued(order) == 1


def test_the_maintenance_job_runs_the_sweep(app, ctx):
    order, sub = unqueued_order(app)
    with app.app_context():
        job_id = enqueue(run_maintenance, track=True)
    result = JobRecord.get_by_id(job_id).result
    assert "orders re-enqueued" in result and not result.endswith("; 0 orders re-enqueued"), result
    assert Order.get_by_id(order.id).status == "completed" and applied(order, sub) == ONCE


def test_a_fresh_order_is_left_alone(app, ctx):
    order, sub = unqueued_order(app, minutes_ago=2)  # within the grace: its job may just be queued
    sweep(app)
    assert Order.get_by_id(order.id).status == "received" and requeued(order) == 0
    assert applied(order, sub)["charges"] == 0


def test_an_order_under_the_fraud_notice_is_left_to_release_due(app, ctx):
    app.config["FRAUD_NOTICE_MINUTES"] = 60
    order, sub = unqueued_order(app, minutes_ago=30)
    with app.app_context(), db.atomic():
        fraud.guard(_scope(), Order.get_by_id(order.id))
    OrderStep.update(created_at=utcnow() - datetime.timedelta(minutes=30)).where(OrderStep.order == order.id).execute()
    sweep(app)
    assert Order.get_by_id(order.id).status == "received" and requeued(order) == 0


def test_a_transfer_waiting_for_the_new_holder_is_not_swept(app, ctx):
    order, sub = unqueued_order(app, kind="transfer")
    Order.update(acceptance_hash="x" * 64).where(Order.id == order.id).execute()
    sweep(app)
    assert Order.get_by_id(order.id).status == "received" and requeued(order) == 0


def test_a_run_that_died_in_progress_is_swept_after_its_claim_lapsed(app, ctx):
    order, sub = unqueued_order(app)
    with app.app_context():
        assert orders.claim(order.id)  # a run claimed it ... and its worker died before the network answered
        assert not orders.claim(order.id)  # while the claim holds, another run leaves it
        assert provision_order(order.id) == "in_progress" and applied(order, sub)["charges"] == 0
    sweep(app)  # the claim is fresh: its run may still be going
    assert requeued(order) == 0 and Order.get_by_id(order.id).status == "in_progress"
    _age(order.id, 30)
    assert sweep(app) >= 1
    assert Order.get_by_id(order.id).status == "completed" and applied(order, sub) == ONCE
    steps = [s.step for s in OrderStep.select().where(OrderStep.order == order.id).order_by(OrderStep.id)]
    assert steps == ["received", "in_progress", "in_progress", "completed"]


def test_sweep_and_original_job_at_the_same_time_carry_it_out_once(app, ctx):
    app.config["NETWORK_DELAY_SECONDS"] = 0.3  # both runs are inside the network call together
    order, sub = unqueued_order(app)
    results = []
    barrier = threading.Barrier(3)

    def original():
        barrier.wait()
        try:
            results.append(provision_order(order.id))
        except Exception as exc:  # noqa: BLE001  (asserted below: no run may fail)
            results.append(exc)

    def sweeper():
        barrier.wait()
        try:
            results.append(sweep(app))
        except Exception as exc:  # noqa: BLE001
            results.append(exc)

    threads = [threading.Thread(target=original), threading.Thread(target=sweeper), threading.Thread(target=original)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Order.get_by_id(order.id).status == "completed"
    assert applied(order, sub) == ONCE, results


def test_the_sweep_takes_at_most_its_limit_and_the_rest_next_time(app, ctx):
    first, _sub = unqueued_order(app, offset=0)
    second, _sub2 = unqueued_order(app, offset=1)
    for _round in range(20):  # the demo data's own stale orders come first (oldest id first)
        statuses = [Order.get_by_id(o.id).status for o in (first, second)]
        if statuses == ["completed", "completed"]:
            break
        assert sweep(app, limit=1) == 1
        assert statuses.count("completed") <= [Order.get_by_id(o.id).status for o in (first, second)].count("completed")
    assert [Order.get_by_id(o.id).status for o in (first, second)] == ["completed", "completed"]


def test_with_redis_the_swept_job_and_the_original_run_on_an_rq_worker_once(rq_app):  # noqa: F811
    """Real Redis, a real `rq worker`: the maintenance job (the worker's schedule) and the late
    original provisioning job are both queued; the order is carried out once."""
    order, sub = unqueued_order(rq_app)
    with rq_app.app_context():
        enqueue(run_maintenance)  # as worker.schedule() does every 5 minutes
        enqueue(provision_order, order.id)  # the original job, arriving late
    run_burst_worker(rq_app, timeout=60, simple=True)
    done = Order.get_by_id(order.id)
    assert done.status == "completed" and applied(order, sub) == ONCE and requeued(order) == 1


def test_an_order_swept_again_and_again_fails_instead_of_looping(app, ctx):
    order, sub = unqueued_order(app)
    Order.update(kind="account_change", details="{}").where(Order.id == order.id).execute()  # it raises every time
    for _round in range(orders.MAX_REQUEUES):
        sweep(app)
        assert Order.get_by_id(order.id).status == "in_progress"
        _age(order.id, 30)
    assert requeued(order) == orders.MAX_REQUEUES
    sweep(app)
    failed = Order.get_by_id(order.id)
    assert failed.status == "failed" and failed.failure_reason == "network_unavailable"
    assert requeued(order) == orders.MAX_REQUEUES and applied(order, sub)["charges"] == 0


def test_in_process_the_maintenance_thread_runs_the_sweep(app, ctx):
    """Without Redis (scripts/start.sh) no worker schedules the maintenance job: a thread of the web
    process runs it (jobs.maintenance.start_in_process, started by wsgi.py)."""
    from jobs import maintenance

    order, sub = unqueued_order(app)
    assert maintenance.start_in_process(app) is None  # tests (JOBS_INLINE, testing mode) start none by themselves
    app.config.update(MAINTENANCE_IN_PROCESS=True, MAINTENANCE_SECONDS=0.2)
    stop = maintenance.start_in_process(app)
    assert stop is not None and maintenance.start_in_process(app) is None  # one per process
    try:
        wait_for(lambda: Order.get_by_id(order.id).status == "completed", timeout=30, what="the sweep")
    finally:
        stop.set()
        wait_for(lambda: not maintenance._timer_started, timeout=30, what="the thread to stop")
    assert applied(order, sub) == ONCE


def test_the_sweep_reads_open_orders_by_index_never_the_whole_table(app, ctx):
    """Finished orders are nearly all of the table and grow for ever: the sweep's queries on it
    must be index ranges (status, updated_at), oldest first, not a scan (0.5 s at 400,000 orders)."""
    import logging

    statements = []

    class Collect(logging.Handler):
        def emit(self, record):
            statements.append(record.msg)

    handler, log = Collect(), logging.getLogger("peewee")
    level, log.level = log.level, logging.DEBUG
    log.addHandler(handler)
    try:
        sweep(app)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    on_orders = [(sql, params) for sql, params in statements  # the candidates (the swept jobs' own queries aside)
                 if sql.startswith("SELECT") and 'FROM "order" AS' in sql and '"t1"."updated_at" < ?' in sql]
    assert len(on_orders) == 2, on_orders
    for sql, params in on_orders:
        plan = " ".join(row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "order_status_updated_at" in plan and "SCAN t1" not in plan, plan
