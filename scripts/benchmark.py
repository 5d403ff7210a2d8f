"""The benchmark: one command that builds the data set, runs the portal as production does, and
prints every figure of issue 10 in one table.

    .venv/bin/python scripts/benchmark.py [--subscriptions 100000] [--repeat 20]
        [--db PATH | --postgres URL] [--no-http] [--http-seconds 5] [--json FILE] [--only REGEX]

1. Data: builds (or reuses) a database with the demo data and N subscriptions for Demo Koncern:
   SQLite in instance/benchmark-N.db by default, or the PostgreSQL database at URL (it must be
   empty or hold an earlier build of the same N). The build time is printed when it builds.
2. In-process: signs in as admin@demo.dk and as the limited user and requests each page through
   the Flask app (no network): median (p50) and 95th-percentile time, and the SQL queries per page
   (they must not grow with N or the page number).
3. Over HTTP (unless --no-http): starts the portal exactly as the Procfile's `web` line does
   (gunicorn -c gunicorn.conf.py wsgi:app, production mode) and, under the same gunicorn settings,
   the bare Flask app of scripts/bench_ceiling.py; measures requests per second for each page as
   the admin and for the ceiling's 50-row table and trivial page, and prints each page's share of
   the table's throughput. Both servers run together; each page is warmed for a second (as the
   ceiling is), then the table and the page take turns of one second each (--http-seconds turns):
   a page's requests/s is the median of its turns, its share the median of each turn's share of
   the table's turn just before, so a machine whose speed drifts moves both figures of a share
   alike. The load generator is wrk (installed
   with apt-get when missing and possible), else a Python one with threads; the table says which.
   Both share the machine's cores with the server, as any single-machine benchmark does.
4. Heavy work, inline: the CSV export of all subscriptions (time; peak memory with tracemalloc),
   invoice PDFs, the billing run for every account (rolled back), and a bulk action (block data)
   on 10,000 subscriptions as two requests of services/bulk.py's maximum of 5,000: preview and
   run, in a transaction that is rolled back (the orders' provisioning jobs are dropped with it).
5. The first load of /subscriptions: HTML + CSS + JS as a browser fetches them (brotli and gzip).

--json FILE also writes every figure as JSON.
"""
import argparse
import collections
import json
import logging
import math
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET_KEY = "benchmark-only-not-a-secret"
BULK_SIZE = 10_000

PAGES = [
    ("front page", "/"),
    ("subscriptions, first page", "/subscriptions"),
    ("subscriptions, page 1000 by number", "/subscriptions?sort=number&page=1000"),
    ("subscriptions, search 'hansen'", "/subscriptions?q=hansen"),
    ("subscriptions, mobile by e-mail", "/subscriptions?kind=mobile&sort=email"),
    # the overview's fragments, as its filter form and pager ask for them (hx-target="#rows")
    ("subscriptions, first page (HTMX)", "/subscriptions#rows"),
    ("subscriptions, page 1000 by number (HTMX)", "/subscriptions?sort=number&page=1000#rows"),
    ("subscriptions, search 'hansen' (HTMX)", "/subscriptions?q=hansen#rows"),
    # a first name: its hits sit together late in name order (services/subscriptions.py _search_pages)
    ("subscriptions, search 'mette' (HTMX)", "/subscriptions?q=mette#rows"),
    ("subscriptions, mobile by e-mail (HTMX)", "/subscriptions?kind=mobile&sort=email#rows"),
    ("subscriptions, one account (HTMX)", "/subscriptions?account=40120011#rows"),
    ("subscriptions, subsidiary, active (HTMX)", "/subscriptions?company={subsidiary}&status=active#rows"),
    # the top search: the combobox's suggestions while typing, and "all results" as a page
    ("top search '2000' (HTMX)", "/search/suggestions?q=2000"),
    ("top search 'hansen' (HTMX)", "/search/suggestions?q=hansen"),
    ("search results '2000'", "/search?q=2000"),
    ("accounts", "/accounts"),
    ("invoices", "/invoices"),
    ("invoices, one period (HTMX)", "/invoices?period={period}#rows"),
    ("invoice details, per user", "/invoices/{invoice}"),
    ("invoice, why did it change (HTMX)", "/invoices/{invoice}/changes#changes"),
    ("orders", "/orders"),
    ("orders, completed", "/orders?which=done"),
    ("employee page", "/subscriptions/{employee}"),
    ("employee page, change plan dialog (HTMX)", "/subscriptions/{employee}/plan#dialog"),
    ("employee page, open orders poll (HTMX)", "/subscriptions/{employee}#open-orders"),
    ("bulk update", "/subscriptions/bulk"),
    ("users", "/users"),
    ("audit trail", "/users/audit"),
]


class QueryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):  # peewee logs one DEBUG record per query; nothing is printed
        self.count += 1


def database_url(args):
    if args.postgres:
        return args.postgres
    db_path = Path(args.db or ROOT / "instance" / f"benchmark-{args.subscriptions}.db")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{db_path}"


def build(url, subscriptions, figures):
    from app import create_app
    from models import Customer, Subscription, db
    from models.database import migrate
    from services.demo_data import create_demo_data

    app = create_app({"ENV_MODE": "testing", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
                      "JOBS_INLINE": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    migrate(db.obj)
    with db.connection_context():
        if not Customer.select().exists():
            started, cpu = time.perf_counter(), time.process_time()
            create_demo_data(subscriptions=subscriptions)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            figures["build"] = {"subscriptions": subscriptions, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1)}
            print(f"demo data with {subscriptions:,} subscriptions: {seconds:.1f} s ({cpu:.1f} s of CPU)", flush=True)
        demo = Subscription.select().join(Customer).where(Customer.name == "Demo Koncern").count()
        if demo < subscriptions:
            raise SystemExit(f"{url} holds {demo:,} Demo subscriptions, not {subscriptions:,}: use another --db")
        # after a bulk load, as an operator would: fresh statistics, and on PostgreSQL the visibility
        # map that lets an index-only scan skip the table (autovacuum would get there later)
        db.execute_sql("VACUUM ANALYZE" if url.startswith("postgres") else "ANALYZE")
    return app


def signed_in(app, email):
    from models import User

    client = app.test_client()
    user = User.get(User.email == email)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    return client


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20, help="requests per page in-process, and PDF renders")
    parser.add_argument("--db", default=None, help="SQLite file (default: instance/benchmark-N.db)")
    parser.add_argument("--postgres", metavar="URL", help="use this PostgreSQL database instead of SQLite")
    parser.add_argument("--no-http", action="store_true", help="skip gunicorn and the throughput figures")
    parser.add_argument("--http-seconds", type=float, default=5.0,
                        help="one-second turns of load per page over HTTP, each after one of the table (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections over HTTP (default 32)")
    parser.add_argument("--bulk", type=int, default=BULK_SIZE, help=f"subscriptions in the bulk action (default {BULK_SIZE:,})")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--only", metavar="REGEX", help="only the pages whose name matches, and no heavy work "
                        "(to look at a few pages again; the README's figures come from full runs)")
    args = parser.parse_args()
    os.environ.setdefault("SELVBETJENING_MODE", "testing")
    import jobs.context

    url = database_url(args)
    figures = {"subscriptions": args.subscriptions, "database": url.split(":", 1)[0], "machine": machine(),
               "pages": [], "http": {}, "work": []}
    app = build(url, args.subscriptions, figures)
    pages = page_paths(app)
    if args.only:
        pages = [(name, path) for name, path in pages if re.search(args.only, name)]

    counter = QueryCounter()
    peewee_log = logging.getLogger("peewee")
    peewee_log.addHandler(counter)
    peewee_log.propagate = False
    peewee_log.setLevel(logging.DEBUG)
    for email, who in (("admin@demo.dk", "admin"), ("begraenset@demo.dk", "limited")):
        client = signed_in(app, email)
        for name, path in pages:
            if who == "limited" and path.startswith("/users"):  # admins only
                continue
            median, p95, queries, status = measure(client, path, args.repeat, counter)
            figures["pages"].append({"page": name, "path": path, "user": who, "p50_ms": round(median, 1),
                                     "p95_ms": round(p95, 1), "queries": queries, "status": status})
    peewee_log.removeHandler(counter)
    peewee_log.setLevel(logging.INFO)
    peewee_log.propagate = True

    figures["first_load"] = first_load(app)
    if not args.no_http:
        figures["http"] = measure_http(url, pages, args)
    if not args.no_http:
        jobs.context.bind(app)  # the production app made for the session cookie bound itself for jobs
    figures["work"] = [] if args.only else heavy_work(app, args)
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        print(f"figures written to {args.json}")


def machine():
    import platform

    memory = ""
    try:
        memory = next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        memory = f", {int(memory) // 1024 // 1024} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", load %.1f at start" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    return f"{os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}{load}"


def page_paths(app):
    from models import Account, Company, Invoice, Subscription, db

    with app.app_context(), db.connection_context():
        subsidiary = Company.get(Company.cvr == "12345682").id  # Demo Service ApS
        # a mobile subscription both users see (the limited user has account 40120011 only)
        employee = (Subscription.select(Subscription.id).join(Account)
                    .where(Account.number == "40120011", Subscription.kind == "mobile",
                           Subscription.status == "active").order_by(Subscription.id).first().id)
        latest = (Invoice.select().join(Account).where(Account.number == "40120011")
                  .order_by(Invoice.period_start.desc()).first())
    return [(name, path.format(subsidiary=subsidiary, employee=employee, invoice=latest.id,
                               period=latest.period_start.strftime("%Y-%m"))) for name, path in PAGES]


def request_headers(path):
    """(path, headers): "#id" makes it an HTMX request for that target, as the page's own would be."""
    path, _hash, target = path.partition("#")
    fragment = path.startswith("/search/suggestions") or target
    headers = {"HX-Request": "true"} if fragment else {}
    if target:
        headers["HX-Target"] = target
    return path, headers


def measure(client, path, repeat, counter):
    path, headers = request_headers(path)
    client.get(path, headers=headers)  # warm caches
    times, queries, status = [], [], 200
    for _ in range(repeat):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count)
        if response.status_code != 200:
            status = response.status_code
    return percentiles(times) + (max(queries), status)


def percentiles(times):
    """Median and 95th percentile (nearest rank: the 19th of 20, the larger of 2)."""
    times = sorted(times)
    return statistics.median(times), times[math.ceil(len(times) * 0.95) - 1]


# -- the first load ------------------------------------------------------------------------------

def first_load(app):
    """Bytes a browser with an empty cache transfers for /subscriptions: the page, its stylesheets
    and scripts (not the icons, the manifest or the service worker, which come later), compressed
    as the browser asks (brotli, else gzip)."""
    import re

    client = signed_in(app, "admin@demo.dk")
    result = {}
    for encoding in ("br", "gzip"):
        page = client.get("/subscriptions", headers={"Accept-Encoding": encoding})
        html = client.get("/subscriptions").get_data(as_text=True)
        sizes = {"/subscriptions": len(page.data)}
        for url in re.findall(r'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"', html):
            url = url[0] or url[1]
            response = client.get(url, headers={"Accept-Encoding": encoding})
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            sizes[url] = len(response.data)
            response.close()
        result[encoding] = {"total_bytes": sum(sizes.values()), "files": sizes}
    return result


# -- over HTTP -----------------------------------------------------------------------------------

def procfile_web():
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return shlex.split(line.split(":", 1)[1])
    raise SystemExit("the Procfile has no web line")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(command, env, log_path):
    """Start gunicorn (its own process group) and wait until it answers."""
    port = int(env["PORT"])
    log = open(log_path, "wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(command)} stopped: see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit(f"{' '.join(command)} did not answer within 60 s: see {log_path}")


def stop_server(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def session_cookie(url, email):
    """A session of `email` as the production app keeps it (in the database), for the load generator."""
    from app import create_app
    from models import User, db

    app = create_app({"ENV_MODE": "production", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url})
    client = app.test_client()
    with app.app_context(), db.connection_context():
        user_id = User.get(User.email == email).id
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    if cookie is None:
        raise SystemExit("no session cookie was set")
    return f"{name}={cookie.value}"


def load_generator():
    """wrk when it is there (or apt-get can install it), else Python threads."""
    if shutil.which("wrk") is None and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("installing wrk with apt-get ...", flush=True)
        for command in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq", "wrk"]):
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if command[1] == "install" and done.returncode == 0:
                break
    return "wrk" if shutil.which("wrk") else "python-threads"


def run_load(tool, url, headers, seconds, connections):
    """(requests per second, failed requests) for GETs of `url` with `headers`.

    Every request opens its own connection (`Connection: close`, as a proxy such as nginx talks to
    its upstream by default). With kept-alive connections, opened all at once, one gthread worker
    accepted most of them and the figures jumped between one core's and two cores' worth from run
    to run (the ceiling's table between 140 and 300 requests/s)."""
    headers = dict(headers, Connection="close")
    if tool == "wrk":
        command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        failed = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|timeout)\D+(\d+)", out))
        return rate, failed
    return python_load(url, headers, seconds, connections)


def python_load(url, headers, seconds, connections):
    """Clients in threads, each sending the next request when the last is answered."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    done, failed, lock = [0], [0], threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        ok = bad = 0
        while time.monotonic() < stop_at:
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok, bad = (ok + 1, bad) if response.status < 400 else (ok, bad + 1)
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.close()
        with lock:
            done[0] += ok
            failed[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.monotonic() - started), failed[0]


def check_page(url, headers):
    """The page's status (a redirect to the login would measure the login instead)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def measure_http(url, pages, args):
    tool = load_generator()
    port, ceiling_port = free_port(), free_port()
    base_env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "REDIS_URL")}
    base_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base_env.get('PATH', '')}"  # the venv's gunicorn
    env = dict(base_env, PORT=str(port), DATABASE_URL=url, SECRET_KEY=SECRET_KEY, SELVBETJENING_MODE="production")
    ceiling_env = dict(base_env, PORT=str(ceiling_port))
    logs = ROOT / "instance"
    result = {"tool": tool, "connections": args.connections, "seconds_per_page": args.http_seconds,
              "command": " ".join(procfile_web()), "ceiling": {}, "pages": []}
    print(f"over HTTP: {result['command']} (production mode) and the ceiling; load by {tool}", flush=True)
    cookie = session_cookie(url, "admin@demo.dk")
    ceiling_command = procfile_web() + ["--pythonpath", "scripts", "bench_ceiling:app"]
    ceiling_command.remove("wsgi:app")
    servers = []
    try:
        # both servers run together: the ceiling's table is measured again next to every page, so a
        # machine whose speed drifts (a shared VM) moves both figures of a share alike
        servers.append(start_server(ceiling_command, ceiling_env, logs / "benchmark-ceiling.log"))
        servers.append(start_server(procfile_web(), env, logs / "benchmark-gunicorn.log"))
        table_url = f"http://127.0.0.1:{ceiling_port}/table"
        for name, path in (("ceiling: 50-row table", "/table"), ("ceiling: trivial page", "/")):
            target = f"http://127.0.0.1:{ceiling_port}{path}"
            if check_page(target, {}) != 200:
                raise SystemExit(f"{target}: the ceiling does not answer")
            run_load(tool, target, {}, 1, args.connections)  # warm up
            rate, failed = run_load(tool, target, {}, args.http_seconds, args.connections)
            result["ceiling"][name] = {"requests_per_s": round(rate, 1), "failed": failed}
        tables = [result["ceiling"]["ceiling: 50-row table"]["requests_per_s"]]
        for name, path in pages:
            path, headers = request_headers(path)
            headers = dict(headers, Cookie=cookie, **{"Accept-Encoding": "br, gzip"})
            target = f"http://127.0.0.1:{port}{path}"
            status = check_page(target, headers)
            if status != 200:
                result["pages"].append({"page": name, "requests_per_s": 0, "failed": 1, "share_of_ceiling": None,
                                        "status": status})
                continue
            # warmed as the ceiling was: every worker's connections have read the page's index pages
            run_load(tool, target, headers, 1, args.connections)
            # one-second turns of the table and the page, one after the other: on a shared VM whose
            # speed changes within seconds, each pair ran at nearly the same speed, and the median of
            # the pairs' shares leaves out a turn that met a slow moment
            turns = [(run_load(tool, table_url, {}, 1, args.connections)[0],
                      *run_load(tool, target, headers, 1, args.connections))
                     for _turn in range(max(1, round(args.http_seconds)))]
            tables.extend(table for table, _rate, _failed in turns)
            shares = [rate / table for table, rate, _failed in turns if table]
            result["pages"].append({
                "page": name, "requests_per_s": round(statistics.median(rate for _t, rate, _f in turns), 1),
                "failed": sum(failed for _t, _r, failed in turns),
                "share_of_ceiling": round(statistics.median(shares), 3) if shares else None,
                "ceiling_requests_per_s": round(statistics.median(table for table, _r, _f in turns), 1),
                "status": 200})
        # the table's figure is the median of all its measurements; each share is against its neighbour
        result["ceiling"]["ceiling: 50-row table"]["requests_per_s"] = round(statistics.median(tables), 1)
        result["ceiling"]["ceiling: 50-row table"]["range"] = [round(min(tables), 1), round(max(tables), 1)]
    finally:
        for process in servers:
            stop_server(process)
    result["not_ok"] = answers_not_ok(logs / "benchmark-gunicorn.log")
    return result


def answers_not_ok(log_path):
    """From the portal's log of the run: its answers other than 200 by status and path, and gunicorn's
    worker timeouts. Failed requests beyond these never got an answer (wrk's own timeout)."""
    counts = collections.Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        if "WORKER TIMEOUT" in line:
            counts["worker timeout"] += 1
        elif line.startswith("{") and '"event": "request"' in line:
            entry = json.loads(line)
            if entry.get("status") != 200:
                counts[f"{entry.get('status')} {entry.get('path')}"] += 1
    return dict(counts)


# -- heavy work ----------------------------------------------------------------------------------

def heavy_work(app, args):
    """The export, PDFs, billing run and bulk action; a failure is reported in its row."""
    work = []

    def attempt(name, measure_it):
        try:
            work.append(dict(measure_it(), what=name))
        except Exception as error:  # noqa: BLE001 (one row fails, the others still run)
            work.append({"what": name, "error": f"{type(error).__name__}: {error}"})

    for email, who in (("admin@demo.dk", "admin"), ("begraenset@demo.dk", "limited")):
        def export(email=email):
            rows, seconds, peak = measure_export(app, email)
            return {"rows": rows, "seconds": round(seconds, 2), "peak_mib": round(peak / 1024 / 1024, 1)}
        attempt(f"CSV export of all subscriptions, {who}", export)
    for account in ("40345020", "40120037", "40120011"):  # Demo's smallest, middle and largest invoices
        for lang in ("da", "en"):
            def pdf(account=account, lang=lang):
                median, p95, lines, pages = measure_pdf(app, account, lang, args.repeat)
                return {"lines": lines, "pages": pages, "p50_ms": round(median, 1), "p95_ms": round(p95, 1)}
            attempt(f"invoice PDF ({lang}), account {account}", pdf)

    def billing_run():
        invoices, lines, seconds = measure_billing_run(app)
        return {"invoices": invoices, "lines": lines, "seconds": round(seconds, 2)}
    attempt("billing run, all accounts", billing_run)

    def bulk_action():
        subscriptions, seconds, preview, ordered = measure_bulk(app, args.bulk)
        return {"subscriptions": subscriptions, "seconds": round(seconds, 2), "preview_seconds": round(preview, 2),
                "ordered": ordered}
    attempt(f"bulk action, block data on {args.bulk:,}", bulk_action)
    return work


class _RollBack(Exception):
    pass


def measure_bulk(app, size):
    """Block data on `size` active mobile subscriptions through services/bulk.py, as the admin, in
    requests of its maximum size: preview, then run (what the job does). Rolled back, with the
    provisioning jobs the orders would queue: (subscriptions, seconds, of which preview, ordered)."""
    from flask_babel import force_locale

    from jobs import deferred
    from models import Account, Company, Customer, Membership, Subscription, User, db
    from services import bulk
    from services.scope import build_scope

    with app.test_request_context(), db.connection_context(), force_locale("da"):
        user = User.get(User.email == "admin@demo.dk")
        membership = (Membership.select().join(Company).where(Membership.user == user, Company.cvr == "12345674").get())
        scope = build_scope(membership)
        ids = [i for (i,) in Subscription.select(Subscription.id).join(Account).join(Customer, on=Account.customer == Customer.id)
               .where(Customer.name == "Demo Koncern", Subscription.kind == "mobile", Subscription.status == "active",
                      Subscription.blocked_parts == "").order_by(Subscription.id).limit(size).tuples()]
        params = {"parts": ["data"], "reason": "cost_control"}
        preview_seconds = ordered = 0
        started = time.perf_counter()
        try:
            with deferred(), db.atomic() as transaction:  # the provisioning jobs wait here, and are dropped
                for start in range(0, len(ids), bulk.MAX_SUBSCRIPTIONS):
                    chosen = bulk.Selection(ids[start:start + bulk.MAX_SUBSCRIPTIONS])
                    begun = time.perf_counter()
                    request = bulk.create_preview(scope, chosen, "block", params)
                    preview_seconds += time.perf_counter() - begun
                    bulk.BulkRequest.update(status="running").where(bulk.BulkRequest.id == request.id).execute()
                    ordered += bulk.run(scope, request.id).get("ordered", 0)
                seconds = time.perf_counter() - started
                transaction.rollback()
                raise _RollBack
        except _RollBack:
            pass
    return len(ids), seconds, preview_seconds, ordered


# -- the table -----------------------------------------------------------------------------------

def report(figures):
    http = {row["page"]: row for row in figures["http"].get("pages", [])}
    print()
    print(f"{figures['subscriptions']:,} subscriptions on {figures['database']}; {figures['machine']}")
    print(f"{'page':44} {'user':8} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'req/s':>7} {'ceiling':>7}")
    for row in figures["pages"]:
        over = http.get(row["page"]) if row["user"] == "admin" else None
        rate = f"{over['requests_per_s']:7.0f}" if over else f"{'':7}"
        share = f"{over['share_of_ceiling']:7.0%}" if over and over["share_of_ceiling"] is not None else f"{'':7}"
        error = f"  ERROR HTTP {row['status']}" if row["status"] != 200 else ""
        if over and over.get("status", 200) != 200:
            error += f"  ERROR over HTTP: {over['status']}"
        print(f"{row['page']:44} {row['user']:8} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} {row['queries']:7d} {rate} {share}{error}")
    for name, row in figures["http"].get("ceiling", {}).items():
        spread = f"  (median; {row['range'][0]:.0f}–{row['range'][1]:.0f} over the run)" if "range" in row else ""
        print(f"{name:44} {'':8} {'':7} {'':7} {'':7} {row['requests_per_s']:7.0f} {'':7}{spread}")
    if figures["http"]:
        failed = sum(r["failed"] for r in figures["http"]["pages"])
        print(f"(over HTTP: {figures['http']['command']}, {figures['http']['connections']} connections, "
              f"{round(figures['http']['seconds_per_page'])} one-second turns a page, load by {figures['http']['tool']}; "
              f"failed requests: {failed}; 'ceiling' = median share of the 50-row table's requests/s, in turns of a second)")
    if figures["http"].get("not_ok"):
        print("answers other than 200 in the portal's log: "
              + ", ".join(f"{what}: {n}" for what, n in sorted(figures["http"]["not_ok"].items())))
    for encoding, load in figures["first_load"].items():
        print(f"first load of /subscriptions ({encoding}): {load['total_bytes'] / 1024:.1f} KiB "
              f"in {len(load['files'])} files (HTML {load['files']['/subscriptions'] / 1024:.1f} KiB)")
    for row in figures["work"]:
        what = row["what"]
        if "error" in row:
            text = f"ERROR {row['error']}"
        elif what.startswith("CSV export"):
            text = f"{row['rows']:,} rows, {row['seconds']:.1f} s, peak memory {row['peak_mib']:.1f} MiB"
        elif what.startswith("invoice PDF"):
            text = f"{row['lines']} lines on {row['pages']} pages: p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms"
        elif what.startswith("billing"):
            text = f"{row['invoices']:,} invoices with {row['lines']:,} lines, {row['seconds']:.1f} s"
        else:
            text = (f"{row['subscriptions']:,} subscriptions, {row['ordered']:,} orders, {row['seconds']:.1f} s "
                    f"(preview {row['preview_seconds']:.1f} s)")
        print(f"{what}: {text}")
    if "build" in figures:
        build = figures["build"]
        print(f"demo data builder: {build['subscriptions']:,} subscriptions in {build['seconds']:.1f} s "
              f"({build['cpu_seconds']:.1f} s of CPU)")


def measure_pdf(app, account, lang, repeat):
    """Render an account's latest invoice as its job does (uncached): median and p95 ms, lines, pages."""
    import io

    from flask_babel import force_locale

    from models import Account, Invoice, InvoiceLine, db
    from services import invoice_pdf
    from services.locale import regional

    with app.app_context(), db.connection_context(), force_locale(regional(lang)):
        invoice = (Invoice.select().join(Account).where(Account.number == account)
                   .order_by(Invoice.period_start.desc()).first())
        lines = InvoiceLine.select().where(InvoiceLine.invoice == invoice.id).count()
        out = io.BytesIO()
        invoice_pdf.write("invoice", invoice.id, out)  # warm fonts and templates
        pages = out.getvalue().count(b"/Type /Page\n")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            invoice_pdf.write("invoice", invoice.id, io.BytesIO())
            times.append((time.perf_counter() - started) * 1000)
    return percentiles(times) + (lines, pages)


def measure_billing_run(app):
    """Invoice next month for every account, then roll it back: (invoices, lines, seconds)."""
    import datetime

    from models import InvoiceLine, db
    from services import billing

    with app.app_context(), db.connection_context():
        period = datetime.date.today().replace(day=1)  # the month not invoiced yet
        with db.atomic() as transaction:
            started = time.perf_counter()
            result = billing.run(period)
            seconds = time.perf_counter() - started
            lines = InvoiceLine.select().where(InvoiceLine.invoice.in_(result.created)).count()
            transaction.rollback()
    return len(result.created), lines, seconds


def measure_export(app, email):
    """Run the subscription export job inline; returns rows, seconds and peak traced memory."""
    from jobs import enqueue
    from jobs.exports import export_subscriptions_csv
    from models import JobRecord, Membership, User, db
    from services import stored_files
    from services.exports import EXPORT_KEY, export_path

    with app.app_context(), db.connection_context():
        user = User.get(User.email == email)
        membership = Membership.select().where(Membership.user == user).order_by(Membership.id).first()
        def export():
            return enqueue(export_subscriptions_csv, membership.id, {}, track=True, user_id=user.id,
                           company_id=membership.company_id)

        def discard(job_id):  # the scratch copy and the stored file: the data set stays as built
            export_path(job_id).unlink(missing_ok=True)
            stored_files.delete([EXPORT_KEY + job_id])

        started = time.perf_counter()
        first = export()
        seconds = time.perf_counter() - started  # timed without tracemalloc, which slows it down
        discard(first)
        tracemalloc.start()
        job_id = export()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        record = JobRecord.get_by_id(job_id)
        if record.status != "finished":
            raise RuntimeError(f"export: {record.status} {record.message}")
        discard(job_id)
        return int(record.result), seconds, peak


if __name__ == "__main__":
    main()
