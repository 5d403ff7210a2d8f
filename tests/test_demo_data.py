"""The demo data contract (DESIGN.md "Demo data"), checked on a fresh SQLite database."""
import datetime
import json
import re
from collections import Counter

import phonenumbers
import pytest
from peewee import fn
from stdnum import ean, luhn
from stdnum.dk import cvr

import models
from models import (
    Account,
    CallFlowVersion,
    Company,
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    Membership,
    MembershipAccount,
    Order,
    Outage,
    PersonalNumber,
    PhoneSystem,
    PortingRequest,
    SimCard,
    Subscription,
    SubscriptionAddOn,
    SupportTicket,
    TicketMessage,
    UsageRecord,
    User,
    UserProfile,
    VacationReply,
)
from models.database import migrate, open_database
from models.orders import ORDER_STATUSES
from services.demo_data import RESERVED_NUMBERS, create_demo_data
from services.passwords import verify_password
from services.rights import FUNCTIONS

TODAY = datetime.date(2026, 11, 20)
SECRET = "ONSWY5TCMV2GUZLONFXGOLLEMVWW6LJR"


def _make_db(path):
    """A migrated SQLite database, connected the way the app connects it."""
    d = open_database(f"sqlite:///{path}")
    migrate(d)
    return d


def _snapshot():
    return list(Subscription.select(Subscription.holder_name, Subscription.number,
                                    Subscription.kind, Subscription.status, Account.number)
                .join(Account).order_by(Subscription.id).tuples())


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    d = _make_db(tmp_path_factory.mktemp("demo") / "t.db")
    summary = create_demo_data(today=TODAY)
    return d, summary


@pytest.fixture
def summary(demo_db):
    models.db.initialize(demo_db[0])  # other tests may point the proxy elsewhere
    return demo_db[1]


def _customer(name):
    return Customer.get(Customer.name == name)


def _company(number):
    return Company.get(Company.cvr == number)


def _valid_dk(number):
    parsed = phonenumbers.parse(number)
    return (number == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            and parsed.country_code == 45 and phonenumbers.is_valid_number(parsed))


# -- tenants and accounts --------------------------------------------------------

def test_customers_companies_and_accounts(summary):
    assert summary["customers"] == 4
    demo, service = _company("12345674"), _company("12345682")
    assert demo.name == "Demo A/S" and service.name == "Demo Service ApS"
    assert service.parent_id == demo.id and demo.parent_id is None
    assert demo.customer.name == "Demo Koncern" == service.customer.name
    assert _company("31313139").customer.name == "Anden Kunde ApS"
    assert _company("87654338").customer.name == "Tredje Firma A/S"
    assert _company("25313763").customer.name == "Fjerde Handel ApS"
    for company in Company.select():
        assert cvr.is_valid(company.cvr)
        assert company.address and re.fullmatch(r"\d{4}", company.postal_code) and company.city
    counts = {c.cvr: c.accounts.count() for c in Company.select()}
    assert counts == {"12345674": 3, "12345682": 2, "31313139": 2, "87654338": 2,
                      "25313763": 1}


def test_account_details(summary):
    accounts = list(Account.select())
    assert len({a.number for a in accounts}) == len(accounts)
    for account in accounts:
        assert re.fullmatch(r"\d{8}", account.number)
        assert account.customer_id == account.company.customer_id
        if account.invoice_format == "pdf_email":
            assert "@" in account.invoice_emails
    demo_accounts = Account.select().join(Company).where(Company.customer == _customer(
        "Demo Koncern"))
    assert {a.invoice_format for a in demo_accounts} == {"pdf_email", "ean", "portal"}
    (ean_account,) = [a for a in demo_accounts if a.invoice_format == "ean"]
    assert ean.is_valid(ean_account.ean) and len(ean_account.ean) == 13
    assert ean_account.ean.startswith("579")
    assert {a.name for a in _company("12345674").accounts} == {"Hovedkonto", "Salg", "Lager"}


# -- subscriptions and SIM cards ------------------------------------------------------

def test_demo_subscriptions(summary):
    demo = _customer("Demo Koncern")
    subs = list(Subscription.select().where(Subscription.customer == demo))
    assert len(subs) == 300
    kinds = Counter(s.kind for s in subs)
    assert set(kinds) == {"mobile", "landline", "internet", "circuit"}
    assert 0.65 <= kinds["mobile"] / len(subs) <= 0.85
    statuses = Counter(s.status for s in subs)
    assert set(statuses) == {"active", "pending", "blocked", "cancelled", "transferred"}
    assert statuses["active"] > 0.7 * len(subs)
    accounts = {a.id: a for a in Account.select()}
    for s in subs:
        account = accounts[s.account_id]
        assert (s.customer_id, s.company_id) == (account.customer_id, account.company_id)
        assert s.search_key == Subscription.make_search_key(s.holder_name, s.number,
                                                            s.holder_email)
        assert re.fullmatch(r"[a-z0-9.-]+@demo\.dk", s.holder_email)
        if s.kind == "internet":
            assert re.fullmatch(r"DSL-\d{7}", s.number)
        elif s.kind == "circuit":
            assert re.fullmatch(r"KRB-\d{6}", s.number)
        else:
            assert s.number in RESERVED_NUMBERS or _valid_dk(s.number), s.number
    assert len({s.number for s in subs}) == len(subs)
    assert len({s.holder_email for s in subs}) == len(subs)
    letters = "".join(s.holder_name for s in subs)
    assert {"æ", "ø", "å"} <= set(letters.lower())
    assert {a for a in accounts.values() if a.customer_id == demo.id} == {
        accounts[s.account_id] for s in subs}


def test_employee_subscription(summary):
    s = Subscription.get(Subscription.number == "+4520000001")
    first_account = _company("12345674").accounts.order_by(Account.id).first()
    assert s.kind == "mobile" and s.status == "active"
    assert s.company.cvr == "12345674" and s.account_id == first_account.id
    assert (s.holder_name, s.holder_email) == ("Mette Jensen", "mette.jensen@demo.dk")
    assert Subscription.select().where(Subscription.holder_email == "mette.jensen@demo.dk"
                                       ).count() == 1


def test_sim_cards(summary):
    mobile = Subscription.select().where(Subscription.kind == "mobile")
    sims = list(SimCard.select())
    active = Counter(c.subscription_id for c in sims if c.status == "active")
    assert all(active[s.id] == 1 for s in mobile)
    assert {c.subscription_id for c in sims} <= {s.id for s in mobile}
    assert any(c.status == "old" for c in sims)
    esims = [c for c in sims if c.form == "esim"]
    assert 0.05 <= len(esims) / len(active) <= 0.16
    for c in sims:
        assert re.fullmatch(r"8945\d{15}", c.iccid) and luhn.is_valid(c.iccid)
        assert c.iccid[-1] == luhn.calc_check_digit(c.iccid[:-1])
        assert re.fullmatch(r"\d{4}", c.pin) and re.fullmatch(r"\d{8}", c.puk)
        if c.form == "esim":
            assert re.fullmatch(r"LPA:1\$smdp\.operator\.dk\$\w+", c.activation_code)
        else:
            assert c.activation_code is None
    assert SubscriptionAddOn.select().count() > 20


def test_other_customers(summary):
    anden, tredje, fjerde = (_customer(n) for n in ("Anden Kunde ApS", "Tredje Firma A/S",
                                                    "Fjerde Handel ApS"))
    demo = _customer("Demo Koncern")

    def subs(c):
        return Subscription.select().where(Subscription.customer == c)

    assert 35 <= subs(anden).count() <= 45
    assert 15 <= subs(tredje).count() <= 25
    assert 8 <= subs(fjerde).count() <= 12
    demo_numbers = {s.number for s in subs(demo)}
    demo_names = {s.holder_name for s in subs(demo)}
    for other in (anden, tredje, fjerde):
        assert not demo_numbers & {s.number for s in subs(other)}
    assert not demo_names & {s.holder_name for s in subs(anden)}
    assert SimCard.select().join(Subscription).where(Subscription.customer == anden).count()
    assert Invoice.select().where(Invoice.customer == anden).count() >= 2
    assert Order.select().where(Order.customer == anden).count() >= 1
    assert SupportTicket.select().where(SupportTicket.customer == anden).count() >= 1
    assert not Membership.select().join(Company).where(Company.customer == tredje).exists()
    assert User.select().where(User.email.endswith("@tredje.dk")).count() == 0


# -- users ------------------------------------------------------------------------

def test_users_and_logins(summary):
    for email in ("admin@demo.dk", "begraenset@demo.dk", "admin@anden.dk", "staff@operator.dk",
                  "tidligere.admin@fjerde.dk"):
        user = User.get(User.email == email)
        assert verify_password(user.password_hash, "demo-password-1"), email
        assert user.status == "active" and user.locale is None
        devices = list(user.totp_devices)
        if email == "tidligere.admin@fjerde.dk":
            assert devices == []
        else:
            assert [(d.name, d.secret, d.confirmed) for d in devices] == [
                ("Authenticator", SECRET, True)]
    # One hash, reused.
    assert User.select(fn.COUNT(User.password_hash.distinct())).scalar() == 1
    assert User.get(User.email == "staff@operator.dk").kind == "staff"
    assert not User.get(User.email == "staff@operator.dk").memberships.count()

    admin = User.get(User.email == "admin@demo.dk")
    assert (admin.name, admin.mobile, admin.kind) == ("Anne Admin", "+4520000010", "customer")
    memberships = {m.company.cvr: m for m in admin.memberships}
    assert set(memberships) == {"12345674", "12345682"}
    for m in memberships.values():
        assert m.is_admin and m.full_access and m.function_set == set(FUNCTIONS)

    anden = User.get(User.email == "admin@anden.dk")
    (m,) = anden.memberships
    assert m.company.cvr == "31313139" and m.is_admin and m.function_set == set(FUNCTIONS)

    fjerde = User.get(User.email == "tidligere.admin@fjerde.dk")
    (m,) = fjerde.memberships
    assert fjerde.name == "Jens Tidligere" and m.company.cvr == "25313763" and m.is_admin
    assert User.select().join(Membership).join(Company).where(
        Company.cvr == "25313763").count() == 1


def test_limited_user_scope(summary):
    user = User.get(User.email == "begraenset@demo.dk")
    assert user.name == "Bent Begrænset" and user.mobile == "+4520000011"
    (m,) = user.memberships
    assert m.company.cvr == "12345674" and not m.is_admin and not m.full_access
    assert m.function_set == set(FUNCTIONS) - {"sim", "users"}
    (link,) = MembershipAccount.select().where(MembershipAccount.membership == m)
    mette = Subscription.get(Subscription.number == "+4520000001")
    assert link.account_id == mette.account_id
    assert link.account_id == m.company.accounts.order_by(Account.id).first().id


def test_employee_login(summary):
    user = User.get(User.email == "mette.jensen@demo.dk")
    assert (user.name, user.mobile, user.kind) == ("Mette Jensen", "+4520000001", "employee")
    assert user.subscription.number == "+4520000001"
    assert user.password_hash is None and not user.totp_devices.count()


# -- usage and billing -----------------------------------------------------------------

def test_usage(summary):
    demo = _customer("Demo Koncern")
    mobiles = list(Subscription.select().where(Subscription.customer == demo,
                                               Subscription.kind == "mobile",
                                               Subscription.status == "active"))
    per_month = Counter(
        (r.subscription_id, r.occurred_at.strftime("%Y-%m"))
        for r in UsageRecord.select().join(Subscription).where(Subscription.customer == demo))
    # A full month the subscription was active all of: 20-60 records.
    for month in ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
        for s in mobiles:
            if s.start_date < datetime.date(2026, 5, 1):
                assert 20 <= per_month[(s.id, month)] <= 60, (s.number, month)
    records = list(UsageRecord.select().join(Subscription).where(Subscription.customer == demo))
    kinds = Counter(r.kind for r in records)
    assert set(kinds) == {"call", "sms", "data"}
    assert {r.country for r in records} - {"DK"}
    assert any(r.price > 0 and r.country != "DK" for r in records)
    assert all(r.price >= 0 for r in records)
    assert min(r.occurred_at for r in records).date() >= datetime.date(2026, 5, 1)
    for r in records:
        if r.kind == "call":
            assert r.duration_s > 0 and r.destination
        elif r.kind == "data":
            assert r.volume_kb > 0
    for number in {r.destination for r in records if r.destination} - RESERVED_NUMBERS:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number


def test_invoices(summary):
    """Six months per Demo account, made by the billing run: numbered without gaps, lines that add up."""
    demo = _customer("Demo Koncern")
    accounts = Account.select().where(Account.customer == demo)
    months = [datetime.date(2026, m, 1) for m in range(5, 11)]
    statuses = Counter()
    for account in accounts:
        invoices = list(account.invoices.order_by(Invoice.period_start))
        assert [i.period_start for i in invoices] == months
        for i in invoices:
            assert re.fullmatch(r"F\d{8}", i.number)
            assert (i.period_end + datetime.timedelta(days=1)).day == 1
            assert i.issued_on == (i.period_end + datetime.timedelta(days=3))
            assert i.due_on == i.issued_on + datetime.timedelta(days=30)
            lines = list(i.lines)
            assert i.net == sum(line.amount for line in lines) > 0
            taxed = sum(line.amount for line in lines if line.vat_rate == 25)
            assert i.vat == (taxed * 25 + 50) // 100 and i.total == i.net + i.vat
            assert {line.kind for line in lines} >= {"plan"}
            assert i.buyer_cvr == account.company.cvr and i.payment_id
            statuses[i.status] += 1
        assert invoices[-1].status == "open"
        assert all(i.status in ("paid", "open") for i in invoices[:-1])
    assert statuses["open"] == 5 + 1  # the newest five, and one overdue
    assert InvoiceLine.select().where(InvoiceLine.kind.startswith("usage_")).exists()
    assert InvoiceLine.select().where(InvoiceLine.kind == "addon").exists()
    assert InvoiceLine.select().where(InvoiceLine.kind == "fee_reminder", InvoiceLine.vat_rate == 0).exists()
    assert InvoiceLine.select().where(InvoiceLine.kind == "fee_porting").exists()
    (note,) = CreditNote.select()
    assert note.invoice.account_id == note.account_id and note.net > 0 and note.number == "K10000001"
    assert note.vat == (note.net * 25 + 50) // 100 and note.total == note.net + note.vat
    numbers = sorted(int(i.number[1:]) for i in Invoice.select())
    assert numbers == list(range(10000001, 10000001 + len(numbers)))


# -- orders, support, products, porting ----------------------------------------------

def test_orders(summary):
    demo = _customer("Demo Koncern")
    admin = User.get(User.email == "admin@demo.dk")
    orders = list(Order.select().where(Order.customer == demo))
    assert {o.status for o in orders} == set(ORDER_STATUSES)
    assert len({o.kind for o in orders}) >= 5
    for o in orders:
        assert o.requested_by_id == admin.id
        assert o.company.customer_id == demo.id
        details = json.loads(o.details)
        assert isinstance(details, dict)
        assert all(isinstance(v, (str, int, float, bool)) or (isinstance(v, list) and all(
            isinstance(x, str) for x in v)) for v in details.values())
        if o.status == "failed":
            assert o.failure_reason
        if o.status in ("completed", "failed"):
            assert o.completed_at
        if o.subscription_id:
            assert o.subscription.customer_id == demo.id


def _orders(kind, status):
    return [(o, json.loads(o.details)) for o in Order.select().where(Order.kind == kind, Order.status == status)]


def test_completed_orders_show_in_the_data(summary):
    """A completed order's change is in the data; an open one's is not yet."""
    for o, d in _orders("plan_change", "completed"):
        assert o.subscription.plan.code == d["to_plan"] != d["from_plan"]
        assert o.subscription.plan.monthly_price - models.Plan.get(models.Plan.code == d["from_plan"]).monthly_price \
            == d["price_difference"]
        assert models.PlanChange.select().where(models.PlanChange.subscription == o.subscription_id).exists()
    for o, d in _orders("plan_change", "received"):
        assert o.subscription.plan.code == d["from_plan"] != d["to_plan"]
    for o, d in _orders("addon", "completed"):
        assert SubscriptionAddOn.select().join(models.AddOn).where(
            SubscriptionAddOn.subscription == o.subscription_id, models.AddOn.code == d["addon"]).exists()
    for o, d in _orders("addon", "failed"):
        assert not SubscriptionAddOn.select().join(models.AddOn).where(
            SubscriptionAddOn.subscription == o.subscription_id, models.AddOn.code == d["addon"]).exists()
    for status, on in (("completed", "to_account"), ("received", "from_account")):
        for o, d in _orders("account_change", status):
            accounts = {a.number: a for a in Account.select()}
            assert o.subscription.account.number == d[on] and d["from_account"] != d["to_account"]
            assert accounts[d["from_account"]].company_id == accounts[d["to_account"]].company_id \
                == o.subscription.company_id
            assert accounts[d["to_account"]].id == d["to_account_id"]
    for o, d in _orders("sim_change", "completed"):
        active = SimCard.get(SimCard.subscription == o.subscription_id, SimCard.status == "active")
        assert active.form == d["sim_form"] and active.iccid == d.get("iccid", active.iccid)
    for o, d in _orders("block", "completed"):
        assert set(d["parts"]) <= set(o.subscription.blocks) and o.subscription.status == "blocked"
    for kind, status in (("cancel", "cancelled"), ("transfer", "transferred")):
        for o, d in _orders(kind, "completed"):
            assert o.subscription.status == status and o.subscription.end_date.isoformat() == d["end_date"]
            assert o.created_at.date() <= o.subscription.end_date
        for o, d in _orders(kind, "received"):
            assert o.subscription.status == "active" and d["end_date"] > TODAY.isoformat()
    for o, d in _orders("transfer", "completed"):
        assert (o.subscription.holder_name, o.subscription.holder_email) == (d["new_holder_name"],
                                                                             d["new_holder_email"])
    for kind in ("new_subscription", "takeover", "port_in"):
        for o, d in _orders(kind, "completed"):
            assert o.subscription.status == "active" and o.completed_at.date() == o.subscription.start_date
            assert o.created_at <= o.completed_at and d["holder_name"] == o.subscription.holder_name


def test_orders_keep_what_a_real_order_keeps(summary):
    """The values services/subscription_changes.py writes for each kind; dates from the day received."""
    needed = {"plan_change": {"from_plan", "to_plan", "from_date", "price_difference"},
              "cancel": {"end_date", "reason"}, "transfer": {"new_holder_name", "new_holder_email", "end_date"},
              "account_change": {"from_account", "to_account", "to_account_id"},
              "addon": {"addon", "monthly_price"}, "block": {"parts", "reason"}, "unblock": {"parts"},
              "sim_change": {"sim_form", "how", "reason"},
              "new_subscription": {"kind", "plan", "holder_name", "holder_email", "account"}}
    for o in Order.select().where(Order.kind.in_(list(needed))):
        d = json.loads(o.details)
        assert needed[o.kind] <= set(d) and all(d[k] not in ("", None, []) for k in needed[o.kind]), (o.id, d)
        for key in ("from_date", "end_date"):
            if key in d and o.status in ("received", "in_progress"):
                assert d[key] >= o.created_at.date().isoformat()
    for _o, d in _orders("addon", "completed") + _orders("addon", "failed"):
        assert d["monthly_price"] == models.AddOn.get(models.AddOn.code == d["addon"]).monthly_price > 0


def test_reminder_fees_come_after_the_due_date(summary):
    """A reminder fee is dated after an overdue invoice of its account was due, so it is on a later invoice."""
    fees = list(models.Charge.select().where(models.Charge.kind == "fee_reminder"))
    assert fees
    for fee in fees:
        overdue = Invoice.select().where(Invoice.account == fee.account_id, Invoice.status == "open",
                                         Invoice.due_on < fee.occurred_on).order_by(Invoice.due_on).first()
        assert overdue is not None and overdue.due_on < TODAY
        line = InvoiceLine.get(InvoiceLine.kind == "fee_reminder", InvoiceLine.period_start == fee.occurred_on)
        assert line.invoice.period_start > overdue.period_end


def test_credit_note_reason_agrees_with_the_data(summary):
    (note,) = CreditNote.select()
    subscriptions = {line.subscription for line in note.lines if line.subscription_id}
    assert subscriptions
    if any(s.end_date is None or s.end_date > note.invoice.period_end for s in subscriptions):
        assert "opsagt" not in note.reason.lower()  # it had not ended: "cancelled but billed" is untrue


def test_support_and_outages(summary):
    tickets = list(SupportTicket.select())
    assert len({t.number for t in tickets}) == len(tickets)
    demo_tickets = [t for t in tickets if t.company.cvr == "12345674"]
    assert {t.status for t in demo_tickets} == {"open", "waiting", "closed"}
    assert sum(t.company.cvr == "12345682" for t in tickets) >= 2
    for t in tickets:
        assert re.fullmatch(r"S-\d{6}", t.number) and t.subject and t.category
        assert 1 <= t.messages.count() <= 3
    assert TicketMessage.select().where(TicketMessage.from_staff).exists()

    current = Outage.get(Outage.ends_at.is_null())
    assert current.severity == "major" and current.title_da and current.title_en
    assert current.body_da and current.body_en and current.area_da and current.area_en
    past = Outage.get(Outage.ends_at.is_null(False))
    assert past.ends_at.date() == TODAY - datetime.timedelta(days=1)


def test_products_and_porting(summary):
    system = PhoneSystem.get()
    assert system.name == "Demo A/S hovednummer" and system.company.cvr == "12345674"
    assert _valid_dk(system.main_number)
    versions = list(system.call_flow_versions.order_by(CallFlowVersion.number))
    assert [v.number for v in versions] == [1, 2] and all(v.activated_at and v.created_by for v in versions)
    flow = versions[-1].flow
    assert flow["welcome"] and flow["closed"]["kind"] == "voicemail"
    assert [o["kind"] for o in flow["menu"]["options"]] == ["queue", "queue"]
    profiles = list(UserProfile.select())
    assert len(profiles) >= 3 and all(p.subscription_id for p in profiles)
    assert VacationReply.select().count() == 1
    demo_numbers = {s.number for s in Subscription.select().where(
        Subscription.company == system.company)}
    personal = list(PersonalNumber.select())
    assert len(personal) == 2
    for p in personal:
        assert p.number.startswith("+4570") and _valid_dk(p.number)
        assert p.forward_to in demo_numbers
    requests = list(PortingRequest.select())
    assert sorted(r.status for r in requests) == ["cancelled", "completed", "date_confirmed", "received",
                                                  "rejected", "sent"]
    for r in requests:
        assert r.company.cvr == "12345674" and _valid_dk(r.number)
        assert not Subscription.select().where(Subscription.number == r.number).exists()


def test_all_numbers_are_valid(summary):
    for s in Subscription.select().where(Subscription.kind.in_(("mobile", "landline"))):
        assert s.number in RESERVED_NUMBERS or _valid_dk(s.number), s.number
    for u in User.select():
        assert u.mobile in RESERVED_NUMBERS or _valid_dk(u.mobile), u.mobile
    assert len(RESERVED_NUMBERS) == 5  # the fixed contract numbers +452000000x/+45200000xx
    for company in Company.select():
        assert cvr.is_valid(company.cvr)
    for a in Account.select().where(Account.ean.is_null(False)):
        assert ean.is_valid(a.ean)


# -- the call itself -------------------------------------------------------------------

def test_second_call_is_skipped(summary):
    before = Subscription.select().count()
    assert create_demo_data(today=TODAY) == {"skipped": True}
    assert Subscription.select().count() == before


def test_deterministic(demo_db, tmp_path):
    models.db.initialize(demo_db[0])
    first = _snapshot()
    first_iccids = [c.iccid for c in SimCard.select().order_by(SimCard.id)]
    other = _make_db(tmp_path / "t.db")
    try:
        create_demo_data(today=TODAY)
        assert _snapshot() == first
        assert [c.iccid for c in SimCard.select().order_by(SimCard.id)] == first_iccids
    finally:
        other.close()
        models.db.initialize(demo_db[0])


def test_subscriptions_argument(tmp_path):
    d = _make_db(tmp_path / "t.db")
    try:
        result = create_demo_data(subscriptions=2500, today=TODAY)
        demo = _customer("Demo Koncern")
        subs = Subscription.select().where(Subscription.customer == demo)
        assert subs.count() == 2500
        assert Subscription.get(Subscription.number == "+4520000001").holder_name == "Mette Jensen"
        # 2,200 beyond the first 300: two extra accounts of at most 2,000.
        assert Account.select().where(Account.customer == demo).count() == 5 + 2
        mobile = subs.where(Subscription.kind == "mobile")
        active_sims = SimCard.select().join(Subscription).where(
            Subscription.customer == demo, SimCard.status == "active")
        assert active_sims.count() == mobile.count()
        assert len({s.number for s in subs}) == 2500
        # Usage only for the first 300.
        last_detailed = subs.order_by(Subscription.id).offset(299).first().id
        used = (UsageRecord.select(fn.MAX(UsageRecord.subscription)).join(Subscription)
                .where(Subscription.customer == demo).scalar())
        assert used <= last_detailed
        assert result["subscriptions"] == 2500 + 70
    finally:
        d.close()


def test_usage_does_not_depend_on_the_time_of_the_build():
    """Records after 'now' are drawn and dropped, so the random stream (and so every later
    subscription's usage, and the invoices) is the same whenever the data is built."""
    import random

    from services.demo_data import _usage_for_month

    first = datetime.date(2026, 11, 1)
    results = []
    for now in (datetime.datetime(2026, 11, 3, 8), datetime.datetime(2026, 11, 20, 22)):
        rng = random.Random(7)
        records = _usage_for_month(rng, 1, first, now, ["+4520000099"], lambda: "+4520000098")
        results.append((records, rng.random()))
    (early, after_early), (late, after_late) = results
    assert after_early == after_late
    assert early == [r for r in late if r[1] <= datetime.datetime(2026, 11, 3, 8)] and len(late) > len(early)


def _built(path, monkeypatch, bulk_from):
    """Build 2,500 subscriptions with the large-insert path from `bulk_from` rows; returns what must
    not depend on the path: the rows, the schema, the full-text matches and the connection's settings."""
    import services.demo_data as demo_data

    monkeypatch.setattr(demo_data, "BULK_INDEX_ROWS", bulk_from)
    d = _make_db(path)
    try:
        create_demo_data(subscriptions=2500, today=TODAY)
        sql = d.execute_sql
        matches = {q: sql("SELECT rowid FROM subscription_fts WHERE subscription_fts MATCH ? ORDER BY rowid", (q,)).fetchall()
                   for q in ("jensen", "hansen", "4520", '"demo.dk"', '"anden.dk"')}
        sql("INSERT INTO subscription_fts (subscription_fts) VALUES ('integrity-check')")
        return {"rows": _snapshot(), "sims": list(SimCard.select(SimCard.subscription, SimCard.iccid).order_by(SimCard.id).tuples()),
                "schema": sorted(sql("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'subscription_fts_%'").fetchall()),
                "fts": matches, "fts_config": sorted(sql("SELECT k, v FROM subscription_fts_config").fetchall()),
                "pragmas": [sql(f"PRAGMA {name}").fetchone()[0] for name in
                            ("journal_mode", "foreign_keys", "synchronous", "cache_size", "temp_store", "threads")]}
    finally:
        d.close()


def test_large_inserts_build_the_same_database(tmp_path, monkeypatch):
    """Indexes, search triggers and the full-text index made after a large insert (a million rows)
    give the very database that row-by-row inserts give, and the build's settings are put back."""
    try:
        by_row = _built(tmp_path / "rows.db", monkeypatch, bulk_from=10 ** 9)
        in_bulk = _built(tmp_path / "bulk.db", monkeypatch, bulk_from=1000)
    finally:
        models.db.initialize(_make_db(tmp_path / "after.db"))
    assert in_bulk == by_row
    assert all(by_row["fts"].values())
    assert by_row["pragmas"][:3] == ["wal", 1, 1]  # as models/database.py opens SQLite
