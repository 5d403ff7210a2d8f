"""Models, migrations and the scoped queries on a real PostgreSQL server.

TEST_POSTGRES_URL names a server (scripts/test.sh starts one); this module
creates a database of its own there, migrates it, loads the demo data, and
checks that PostgreSQL answers the scoped queries as SQLite does (the expected
values are read from the SQLite demo database of the same run).
"""
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from peewee import PostgresqlDatabase
from playhouse.schema_diff import diff_models
from werkzeug.exceptions import NotFound

import models
from models import (
    Account,
    Company,
    Customer,
    Invoice,
    Membership,
    StoredFile,
    Subscription,
    SupportTicket,
    TicketAttachment,
    TicketMessage,
    User,
    db,
)
from models.database import migrate, open_database
from services.scope import build_scope
from services.search import search
from services.subscriptions import SORTS, list_subscriptions
from tests.conftest import (
    DEMO_PASSWORD,
    WILDCARD_ROWS,
    WILDCARD_SEARCHES,
    add_subscriptions,
    clustered_search_pages,
    login_with_totp,
    make_app,
)

PG_URL = os.environ.get("TEST_POSTGRES_URL")
SCOPES = {  # name: (login, company of the membership)
    "admin": ("admin@demo.dk", "Demo A/S"),
    "limited": ("begraenset@demo.dk", "Demo A/S"),
    "anden": ("admin@anden.dk", "Anden Kunde ApS"),
}
LIMITED_ACCOUNT = "40120011"


def _scope(name):
    email, company = SCOPES[name]
    membership = (Membership.select(Membership, Company).join(Company)
                  .join_from(Membership, User)
                  .where(User.email == email, Company.name == company).get())
    return build_scope(membership)


def _numbers(rows):
    return [s.number for s in rows]


def _expectations():
    """What the queries answer on the current database (SQLite first, then PostgreSQL)."""
    result = {}
    for name in SCOPES:
        scope = _scope(name)
        result[name] = {
            "subscriptions": scope.subscriptions().count(),
            "accounts": scope.accounts().count(),
            "invoices": scope.invoices().count(),
            "orders": scope.orders().count(),
            "tickets": scope.tickets().count(),
            "mette": [(s.number, s.holder_name) for s in search(scope, "mette")[0]],
            "pages": {sort: [_numbers(list_subscriptions(scope, sort=sort, page=p).items) for p in (1, 2)]
                      for sort in ("name", "email", "number")},
        }
    return result


def _database_url(server_url, name):
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="module")
def pg_server():
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh")
        pytest.skip("TEST_POSTGRES_URL is not set (scripts/test.sh starts a PostgreSQL server)")
    return PG_URL


@pytest.fixture(scope="module")
def sqlite_expected(pg_server, demo_db_file):
    database = open_database(f"sqlite:///{demo_db_file}")
    try:
        with database.connection_context():
            return _expectations()
    finally:
        database.close()


@pytest.fixture(scope="module")
def pg(pg_server):
    """A fresh, migrated PostgreSQL database with the demo data; dropped afterwards."""
    import psycopg

    previous = db.obj
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(pg_server, autocommit=True)
    with admin.cursor() as cursor:
        # C collation: ORDER BY compares like SQLite's BINARY, whatever the server's locale.
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' LC_COLLATE \'C\'')
    url = _database_url(pg_server, name)
    database = open_database(url)
    try:
        applied = migrate(database)
        with database.connection_context():
            from services.demo_data import create_demo_data

            create_demo_data()
        yield {"url": url, "database": database, "applied": applied}
    finally:
        database.close()
        db.initialize(previous)  # the proxy goes back to what the other tests had
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pgdb(pg):
    """The proxy pointed at the module's PostgreSQL database, one connection for the test."""
    database = pg["database"]
    db.initialize(database)
    with database.connection_context():
        yield database


@pytest.fixture
def pg_app(pg):
    app = make_app("unused.db", DATABASE_URL=pg["url"])  # re-points the proxy at a database object of its own
    app_database = db.obj
    assert app_database is not pg["database"] and isinstance(app_database, PostgresqlDatabase)
    yield app
    app_database.close()
    db.initialize(pg["database"])


def test_migrations_create_exactly_the_models(pgdb, pg):
    assert pg["applied"], "no migration ran on the fresh database"
    diff = diff_models(pgdb, models.ALL_MODELS)
    assert not diff, f"migrations and models differ on PostgreSQL:\n{diff}"
    assert migrate(pgdb) == []  # nothing pending a second time


def test_demo_data_loaded(pgdb):
    assert Customer.select().count() >= 3
    assert Company.get(Company.cvr == "12345682").parent.cvr == "12345674"
    assert User.select().where(User.email.in_([e for e, _ in SCOPES.values()])).count() == 3


def test_scoped_counts_match_sqlite(pgdb, sqlite_expected):
    for name in SCOPES:
        scope = _scope(name)
        for what in ("subscriptions", "accounts", "invoices", "orders", "tickets"):
            got = getattr(scope, what)().count()
            assert got == sqlite_expected[name][what], (name, what)
        assert sqlite_expected[name]["subscriptions"] > 0


def test_admin_sees_demo_as_and_its_subsidiary(pgdb):
    scope = _scope("admin")
    demo = {c.id for c in Company.select().where(Company.cvr.in_(["12345674", "12345682"]))}
    assert set(scope.company_ids) == demo and scope.account_ids is None
    rows = list(scope.subscriptions())
    assert {s.company_id for s in rows} == demo
    assert len(rows) == Subscription.select().where(Subscription.company.in_(demo)).count()


def test_limited_user_sees_only_the_chosen_account(pgdb):
    scope = _scope("limited")
    account = Account.get(Account.number == LIMITED_ACCOUNT)
    assert scope.account_ids == (account.id,)
    rows = list(scope.subscriptions())
    assert rows and {s.account.number for s in rows} == {LIMITED_ACCOUNT}
    assert len(rows) == Subscription.select().where(Subscription.account == account.id).count()
    assert [a.number for a in scope.accounts()] == [LIMITED_ACCOUNT]
    assert {i.account.number for i in scope.invoices()} <= {LIMITED_ACCOUNT}


def test_other_customer_sees_none_of_demo(pgdb):
    scope = _scope("anden")
    demo_customer = Company.get(Company.cvr == "12345674").customer_id
    assert scope.customer_id != demo_customer
    for query in (scope.subscriptions(), scope.accounts(), scope.invoices(), scope.orders(), scope.tickets()):
        assert all(row.customer_id == scope.customer_id for row in query)
    assert scope.subscriptions().count() > 0


def test_get_answers_404_for_ids_outside_the_scope(pgdb):
    admin, limited, anden = _scope("admin"), _scope("limited"), _scope("anden")
    demo_sub = Subscription.select().where(Subscription.customer == admin.customer_id).first()
    anden_sub = Subscription.select().where(Subscription.customer == anden.customer_id).first()
    outside_limited = (Subscription.select()
                       .join(Account).where(Subscription.customer == admin.customer_id,
                                            Account.number != LIMITED_ACCOUNT).first())
    demo_invoice = admin.invoices().first()

    assert admin.get(admin.subscriptions(), Subscription, demo_sub.id).id == demo_sub.id
    assert anden.get(anden.subscriptions(), Subscription, str(anden_sub.id)).id == anden_sub.id
    for scope, query, model, object_id in (
        (anden, anden.subscriptions(), Subscription, demo_sub.id),
        (admin, admin.subscriptions(), Subscription, anden_sub.id),
        (limited, limited.subscriptions(), Subscription, outside_limited.id),
        (anden, anden.invoices(), Invoice, demo_invoice.id),
        (anden, anden.accounts(), Account, demo_sub.account_id),
        (admin, admin.subscriptions(), Subscription, "abc"),
        (admin, admin.subscriptions(), Subscription, 10**9),
    ):
        with pytest.raises(NotFound):
            scope.get(query, model, object_id)


def test_search_is_case_insensitive_and_scoped(pgdb, sqlite_expected):
    for name in SCOPES:
        scope = _scope(name)
        found = [(s.number, s.holder_name) for s in search(scope, "mette")[0]]
        assert found == sqlite_expected[name]["mette"], name
        for variant in ("METTE", "Mette", "  mEtTe "):
            assert [(s.number, s.holder_name) for s in search(scope, variant)[0]] == found
        assert all(s.customer_id == scope.customer_id for s in search(scope, "mette")[0])
    admin_names = [n for _, n in sqlite_expected["admin"]["mette"]]
    assert "Mette Jensen" in admin_names
    assert "Mette Jensen" not in [n for _, n in sqlite_expected["anden"]["mette"]]

    # letters outside ASCII: the search key is lower-cased in Python, so Ø finds ø
    scope = _scope("admin")
    danish = scope.subscriptions().where(Subscription.holder_name.contains("ø")).first()
    if danish is not None:
        word = next(w for w in danish.holder_name.split() if "ø" in w)
        assert danish.id in {s.id for s in search(scope, word.upper(), limit=50)[0]}
    # LIKE wildcards in the text are plain characters
    assert search(scope, "%%")[0] == [] and search(scope, "__")[0] == []


def test_subscription_list_pages_and_sorts_like_sqlite(pgdb, sqlite_expected):
    for name in SCOPES:
        scope = _scope(name)
        for sort, pages in sqlite_expected[name]["pages"].items():
            got = [_numbers(list_subscriptions(scope, sort=sort, page=p).items) for p in (1, 2)]
            assert got == pages, (name, sort)

    scope = _scope("admin")
    first = list_subscriptions(scope, sort="name", page=1)
    total = scope.subscriptions().count()
    assert first.total == total and first.number == 1 and len(first.items) == min(total, first.per_page)
    assert first.pages == -(-total // first.per_page) and first.has_next and not first.has_prev
    last = list_subscriptions(scope, sort="name", page=first.pages)
    assert last.has_prev and not last.has_next and 0 < len(last.items) <= first.per_page

    names = [s.holder_name for s in list_subscriptions(scope, sort="name", page=1).items]
    assert names == sorted(names)
    emails = [s.holder_email for s in list_subscriptions(scope, sort="email", page=1).items]
    assert emails == sorted(emails)
    filtered = list_subscriptions(scope, q="METTE", kind="mobile")
    assert filtered.total >= 1 and all(s.kind == "mobile" and "mette" in s.search_key for s in filtered.items)


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_paging_through_a_sort_shows_each_subscription_once(pgdb, sort):
    scope = _scope("admin")
    first = list_subscriptions(scope, sort=sort, page=1)
    seen = list(first.items)
    for page in range(2, first.pages + 1):
        seen.extend(list_subscriptions(scope, sort=sort, page=page).items)
    ids = [s.id for s in seen]
    assert len(ids) == first.total
    assert len(set(ids)) == len(ids), f"sort={sort!r}: rows repeated across pages (the order is not total)"


def test_check_password_on_postgres(pg_app):
    from services.auth import LoginError, check_password

    with pg_app.app_context():
        user = check_password("Admin@Demo.dk ", DEMO_PASSWORD)
        assert user.email == "admin@demo.dk"
        with pytest.raises(LoginError) as error:
            check_password("admin@demo.dk", "wrong-password")
        assert error.value.reason == "invalid"
        assert User.get(User.email == "admin@demo.dk").failed_logins == 1
        with pytest.raises(LoginError):
            check_password("nobody@demo.dk", DEMO_PASSWORD)


def test_full_login_and_pages_on_postgres(pg_app):
    client = pg_app.test_client()
    response = login_with_totp(client, "begraenset@demo.dk")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_batches_read_postgres_through_a_server_side_cursor(pgdb):
    """Exports read their rows in batches from a named cursor: the client cursor would hold the
    whole result (60 MiB at 100,000 subscriptions)."""
    from models.database import batches

    query = Subscription.select(Subscription.id).order_by(Subscription.id).tuples()
    seen, cursors = [], set()
    for batch in batches(query, 7):
        assert 0 < len(batch) <= 7
        seen.extend(row[0] for row in batch)
        cursors |= {name for (name,) in pgdb.execute_sql("SELECT name FROM pg_cursors")}
    assert seen == [row[0] for row in query] and cursors, "no server-side cursor was open"
    assert not pgdb.in_transaction()


def test_the_subscription_export_writes_every_row_on_postgres(pg_app, tmp_path):
    import csv

    from services.subscriptions import export_csv

    with pg_app.test_request_context():
        scope = _scope("admin")
        rows = export_csv(scope, tmp_path / "all.csv", {})
        assert rows == scope.subscriptions().count() > 0
    with open(tmp_path / "all.csv", encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle, delimiter=";"))) == rows + 1


def test_a_warm_pooled_connection_is_checked_out_without_asking_the_server(pg, pg_server):
    """The pool hands a connection back out on its local state while it was used moments ago, and
    asks the server ("SELECT 1") after PING_AFTER seconds idle: a backend gone by then is replaced."""
    import psycopg

    from models.database import PING_AFTER, PooledPostgres

    database = pg["database"]
    assert isinstance(database, PooledPostgres)
    admin = psycopg.connect(pg_server, autocommit=True)

    def last_query(conn):
        return admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (conn.info.backend_pid,)).fetchone()[0]

    with database.connection_context():
        database.execute_sql("SELECT 42")
        warm = database.connection()
    with database.connection_context():
        assert database.connection() is warm
        assert last_query(warm) == "SELECT 42"  # no round trip on check-out
    warm.returned_at -= PING_AFTER + 1  # idle long enough: asked
    with database.connection_context():
        assert database.connection() is warm
        assert last_query(warm) == "SELECT 1"
    admin.execute("SELECT pg_terminate_backend(%s)", (warm.info.backend_pid,))
    warm.returned_at -= PING_AFTER + 1
    with database.connection_context():
        assert database.connection() is not warm  # the dead one is dropped, a new one opened
        assert database.execute_sql("SELECT 7").fetchone() == (7,)
    admin.close()


def test_search_takes_wildcards_literally_through_the_index_and_the_walk(pgdb):
    """On PostgreSQL the search is a LIKE the trigram index serves (wildcards escaped) or, for a small
    scope, strpos on each row: both find the same rows."""
    from services.search import subscription_match

    with pgdb.atomic() as transaction:
        for name, n, prefix in WILDCARD_ROWS:
            add_subscriptions(n, name=name, prefix=prefix)
        for text, expected in WILDCARD_SEARCHES:
            walked = Subscription.select().where(subscription_match(text, walk=True)).count()
            indexed = Subscription.select().where(subscription_match(text)).count()
            assert walked == indexed == expected, text
        transaction.rollback()


def test_the_scope_columns_keep_finer_statistics(pgdb):
    """Migration 0024: the planner counts up to 1,000 accounts and companies one by one (a small
    account taken for an average one made it walk a sort index past 588,000 rows)."""
    targets = dict(pgdb.execute_sql(
        "SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'subscription'::regclass"
        " AND attname IN ('account_id', 'company_id', 'customer_id')").fetchall())
    assert targets == {"account_id": 1000, "company_id": 1000, "customer_id": -1}


def test_the_overview_counts_a_search_to_a_hundred_on_postgres(pgdb):
    """PostgreSQL's planner stops a scan at a LIMIT of 101 but builds the whole trigram bitmap for
    1,001 (39 ms for "hansen" at 1,000,000): the overview counts a search's hits to 100 there."""
    from services.search import CAP

    with pgdb.atomic() as transaction:
        add_subscriptions(CAP + 20, name="Zyxqa Holder")
        listed = list_subscriptions(_scope("admin"), q="zyxqa")
        assert (listed.total, listed.more) == (CAP, True)
        names = sorted(f"Zyxqa Holder {i:03d}" for i in range(CAP + 20))
        assert [r.holder_name for r in listed.items] == names[:len(listed.items)]
        transaction.rollback()


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_a_search_finds_its_page_on_ids_then_reads_the_rows(pgdb, sort):
    """On PostgreSQL the overview's search finds a page's ids first (an index-only walk can test the
    search key in the index) and reads those rows by id: every page, forward by cursor and back,
    holds what the plain query gives, and only the scope's rows."""
    import logging

    from flask import Flask

    signer = Flask(__name__)  # the pager's cursors are signed with an app's key
    signer.secret_key = "test-cursor-key"
    with signer.app_context(), pgdb.atomic() as transaction:
        add_subscriptions(130, name="Zyxqa Holder")
        other = _scope("anden")
        Subscription.update(customer=other.customer_id, company=other.company_id).where(
            Subscription.holder_name.in_(["Zyxqa Holder 007", "Zyxqa Holder 101"])).execute()
        scope = _scope("admin")
        keys = SORTS[sort]
        expected = [s.id for s in scope.subscriptions().where(Subscription.search_key.contains("zyxqa"))
                    .order_by(*keys)]
        assert len(expected) == 128
        statements = []
        handler = logging.Handler()
        handler.emit = lambda record: statements.append(record.msg[0] if isinstance(record.msg, tuple) else "")
        peewee_log = logging.getLogger("peewee")
        peewee_log.addHandler(handler)
        level = peewee_log.level
        peewee_log.setLevel(logging.DEBUG)
        try:
            page, seen = list_subscriptions(scope, q="Zyxqa", sort=sort), []
            while True:
                seen.extend(r.id for r in page.items)
                if not page.has_next:
                    break
                page = list_subscriptions(scope, q="Zyxqa", sort=sort, cursor=page.next_cursor)
            back = list_subscriptions(scope, q="Zyxqa", sort=sort, cursor=page.prev_cursor)
        finally:
            peewee_log.removeHandler(handler)
            peewee_log.setLevel(level)
        assert seen == expected
        assert [r.id for r in back.items] == expected[50:100]
        rows_sql = [sql for sql in statements if sql.startswith('SELECT "t1"."id", "t1"."holder_name", "t1"."number"')]
        assert rows_sql and all('"id" IN (SELECT "walked"."id" FROM (SELECT "t1"."id", "t1"."search_key"' in sql
                                or '"id" IN (WITH "hits" AS MATERIALIZED' in sql for sql in rows_sql)
        transaction.rollback()


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_a_search_whose_matches_sit_together_is_gathered(pgdb, sort, monkeypatch):
    """As on SQLite (tests/test_request_cost.py): the walk stops after a bound of rows, the hits
    that sit past them are gathered (a materialized table expression, which the planner cannot
    turn back into a walk), and every page is what the plain query gives."""
    from flask import Flask

    signer = Flask(__name__)  # the pager's cursors are signed with an app's key
    signer.secret_key = "test-cursor-key"
    with signer.app_context(), pgdb.atomic() as transaction:
        seen, back, last, expected, rows_sql = clustered_search_pages(_scope("admin"), sort, monkeypatch)
        transaction.rollback()
    on_last = (len(expected) - 1) % 50 + 1
    assert len(expected) > 51 and seen == expected
    assert last == expected[-50:] and back == expected[-on_last - 50:-on_last]
    assert [sql for sql in rows_sql if 'AS "walked"' in sql]
    gathered = [sql for sql in rows_sql if 'WITH "hits" AS MATERIALIZED' in sql]
    numbered = [sql for sql in rows_sql if "OFFSET" in sql]  # page 2 by number: the planner chooses, as before
    assert gathered and numbered and all("LIKE" in sql and 'AS "walked"' not in sql for sql in numbered)


def test_the_top_search_finds_its_first_hits_on_ids_then_reads_them(pgdb):
    """The top bar's few subscriptions are found as the overview's page is (ids first on PostgreSQL):
    the first by name, only the scope's."""
    from services.search import LIMIT, suggestions

    with pgdb.atomic() as transaction:
        add_subscriptions(40, name="Zyxqa Holder")
        other = _scope("anden")
        Subscription.update(customer=other.customer_id, company=other.company_id).where(
            Subscription.holder_name == "Zyxqa Holder 000").execute()
        found = suggestions(_scope("admin"), "ZYXQA")
        assert [s.holder_name for s in found.subscriptions] == [f"Zyxqa Holder {i:03d}" for i in range(1, LIMIT + 1)]
        assert all(s.account.number and s.company.name for s in found.subscriptions)
        assert [s.holder_name for s in suggestions(other, "zyxqa").subscriptions] == ["Zyxqa Holder 000"]
        transaction.rollback()


def test_the_lookups_of_every_request_are_prepared_statements(pg_app):
    """The session's lookup (with its user, memberships and companies) and the front page's tickets and outages
    are prepared statements on PostgreSQL: the server parses and plans them once per connection
    (the tickets' plan cost more than running them). The overview's queries are not: their plan
    depends on the filter values."""
    client = pg_app.test_client()
    login_with_totp(client, "admin@demo.dk")
    for path in ("/", "/", "/subscriptions"):
        assert client.get(path).status_code == 200
    with db.obj.connection_context():  # the pool's one connection, which served the requests
        statements = [text for (text,) in db.execute_sql("SELECT statement FROM pg_prepared_statements")]
    for table in ('FROM "web_session" s LEFT JOIN "user" u', 'LEFT JOIN "membership" m ON m.company_id',
                  "FROM support_ticket t", 'FROM "outage"'):
        assert any(table in text for text in statements), table
    assert not any('FROM "subscription" AS "t1"' in text for text in statements)


def test_a_prepared_lookup_survives_a_column_added_by_a_migration(pgdb):
    """A release migrates while web processes keep their connections and prepared statements: a
    prepared `SELECT *` would fail ("cached plan must not change result type") once a column is
    added; the lookups name their columns."""
    from models.database import row_where

    with pgdb.atomic() as transaction:
        before = row_where(User, User.email, "admin@demo.dk")
        pgdb.execute_sql('ALTER TABLE "user" ADD COLUMN added_later integer')
        after = row_where(User, User.email, "admin@demo.dk")
        assert (after.id, after.email) == (before.id, "admin@demo.dk")
        transaction.rollback()


def test_a_stored_file_is_kept_in_parts_bound_as_parameters(pgdb, monkeypatch):
    """A part is sent apart from the statement (not written into its text, where psycopg would keep a
    copy of each), and comes back byte for byte, NULs and all."""
    from models import StoredFilePart
    from services import stored_files

    monkeypatch.setattr(stored_files, "PART_SIZE", 1000)
    data = bytes(range(256)) * 10
    with pgdb.atomic() as transaction:
        assert stored_files.store("test:pg", data, "application/octet-stream") == len(data)
        assert StoredFilePart.select().join(models.StoredFile).where(models.StoredFile.key == "test:pg").count() == 3
        assert stored_files.content("test:pg") == data
        stored, content = stored_files.parts("test:pg")
        assert stored.size == len(data) and b"".join(content) == data
        keys = [key for key in pgdb.connection()._prepared._counts if key[0].startswith(b"INSERT INTO stored_file_part")]
        assert keys and all(len(key[0]) < 200 for key in keys)  # the statement's text, no data in it
        transaction.rollback()


def test_ticket_attachments_are_kept_in_the_database_and_migrate_both_ways(pgdb, tmp_path, monkeypatch):
    """An .xlsx attachment's type is 65 characters (0028 widens the column on PostgreSQL), and 0028's
    down writes the attachments back to disk and its up reads them in again, with RETURNING through
    a binding cursor."""
    from playhouse.migrations import Runner

    from models.database import MIGRATIONS_DIR
    from services import stored_files, ticket_files

    xlsx = ticket_files.ALLOWED["xlsx"][0]
    data = b"PK" + bytes(range(256)) * 5000  # 1.2 MB: two parts
    key, = ticket_files.store([ticket_files.CheckedFile("ark.xlsx", xlsx, data)])
    attachment = TicketAttachment.create(ticket=SupportTicket.select().first(), message=TicketMessage.select().first(),
                                         key=key, name="ark.xlsx", mime_type=xlsx, size=len(data))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))  # no app: the migration reads the environment
    runner = Runner(pgdb, MIGRATIONS_DIR)
    try:
        runner.down("0028_files_in_the_database")
        assert (tmp_path / "attachments" / key).read_bytes() == data and stored_files.parts("attachment:" + key) is None
        runner.up()
        assert stored_files.content("attachment:" + key) == data
        assert StoredFile.get(StoredFile.key == "attachment:" + key).content_type == xlsx
        assert stored_files.content("attachment:demo-skaermbillede").startswith(b"\x89PNG")
    finally:
        runner.up()
        attachment.delete_instance()
        stored_files.delete(["attachment:" + key])


def test_a_forked_child_never_shares_the_parents_session(pg_app):
    """gunicorn's preload and RQ's work horses fork processes whose parent may have pooled a
    connection (the gunicorn master's in-process maintenance thread): the child opens its own. On a
    shared session the two read each other's results, and the second to prepare "_pg3_0" failed."""
    import os

    from models.database import execute_prepared

    def backend():
        return execute_prepared("SELECT pg_backend_pid() + %s", (0,)).fetchone()[0]  # prepared: "_pg3_0"

    def child_has_its_own_session(parent):
        pid = os.fork()
        if pid == 0:  # the child
            ok = False
            try:
                with database.connection_context():
                    ok = backend() != parent
            finally:
                os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    database = db.obj
    with database.connection_context():
        parent = backend()
    assert child_has_its_own_session(parent)  # forked with the connection in the pool
    with database.connection_context():
        assert backend() == parent  # the parent's pooled session, as before
        assert child_has_its_own_session(parent)  # forked while this thread holds it
        assert backend() == parent


def test_an_accounts_months_are_whole_numbers_on_postgres(pgdb):
    """The live month sums a derived table's sums, which PostgreSQL gives as numeric: the figures
    are ints on both databases, and agree with each other."""
    from services import usage

    account = Account.get(Account.number == "40120011")
    series = usage.account_months(account.id)
    assert series[-1]["live"]
    for month in series:
        for key in ("calls", "call_seconds", "minutes", "sms", "data_kb", "roaming", "cost"):
            assert type(month[key]) is int, (month["month"], key, type(month[key]))
