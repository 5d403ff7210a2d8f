"""The counts the database keeps per company, kind and status (migration 0026), and the overview's
pager reading them instead of counting rows (issue 10)."""
import datetime
import logging
import re
from collections import Counter

import pytest
from playhouse.migrations import Runner

from models import Account, Company, Plan, Subscription, db
from models.database import MIGRATIONS_DIR, migrate
from models.subscriptions import SubscriptionTally

from .conftest import add_subscriptions
from .test_postgres import _scope, pg, pg_server, pgdb  # noqa: F401 (the PostgreSQL fixtures)

KEY = ("customer_id", "company_id", "kind", "status")


def _kept():
    return Counter({tuple(getattr(t, k) for k in KEY): t.subscriptions
                    for t in SubscriptionTally.select() if t.subscriptions})


def _expected():
    """What the kept rows must say, counted from the subscriptions themselves."""
    rows = Subscription.select(*[getattr(Subscription, k.removesuffix("_id")) for k in KEY])
    return Counter(tuple(row) for row in rows.tuples())


def _line(account, kind="mobile", status="active", number=None):
    plan = Plan.select().where(Plan.kind == kind).first() or Plan.select().first()
    return Subscription.create(
        customer=account.customer_id, company=account.company_id, account=account.id, kind=kind,
        number=number or f"tally-{account.id}-{kind}-{status}-{Subscription.select().count()}", holder_name="Tæl",
        plan=plan.id, status=status, start_date=datetime.date(2025, 1, 1))


def _writes_of_every_kind():
    """Inserts, a save of every column, bulk updates of status, kind and company, and deletes."""
    demo = Account.get(Account.number == "40120011")
    other = (Account.select().join(Company).where(Company.id != demo.company_id, Company.customer == demo.customer_id)
             .first())
    first = _line(demo)
    _line(demo, kind="internet", status="pending")
    add_subscriptions(30)  # one multi-row insert
    first.holder_name = "Ny"
    first.save()  # every column written, none of the counted ones changed
    first.status = "blocked"
    first.save()
    Subscription.update(status="cancelled").where(Subscription.kind == "mobile", Subscription.status == "active",
                                                  Subscription.holder_name.startswith("Bo Hansen")).execute()
    Subscription.update(kind="landline").where(Subscription.id == first.id).execute()
    Subscription.update(account=other.id, company=other.company_id).where(Subscription.id == first.id).execute()
    Subscription.delete().where(Subscription.holder_name.startswith("Bo Hansen 00")).execute()
    return other


def test_the_kept_counts_match_the_subscriptions_whatever_writes_them(app, ctx):
    assert _kept() == _expected() and sum(_kept().values()) == Subscription.select().count() > 0
    other = _writes_of_every_kind()
    kept = _kept()
    assert kept == _expected()
    assert kept[(other.customer_id, other.company_id, "landline", "blocked")] >= 1
    with db.atomic() as transaction:  # a rolled-back write leaves no count behind
        _line(other, kind="circuit", status="pending")
        transaction.rollback()
    assert _kept() == _expected()


def _sql_of(client, url):
    """The SQL statements one GET runs."""
    statements = []

    class Handler(logging.Handler):
        def emit(self, record):
            statements.append(str(record.msg[0]) if isinstance(record.msg, tuple) else record.getMessage())

    log, handler = logging.getLogger("peewee"), Handler(logging.DEBUG)
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        assert client.get(url, headers={"HX-Request": "true", "HX-Target": "rows"}).status_code == 200
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    return statements


def _total(page):
    match = re.search(r'role="status">([^<]*)<', page)
    return int(re.sub(r"\D", "", match.group(1)))


@pytest.mark.parametrize("query", ["", "?kind=mobile", "?status=active", "?kind=internet&status=pending&sort=number",
                                   "?company={subsidiary}", "?company={subsidiary}&status=active"])
def test_the_overview_sums_the_kept_counts_instead_of_counting_rows(app, admin, ctx, query):
    add_subscriptions(40)
    subsidiary = Company.get(Company.cvr == "12345682")
    url = "/subscriptions" + query.format(subsidiary=subsidiary.id)
    statements = _sql_of(admin, url)
    counts = [s for s in statements if re.search(r"\b(COUNT|SUM)\(", s, re.I)]
    assert len(counts) == 1 and "subscription_tally" in counts[0], counts
    args = dict(pair.split("=") for pair in query.format(subsidiary=subsidiary.id).lstrip("?").split("&") if pair)
    expected = _scope("admin").subscriptions(details=False)
    for name in ("kind", "status"):
        if name in args:
            expected = expected.where(getattr(Subscription, name) == args[name])
    if "company" in args:
        expected = expected.where(Subscription.company == int(args["company"]))
    page = admin.get(url, headers={"HX-Request": "true", "HX-Target": "rows"}).get_data(as_text=True)
    assert _total(page) == expected.count() > 0


@pytest.mark.parametrize("query", ["?q=hansen", "?account=40120011"])
def test_a_search_or_an_account_still_counts_its_rows(app, admin, ctx, query):
    add_subscriptions(12)
    statements = _sql_of(admin, "/subscriptions" + query)
    counts = [s for s in statements if re.search(r"\bCOUNT\(", s, re.I)]
    assert counts and all("subscription_tally" not in s for s in statements), statements


def test_the_limited_user_counts_only_their_account(app, limited, ctx):
    """The tallies are per company: a limited scope may not read them (its count is its accounts' rows)."""
    statements = _sql_of(limited, "/subscriptions")
    assert all("subscription_tally" not in s for s in statements)
    page = limited.get("/subscriptions", headers={"HX-Request": "true", "HX-Target": "rows"}).get_data(as_text=True)
    assert _total(page) == _scope("limited").subscriptions(details=False).count()
    with pytest.raises(Exception, match="403"):
        _scope("limited").subscription_tallies()


@pytest.mark.parametrize("rollback_to", ["0026_subscription_tally"])
def test_the_migration_counts_the_subscriptions_of_an_existing_database(app, ctx, rollback_to):
    database = db.obj
    Runner(database, MIGRATIONS_DIR).down(target=rollback_to)
    assert "subscription_tally" not in database.get_tables()
    account = Account.get(Account.number == "40120011")
    _line(account, kind="circuit", status="blocked")  # written while no trigger kept anything
    assert migrate(database)[0] == rollback_to
    assert _kept() == _expected() and _kept()[(account.customer_id, account.company_id, "circuit", "blocked")] >= 1
    _line(account, kind="circuit", status="blocked")  # and the triggers keep them from then on
    assert _kept() == _expected()


def test_postgres_keeps_the_counts_by_statement(request):
    """PostgreSQL's statement triggers: the same writes, a COPY, and the overview's totals
    (bash /work/tools/pgtest.sh this file)."""
    database = request.getfixturevalue("pgdb")  # skips without TEST_POSTGRES_URL
    assert _kept() == _expected() and _kept()
    _writes_of_every_kind()
    assert _kept() == _expected()
    account, plan = Account.get(Account.number == "40120011"), Plan.select().first()
    with database.cursor() as cursor, cursor.copy(
            "COPY subscription (customer_id, company_id, account_id, kind, number, holder_name, holder_email,"
            " search_key, plan_id, status, invoice_note, start_date, blocked_parts, address, port_locked,"
            " created_at) FROM STDIN") as copy:
        for i in range(25):
            copy.write_row((account.customer_id, account.company_id, account.id, "internet", f"copy-{i}", "Kopi",
                            "", "kopi", plan.id, "pending", "", datetime.date(2025, 1, 1), "", "",
                            False, datetime.datetime(2025, 1, 1)))
    assert _kept() == _expected()
    assert _kept()[(account.customer_id, account.company_id, "internet", "pending")] >= 25
    scope = _scope("admin")
    from services.subscriptions import list_subscriptions

    for filters in ({}, {"kind": "internet", "status": "pending"}, {"status": "cancelled"}):
        expected = scope.subscriptions(details=False)
        for name, value in filters.items():
            expected = expected.where(getattr(Subscription, name) == value)
        assert list_subscriptions(scope, **filters).total == expected.count()
