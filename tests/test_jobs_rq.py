"""Jobs on a real Redis with a real `rq worker --burst`: nothing mocked.

A private redis-server is started on a free port for this module; the app
enqueues through `jobs.enqueue`, and a worker process (its own app, made from
the environment, on the same SQLite file) carries the jobs out.
"""
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from redis import Redis
from rq import Queue

import jobs.context
from jobs import enqueue
from jobs.maintenance import purge_expired
from jobs.messages import deliver_message
from models import JobRecord, OutboxMessage, User, db
from tests.conftest import ROOT, make_app

WORKER_TIMEOUT = 60


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed: scripts/test.sh installs it "
                    "(apt-get install -y redis-server)")
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    subprocess.run([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--daemonize", "yes", "--dir", str(folder),
                    "--pidfile", str(folder / "redis.pid")],
                   check=True, capture_output=True, timeout=10)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            if client.ping():
                break
        except Exception:
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {port} did not answer PING within 10 s")
            time.sleep(0.05)
    yield url
    try:
        client.shutdown(nosave=True)
    except Exception:  # the server closes the connection as it goes
        pass
    pidfile = folder / "redis.pid"
    deadline = time.monotonic() + 5
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if pidfile.exists():  # still there: end the one we started, by its id
        try:
            os.kill(int(pidfile.read_text().strip()), 15)
        except (ValueError, ProcessLookupError):
            pass
    client.close()


@pytest.fixture
def rq_app(demo_db_file, tmp_path, redis_url):
    path = tmp_path / "rq.db"
    shutil.copy(demo_db_file, path)
    Redis.from_url(redis_url).flushdb()
    jobs.context._redis = None  # the connection is cached per process: not one of an earlier app
    app = make_app(path, REDIS_URL=redis_url, JOBS_INLINE=False)
    app.db_path = path
    yield app
    jobs.context._redis = None
    if not db.is_closed():
        db.close()


def _queue(url):
    return Queue("default", connection=Redis.from_url(url))


def run_worker(app):
    """`rq worker --burst` in its own process, with the environment a deployment gives it."""
    if not db.is_closed():
        db.close()  # nothing of ours open while the worker writes
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"sqlite:///{app.db_path}", "SELVBETJENING_MODE": "testing",
        "SECRET_KEY": "test-secret", "REDIS_URL": app.config["REDIS_URL"], "SMTP_HOST": "",
        "PYTHONPATH": str(ROOT),
    })
    result = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", app.config["REDIS_URL"], "default"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_message_waits_in_redis_until_a_worker_delivers_it(rq_app):
    user = User.get(User.email == "admin@demo.dk")
    message = OutboxMessage.create(channel="email", recipient=user.email, subject="RQ test",
                                   body="Sent by a real worker.", user=user.id)
    assert message.status == "queued"

    assert enqueue(deliver_message, message.id) is None  # untracked: no JobRecord id

    queue = _queue(rq_app.config["REDIS_URL"])
    assert queue.count == 1
    rq_job = queue.jobs[0]
    assert rq_job.func_name == "jobs.messages.deliver_message"
    assert rq_job.args == (message.id,)
    time.sleep(0.3)  # nothing in this process may deliver it
    stored = OutboxMessage.get_by_id(message.id)
    assert stored.status == "queued" and stored.sent_at is None and stored.attempts == 0

    output = run_worker(rq_app)

    stored = OutboxMessage.get_by_id(message.id)
    assert stored.status == "sent", output.stderr[-3000:]
    assert stored.sent_at is not None and stored.attempts == 1 and stored.error == ""
    assert queue.count == 0
    assert rq_job.get_status(refresh=True) == "finished"
    assert rq_job.return_value() == "sent"


def test_tracked_job_record_goes_from_queued_to_finished(rq_app):
    job_id = enqueue(purge_expired, track=True, user_id=User.get(User.email == "admin@demo.dk").id)
    assert job_id

    record = JobRecord.get_by_id(job_id)
    assert record.name == "purge_expired"
    assert record.status == "queued" and record.progress == 0 and record.finished_at is None
    queue = _queue(rq_app.config["REDIS_URL"])
    assert queue.count == 1
    assert queue.jobs[0].id == job_id  # the RQ job carries the JobRecord's id

    run_worker(rq_app)

    record = JobRecord.get_by_id(job_id)
    assert record.status == "finished", record.message
    assert record.progress == 100 and record.finished_at is not None
    assert "sessions" in record.result and "codes" in record.result
    assert queue.count == 0


def test_enqueue_refuses_plain_functions_and_open_transactions(rq_app):
    def not_a_job(x):
        return x

    with pytest.raises(TypeError):
        enqueue(not_a_job, 1)
    with pytest.raises(TypeError):
        enqueue(print, "hello")

    before = JobRecord.select().count()
    with db.atomic():
        with pytest.raises(RuntimeError):
            enqueue(purge_expired, track=True)
    assert JobRecord.select().count() == before  # nothing written when refused
    assert _queue(rq_app.config["REDIS_URL"]).count == 0
