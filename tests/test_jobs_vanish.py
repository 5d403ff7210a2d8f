"""Jobs never vanish: a real redis-server and real `rq worker` processes, killed with SIGKILL in
the middle of an export and of a bulk update of 200+ subscriptions; a burst of exports; a timeout;
and the in-process mode. Nothing is mocked: jobs are made slow by the testing-mode knob
JOB_ITEM_DELAY_SECONDS (a pause per row or item), and a worker is "lost" by killing its process group.
"""
import csv
import datetime
import io
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job

import jobs.context
from jobs import enqueue
from jobs.exports import export_subscriptions_csv
from models import BulkItem, BulkRequest, JobRecord, Membership, Order, StoredFile, StoredFilePart, Subscription, User, db, utcnow
from services import bulk as bulk_service
from services import exports, stored_files
from services.scope import build_scope
from tests.conftest import ROOT, make_app, sign_in
from tests.test_jobs_rq import redis_url  # noqa: F401  (the module's private redis-server)

HEARTBEAT = 0.5  # seconds; a running job without a heartbeat for 4 of these counts as stopped


@pytest.fixture
def rq_app(demo_db_file, tmp_path, redis_url):  # noqa: F811
    path = tmp_path / "rq.db"
    shutil.copy(demo_db_file, path)
    Redis.from_url(redis_url).flushdb()
    jobs.context._redis = None
    app = make_app(path, REDIS_URL=redis_url, JOBS_INLINE=False, JOB_HEARTBEAT_SECONDS=HEARTBEAT)
    app.db_path = path
    yield app
    jobs.context._redis = None
    if not db.is_closed():
        db.close()


def _env(app, delay=0.0):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"sqlite:///{app.db_path}", "SELVBETJENING_MODE": "testing", "SECRET_KEY": "test-secret",
        "REDIS_URL": app.config["REDIS_URL"], "SMTP_HOST": "", "PYTHONPATH": str(ROOT),
        "DATA_DIR": str(app.config["DATA_DIR"]), "NETWORK_DELAY_SECONDS": "0", "NETWORK_FAILURE_RATE": "0",
        "JOB_ITEM_DELAY_SECONDS": str(delay), "JOB_HEARTBEAT_SECONDS": str(HEARTBEAT),
    })
    return env


def _close_db():
    if not db.is_closed():
        db.close()


def start_worker(app, delay):
    """A long-running `rq worker` (killed by kill_worker, with its work horse)."""
    _close_db()
    return subprocess.Popen(
        [sys.executable, "-m", "rq.cli", "worker", "--url", app.config["REDIS_URL"], "default"],
        cwd=ROOT, env=_env(app, delay), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


def _children(pid):
    """The ids of the processes whose parent is `pid` (RQ's work horse runs in a session of its own)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def kill_worker(process):
    """SIGKILL the worker we started and its work horse, by their ids, as a machine that dies loses both."""
    for pid in _children(process.pid) + [process.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


def run_burst_worker(app, delay=0.0, timeout=240, simple=False):
    """`rq worker --burst` until the queue is empty; `simple`: jobs in the worker's own process (no
    fork per job), for the hundreds of provisioning jobs a bulk update queues."""
    _close_db()
    extra = ["--worker-class", "rq.worker.SimpleWorker"] if simple else []
    result = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--with-scheduler", *extra, "--url",
         app.config["REDIS_URL"], "default"], cwd=ROOT, env=_env(app, delay), capture_output=True, text=True,
        timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def wait_for(check, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        _close_db()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _client(app, email="admin@demo.dk"):
    client = app.test_client()
    sign_in(client, email)
    return client


def _record(job_id):
    return JobRecord.get_by_id(job_id)


def _under_way():
    return JobRecord.select().where(JobRecord.status.in_(("queued", "running"))).count()


# -- a worker killed in the middle -------------------------------------------------------------

def test_export_survives_a_killed_worker_and_the_page_tells_the_truth(rq_app):
    client = _client(rq_app)
    started = client.post("/subscriptions/export", data={}, headers={"Accept-Language": "en"})
    job_id = started.headers["Location"].rsplit("/", 1)[1]
    assert _record(job_id).status == "queued"

    worker = start_worker(rq_app, delay=0.05)  # ~300 rows: about 15 s
    try:
        wait_for(lambda: _record(job_id).status == "running", what="the export to start")
        time.sleep(1.0)  # well inside the export
    finally:
        kill_worker(worker)
    record = _record(job_id)
    assert record.status == "running" and record.attempts == 1
    assert not StoredFile.select().where(StoredFile.job_id == job_id).exists()  # nothing half-made is visible
    assert client.get(f"/subscriptions/export/{job_id}/download").status_code == 404

    # its heartbeat stops; the page's poll notices and queues the export again
    time.sleep(HEARTBEAT * 4 + 0.5)
    page = client.get(f"/subscriptions/export/{job_id}", headers={"HX-Request": "true", "Accept-Language": "en"})
    text = page.get_data(as_text=True)
    record = _record(job_id)
    assert record.status == "queued" and record.message == "retrying" and record.rq_id == f"{job_id}_2"
    assert "trying again" in text and "every 1s" in text
    with pytest.raises(Exception):
        Job.fetch(job_id, connection=Redis.from_url(rq_app.config["REDIS_URL"]))  # the dead attempt is gone

    run_burst_worker(rq_app)

    record = _record(job_id)
    assert record.status == "finished" and record.attempts == 2 and record.reason == ""
    visible = Subscription.select().count()  # admin of both companies: within the customer
    download = client.get(f"/subscriptions/export/{job_id}/download")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")), delimiter=";"))
    assert 200 < len(rows) - 1 <= visible and int(record.result) == len(rows) - 1
    page = client.get(f"/subscriptions/export/{job_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The file is ready" in page and "every 1s" not in page
    assert _under_way() == 0


def _bulk_of_200(app):
    """A confirmed bulk update (move to another account) of every active subscription of Demo A/S's admin."""
    membership = (Membership.select().join(User).where(User.email == "admin@demo.dk")
                  .order_by(Membership.id).first())
    with app.test_request_context():
        scope = build_scope(membership)
        selection = bulk_service.select_matching(scope, {"status": "active"})
        target = min(scope.accounts(), key=lambda a: Subscription.select().where(Subscription.account == a.id).count())
        action, params = bulk_service.clean_action(scope, {"action": "change_account", "account": str(target.id)},
                                                   ["mobile"])
        request = bulk_service.create_preview(scope, selection, action, params)
        bulk_service.confirm(scope, request.client_token, stepped_up=True)
    return BulkRequest.get_by_id(request.id)


def _outcomes(bulk_id):
    return {outcome: BulkItem.select().where(BulkItem.bulk == bulk_id, BulkItem.outcome == outcome).count()
            for outcome in ("pending", "ordered", "skipped", "failed")}


def test_bulk_update_killed_mid_way_applies_every_item_exactly_once(rq_app):
    started_at = utcnow() - datetime.timedelta(seconds=1)
    request = _bulk_of_200(rq_app)
    pending = _outcomes(request.id)["pending"]
    assert pending >= 200, pending
    job_id = bulk_service.json.loads(request.params)["job_id"]

    worker = start_worker(rq_app, delay=0.05)  # about 10 s of items
    try:
        wait_for(lambda: _outcomes(request.id)["ordered"] >= 30, timeout=90, what="30 items ordered")
    finally:
        kill_worker(worker)
    halfway = _outcomes(request.id)
    assert 30 <= halfway["ordered"] < pending and halfway["pending"] > 0
    assert BulkRequest.get_by_id(request.id).status == "running"

    client = _client(rq_app)
    time.sleep(HEARTBEAT * 4 + 0.5)
    page = client.get(f"/subscriptions/bulk/{request.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Placing the orders" in page  # queued again: it resumes, it does not start over
    assert _record(job_id).status == "queued" and _record(job_id).attempts == 1

    run_burst_worker(rq_app, timeout=400, simple=True)

    final = _outcomes(request.id)
    assert final["pending"] == 0 and final["failed"] == 0
    assert final["ordered"] == pending
    items = list(BulkItem.select().where(BulkItem.bulk == request.id, BulkItem.outcome == "ordered"))
    orders = list(Order.select().where(Order.created_at >= started_at, Order.kind == "account_change"))
    # exactly once: one order per item, none for a subscription twice
    assert len({i.order_id for i in items}) == len(items) == len(orders)
    assert len({o.subscription_id for o in orders}) == len(orders)
    assert {o.id for o in orders} == {i.order_id for i in items}
    assert BulkRequest.get_by_id(request.id).status == "finished"
    assert _record(job_id).status == "finished" and _record(job_id).attempts == 2
    page = client.get(f"/subscriptions/bulk/{request.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Done." in page and "Placing the orders" not in page
    assert _under_way() == 0


def test_a_bulk_job_that_gives_up_marks_only_unreached_items_and_resumes_them(rq_app):
    """No attempts left: the worker is gone for good; the page shows the truth; confirming again
    runs only the items that were not reached."""
    request = _bulk_of_200(rq_app)
    job_id = bulk_service.json.loads(request.params)["job_id"]
    worker = start_worker(rq_app, delay=0.05)
    try:
        wait_for(lambda: _outcomes(request.id)["ordered"] >= 10, timeout=90, what="10 items ordered")
    finally:
        kill_worker(worker)
    JobRecord.update(max_attempts=1).where(JobRecord.id == job_id).execute()  # its last attempt
    ordered = _outcomes(request.id)["ordered"]
    time.sleep(HEARTBEAT * 4 + 0.5)
    client = _client(rq_app)
    page = client.get(f"/subscriptions/bulk/{request.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    record = _record(job_id)
    assert record.status == "failed" and record.reason == "worker_stopped"
    counts = _outcomes(request.id)
    assert counts["pending"] == 0 and counts["ordered"] == ordered and counts["failed"] > 0
    assert "Placing the orders" not in page and "Try again: continue with the rest" in page
    # each unreached item says so, in the language of the user whose job it was (Danish)
    assert "Bekræft igen for at fortsætte" in page and "Done. The orders" not in page

    confirmed = client.post("/subscriptions/bulk/confirm", data={"token": request.client_token})
    assert confirmed.status_code == 303
    assert _outcomes(request.id)["pending"] == counts["failed"]
    run_burst_worker(rq_app, timeout=400, simple=True)
    final = _outcomes(request.id)
    assert final["pending"] == 0 and final["failed"] == 0 and final["ordered"] == ordered + counts["failed"]


# -- limits, timeouts, in-process ------------------------------------------------------------

def test_a_burst_of_60_exports_is_limited_and_none_is_left_running(rq_app):
    client = _client(rq_app)
    answers = [client.post("/subscriptions/export", data={"kind": "mobile"}, headers={"Accept-Language": "en"})
               for _ in range(60)]
    codes = [a.status_code for a in answers]
    assert codes.count(302) == exports.MAX_RUNNING and codes.count(429) == 60 - exports.MAX_RUNNING
    assert JobRecord.select().where(JobRecord.name == "export_subscriptions_csv").count() == exports.MAX_RUNNING
    assert Queue("default", connection=Redis.from_url(rq_app.config["REDIS_URL"])).count == exports.MAX_RUNNING
    # the same limit holds for the audit export (one limit for all of a user's exports)
    assert client.post("/users/audit/export", data={}).status_code == 429

    run_burst_worker(rq_app)

    assert _under_way() == 0
    assert JobRecord.select().where(JobRecord.status == "finished").count() == exports.MAX_RUNNING
    # once they are done, a new one may start
    assert client.post("/subscriptions/export", data={}).status_code == 302


def test_another_user_is_not_limited_by_my_exports(rq_app):
    mine, theirs = _client(rq_app), _client(rq_app, "admin@anden.dk")
    for _ in range(exports.MAX_RUNNING):
        assert mine.post("/subscriptions/export", data={}).status_code == 302
    assert mine.post("/subscriptions/export", data={}).status_code == 429
    assert theirs.post("/subscriptions/export", data={}).status_code == 302


def test_an_export_that_times_out_ends_failed_with_the_reason_and_a_retry(rq_app):
    client = _client(rq_app)
    timeout, retries = export_subscriptions_csv.job_timeout, export_subscriptions_csv.max_retries
    export_subscriptions_csv.job_timeout, export_subscriptions_csv.max_retries = 2, 0  # the queue's limit for this one
    try:
        started = client.post("/subscriptions/export", data={"kind": "mobile", "q": "a"})
    finally:
        export_subscriptions_csv.job_timeout, export_subscriptions_csv.max_retries = timeout, retries
    job_id = started.headers["Location"].rsplit("/", 1)[1]

    run_burst_worker(rq_app, delay=0.2)  # 0.2 s a row: far beyond 2 s

    record = _record(job_id)
    assert record.status == "failed" and record.reason == "timeout", (record.status, record.reason, record.message)
    page = client.get(f"/subscriptions/export/{job_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "It took too long and was stopped." in page and "every 1s" not in page
    assert 'action="/subscriptions/export"' in page and "Try again" in page
    assert 'name="kind" value="mobile"' in page and 'name="q" value="a"' in page
    with rq_app.app_context():
        assert not exports.export_path(job_id).with_name(f"{job_id}.csv.part").exists()  # no partial file kept


def test_in_process_failure_ends_failed_with_a_reason_and_try_again(admin, app, ctx):
    """In-process mode (JOBS_INLINE): a job that raises ends failed at once, with its reason."""
    membership = Membership.select().join(User).where(User.email == "admin@demo.dk").first()
    user_id, company_id = membership.user_id, membership.company_id
    with app.app_context():
        job_id = enqueue(export_subscriptions_csv, 999999, {"kind": "landline"}, track=True, user_id=user_id,
                         company_id=company_id)
    record = _record(job_id)
    assert record.status == "failed" and record.reason == "error" and record.attempts == 1
    page = admin.get(f"/subscriptions/export/{job_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "An error stopped it." in page and 'name="kind" value="landline"' in page
    # the button starts it again through the export form (a new job: this membership's, which works)
    again = admin.post("/subscriptions/export", data={"kind": "landline"})
    assert again.status_code == 302 and _record(again.headers["Location"].rsplit("/", 1)[1]).status == "finished"


def test_in_process_job_whose_process_ended_is_not_running_for_ever(admin, app, ctx):
    """A job the in-process pool lost (the server restarted mid-export): the next poll ends it."""
    admin_user = User.get(User.email == "admin@demo.dk")
    company_id = Membership.get(Membership.user == admin_user).company_id
    long_ago = utcnow() - datetime.timedelta(hours=1)
    JobRecord.create(id="6f1c2a3b-0000-4000-8000-00000000abcd", name="export_subscriptions_csv", user=admin_user.id,
                     company=company_id, status="running", started_at=long_ago, heartbeat_at=long_ago, attempts=1,
                     max_attempts=1, func="jobs.exports.export_subscriptions_csv",
                     payload='{"args": [1, {"status": "active"}], "kwargs": {}}')
    page = admin.get("/subscriptions/export/6f1c2a3b-0000-4000-8000-00000000abcd",
                     headers={"Accept-Language": "en"}).get_data(as_text=True)
    record = _record("6f1c2a3b-0000-4000-8000-00000000abcd")
    assert record.status == "failed" and record.reason == "worker_stopped"
    assert "The server making it stopped before it was done." in page and "every 1s" not in page
    assert 'name="status" value="active"' in page


def test_the_status_of_another_users_job_is_404_and_not_reconciled(admin, other_admin, app, ctx):
    admin_user = User.get(User.email == "admin@demo.dk")
    company_id = Membership.get(Membership.user == admin_user).company_id
    long_ago = utcnow() - datetime.timedelta(hours=1)
    JobRecord.create(id="6f1c2a3b-0000-4000-8000-00000000abce", name="export_subscriptions_csv", user=admin_user.id,
                     company=company_id, status="running", started_at=long_ago, heartbeat_at=long_ago)
    assert other_admin.get("/subscriptions/export/6f1c2a3b-0000-4000-8000-00000000abce").status_code == 404
    assert _record("6f1c2a3b-0000-4000-8000-00000000abce").status == "running"


def test_maintenance_reconciles_and_purges(app, ctx):
    from jobs.maintenance import run_maintenance

    long_ago = utcnow() - datetime.timedelta(hours=2)
    JobRecord.create(id="6f1c2a3b-0000-4000-8000-00000000abcf", name="render_document", status="running",
                     started_at=long_ago, heartbeat_at=long_ago)
    stored_files.store("export:6f1c2a3b-0000-4000-8000-00000000abcf", b"x", "text/csv",
                       job_id="6f1c2a3b-0000-4000-8000-00000000abcf")
    StoredFile.update(created_at=utcnow() - datetime.timedelta(days=2)).execute()
    file_id = StoredFile.get(StoredFile.key == "export:6f1c2a3b-0000-4000-8000-00000000abcf").id
    with app.app_context():
        job_id = enqueue(run_maintenance, track=True)
    record = _record(job_id)
    assert record.status == "finished" and record.result.startswith("1 jobs reconciled"), record.result
    assert "1 export files" in record.result
    assert _record("6f1c2a3b-0000-4000-8000-00000000abcf").status == "failed"
    assert not StoredFile.select().where(StoredFile.key == "export:6f1c2a3b-0000-4000-8000-00000000abcf").exists()
    assert not StoredFilePart.select().where(StoredFilePart.file == file_id).exists()  # the parts went with it


def test_a_pdf_made_by_a_worker_is_served_by_another_machine(app, ctx, tmp_path):
    """The PDF lives in the database only: a machine with an empty DATA_DIR serves it, and neither
    machine keeps a copy on its disk."""
    from models import Invoice
    from services import documents, stored_files

    invoice = Invoice.select().order_by(Invoice.id).first()
    app.config["DATA_DIR"] = str(tmp_path / "machine-1")
    with app.app_context():
        data = stored_files.content(documents.render_pdf("invoice", invoice.id, "da"))
        assert data.startswith(b"%PDF")
    other = make_app(app.config["DATABASE_URL"].split("sqlite:///", 1)[1], DATA_DIR=tmp_path / "machine-2")
    with other.app_context():
        stored, content = documents.stored_pdf("invoice", invoice.id, "da")
        assert stored.size == len(data) and b"".join(content) == data
    assert not (tmp_path / "machine-1").exists() and not (tmp_path / "machine-2" / "documents").exists()
