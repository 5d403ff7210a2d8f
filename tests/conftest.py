"""Fixtures: an app on a temporary database (empty, or a copy of the demo data),
clients, and signed-in clients per role."""
import contextlib
import functools
import logging
import os
import shutil
import sys
from pathlib import Path

import pyotp
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from models import Subscription, User, db  # noqa: E402
from models.database import migrate, open_database  # noqa: E402

DEMO_PASSWORD = "demo-password-1"
DEMO_TOTP = "ONSWY5TCMV2GUZLONFXGOLLEMVWW6LJR"


def make_app(db_path, **overrides):
    config = {
        "ENV_MODE": "testing", "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False, "JOBS_INLINE": True, "RATELIMIT_ENABLED": False,
        "REDIS_URL": None, "SMTP_HOST": None, "NETWORK_DELAY_SECONDS": 0, "NETWORK_FAILURE_RATE": 0,
        "DATA_DIR": Path(db_path).parent / "data",  # exports and documents of this test only
    }
    config.update(overrides)
    app = create_app(config)
    app.testing = True
    return app


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory):
    """The demo data, built once per test run; tests get a copy."""
    from services.demo_data import create_demo_data

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = open_database(f"sqlite:///{path}")
    migrate(database)
    with database.connection_context():
        create_demo_data()
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return path


@pytest.fixture
def csrf_app(demo_db_file, tmp_path):
    """An app on a copy of the demo data with CSRF checked, as in production."""
    path = tmp_path / "csrf.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path, WTF_CSRF_ENABLED=True)
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def empty_app(tmp_path):
    app = make_app(tmp_path / "empty.db")
    migrate(db.obj)
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def app(demo_db_file, tmp_path):
    """An app on a private copy of the demo data."""
    path = tmp_path / "app.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path)
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, email):
    """A signed-in session without the login pages (the login itself has its own tests)."""
    user = User.get(User.email == email)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    return user


def reauthenticate(client, minutes_ago=0):
    """Mark the session as re-authenticated (password or second factor) `minutes_ago`: what
    blueprints/step_up.py asks before changing logins, rights and second factors."""
    import datetime

    from models import utcnow

    with client.session_transaction() as session:
        session["reauth_at"] = (utcnow() - datetime.timedelta(minutes=minutes_ago)).isoformat()
    return client


def login_with_totp(client, email, password=DEMO_PASSWORD, at_offset=0):
    """The real flow: password, then a TOTP code."""
    import datetime

    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.data[:500]
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=30 * at_offset)
    code = pyotp.TOTP(DEMO_TOTP).at(at)
    return client.post("/login/verify", data={"code": code, "method": "totp"})


def _signed_in_fixture(email, doc):
    @pytest.fixture
    def fixture(app):
        client = app.test_client()
        sign_in(client, email)
        return client

    fixture.__doc__ = doc
    return fixture


admin = _signed_in_fixture("admin@demo.dk", "Admin of Demo A/S and Demo Service ApS.")
limited = _signed_in_fixture("begraenset@demo.dk", "Demo A/S, account 40120011 only, no sim or users.")
other_admin = _signed_in_fixture("admin@anden.dk", "Admin of the other customer, Anden Kunde ApS.")
staff_client = _signed_in_fixture("staff@operator.dk", "Operator staff.")
employee_client = _signed_in_fixture("mette.jensen@demo.dk", "The employee with +45 20 00 00 01.")


class _QueryLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql = []

    def emit(self, record):  # peewee logs one DEBUG record per query: (sql, params)
        self.sql.append(record.msg[0] if isinstance(record.msg, tuple) else str(record.msg))


@contextlib.contextmanager
def logged_sql():
    """The SQL of every query run inside the block, as a list filled while it runs."""
    queries = _QueryLog()
    log = logging.getLogger("peewee")
    level = log.level
    log.addHandler(queries)
    log.setLevel(logging.DEBUG)
    try:
        yield queries.sql
    finally:
        log.removeHandler(queries)
        log.setLevel(level)


def queries_of(client, url, headers=None):
    """The SQL of the queries one GET costs (it must answer 200)."""
    with logged_sql() as sql:
        assert client.get(url, headers=headers or {}).status_code == 200, url
    return sql


def count_queries(client, url, headers=None):
    """The SQL queries one GET costs (it must answer 200)."""
    return len(queries_of(client, url, headers))


def add_subscriptions(n, name="Bo Hansen", prefix="+4572"):
    """`n` more mobile subscriptions in Demo A/S ("{name} 000", …; numbers from `prefix`), in one insert."""
    from datetime import date

    from models import Company

    template = Subscription.select().join(Company).where(Company.cvr == "12345674").order_by(Subscription.id).first()
    rows = []
    for i in range(n):
        number, email = f"{prefix}{i:06d}", f"many{i}@demo.dk"
        rows.append({"customer": template.customer_id, "company": template.company_id, "account": template.account_id,
                     "kind": "mobile", "number": number, "holder_name": f"{name} {i:03d}", "holder_email": email,
                     "search_key": Subscription.make_search_key(f"{name} {i:03d}", number, email),
                     "plan": template.plan_id, "status": "active", "start_date": date(2024, 1, 1)})
    Subscription.insert_many(rows).execute()


def clustered_search_pages(scope, sort, monkeypatch, bound=40, kind=""):
    """A search whose matches sit together at the end of the sort order ("Zzz Mette" after "Aaa
    Fyld", as a first name sits in name order): with services/search.py's walk bounds at `bound`
    and the count's cap at 100, a walk that starts among the "Fyld"s gives up at 40 and the hits
    are gathered; at 130 some walks fill their page. Returns (the ids of every page,
    forward by cursor; those of the page before the last; of the last page; what the plain query
    gives; the SQL of the rows statements), having checked page 2 by number."""
    from services import search
    from services import subscriptions as subs

    add_subscriptions(90, name="Aaa Fyld", prefix="+4571")
    add_subscriptions(130, name="Zzz Mette", prefix="+4579")
    monkeypatch.setattr(search, "WALK_BOUND", bound)
    monkeypatch.setattr(search, "WALK_BOUND_READ", bound)
    monkeypatch.setattr(subs, "SEARCH_COUNT_CAP", 100)  # "more than 100": the walk is tried first
    monkeypatch.setattr(search, "CAP", 100)  # (PostgreSQL counts to search.CAP)
    expected = scope.subscriptions().where(Subscription.search_key.contains("mette"))
    expected = [s.id for s in (expected.where(Subscription.kind == kind) if kind else expected).order_by(*subs.SORTS[sort])]
    listed = functools.partial(subs.list_subscriptions, scope, q="mette", sort=sort, kind=kind)
    with logged_sql() as statements:
        page, seen = listed(), []
        while True:
            seen.extend(r.id for r in page.items)
            if not page.has_next:
                break
            page = listed(cursor=page.next_cursor)
        back = listed(cursor=page.prev_cursor)
        last = listed(page="last")
        second = listed(page=2)  # by number: an OFFSET
    rows_sql = [sql for sql in statements if sql.startswith('SELECT "t1"."id", "t1"."holder_name", "t1"."number"')]
    assert [r.id for r in second.items] == expected[50:100]
    return seen, [r.id for r in back.items], [r.id for r in last.items], expected, rows_sql


# Names whose "%" and "_" a search must take literally, and what each text finds among them
WILDCARD_ROWS = (("Procent 50% Under_Streg", 3, "+4572"), ("Procent 50x Underxstreg", 2, "+4573"))
WILDCARD_SEARCHES = (("50%", 3), ("% u", 3), ("der_s", 3), ("5%0", 0), ("derxs", 2), ("50x", 2))


def demo_subscription(number="+4520000001"):
    return Subscription.get(Subscription.number == number)


@pytest.fixture
def ctx(app):
    """The demo database, for reading in asserts. No app context on purpose: test
    requests would reuse it, and `g` (with Flask-Login's cached user) would leak
    from one request into the next."""
    yield
    if not db.is_closed():
        db.close()


def pytest_collection_modifyitems(config, items):
    # Browser tests need Chromium; the test command installs it. Skip only when asked.
    if os.environ.get("SKIP_BROWSER_TESTS") == "1":
        skip = pytest.mark.skip(reason="SKIP_BROWSER_TESTS=1")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)
