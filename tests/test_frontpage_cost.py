"""The front page's cost does not grow with the customer (issue 10), and its "touches us" flags
stay right: the postal codes of the installation addresses are kept per account by migration
0021's triggers, and the running outages' ranges are asked of them in one query."""
import datetime
import re
import time
from collections import Counter

import pytest
from playhouse.migrations import Runner

from models import Account, Company, Outage, Plan, Subscription, db, utcnow
from models.database import MIGRATIONS_DIR, migrate
from services.outages import SubscriptionPlace, installation_postal_code

from .conftest import count_queries, queries_of
from .test_postgres import pg, pg_server, pgdb  # noqa: F401 (the PostgreSQL fixtures)

LIMITED_ACCOUNT, OTHER_ACCOUNT = "40120011", "40120029"  # both Demo A/S; the limited user sees the first only


def _account(number):
    return Account.get(Account.number == number)


def _line(account, address, kind="internet", status="active", number=None):
    """A subscription written the way any writer writes one (the triggers keep the places)."""
    plan = Plan.select().where(Plan.kind == kind).first() or Plan.select().first()
    return Subscription.create(
        customer=account.customer_id, company=account.company_id, account=account.id, kind=kind,
        number=number or f"line-{account.id}-{address[:12]}-{status}", holder_name="Linje", plan=plan.id,
        status=status, start_date=datetime.date(2025, 1, 1), address=address)


def _outage(codes, title="Nede"):
    return Outage.create(title_da=title, title_en=title, severity="minor", services="internet", postal_codes=codes,
                         starts_at=utcnow() - datetime.timedelta(hours=1), updated_at=utcnow())


def _touches(page, outage):
    match = re.search(r'<article class="([^"]*)" aria-labelledby="outage-%d"' % outage.id, page)
    assert match, f"outage {outage.id} is not on the page"
    return "touches-us" in match.group(1).split()


def _places():
    return Counter({(p.account_id, p.postal_code): p.subscriptions for p in SubscriptionPlace.select()})


def _expected_places():
    """What the kept rows must say, computed from the subscriptions in Python."""
    expected = Counter()
    for s in Subscription.select().where(Subscription.kind.in_(("landline", "internet", "circuit")),
                                         Subscription.status.not_in(("cancelled", "transferred"))):
        code = installation_postal_code(s.address)
        if code:
            expected[(s.account_id, code)] += 1
    return expected


def test_installation_postal_code():
    assert installation_postal_code("Vesterbrogade 149, 1620 København V") == "1620"
    assert installation_postal_code("Nørregade 1000, 8000 Aarhus C") == "8000"
    assert installation_postal_code("Vej 1, 2. th., 2100 København Ø") == "2100"
    assert installation_postal_code("2605 Brøndby") == "2605"
    for address in ("", "Ingen kode", "Vej 12345, 123 By", "Nørregade 1000"):
        assert installation_postal_code(address) is None, address


def test_the_kept_places_match_the_subscriptions_whatever_writes_them(app, ctx):
    account, other = _account(LIMITED_ACCOUNT), _account(OTHER_ACCOUNT)
    assert _places() == _expected_places() and _places()  # the demo data's Lager line (2605)
    roskilde = _line(account, "Algade 1, 4000 Roskilde")
    _line(account, "Algade 2, 4000 Roskilde")
    _line(account, "Hovedgaden 3, 4600 Køge", status="cancelled")  # ended: no place
    _line(account, "Hovedgaden 4, 4600 Køge", kind="mobile")  # no installation address
    _line(account, "Uden postnummer")
    assert _places()[(account.id, "4000")] == 2 and (account.id, "4600") not in _places()
    # an address change moves the place; the other one at 4000 keeps it
    Subscription.update(address="Torvet 1, 4600 Køge").where(Subscription.id == roskilde.id).execute()
    assert _places()[(account.id, "4000")] == 1 and _places()[(account.id, "4600")] == 1
    # an account change (a bulk update of several columns) moves it to the other account
    Subscription.update(account=other.id, company=other.company_id).where(Subscription.id == roskilde.id).execute()
    assert (account.id, "4600") not in _places() and _places()[(other.id, "4600")] == 1
    # cancelling ends it, reopening brings it back, deleting removes it
    Subscription.update(status="cancelled").where(Subscription.id == roskilde.id).execute()
    assert (other.id, "4600") not in _places()
    Subscription.update(status="active").where(Subscription.id == roskilde.id).execute()
    assert _places()[(other.id, "4600")] == 1
    Subscription.delete().where(Subscription.id == roskilde.id).execute()
    assert (other.id, "4600") not in _places()
    assert _places() == _expected_places()


def test_an_outage_touches_the_limited_user_only_through_their_accounts(app, admin, limited, ctx):
    mine, others = _account(LIMITED_ACCOUNT), _account(OTHER_ACCOUNT)
    _line(mine, "Algade 1, 4000 Roskilde")
    _line(others, "Torvet 1, 4600 Køge")
    at_mine, at_others, lager = _outage("3900-4100", "Roskilde"), _outage("4600", "Køge"), _outage("2605", "Brøndby")
    nowhere, everywhere = _outage("9990", "Skagen"), _outage("", "Hele landet")
    company_only = _outage("8000-8200", "Aarhus")  # the subsidiary Demo Service ApS is in 8000
    admin_page, limited_page = admin.get("/").get_data(as_text=True), limited.get("/").get_data(as_text=True)
    assert [_touches(admin_page, o) for o in (at_mine, at_others, lager, nowhere, everywhere, company_only)] == \
        [True, True, True, False, True, True]
    assert [_touches(limited_page, o) for o in (at_mine, at_others, lager, nowhere, everywhere, company_only)] == \
        [True, False, False, False, True, True]
    # those touching us come first
    assert limited_page.index("outage-%d" % at_mine.id) < limited_page.index("outage-%d" % at_others.id)


def test_front_page_queries_do_not_grow_with_the_customer(app, admin, limited, ctx):
    app.config["OUTAGE_CACHE_SECONDS"] = 0  # every request asks: the outages' own queries are counted too
    app.extensions.pop("outages", None)
    account = _account(LIMITED_ACCOUNT)
    for codes in ("3900-4100", "4600,5000-5100", "9990"):
        _outage(codes)
    for client in (admin, limited):
        client.get("/")  # the first request of a session writes it
    before = {name: count_queries(client, "/") for name, client in (("admin", admin), ("limited", limited))}
    template = Subscription.select().where(Subscription.account == account.id).first()
    rows = [{"customer": account.customer_id, "company": account.company_id, "account": account.id,
             "kind": "internet", "number": f"many-{i}", "holder_name": f"Linje {i}", "plan": template.plan_id,
             "status": "active", "start_date": datetime.date(2025, 1, 1),
             "address": f"Vej {i}, {1000 + (i * 7) % 8900:04d} By"} for i in range(2000)]
    with db.atomic():
        for start in range(0, len(rows), 500):
            Subscription.insert_many(rows[start:start + 500]).execute()
    assert sum(_places().values()) >= 2000
    after = {name: count_queries(client, "/") for name, client in (("admin", admin), ("limited", limited))}
    assert after == before
    assert any("subscription_place" in sql for sql in queries_of(admin, "/"))


def test_the_front_page_keeps_its_outages_for_a_while(app, admin, limited, staff_client, ctx):
    """Each process reads the running outages, and a scope's touch answer, once per
    OUTAGE_CACHE_SECONDS (services/outages.py _Kept): a staff change made through this process
    shows at once, a change made elsewhere (here a row written directly) once the period is over,
    and an outage leaves the page when it ends, by the clock."""
    roskilde = _outage("3900-4100", "Roskilde")
    ending = Outage.create(title_da="Snart slut", title_en="Ending soon", severity="minor", services="mobile",
                           starts_at=utcnow() - datetime.timedelta(hours=1), ends_at=utcnow() + datetime.timedelta(seconds=1))
    for client in (admin, limited):
        client.get("/")
    for client in (admin, limited):  # none of the outages' own: neither the list nor the touch answer
        assert not [sql for sql in queries_of(client, "/") if "outage" in sql or "subscription_place" in sql]
    kept = app.extensions["outages"]
    skagen = _outage("9990", "Skagen")  # another process's: not read within the period
    page = admin.get("/").get_data(as_text=True)
    assert f"outage-{roskilde.id}" in page and f"outage-{ending.id}" in page and f"outage-{skagen.id}" not in page
    # the clock ends an outage without a query; the period's end reads them again
    time.sleep(1.1)
    page = admin.get("/").get_data(as_text=True)
    assert f"outage-{ending.id}" not in page and f"outage-{skagen.id}" not in page
    now = kept.clock()
    kept.clock = lambda: now + kept.seconds
    page = admin.get("/").get_data(as_text=True)
    assert f"outage-{skagen.id}" in page and not _touches(page, skagen)
    # a staff change in this process shows at once, with the touch answers asked again
    form = {"title_da": "Brøndby", "title_en": "Brøndby", "severity": "minor", "services": ["internet"], "postal_codes": "2605"}
    assert staff_client.post("/staff/outages", data=form).status_code == 302
    brondby = Outage.select().order_by(Outage.id.desc()).first()
    page, limited_page = admin.get("/").get_data(as_text=True), limited.get("/").get_data(as_text=True)
    assert _touches(page, brondby) and not _touches(limited_page, brondby)  # Lager's line is not the limited user's
    assert staff_client.post(f"/staff/outages/{skagen.id}/end").status_code == 302
    assert f"outage-{skagen.id}" not in admin.get("/").get_data(as_text=True)
    assert _touches(admin.get("/").get_data(as_text=True), roskilde) is False
    assert staff_client.post(f"/staff/outages/{roskilde.id}", data=dict(form, title_da="Roskilde")).status_code == 302
    assert _touches(admin.get("/").get_data(as_text=True), roskilde)


def test_a_reading_that_raced_a_staff_change_is_not_kept(app, ctx, monkeypatch):
    """A staff change that commits while a request reads the outages forgets the cache; the
    reading, older than the change, must not be kept after it."""
    import services.outages as outages

    kept, real = outages._Kept(10), outages.running_outages
    _outage("9990", "Skagen")

    def raced(*args, **kwargs):
        rows = real(*args, **kwargs)
        kept.forget()  # the staff change's commit, while this reading is under way
        return rows

    monkeypatch.setattr(outages, "running_outages", raced)
    assert kept.running(utcnow())  # the request itself shows what it read
    assert kept._state == ((), 0.0, {})  # but nothing is kept: the next request reads again
    monkeypatch.setattr(outages, "running_outages", real)
    assert kept.running(utcnow()) and kept._state[1] > 0


def test_front_page_reads_no_place_row_per_subscription(app, admin, ctx):
    """The touch question is one query of EXISTS per range: SQLite's plan seeks the kept rows by
    (company or account, postal code), it never scans them or the subscriptions."""
    company = Company.get(Company.name == "Demo A/S")
    plan = db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT 1 FROM subscription_place s WHERE s.company_id IN (?, ?) "
        "AND s.customer_id = ? AND s.postal_code BETWEEN ? AND ?", (company.id, 99, company.customer_id, "1000", "1499"))
    detail = " ".join(str(row[-1]) for row in plan.fetchall())
    assert "subscription_place_company" in detail and "postal_code>" in detail, detail
    plan = db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT 1 FROM subscription_place s WHERE s.company_id IN (?) AND s.account_id IN (?) "
        "AND s.customer_id = ? AND s.postal_code BETWEEN ? AND ?", (company.id, 1, company.customer_id, "1000", "1499"))
    detail = " ".join(str(row[-1]) for row in plan.fetchall())
    assert "INDEX subscription_place_" in detail and "postal_code>" in detail, detail


@pytest.mark.parametrize("rollback_to", ["0021_subscription_places"])
def test_the_migration_fills_the_places_of_an_existing_database(app, ctx, rollback_to):
    database = db.obj
    Runner(database, MIGRATIONS_DIR).down(target=rollback_to)
    assert "subscription_place" not in database.get_tables()
    account = _account(OTHER_ACCOUNT)
    # written while no trigger kept anything: the migration must find them
    _line(account, "Torvet 1, 4600 Køge")
    _line(account, "Torvet 2, 4600 Køge")
    _line(account, "Algade 1, 4000 Roskilde", status="transferred")
    assert migrate(database)[0] == rollback_to  # and the later ones
    assert _places()[(account.id, "4600")] == 2 and (account.id, "4000") not in _places()
    assert _places() == _expected_places()
    _line(account, "Algade 2, 4000 Roskilde")  # and the triggers keep them from then on
    assert _places()[(account.id, "4000")] == 1


def test_postgres_keeps_the_places_and_answers_the_same(request):
    """The same triggers, fill and touch question on PostgreSQL (bash /work/tools/pgtest.sh this file)."""
    from services.outages import touching

    database = request.getfixturevalue("pgdb")  # skips without TEST_POSTGRES_URL
    from .test_postgres import _scope

    assert _places() == _expected_places() and _places()
    mine, others = _account(LIMITED_ACCOUNT), _account(OTHER_ACCOUNT)
    with database.atomic() as transaction:
        moved = _line(mine, "Algade 1, 4000 Roskilde")
        _line(others, "Torvet 1, 4600 Køge")
        _line(others, "Torvet 2, 4700 Næstved", status="cancelled")
        Subscription.update(address="Algade 1, 4040 Jyllinge").where(Subscription.id == moved.id).execute()
        assert _places() == _expected_places()
        assert _places()[(mine.id, "4040")] == 1 and (mine.id, "4000") not in _places()
        outages = [Outage(postal_codes=codes) for codes in ("4000-4050", "4600", "4700", "2605", "", "9990")]
        assert [o.touches_us for o in touching(_scope("admin"), outages)] == [True, True, False, True, True, False]
        assert [o.touches_us for o in touching(_scope("limited"), outages)] == [True, False, False, False, True, False]
        from services import frontpage, support
        for name in ("admin", "limited", "anden"):
            scope = _scope(name)
            assert [t.id for t in frontpage.recent_tickets(scope, 50)] == [t.id for t in support.recent_tickets(scope, 50)]
        transaction.rollback()


@pytest.mark.parametrize("email", ["admin@demo.dk", "begraenset@demo.dk", "admin@anden.dk"])
def test_the_reused_shortcuts_and_links_are_what_the_page_would_render(app, ctx, monkeypatch, email):
    import blueprints.home as home

    from .conftest import sign_in

    client = app.test_client()
    sign_in(client, email)
    client.get("/")
    def page():  # the CSRF token is signed with the time: it changes from second to second
        return re.sub(r'(csrf_token" value="|"X-CSRFToken": ")[^"]+', r"\1", client.get("/").get_data(as_text=True))

    home._FIXED_PARTS.clear()
    made, reused = page(), page()
    monkeypatch.setattr(home, "fixed_parts", lambda scope: None)
    inline = page()
    assert made == reused == inline and 'href="/settings/"' in made
    assert len(home._FIXED_PARTS) == 1  # one per language and set of rights


def test_front_page_tickets_are_what_the_support_service_gives(app, ctx):
    """services/frontpage.recent_tickets (fixed SQL, newest per company) answers as the plain
    services/support.recent_tickets does, for every kind of scope and ticket."""
    from models import Membership, SupportTicket, User
    from services import frontpage, support
    from services.scope import build_scope

    mine, others = _account(LIMITED_ACCOUNT), _account(OTHER_ACCOUNT)
    in_mine = Subscription.select().where(Subscription.account == mine.id).first()
    in_others = Subscription.select().where(Subscription.account == others.id).first()
    moved = Subscription.select().where(Subscription.account == others.id).order_by(Subscription.id.desc()).first()
    start = utcnow() - datetime.timedelta(days=1)
    concerns = [(None, None), (mine, None), (others, None), (mine, in_mine), (others, in_others), (others, moved)]
    for i, (account, subscription) in enumerate(concerns * 3):
        SupportTicket.create(customer=mine.customer_id, company=mine.company_id, number=f"T-FP-{i:03d}",
                             subject=f"Sag {i}", status=("open", "waiting", "closed")[i % 3],
                             updated_at=start + datetime.timedelta(minutes=i),
                             account=account.id if account else None, subscription=subscription.id if subscription else None)
    # a subscription's ticket follows the subscription to its new account
    Subscription.update(account=mine.id).where(Subscription.id == moved.id).execute()
    limited_seen = 0
    for membership in list(Membership.select().join(User).where(User.kind == "customer")):
        scope = build_scope(membership)
        for limit in (5, 50):
            fast, plain = frontpage.recent_tickets(scope, limit), support.recent_tickets(scope, limit)
            assert [t.id for t in fast] == [t.id for t in plain], (membership.user.email, limit)
            limited_seen += len(fast) if scope.limited and limit == 50 else 0
            for a, b in zip(fast, plain, strict=True):
                assert a.__data__ == b.__data__
                assert (a.subscription.number if a.subscription_id else None) == (b.subscription.number if b.subscription_id else None)
                assert (a.account.number if a.account_id else None) == (b.account.number if b.account_id else None)
    assert limited_seen >= 6  # the limited user's own tickets, the moved subscription's among them
