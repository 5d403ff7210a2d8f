"""What every request costs before and around its data (issue 10): fixed-SQL lookups of the session,
user, memberships and company tree, pooled connections, and a search that matches many rows read
by walking the sort index. Timings are for the benchmark; these tests check that the fast paths
give the same answers as the plain ones."""

import pytest

from models import Company, Membership, Subscription, User, db

from .conftest import WILDCARD_ROWS, WILDCARD_SEARCHES, add_subscriptions, clustered_search_pages, count_queries

HX = {"HX-Request": "true"}


def _scope(email="admin@demo.dk"):
    from services.scope import build_scope

    return build_scope(Membership.select().join(User).where(User.email == email).order_by(Membership.id).get())


def test_user_memberships_are_memberships_of(app, ctx):
    """The one query of every request gives the memberships as the ORM does, and the parent links
    from which each membership's company tree is the same as the one read on its own."""
    from services.scope import company_tree, memberships_of, user_memberships

    with app.app_context():
        trees = 0
        for user in User.select():
            (fast, links), orm = user_memberships(user.id), list(memberships_of(user.id))
            assert [m.id for m in fast] == [m.id for m in orm]
            for a, b in zip(fast, orm, strict=True):
                assert a.__data__ == b.__data__ and a.company.__data__ == b.company.__data__
                assert not a._dirty and not a.company._dirty
                customer = b.company.customer_id
                assert sorted(links[customer]) == sorted(Company.select(Company.id, Company.parent)
                                                         .where(Company.customer == customer).tuples())
                tree = company_tree(customer, b.company_id, links[customer])
                assert tree == company_tree(customer, b.company_id)
                trees += len(tree) > 1
            assert set(links) == {m.company.customer_id for m in orm}  # no other customer's companies
        assert trees  # a company with subsidiaries was among them


def test_the_sessions_query_brings_the_users_memberships(app, ctx):
    """Every signed-in request reads its session, user, memberships and companies in one query: the
    same memberships and company links as user_memberships, for every user (staff have none), and
    none for a session nobody has signed in to or for another user than the session's."""
    from models import WebSession, utcnow
    from services.scope import user_memberships
    from services.sessions import _hash, _read_session, memberships_of

    with app.app_context():
        for user in list(User.select()) + [None]:
            token = f"token-{user.id if user else 'anonymous'}"
            WebSession.create(token_hash=_hash(token), user=user, data="{}", last_seen_at=utcnow())
            row, memberships = _read_session(_hash(token))
            assert row.token_hash == _hash(token) and not row._dirty
            if user is None:
                assert row.user_id is None and memberships is None
                continue
            assert row.user.email == user.email
            (got, links), (want, want_links) = memberships, user_memberships(user.id)
            assert [(m.__data__, m.company.__data__) for m in got] == [(m.__data__, m.company.__data__) for m in want]
            assert {k: sorted(v) for k, v in links.items()} == {k: sorted(v) for k, v in want_links.items()}
            if user.kind == "staff":
                assert got == [] and links == {}

            class Session:  # as flask's session proxy: the row and what came with it
                pass

            session = Session()
            session.row, session.memberships = row, memberships
            assert memberships_of(session, user.id) is memberships
            assert memberships_of(session, user.id + 1000) is None  # another user signed in meanwhile
        assert _read_session(_hash("no-such-token")) == (None, None)


def test_company_tree_and_limited_accounts_come_from_the_fixed_sql(app, ctx):
    with app.app_context():
        admin, limited = _scope(), _scope("begraenset@demo.dk")
        demo = Company.get(Company.cvr == "12345674")
        children = {c.id for c in Company.select().where(Company.parent == demo.id)}
        assert children and children < set(admin.company_ids) and demo.id in admin.company_ids
        assert limited.account_ids and limited.limited


def test_the_session_and_user_lookups_follow_changes(admin, ctx):
    """No cross-request cache: a user deactivated between two requests is out on the next one."""
    assert admin.get("/subscriptions").status_code == 200
    User.update(status="disabled").where(User.email == "admin@demo.dk").execute()
    assert admin.get("/subscriptions").status_code in (302, 401)


def test_a_membership_removed_between_requests_is_gone_on_the_next(admin, ctx):
    assert admin.get("/subscriptions").status_code == 200
    (Membership.update(is_admin=False, functions="").where(Membership.user == User.get(User.email == "admin@demo.dk").id)
     .execute())
    assert admin.get("/subscriptions").status_code == 403


def test_a_user_deactivated_between_requests_is_signed_out_on_the_next(admin, ctx):
    """The user row comes with the session's row (one query), read anew on every request."""
    assert admin.get("/subscriptions").status_code == 200
    User.update(status="disabled").where(User.email == "admin@demo.dk").execute()
    response = admin.get("/subscriptions")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sqlite_connections_are_reused_without_a_stale_snapshot(admin, app, ctx):
    """A pooled SQLite connection is handed back with its statements reset: a statement left unread
    would keep its read snapshot, and the next request on that connection would not see what another
    connection (a job's thread) committed since."""
    import sqlite3

    from models.database import PooledSqlite, _pooled

    assert admin.get("/subscriptions", headers=HX).status_code == 200
    assert isinstance(db.obj, PooledSqlite) and db.is_closed()
    assert _pooled("postgresql://u@h/db") == "postgresql+pool://u@h/db"
    user = User.get(User.email == "admin@demo.dk")
    db.close()
    with app.app_context():
        db.connect()
        first = db.connection()
        cursor = db.execute_sql("SELECT id, name FROM user ORDER BY id")
        cursor.fetchone()  # unread rows: the statement holds a read snapshot until it is reset
        db.close()

        other = sqlite3.connect(db.obj.database, isolation_level=None)  # another process's connection
        other.execute("UPDATE user SET name = 'Changed Elsewhere' WHERE id = ?", (user.id,))
        other.close()
        db.connect()
        assert db.connection() is first  # the same connection, reused
        assert User.get_by_id(user.id).name == "Changed Elsewhere"
        db.close()


def test_a_transaction_that_reads_then_writes_survives_a_commit_in_between(app, ctx):
    """A DEFERRED transaction that read before another connection committed cannot write any more
    ("database is locked" at once, whatever the busy timeout): the access application's job lost
    its letter to a session write that way. Transactions take the write lock when they begin."""
    import sqlite3
    import threading

    company = Company.get(Company.cvr == "12345674")
    read_done, errors = threading.Event(), []

    def other_connection():
        read_done.wait(5)
        other = sqlite3.connect(db.obj.database, isolation_level=None, timeout=5)
        other.execute("UPDATE company SET name = name || ' B' WHERE id = ?", (company.id,))  # waits for the lock
        other.close()

    writer = threading.Thread(target=other_connection)
    writer.start()
    with app.app_context(), db.connection_context():
        try:
            with db.atomic():
                name = Company.get_by_id(company.id).name  # the transaction's read
                read_done.set()
                writer.join(0.5)  # the other connection tries to commit now
                Company.update(name=name + " A").where(Company.id == company.id).execute()
        except Exception as exc:  # noqa: BLE001  # the failure this test is about
            errors.append(exc)
    writer.join(10)
    assert errors == []
    assert Company.get_by_id(company.id).name == company.name + " A B"  # both wrote, one after the other


def test_a_forked_child_never_uses_the_parents_pooled_connections(app, ctx):
    import os

    with app.app_context():
        db.connect()
        parent = db.connection()
        db.close()
        pid = os.fork()
        if pid == 0:  # the child: a connection of its own
            try:
                db.connect()
                ok = db.connection() is not parent and db.execute_sql("SELECT 1").fetchone() == (1,)
                db.close()
            finally:
                os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        db.connect()
        assert db.connection() is parent
        db.close()


def test_a_child_forked_while_another_thread_opens_a_connection_can_connect(app, ctx, monkeypatch):
    """A thread inside connect() holds peewee's connection lock (opening a connection, or a PostgreSQL
    pool's ping): a child forked then inherits it held, and every thread of the child would wait on it
    for good (gunicorn's master forks replacement workers while its maintenance thread connects)."""
    import os
    import signal
    import threading

    database = db.obj
    real, inside, release, opener = database._connect, threading.Event(), threading.Event(), []

    def slow_connect():
        if threading.current_thread() in opener:
            inside.set()
            release.wait(10)
        return real()

    def open_one():
        database.connect()
        database.close()

    monkeypatch.setattr(database, "_connect", slow_connect)
    opener.append(threading.Thread(target=open_one))
    opener[0].start()
    assert inside.wait(5)  # the other thread holds the lock now
    pid = os.fork()
    if pid == 0:  # the child
        ok = False
        try:
            signal.alarm(5)  # a lock held for good would hang here
            database.connect()
            ok = database.execute_sql("SELECT 1").fetchone() == (1,)
            database.close()
        finally:
            os._exit(0 if ok else 1)
    release.set()
    opener[0].join(10)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_search_with_many_matches_walks_the_sort_index_and_finds_the_same_rows(app, ctx, monkeypatch):
    from services import subscriptions as subs

    with app.test_request_context():
        add_subscriptions(60)
        scope = _scope()
        by_index = subs.list_subscriptions(scope, q="hansen", sort="name")
        assert not by_index.more and by_index.total >= 60
        monkeypatch.setattr(subs, "SEARCH_COUNT_CAP", 20)  # now "more than 20": the rows come by walking
        walked = subs.list_subscriptions(scope, q="hansen", sort="name")
        assert walked.more and walked.total == 20
        assert [r.id for r in walked.items] == [r.id for r in by_index.items]
        last_walked = subs.list_subscriptions(scope, q="hansen", sort="number", page="last")
        monkeypatch.setattr(subs, "SEARCH_COUNT_CAP", 10_000)
        last_index = subs.list_subscriptions(scope, q="hansen", sort="number", page="last")
        assert [r.id for r in last_walked.items] == [r.id for r in last_index.items]


@pytest.mark.parametrize("sort", ["name", "number", "kind", "email"])
def test_a_search_whose_matches_sit_together_is_gathered(app, ctx, monkeypatch, sort):
    """The walk for a text with many hits stops after WALK_BOUND rows; when its matches sit past
    them (a first name in name order) they are gathered and sorted, and every page is still what
    the plain query gives. A page asked for by number walks without bound."""
    with app.test_request_context():
        seen, back, last, expected, rows_sql = clustered_search_pages(_scope(), sort, monkeypatch)
    on_last = (len(expected) - 1) % 50 + 1  # 50 a page
    assert len(expected) > 51 and seen == expected
    assert last == expected[-50:] and back == expected[-on_last - 50:-on_last]
    bounded = [sql for sql in rows_sql if 'AS "walked"' in sql]
    assert bounded and all('LIMIT ?) AS "walked"' in sql for sql in bounded)  # never more than the bound passed
    gathered = [sql for sql in rows_sql if 'WITH "hits" AS MATERIALIZED' in sql]
    unbounded = [sql for sql in rows_sql if "instr(" in sql and 'AS "walked"' not in sql]
    assert gathered and unbounded and all("OFFSET" in sql for sql in unbounded)  # only page 2 by number


@pytest.mark.parametrize(("bound", "kind"), [(130, ""), (130, "mobile"), (40, "mobile")])
@pytest.mark.parametrize("sort", ["name", "email"])
def test_a_search_found_partly_by_walks_partly_gathered(app, ctx, monkeypatch, sort, bound, kind):
    """With a bound that lets some walks fill their page, with and without a filter the name
    index does not hold: every page is still what the plain query gives."""
    with app.test_request_context():
        seen, back, last, expected, _rows_sql = clustered_search_pages(_scope(), sort, monkeypatch, bound, kind)
    on_last = (len(expected) - 1) % 50 + 1
    assert len(expected) > 101 and seen == expected
    assert last == expected[-50:] and back == expected[-on_last - 50:-on_last]


def test_a_walk_that_reaches_the_end_of_the_list_gathers_nothing(app, ctx, monkeypatch):
    """A short page from a walk that ran out of rows (the last page, back to the first) is the
    whole rest of the list: nothing is gathered."""
    with app.test_request_context():
        _seen, _back, _last, _expected, rows_sql = clustered_search_pages(_scope(), "name", monkeypatch, 100_000)
    assert rows_sql and not [sql for sql in rows_sql if 'WITH "hits"' in sql]


def test_the_walk_takes_wildcards_literally(app, ctx):
    from services.search import subscription_match

    with app.app_context():
        for name, n, prefix in WILDCARD_ROWS:  # the second: what the wildcards would match
            add_subscriptions(n, name=name, prefix=prefix)
        for text, expected in WILDCARD_SEARCHES:
            walked = Subscription.select().where(subscription_match(text, walk=True)).count()
            fts = Subscription.select().where(subscription_match(text)).count()
            assert walked == fts == expected, text


def test_top_search_with_many_matches(admin, app, ctx, monkeypatch):
    from services import search

    with app.app_context():
        add_subscriptions(120)
        scope = _scope()
        monkeypatch.setattr(search, "CAP", 10_000)
        few = search.suggestions(scope, "hansen")
        monkeypatch.setattr(search, "CAP", 10)  # "more than 10": the rows come by walking
        many = search.suggestions(scope, "hansen")
    assert not few.total.more and many.total.more
    assert [s.id for s in few.subscriptions] == [s.id for s in many.subscriptions]
    assert many.subscriptions[0].account.number and many.subscriptions[0].company.name
    assert admin.get("/search?q=hansen", headers=HX).status_code == 200


def test_the_fragment_costs_a_fixed_number_of_queries(admin, ctx):
    """The session with its user, memberships and companies; the count; the rows."""
    admin.get("/subscriptions", headers=HX)  # the first request after the login writes the session
    assert count_queries(admin, "/subscriptions", HX) <= 3
    assert count_queries(admin, "/subscriptions?q=hansen", HX) <= 3


def test_limited_user_sees_only_their_accounts_in_a_walked_search(app, ctx, monkeypatch):
    from services import subscriptions as subs

    with app.test_request_context():
        add_subscriptions(30)
        monkeypatch.setattr(subs, "SEARCH_COUNT_CAP", 2)
        scope = _scope("begraenset@demo.dk")
        page = subs.list_subscriptions(scope, q="demo.dk", sort="name")
        accounts = {s.account_id for s in Subscription.select().where(Subscription.id.in_([r.id for r in page.items]))}
        assert accounts and accounts <= set(scope.account_ids)


def test_a_small_limited_scope_is_searched_row_by_row_with_the_same_result(app, ctx, monkeypatch):
    from services import search
    from services import subscriptions as subs

    with app.test_request_context():
        add_subscriptions(10)
        scope = _scope("begraenset@demo.dk")
        for text in ("demo.dk", "hansen", "2000", "zzz"):
            assert search.scan_scope(scope, text)
            scanned = subs.list_subscriptions(scope, q=text, sort="name")
            found = search.suggestions(scope, text)
            monkeypatch.setattr(search, "SMALL_SCOPE", 0)  # the FTS path
            assert not search.scan_scope(scope, text)
            indexed = subs.list_subscriptions(scope, q=text, sort="name")
            assert [r.id for r in scanned.items] == [r.id for r in indexed.items] and scanned.total == indexed.total
            assert [s.id for s in found.subscriptions] == [s.id for s in search.suggestions(scope, text).subscriptions]
            monkeypatch.undo()
        assert not search.scan_scope(_scope(), "hansen")  # a whole customer: the FTS hits


def test_the_top_search_and_the_full_overview_cost_the_same_queries_at_any_size(admin, app, ctx):
    """One query per kind (and the capped count): the top search's suggestions, the full page with its
    filter choices, and a fragment read the same number of queries before and after the data grows."""
    pages = [("/search/suggestions?q=hansen", HX), ("/search/suggestions?q=20", HX), ("/subscriptions", None),
             ("/subscriptions?q=hansen&sort=email", HX), ("/search?q=hansen", HX)]
    admin.get("/subscriptions", headers=HX)  # the first request after the login writes the session
    before = [count_queries(admin, url, headers) for url, headers in pages]
    with app.app_context():
        add_subscriptions(1200)  # past the top search's cap (100) and the overview's search cap (1,000)
    after = [count_queries(admin, url, headers) for url, headers in pages]
    assert after == before and max(before) <= 9


def test_suggestions_show_the_columns_they_need(admin, app, ctx):
    with app.app_context():
        add_subscriptions(3, name="Zoltan Quist")
    body = admin.get("/search/suggestions?q=zoltan", headers=HX).get_data(as_text=True)
    sub = Subscription.select().where(Subscription.holder_name == "Zoltan Quist 000").get()
    assert f'href="/subscriptions/{sub.id}"' in body and "Zoltan Quist 000" in body
    assert sub.account.number in body and sub.company.name in body


def test_templates_translate_in_the_language_of_the_request(admin, ctx):
    """Templates' _() finds the catalogue once per request and locale: a change of language in between
    (another request, or force_locale inside one) still gets the other catalogue."""
    from flask import render_template_string
    from flask_babel import force_locale, get_locale

    admin.set_cookie("lang", "da")
    danish = admin.get("/subscriptions", headers=HX).get_data(as_text=True)
    assert "Hent CSV" in danish
    User.update(locale="en").where(User.email == "admin@demo.dk").execute()
    english = admin.get("/subscriptions", headers=HX).get_data(as_text=True)
    assert "Download CSV" in english and "Hent CSV" not in english
    app = admin.application
    with app.test_request_context(headers={"Accept-Language": "da"}):
        first = render_template_string("{{ _('Download CSV') }}")
        with force_locale("en"):
            assert render_template_string("{{ _('Download CSV') }}") == "Download CSV"
        assert render_template_string("{{ _('Download CSV') }}") == first == "Hent CSV" and str(get_locale()) == "da_DK"


def test_the_number_filter_groups_as_babel_does(app):
    from flask_babel import force_locale, format_decimal

    from services.formatting import number

    with app.test_request_context():
        for locale in ("da", "en"):
            with force_locale(locale):
                for n in (0, 7, 999, 1000, 10_000, 1_234_567, -1234, 12.5):
                    assert number(n) == format_decimal(n), (locale, n)
