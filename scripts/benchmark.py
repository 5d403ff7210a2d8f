"""Measure the main pages with a large data set: time per request and SQL queries per page.

    .venv/bin/python scripts/benchmark.py [--subscriptions 100000] [--repeat 20] [--db PATH]

Builds (or reuses) a SQLite database with the demo data and N subscriptions for Demo
Koncern, signs in as admin@demo.dk and as the limited user, and prints, per page, the
median and 95th-percentile time in the Flask app (no network) and the number of queries.
The query count must not grow with N: that is what "a fixed number of queries per page" means.
Last, it times the CSV export of all subscriptions (the job, run inline) and its peak
memory (tracemalloc): streaming keeps the memory flat whatever N is; and the billing run for
every account and all N subscriptions (in a transaction that is rolled back, so the data set
stays as built and the run can be repeated).
"""
import argparse
import logging
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    ("front page", "/"),
    ("subscriptions, first page", "/subscriptions"),
    ("subscriptions, page 1000 by number", "/subscriptions?sort=number&page=1000"),
    ("subscriptions, search 'hansen'", "/subscriptions?q=hansen"),
    ("subscriptions, mobile by e-mail", "/subscriptions?kind=mobile&sort=email"),
    ("subscriptions, one account (HTMX)", "/subscriptions?account=40120011"),
    ("subscriptions, subsidiary, active (HTMX)", "/subscriptions?company={subsidiary}&status=active"),
    ("top search '2000' (HTMX)", "/search?q=2000"),
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


def build(db_path, subscriptions):
    from app import create_app
    from models import Customer, db
    from models.database import migrate
    from services.demo_data import create_demo_data

    app = create_app({"ENV_MODE": "testing", "SECRET_KEY": "benchmark", "DATABASE_URL": f"sqlite:///{db_path}",
                      "JOBS_INLINE": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    migrate(db.obj)
    with db.connection_context():
        db.execute_sql("ANALYZE")
        if not Customer.select().exists():
            started = time.perf_counter()
            create_demo_data(subscriptions=subscriptions)
            db.execute_sql("ANALYZE")
            print(f"demo data with {subscriptions:,} subscriptions: {time.perf_counter() - started:.1f} s")
    return app


def signed_in(app, email):
    from models import User

    client = app.test_client()
    user = User.get(User.email == email)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    return client


def measure(client, path, repeat, counter):
    path, _hash, target = path.partition("#")  # "#id": an HTMX request for that target
    fragment = path.startswith("/search") or "account=" in path or "company=" in path or target
    headers = {"HX-Request": "true"} if fragment else {}
    if target:
        headers["HX-Target"] = target
    client.get(path, headers=headers)  # warm caches
    times, queries = [], []
    for _ in range(repeat):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], max(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", default=None, help="database file (default: instance/benchmark-N.db)")
    args = parser.parse_args()
    db_path = Path(args.db or ROOT / "instance" / f"benchmark-{args.subscriptions}.db")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SELVBETJENING_MODE", "testing")
    app = build(db_path, args.subscriptions)

    counter = QueryCounter()
    peewee_log = logging.getLogger("peewee")
    peewee_log.addHandler(counter)
    peewee_log.propagate = False
    peewee_log.setLevel(logging.DEBUG)

    from models import Account, Company, Invoice, Subscription, db

    with db.connection_context():
        subsidiary = Company.get(Company.cvr == "12345682").id  # Demo Service ApS
        # a mobile subscription both users see (the limited user has account 40120011 only)
        employee = (Subscription.select(Subscription.id).join(Account)
                    .where(Account.number == "40120011", Subscription.kind == "mobile",
                           Subscription.status == "active").order_by(Subscription.id).first().id)
        latest = (Invoice.select().join(Account).where(Account.number == "40120011")
                  .order_by(Invoice.period_start.desc()).first())
    pages = [(name, path.format(subsidiary=subsidiary, employee=employee, invoice=latest.id,
                                period=latest.period_start.strftime("%Y-%m"))) for name, path in PAGES]

    print(f"{'page':40} {'user':10} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for email, who in (("admin@demo.dk", "admin"), ("begraenset@demo.dk", "limited")):
        client = signed_in(app, email)
        for name, path in pages:
            if who == "limited" and path.startswith("/users"):  # admins only
                continue
            median, p95, queries = measure(client, path, args.repeat, counter)
            print(f"{name:40} {who:10} {median:10.1f} {p95:8.1f} {queries:8d}")

    peewee_log.removeHandler(counter)
    for email, who in (("admin@demo.dk", "admin"), ("begraenset@demo.dk", "limited")):
        rows, seconds, peak = measure_export(app, email)
        print(f"CSV export of all subscriptions, {who}: {rows:,} rows, {seconds:.1f} s, "
              f"peak memory {peak / 1024 / 1024:.1f} MiB")
    for account in ("40345020", "40120037", "40120011"):  # Demo's smallest, middle and largest invoices
        for lang in ("da", "en"):
            median, p95, lines, pages = measure_pdf(app, account, lang, args.repeat)
            print(f"invoice PDF ({lang}), account {account}'s latest, {lines} lines on {pages} pages: "
                  f"median {median:.1f} ms, p95 {p95:.1f} ms")
    invoices, lines, seconds = measure_billing_run(app)
    print(f"billing run, all accounts: {invoices:,} invoices with {lines:,} lines, {seconds:.1f} s")


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
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], lines, pages


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
    from services.exports import export_path

    with app.app_context(), db.connection_context():
        user = User.get(User.email == email)
        membership = Membership.select().where(Membership.user == user).order_by(Membership.id).first()
        def export():
            return enqueue(export_subscriptions_csv, membership.id, {}, track=True, user_id=user.id,
                           company_id=membership.company_id)

        started = time.perf_counter()
        export_path(export()).unlink(missing_ok=True)
        seconds = time.perf_counter() - started  # timed without tracemalloc, which slows it down
        tracemalloc.start()
        job_id = export()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        record = JobRecord.get_by_id(job_id)
        if record.status != "finished":
            raise SystemExit(f"export: {record.status} {record.message}")
        export_path(job_id).unlink(missing_ok=True)
        return int(record.result), seconds, peak


if __name__ == "__main__":
    main()
