"""The billing run's arithmetic: proration, plan changes, VAT per rate, rounding once per line,
usage and fees, gap-free numbers, idempotency; on a database with only what each test builds."""
import datetime
import threading

import pytest
from click.testing import CliRunner

from models import (
    Account,
    AddOn,
    AuditEvent,
    Charge,
    Company,
    Customer,
    Invoice,
    InvoiceLine,
    NumberSeries,
    Plan,
    Subscription,
    SubscriptionAddOn,
    UsageMonth,
    UsageRecord,
    User,
    db,
)
from services import billing, credit_notes
from services.errors import ServiceError

OCT = datetime.date(2026, 10, 1)  # 31 days
NOV = datetime.date(2026, 11, 1)  # 30 days
ISSUED = datetime.date(2026, 11, 3)


@pytest.fixture
def world(empty_app):
    with empty_app.app_context(), db.connection_context():
        customer = Customer.create(name="Kunde")
        company = Company.create(customer=customer, name="Kunde A/S", cvr="12345674", address="Gade 1",
                                 postal_code="1000", city="København K")
        account = Account.create(customer=customer, company=company, number="90000001", name="Hovedkonto",
                                 reference="Økonomi")
        plans = {code: Plan.create(code=code, kind="mobile", name=name, monthly_price=price)
                 for code, name, price in (("A", "Mobil A", 9900), ("B", "Mobil B", 14900),
                                           ("ODD", "Mobil Skæv", 10001))}
        addon = AddOn.create(code="X", kind="mobile", name="Ekstra", monthly_price=2900)
        yield type("World", (), {"customer": customer, "company": company, "account": account,
                                 "plans": plans, "addon": addon, "app": empty_app})


def subscription(world, number, plan="A", start=datetime.date(2025, 1, 1), end=None, status="active", note="",
                 account=None):
    account = account or world.account
    return Subscription.create(
        customer=world.customer, company=world.company, account=account, kind="mobile", number=number,
        holder_name=f"Holder {number}", plan=world.plans[plan], status=status, start_date=start, end_date=end,
        invoice_note=note)


def lines_of(invoice_id, **where):
    query = InvoiceLine.select().where(InvoiceLine.invoice == invoice_id)
    for name, value in where.items():
        query = query.where(getattr(InvoiceLine, name) == value)
    return list(query.order_by(InvoiceLine.id))


def the_invoice(world, period=OCT):
    return Invoice.get(Invoice.account == world.account.id, Invoice.period_start == period)


def test_full_month_is_the_monthly_price_and_vat_is_25_percent(world):
    subscription(world, "+4530000001", note="Projekt 7")
    result = billing.run(OCT, issued_on=ISSUED)
    assert len(result.created) == 1
    invoice = the_invoice(world)
    (line,) = lines_of(invoice.id)
    assert (line.kind, line.description, line.amount, line.note) == ("plan", "Mobil A", 9900, "Projekt 7")
    assert (line.period_start, line.period_end) == (OCT, datetime.date(2026, 10, 31))
    assert (invoice.net, invoice.vat, invoice.total) == (9900, 2475, 12375)
    assert invoice.due_on == ISSUED + datetime.timedelta(days=30)
    assert (invoice.buyer_name, invoice.buyer_cvr, invoice.reference) == ("Kunde A/S", "12345674", "Økonomi")
    assert invoice.number == "F10000001" and invoice.payment_id.startswith("00000010000001")


def test_mid_month_start_and_cancellation_are_prorated_by_days(world):
    subscription(world, "+4530000001", start=datetime.date(2026, 10, 12))  # 20 of 31 days
    subscription(world, "+4530000002", end=datetime.date(2026, 10, 10), status="cancelled")  # 10 of 31 days
    subscription(world, "+4530000003", end=datetime.date(2026, 9, 30), status="cancelled")  # ended before
    subscription(world, "+4530000004", start=datetime.date(2026, 11, 2), status="pending")  # not started
    billing.run(OCT, issued_on=ISSUED)
    amounts = {ln.period_start: ln.amount for ln in lines_of(the_invoice(world).id)}
    assert amounts == {datetime.date(2026, 10, 12): 6387,  # 9900 * 20 / 31 = 6387.09
                       OCT: 3194}  # 9900 * 10 / 31 = 3193.5 -> half up


def test_plan_change_bills_each_plan_for_its_own_days(world):
    sub = subscription(world, "+4530000001", plan="B")
    billing.record_plan_change(sub.id, world.plans["A"].id, world.plans["B"].id, on=datetime.date(2026, 10, 16))
    # A later change (after the period) tells the run which plan was in force in October.
    billing.record_plan_change(sub.id, world.plans["B"].id, world.plans["ODD"].id, on=datetime.date(2026, 11, 5))
    Subscription.update(plan=world.plans["ODD"].id).where(Subscription.id == sub.id).execute()
    billing.run(OCT, issued_on=ISSUED)
    got = [(ln.description, ln.period_start.day, ln.period_end.day, ln.amount)
           for ln in lines_of(the_invoice(world).id)]
    assert got == [("Mobil A", 1, 15, 4790),  # 9900 * 15 / 31 = 4790.3
                   ("Mobil B", 16, 31, 7690)]  # 14900 * 16 / 31 = 7690.3
    billing.run(NOV, issued_on=datetime.date(2026, 12, 3))
    got = [(ln.description, ln.amount) for ln in lines_of(the_invoice(world, NOV).id)]
    assert got == [("Mobil B", 1987), ("Mobil Skæv", 8668)]  # 14900*4/30=1986.7; 10001*26/30=8667.5


def test_rounding_happens_once_per_line_and_lines_add_up_to_the_total(world):
    for i in range(7):  # seven odd part-month lines: rounding each line, never the sum again
        subscription(world, f"+453000001{i}", plan="ODD", start=datetime.date(2026, 10, 2 + i))
    billing.run(OCT, issued_on=ISSUED)
    invoice = the_invoice(world)
    lines = lines_of(invoice.id)
    expected = [int(10001 * (30 - i) / 31 + 0.5) for i in range(7)]
    assert sorted(ln.amount for ln in lines) == sorted(expected)
    assert invoice.net == sum(expected)
    assert invoice.vat == int(invoice.net * 0.25 + 0.5) and invoice.total == invoice.net + invoice.vat


def test_addons_usage_and_fees_with_an_exempt_line_apart(world):
    sub = subscription(world, "+4530000001", note="Afd. 2")
    SubscriptionAddOn.create(subscription=sub, addon=world.addon, start_date=datetime.date(2026, 10, 21))
    at = datetime.datetime(2026, 10, 5, 12)
    for kind, country, seconds, kb, price in (("call", "DK", 125, 0, 447), ("call", "DK", 60, 0, 0),
                                              ("sms", "DK", 0, 0, 50), ("data", "US", 0, 2048, 400),
                                              ("data", "DK", 0, 5000, 0)):
        UsageRecord.create(subscription=sub, occurred_at=at, kind=kind, country=country, duration_s=seconds,
                           volume_kb=kb, price=price)
    UsageRecord.create(subscription=sub, occurred_at=datetime.datetime(2026, 11, 1, 0, 0), kind="sms", price=50)
    billing.add_charge("fee_sim_change", subscription=sub, on=datetime.date(2026, 10, 9))
    billing.add_charge("fee_reminder", account=world.account, on=datetime.date(2026, 10, 20))
    billing.add_charge("fee_porting", subscription=sub, on=datetime.date(2026, 11, 1))  # November's
    billing.run(OCT, issued_on=ISSUED)
    invoice = the_invoice(world)
    got = [(ln.kind, ln.quantity, ln.amount, ln.vat_rate) for ln in lines_of(invoice.id)]
    assert got == [("plan", 1, 9900, 25), ("addon", 1, 1029, 25),  # 2900 * 11 / 31 = 1029.03
                   ("usage_voice", 3, 447, 25), ("usage_sms", 1, 50, 25), ("usage_roaming", 1, 400, 25),
                   ("fee_sim_change", 1, 9900, 25), ("fee_reminder", 1, 10000, 0)]
    assert {ln.note for ln in lines_of(invoice.id) if ln.subscription_id} == {"Afd. 2"}
    taxed = 9900 + 1029 + 447 + 50 + 400 + 9900
    assert (invoice.net, invoice.vat) == (taxed + 10000, billing.round_ore(taxed * 0.25))
    assert billing.vat_by_rate([(ln.amount, ln.vat_rate) for ln in lines_of(invoice.id)])[0] == (10000, 0)
    month = UsageMonth.get(UsageMonth.subscription == sub.id, UsageMonth.month == OCT)
    assert (month.calls, month.call_seconds, month.sms, month.data_kb, month.roaming, month.cost) == (
        2, 185, 1, 7048, 1, 897)


def test_a_run_is_idempotent_and_numbers_have_no_gaps(world):
    other = Account.create(customer=world.customer, company=world.company, number="90000002", name="Lager")
    subscription(world, "+4530000001")
    subscription(world, "+4530000002", account=other)
    Account.create(customer=world.customer, company=world.company, number="90000003", name="Tom")
    first = billing.run(OCT, issued_on=ISSUED)
    assert (len(first.created), first.skipped, first.empty) == (2, 0, 1)
    again = billing.run(OCT, issued_on=ISSUED)
    assert (again.created, again.skipped) == ([], 2)
    billing.run(NOV, issued_on=datetime.date(2026, 12, 3))
    numbers = sorted(i.number for i in Invoice.select())
    assert numbers == ["F10000001", "F10000002", "F10000003", "F10000004"]
    assert NumberSeries.get_by_id("invoice").next_value == 10000005


def test_a_failed_account_takes_no_number(world, monkeypatch):
    subscription(world, "+4530000001")
    other = Account.create(customer=world.customer, company=world.company, number="90000002", name="Lager")
    subscription(world, "+4530000002", account=other)
    real_issue = billing._issue

    def failing(account, *args):
        if account.number == "90000001":
            raise RuntimeError("disk full")
        return real_issue(account, *args)

    monkeypatch.setattr(billing, "_issue", failing)
    with pytest.raises(RuntimeError):
        billing.run(OCT, issued_on=ISSUED)
    monkeypatch.setattr(billing, "_issue", real_issue)
    billing.run(OCT, issued_on=ISSUED)
    assert sorted(i.number for i in Invoice.select()) == ["F10000001", "F10000002"]


def test_concurrent_runs_issue_each_invoice_once(world, tmp_path):
    for i in range(30):
        account = Account.create(customer=world.customer, company=world.company, number=f"9100{i:04d}", name=f"K{i}")
        subscription(world, f"+45310000{i:02d}", account=account)
    errors = []

    def run():
        try:
            with world.app.app_context(), db.connection_context():
                billing.run(OCT, issued_on=ISSUED)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    numbers = sorted(int(i.number[1:]) for i in Invoice.select())
    assert numbers == list(range(10000001, 10000031))


def test_credit_note_has_its_own_series_and_vat_per_rate(world):
    sub = subscription(world, "+4530000001")
    billing.add_charge("fee_reminder", account=world.account, on=datetime.date(2026, 10, 20))
    billing.add_charge("fee_sim_change", subscription=sub, on=datetime.date(2026, 10, 9))
    billing.run(OCT, issued_on=ISSUED)
    invoice = the_invoice(world)
    staff = User.create(email="s@operator.dk", name="Staff", kind="staff")
    customer_user = User.create(email="c@kunde.dk", name="Kunde", kind="customer")
    plan, fee, reminder = lines_of(invoice.id)
    with pytest.raises(Exception) as refused:
        credit_notes.credit(customer_user, invoice.id, "x", [plan.id])
    assert getattr(refused.value, "code", None) == 403
    note = credit_notes.credit(staff, invoice.id, "Fejl", [plan.id, reminder.id])
    assert (note.number, note.net, note.vat, note.total) == ("K10000001", 19900, 2475, 22375)
    with pytest.raises(ServiceError):
        credit_notes.credit(staff, invoice.id, "Igen", [plan.id])
    rest = credit_notes.credit(staff, invoice.id, "Resten")
    assert (rest.number, rest.net) == ("K10000002", fee.amount)
    assert AuditEvent.select().where(AuditEvent.action == "invoice.credited").count() == 2


def test_the_cli_runs_a_period_and_refuses_a_bad_one(world):
    subscription(world, "+4530000001")
    runner = CliRunner()
    cli = world.app.cli
    bad = runner.invoke(cli, ["billing-run", "--period", "2026-13"])
    assert bad.exit_code != 0 and "ÅÅÅÅ-MM" in bad.output  # the default language is Danish
    good = runner.invoke(cli, ["billing-run", "--period", "2026-10", "--issued-on", "2026-11-03"])
    assert good.exit_code == 0 and good.output.startswith("1 invoices"), good.output
    again = runner.invoke(cli, ["billing-run", "--period", "2026-10"])
    assert "0 invoices, 1 already invoiced" in again.output
    assert Charge.select().count() == 0 and Invoice.select().count() == 1
