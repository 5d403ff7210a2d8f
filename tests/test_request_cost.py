"""What every request costs before and around its data (issue 10): fixed-SQL lookups of the session,
user, memberships and company tree, pooled connections, and a search that matches many rows read
by walking the sort index. Timings are for the benchmark; these tests check that the fast paths
give the same answers as the plain ones."""
from datetime import date

from models import Company, Membership, Subscription, User, db

from .conftest import count_queries

HX = {"HX-Request": "true"}


def _scope(email="admin@demo.dk"):
    from services.scope import build_scope

    return build_scope(Membership.select().join(User).where(User.email == email).order_by(Membership.id).get())


def _grow(n, name="Bo Hansen", prefix="+4572"):
    template = Subscription.select().join(Company).where(Company.cvr == "12345674").order_by(Subscription.id).first()
    rows = []
    for i in range(n):
        number, email = f"{prefix}{i:06d}", f"many{i}@demo.dk"
        rows.append({"customer": template.customer_id, "company": template.company_id, "account": template.account_id,
                     "kind": "mobile", "number": number, "holder_name": f"{name} {i:03d}", "holder_email": email,
                     "search_key": Subscription.make_search_key(f"{name} {i:03d}", number, email),
                     "plan": template.plan_id, "status": "active", "start_date": date(2024, 1, 1)})
    Subscription.insert_many(rows).execute()


def test_user_memberships_are_memberships_of(app, ctx):
    from services.scope import memberships_of, user_memberships

    with app.app_context():
        for user in User.select():
            fast, orm = user_memberships(user.id), list(memberships_of(user.id))
            assert [m.id for m in fast] == [m.id for m in orm]
            for a, b in zip(fast, orm, strict=True):
                assert a.__data__ == b.__data__ and a.company.__data__ == b.company.__data__
                assert not a._dirty and not a.company._dirty


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


def test_sqlite_connections_are_not_pooled(admin, ctx):
    """A pooled SQLite connection can keep a stale read snapshot (see models/database.py _pooled)."""
    from models.database import _pooled

    assert admin.get("/subscriptions", headers=HX).status_code == 200
    assert type(db.obj).__name__ == "SqliteDatabase" and db.is_closed()
    assert _pooled("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert _pooled("postgresql://u@h/db") == "postgresql+pool://u@h/db"


def test_a_search_with_many_matches_walks_the_sort_index_and_finds_the_same_rows(app, ctx, monkeypatch):
    from services import subscriptions as subs

    with app.test_request_context():
        _grow(60)
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


def test_the_walk_takes_wildcards_literally(app, ctx):
    from services.search import subscription_match

    with app.app_context():
        _grow(3, name="Procent 50% Under_Streg")
        _grow(2, name="Procent 50x Underxstreg", prefix="+4573")  # what the wildcards would match
        for text, expected in (("50%", 3), ("% u", 3), ("der_s", 3), ("5%0", 0), ("derxs", 2), ("50x", 2)):
            walked = Subscription.select().where(subscription_match(text, walk=True)).count()
            fts = Subscription.select().where(subscription_match(text)).count()
            assert walked == fts == expected, text


def test_top_search_with_many_matches(admin, app, ctx, monkeypatch):
    from services import search

    with app.app_context():
        _grow(120)
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
    """Session, user, memberships (with companies), company tree, count, rows."""
    admin.get("/subscriptions", headers=HX)  # the first request after the login writes the session
    assert count_queries(admin, "/subscriptions", HX) <= 6
    assert count_queries(admin, "/subscriptions?q=hansen", HX) <= 6


def test_limited_user_sees_only_their_accounts_in_a_walked_search(app, ctx, monkeypatch):
    from services import subscriptions as subs

    with app.test_request_context():
        _grow(30)
        monkeypatch.setattr(subs, "SEARCH_COUNT_CAP", 2)
        scope = _scope("begraenset@demo.dk")
        page = subs.list_subscriptions(scope, q="demo.dk", sort="name")
        accounts = {s.account_id for s in Subscription.select().where(Subscription.id.in_([r.id for r in page.items]))}
        assert accounts and accounts <= set(scope.account_ids)


def test_a_small_limited_scope_is_searched_row_by_row_with_the_same_result(app, ctx, monkeypatch):
    from services import search
    from services import subscriptions as subs

    with app.test_request_context():
        _grow(10)
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
