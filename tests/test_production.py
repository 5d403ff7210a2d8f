"""Production mode across machines, with nothing mocked: a throw-away PostgreSQL database, a real
redis-server, TWO web processes (gunicorn as the Procfile starts it) and ONE worker (the Procfile's).

Each process gets a DATA_DIR of its own, as separate machines would: what one makes and another
serves must go through PostgreSQL or Redis. The test logs in on web 1, goes on with the same
session on web 2, starts a CSV export on web 1 that the worker makes, and downloads it from web 2,
sends a ticket's attachment to web 1 and downloads it from web 2, asks web 1 for an invoice PDF that
the worker makes and opens it from web 2; it checks readiness, /metrics and the structured logs of all three processes.
"""
import http.cookiejar
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyotp
import pytest

from tests.conftest import DEMO_PASSWORD, DEMO_TOTP, ROOT

PG_URL = os.environ.get("TEST_POSTGRES_URL")
METRICS_TOKEN = "metrics-" + uuid.uuid4().hex
BIN = Path(sys.executable).parent  # flask and gunicorn of this virtualenv, as the Procfile names them


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _procfile():
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def _command(process, env):
    """The Procfile's command line for `process`, with $VARS and ${VAR:-default} expanded from env."""
    line = _procfile()[process].strip()
    line = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m.group(1)) or m.group(2), line)
    line = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), line)
    return shlex.split(line)


@pytest.fixture(scope="module")
def pg_database():
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh")
        pytest.skip("TEST_POSTGRES_URL is not set (scripts/test.sh starts a PostgreSQL server)")
    import psycopg

    name = f"sb_prod_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(PG_URL, autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' LC_COLLATE \'C\'')
    parts = urlsplit(PG_URL)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    from redis import Redis

    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed: scripts/test.sh installs it")
    folder = tmp_path_factory.mktemp("prod-redis")
    port = _free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            if client.ping():
                break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"redis-server on port {port} did not answer PING within 10 s")
            time.sleep(0.05)
    client.close()
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Process:
    """One Procfile process with its output in a file."""

    def __init__(self, name, command, env, folder):
        self.name = name
        self.log_path = folder / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output(self):
        return self.log_path.read_text(errors="replace")

    def json_lines(self):
        lines = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
        return lines

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown: gunicorn and rq both finish in-flight work
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group we started: the master and its children
                self.proc.wait()
        self._log.close()


class Browser:
    """Cookies across both web processes (cookies ignore the port, as browsers do); no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect)

    def request(self, url, data=None, headers=None, files=None):
        """GET, or POST `data` (with `files`, {field: (file name, bytes)}, as multipart/form-data)."""
        headers = dict(headers or {})
        if files:
            body, headers["Content-Type"] = _multipart(data, files)
        else:
            body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=20) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


def _multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
              for name, (filename, content) in files.items()]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _csrf(html):
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1).decode()


def _wait_ready(base, process, timeout=45):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            pytest.fail(f"{process.name} exited ({process.proc.returncode}):\n{process.output()[-4000:]}")
        try:
            status, _, body = Browser().request(f"{base}/readyz")
            last = (status, body)
            if status == 200:
                return json.loads(body)
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            last = error
        time.sleep(0.2)
    pytest.fail(f"{process.name} was not ready within {timeout} s: {last}\n{process.output()[-4000:]}")


@pytest.fixture(scope="module")
def cluster(pg_database, redis_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prod")
    base_env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "SELVBETJENING_MODE": "production",
        "DATABASE_URL": pg_database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "production-test-" + uuid.uuid4().hex,
        "SESSION_COOKIE_SECURE": "0",  # plain http on loopback in this test
        "METRICS_TOKEN": METRICS_TOKEN,
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "NETWORK_DELAY_SECONDS": "0",
        "SMTP_HOST": "",
        "PYTHONUNBUFFERED": "1",
    }
    base_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    base_env.pop("LOG_FORMAT", None)

    def env_for(name, **extra):
        data = folder / f"data-{name}"  # one machine's disk each
        data.mkdir()
        return {**base_env, "DATA_DIR": str(data), **extra}

    release_env = env_for("release")
    release = subprocess.run(_command("release", release_env), cwd=ROOT, env=release_env, capture_output=True,
                             text=True, timeout=120)
    assert release.returncode == 0, release.stdout[-3000:] + release.stderr[-3000:]

    processes = {}
    try:
        for name in ("web1", "web2"):
            env = env_for(name, PORT=str(_free_port()))
            processes[name] = Process(name, _command("web", env), env, folder)
            processes[name].base = f"http://127.0.0.1:{env['PORT']}"
        env = env_for("worker")
        processes["worker"] = Process("worker", _command("worker", env), env, folder)
        # the demo data is written while the processes start (they need only the schema to be ready)
        demo = subprocess.run([str(BIN / "flask"), "--app", "app", "demo-data"], cwd=ROOT, env=release_env,
                              capture_output=True, text=True, timeout=300)
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        ready = {name: _wait_ready(processes[name].base, processes[name]) for name in ("web1", "web2")}
        yield processes, ready, release.stdout + release.stderr
    finally:
        for process in processes.values():
            process.stop()


def _login(browser, base):
    status, _, page = browser.request(f"{base}/login")
    assert status == 200
    status, headers, body = browser.request(f"{base}/login", {"email": "admin@demo.dk", "password": DEMO_PASSWORD,
                                                              "csrf_token": _csrf(page)})
    assert status == 302, body[:2000]
    status, _, page = browser.request(urllib.parse.urljoin(base, headers["Location"]))
    assert status == 200
    status, headers, body = browser.request(f"{base}/login/verify", {"code": pyotp.TOTP(DEMO_TOTP).now(),
                                                                     "method": "totp", "csrf_token": _csrf(page)})
    assert status == 302, body[:2000]


def _metrics(base, token=METRICS_TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Browser().request(f"{base}/metrics", headers=headers)


def test_two_web_processes_and_a_worker_share_everything_through_postgres_and_redis(cluster):
    processes, ready, release_output = cluster
    web1, web2, worker = processes["web1"].base, processes["web2"].base, processes["worker"]
    assert "0001_initial" in release_output  # the release command migrated the empty database
    for state in ready.values():
        assert state["checks"]["migrations"] == {"ok": True, "pending": 0}
        assert state["checks"]["redis"]["ok"] is True

    browser = Browser()
    _login(browser, web1)
    # the session lives in PostgreSQL: web 2 knows it
    status, _, page = browser.request(f"{web2}/subscriptions")
    assert status == 200, page[:500]
    assert b"Demo" in page

    # an export started on web 1, made by the worker, downloaded from web 2
    request_id = "test-" + uuid.uuid4().hex
    status, headers, body = browser.request(f"{web1}/subscriptions/export", {"q": "hansen", "csrf_token": _csrf(page)},
                                            headers={"X-Request-ID": request_id})
    assert status == 302, body[:2000]
    assert headers["X-Request-ID"] == request_id
    status_url = urllib.parse.urljoin(web2, urlsplit(headers["Location"]).path)
    job_id = status_url.rstrip("/").rsplit("/", 1)[-1]
    deadline = time.monotonic() + 30
    while True:
        status, _, body = browser.request(f"{status_url}/download")
        if status == 200:
            break
        assert status == 404, body[:1000]  # not made yet
        if time.monotonic() > deadline:
            pytest.fail(f"the export was not downloadable from web 2 within 30 s:\n{worker.output()[-4000:]}")
        time.sleep(0.3)
    csv_text = body.decode("utf-8-sig")
    assert "hansen" in csv_text.lower() and csv_text.count("\n") > 1

    # a ticket's attachment sent to web 1, downloaded from web 2
    _, _, page = browser.request(f"{web1}/support/new")
    attached = b"Nummer;Forbrug\r\n20000001;12\r\n"
    status, headers, body = browser.request(
        f"{web1}/support/new", {"category": "question", "concern": "", "subject": "Forbrug", "body": "Se filen.",
                                "csrf_token": _csrf(page)}, files={"attachments": ("forbrug.csv", attached)})
    assert status == 302, body[:2000]
    _, _, page = browser.request(urllib.parse.urljoin(web2, urlsplit(headers["Location"]).path))
    link = re.search(rb'href="(/support/\d+/attachments/\d+)"', page)
    assert link, page[:2000]
    status, headers, body = browser.request(f"{web2}{link.group(1).decode()}")
    assert status == 200 and body == attached and "forbrug.csv" in headers["Content-Disposition"]

    # an invoice PDF asked for on web 1, made by the worker, opened from web 2
    _, _, page = browser.request(f"{web1}/invoices")
    invoice_id = re.search(rb'href="/invoices/(\d+)"', page).group(1).decode()
    status, headers, body = browser.request(f"{web1}/invoices/{invoice_id}.pdf")
    assert status == 200 and headers["Content-Type"].startswith("text/html")  # a page that waits for the job
    deadline = time.monotonic() + 30
    while not (headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")):
        assert status == 200, body[:1000]
        if time.monotonic() > deadline:
            pytest.fail(f"the PDF was not served by web 2 within 30 s:\n{worker.output()[-4000:]}")
        time.sleep(0.3)
        status, headers, body = browser.request(f"{web2}/invoices/{invoice_id}.pdf")

    # readiness and metrics on both
    for base in (web1, web2):
        status, _, body = Browser().request(f"{base}/readyz")
        assert status == 200 and json.loads(body)["status"] == "ready"
        assert _metrics(base, token=None)[0] == 401
        assert _metrics(base, token="wrong")[0] == 401
        status, headers, body = _metrics(base)
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        text = body.decode()
        assert 'selvbetjening_rq_queue_jobs{queue="default"} 0.0' in text
        assert "selvbetjening_rq_workers 1.0" in text
        assert re.search(r'selvbetjening_http_request_duration_seconds_count\{endpoint="health.readyz",method="GET"\} \d', text)
    # counts are summed over the gunicorn workers of each machine: web 2 answered /subscriptions and the export
    status, _, body = _metrics(web2)
    assert re.search(r'selvbetjening_http_requests_total\{endpoint="subscriptions.index",method="GET",status="200"\} 1\.0',
                     body.decode())
    assert re.search(r'selvbetjening_http_requests_total\{endpoint="subscriptions.export_download",method="GET",'
                     r'status="200"\} 1\.0', body.decode())

    # structured logs: one JSON line per request, no query strings, no secrets
    for name in ("web1", "web2"):
        lines = [line for line in processes[name].json_lines() if line.get("event") == "request"]
        assert lines, processes[name].output()[-2000:]
        for line in lines:
            assert {"request_id", "method", "path", "status", "duration_ms", "user_id"} <= set(line)
            assert "?" not in line["path"]
        output = processes[name].output()
        assert DEMO_PASSWORD not in output and "hansen" not in output
    export_line = next(line for line in processes["web1"].json_lines()
                       if line.get("event") == "request" and line["path"] == "/subscriptions/export")
    assert export_line["request_id"] == request_id and export_line["status"] == 302 and export_line["user_id"]
    # the worker's lines for the job carry the id of the request that enqueued it
    job_lines = [line for line in worker.json_lines() if line.get("event") == "job" and line.get("job_id") == job_id]
    assert [line["status"] for line in job_lines] == ["started", "finished"], worker.output()[-3000:]
    assert all(line["request_id"] == request_id for line in job_lines), job_lines
    assert "hansen" not in worker.output()  # job descriptions (with their arguments) are not logged


def test_only_one_worker_schedules_the_recurring_jobs(redis_url):
    """Every worker runs a cron scheduler; the Redis lock lets one enqueue, and another takes over when it stops."""
    from redis import Redis
    from rq import Queue

    import worker

    url = redis_url.rsplit("/", 1)[0] + "/1"  # not the database the cluster's worker leads in
    connection = Redis.from_url(url)
    connection.flushdb()
    first, second = (worker._CronLeader(Redis.from_url(url), worker.schedule()) for _ in range(2))
    assert {f"{e.func.__module__}.{e.func.__name__}" for e in first.cron.get_jobs()} == {
        "worker.monthly_billing", "worker.daily_end_due", "jobs.porting.complete_due_ports",
        "jobs.provisioning.release_due_orders", "jobs.maintenance.run_maintenance"}
    assert first._lead() is True
    assert second._lead() is False
    assert first._lead() is True  # renewing
    for entry in first.cron.get_jobs():  # everything due now
        entry.next_enqueue_time = entry.latest_enqueue_time = None
        entry.cron, entry.interval = None, 60
    assert len(first.cron.enqueue_jobs()) == len(worker.schedule())
    assert Queue("default", connection=connection).count == len(worker.schedule())
    first.stop()  # hands over at once
    assert second._lead() is True and first._lead() is False
    second.stop()
    connection.close()


def test_request_id_is_honoured_when_sane_and_replaced_when_not(client, caplog):
    caplog.set_level("INFO", logger="selvbetjening.request")
    response = client.get("/healthz?q=hansen", headers={"X-Request-ID": "lb-1234abcd.5678"})
    assert response.headers["X-Request-ID"] == "lb-1234abcd.5678"
    for bad in ("short", "with space 123456", "x" * 200, "quote\"123456789"):
        given = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert given != bad and re.fullmatch(r"[0-9a-f]{32}", given)
    line = next(r for r in caplog.records if r.name == "selvbetjening.request" and r.fields["path"] == "/healthz")
    assert line.fields["status"] == 200 and line.fields["endpoint"] == "health.healthz"
    assert "hansen" not in json.dumps(line.fields)  # no query string
    assert line.request_id == "lb-1234abcd.5678"


def test_metrics_need_the_token_or_a_local_caller(app):
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # the test client calls from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 404  # a local proxy
    app.config["METRICS_TOKEN"] = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                          headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    assert 'selvbetjening_http_requests_total{endpoint="health.metrics_view",method="GET",status="401"}' in response.text


def test_not_ready_while_redis_is_down_or_a_migration_is_pending(app):
    client = app.test_client()
    assert client.get("/readyz").json["status"] == "ready"
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["redis"]["ok"] is False
    app.config["REDIS_URL"] = None
    from models import db

    with db.connection_context():
        db.execute_sql("DELETE FROM schema_migration WHERE name = (SELECT MAX(name) FROM schema_migration)")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["migrations"] == {"ok": False, "pending": 1}
