"""The billing run: subscriptions, plans, add-ons, one-off charges and usage become one invoice
per account and period.

Rules (the tests in tests/test_billing.py hold them):
- A period is a calendar month. A subscription is billed from its start date through its end
  date, both included; a part month is the monthly price x days / days in the month, rounded
  half up once per line. A plan change bills each plan for its own days.
- Usage is billed at the prices its records carry; only priced usage becomes a line.
- Net is the sum of the lines to the øre; VAT is computed once per VAT rate on that rate's net;
  exempt lines (rate 0) stand apart.
- Numbers come from a series taken in the transaction that writes the invoice: a failed or
  skipped account takes no number, so the series has no gaps.
- A run is idempotent per account and period (a unique index holds it).
"""
import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import Case, IntegrityError, fn
from stdnum import luhn

from models import (
    Account,
    AddOn,
    Charge,
    Company,
    Invoice,
    InvoiceLine,
    NumberSeries,
    Plan,
    PlanChange,
    Subscription,
    SubscriptionAddOn,
    UsageMonth,
    UsageRecord,
    db,
    utcnow,
)
from models.billing import VAT_STANDARD

from .errors import ServiceError

# One-off fees in øre excluding VAT; a reminder fee is compensation, outside the scope of VAT.
FEES = {"fee_sim_change": (9900, VAT_STANDARD), "fee_porting": (14900, VAT_STANDARD), "fee_reminder": (10000, 0)}
KIND_ORDER = ("plan", "addon", "usage_voice", "usage_sms", "usage_data", "usage_roaming",
              "fee_sim_change", "fee_porting", "fee_reminder")
PAYMENT_DAYS = 30  # net 30 days, as business customers expect
BATCH = 500


def round_ore(value):
    """Half up to whole øre, the one rounding rule."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def prorate(monthly_price, days, days_in_month):
    if days >= days_in_month:
        return monthly_price
    return round_ore(Decimal(monthly_price) * days / days_in_month)


def vat_by_rate(lines):
    """{rate: (net, vat)} of (amount, rate) pairs: VAT rounded once per rate."""
    nets = defaultdict(int)
    for amount, rate in lines:
        nets[rate] += amount
    return {rate: (net, round_ore(Decimal(net) * rate / 100)) for rate, net in sorted(nets.items(), reverse=True)}


def totals(lines):
    """(net, vat, total) of (amount, rate) pairs."""
    groups = vat_by_rate(lines)
    net = sum(n for n, _ in groups.values())
    vat = sum(v for _, v in groups.values())
    return net, vat, net + vat


def parse_period(text):
    """'2026-10' -> (first day, last day); a ServiceError otherwise."""
    try:
        first = datetime.datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        raise ServiceError(_l("Give the period as YYYY-MM."), "period") from None
    return first, month_end(first)


def month_end(first):
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


SERIES = {"invoice": "F", "credit_note": "K"}  # name -> prefix
FIRST_NUMBER = 10000001


def take_number(series):
    """The next number of a series; call inside the transaction that issues the document."""
    taken = (NumberSeries.update(next_value=NumberSeries.next_value + 1)
             .where(NumberSeries.name == series).execute())  # the row is locked until commit
    if not taken:  # a new database: the series starts
        NumberSeries.create(name=series, prefix=SERIES[series], next_value=FIRST_NUMBER + 1)
    row = NumberSeries.get_by_id(series)
    return f"{row.prefix}{row.next_value - 1:08d}"


def payment_id(number):
    """An FI-kort 71 payment id: the document's digits, 14 wide, and a Luhn check digit."""
    body = "".join(ch for ch in number if ch.isdigit()).rjust(14, "0")
    return body + luhn.calc_check_digit(body)


def buyer_of(account, company):
    """The buyer as it stands today, copied onto each document."""
    return {
        "buyer_name": company.name, "buyer_cvr": company.cvr,
        "buyer_address": account.address or company.address,
        "buyer_postal_code": account.postal_code or company.postal_code,
        "buyer_city": account.city or company.city,
        "account_name": account.name, "reference": account.reference, "ean": account.ean,
        "invoice_format": account.invoice_format,
    }


def seller():
    """The operator, as every document names it."""
    c = current_app.config
    return {key: c[f"OPERATOR_{key.upper()}"] for key in
            ("name", "cvr", "address", "postal_code", "city", "email", "phone", "bank_reg", "bank_account",
             "iban", "bic", "creditor", "logo")}


# -- one-off charges and plan history (written by the order pipeline) ---------------------------

def add_charge(kind, subscription=None, account=None, on=None):
    """Book a one-off fee for the billing run of its month."""
    amount, rate = FEES[kind]
    account = account or Account.get_by_id(subscription.account_id)
    return Charge.create(customer=account.customer_id, account=account.id,
                         subscription=subscription.id if subscription else None, kind=kind, amount=amount,
                         vat_rate=rate, occurred_on=on or utcnow().date())


def record_plan_change(subscription_id, from_plan_id, to_plan_id, on=None):
    if from_plan_id != to_plan_id:
        PlanChange.create(subscription=subscription_id, from_plan=from_plan_id, to_plan=to_plan_id,
                          effective_on=on or utcnow().date())


# -- the run ----------------------------------------------------------------------------------

@dataclass
class RunResult:
    period: datetime.date
    created: list = field(default_factory=list)  # invoice ids
    skipped: int = 0  # accounts already invoiced for the period
    empty: int = 0  # accounts with nothing to bill


@dataclass
class _Line:
    subscription: int | None
    kind: str
    description: str
    amount: int
    quantity: int = 1
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    unit_price: int | None = None
    vat_rate: int = VAT_STANDARD
    note: str = ""


def run(period, issued_on=None, account_ids=None):
    """Invoice every account (or `account_ids`) for the month starting `period` (a date)."""
    first = period.replace(day=1)
    last = month_end(first)
    issued_on = issued_on or utcnow().date()
    accounts = Account.select(Account, Company).join(Company)
    if account_ids is not None:
        accounts = accounts.where(Account.id.in_(list(account_ids)))
    done = {a for (a,) in Invoice.select(Invoice.account).where(Invoice.period_start == first).tuples()}
    result = RunResult(period=first)
    todo = []
    for account in accounts:
        if account.id in done:
            result.skipped += 1
        else:
            todo.append(account)
    if not todo:
        return result
    todo_ids = None if account_ids is None else [a.id for a in todo]
    data = _Period(first, last, todo_ids)
    for account in todo:
        lines = data.lines_for(account.id)
        with db.atomic():
            data.write_usage(account.id)
            if not lines:
                result.empty += 1
                continue
            try:
                with db.atomic():
                    invoice = _issue(account, first, last, issued_on, lines)
            except IntegrityError:  # another run issued it first
                result.skipped += 1
                continue
        result.created.append(invoice.id)
    return result


def _issue(account, first, last, issued_on, lines):
    net, vat, total = totals((line.amount, line.vat_rate) for line in lines)
    number = take_number("invoice")
    invoice = Invoice.create(
        customer=account.customer_id, account=account.id, number=number, period_start=first, period_end=last,
        issued_on=issued_on, due_on=issued_on + datetime.timedelta(days=PAYMENT_DAYS), net=net, vat=vat,
        total=total, status="open", payment_id=payment_id(number), **buyer_of(account, account.company))
    rows = [(invoice.id, ln.subscription, ln.kind, ln.description, ln.quantity, ln.amount, ln.period_start,
             ln.period_end, ln.unit_price, ln.vat_rate, ln.note) for ln in lines]
    fields = [InvoiceLine.invoice, InvoiceLine.subscription, InvoiceLine.kind, InvoiceLine.description,
              InvoiceLine.quantity, InvoiceLine.amount, InvoiceLine.period_start, InvoiceLine.period_end,
              InvoiceLine.unit_price, InvoiceLine.vat_rate, InvoiceLine.note]
    for i in range(0, len(rows), BATCH):
        InvoiceLine.insert_many(rows[i:i + BATCH], fields=fields).execute()
    return invoice


class _Period:
    """Everything one period's run reads, loaded with a fixed number of queries."""

    def __init__(self, first, last, account_ids):
        self.first, self.last = first, last
        self.days = (last - first).days + 1

        def of_accounts(query, account_field):
            return query if account_ids is None else query.where(account_field.in_(account_ids))

        self.plans = {p.id: p for p in Plan.select()}
        subs = of_accounts(Subscription.select(
            Subscription.id, Subscription.account, Subscription.holder_name, Subscription.number,
            Subscription.plan, Subscription.status, Subscription.start_date, Subscription.end_date,
            Subscription.invoice_note).where(
            Subscription.status != "pending", Subscription.start_date <= last,
            Subscription.end_date.is_null() | (Subscription.end_date >= first)), Subscription.account)
        self.subs = defaultdict(list)
        self.account_of = {}
        for sub in subs.order_by(Subscription.holder_name, Subscription.number, Subscription.id):
            self.subs[sub.account_id].append(sub)
            self.account_of[sub.id] = sub.account_id
        self.changes = defaultdict(list)
        for change in of_accounts(PlanChange.select(PlanChange).join(Subscription).where(
                PlanChange.effective_on > first), Subscription.account).order_by(PlanChange.effective_on):
            self.changes[change.subscription_id].append(change)
        self.addons = defaultdict(list)
        for row in of_accounts(SubscriptionAddOn.select(SubscriptionAddOn, AddOn).join(AddOn).switch(
                SubscriptionAddOn).join(Subscription).where(SubscriptionAddOn.start_date <= last),
                Subscription.account).order_by(AddOn.name):
            self.addons[row.subscription_id].append(row)
        self.charges = defaultdict(list)
        for charge in of_accounts(Charge.select().where(Charge.occurred_on.between(first, last)),
                                  Charge.account).order_by(Charge.occurred_on, Charge.id):
            self.charges[charge.account_id].append(charge)
        self.usage = self._usage(of_accounts)

    def _usage(self, of_accounts):
        """{subscription: {(kind, abroad, priced): (count, seconds, kb, price)}} for the period."""
        abroad = Case(None, [(UsageRecord.country == "DK", 0)], 1)
        priced = Case(None, [(UsageRecord.price > 0, 1)], 0)
        start = datetime.datetime.combine(self.first, datetime.time())
        end = datetime.datetime.combine(self.last + datetime.timedelta(days=1), datetime.time())
        query = (UsageRecord.select(UsageRecord.subscription, UsageRecord.kind, abroad, priced,
                                    fn.COUNT(UsageRecord.id), fn.SUM(UsageRecord.duration_s),
                                    fn.SUM(UsageRecord.volume_kb), fn.SUM(UsageRecord.price))
                 .join(Subscription, on=(UsageRecord.subscription == Subscription.id))
                 .where(UsageRecord.occurred_at >= start, UsageRecord.occurred_at < end)
                 .group_by(UsageRecord.subscription, UsageRecord.kind, abroad, priced))
        usage = defaultdict(dict)
        for sub_id, kind, is_abroad, is_priced, count, seconds, kb, price in of_accounts(
                query, Subscription.account).tuples():
            usage[sub_id][(kind, bool(is_abroad), bool(is_priced))] = (count, seconds or 0, kb or 0, price or 0)
        return usage

    # -- lines ---------------------------------------------------------------------------------
    def lines_for(self, account_id):
        """The account's lines: each subscription's plan, add-ons, usage and fees, then the account's own fees."""
        fees = defaultdict(list)
        for charge in self.charges.get(account_id, ()):
            fees[charge.subscription_id].append(_Line(
                charge.subscription_id, charge.kind, "", charge.amount, period_start=charge.occurred_on,
                period_end=charge.occurred_on, vat_rate=charge.vat_rate))
        lines = []
        for sub in self.subs.get(account_id, ()):
            sub_lines = self._plan_lines(sub) + self._addon_lines(sub) + self._usage_lines(sub) + fees.pop(sub.id, [])
            for line in sub_lines:
                line.note = sub.invoice_note
            lines += sub_lines
        for rest in fees.values():  # the account's fees, or a subscription no longer billed here
            lines += rest
        return lines

    def _served(self, sub):
        start = max(sub.start_date, self.first)
        end = min(sub.end_date or self.last, self.last)
        return start, end

    def _plan_lines(self, sub):
        start, end = self._served(sub)
        if start > end:
            return []
        changes = self.changes.get(sub.id, [])
        plan_id = changes[0].from_plan_id if changes else sub.plan_id
        segments, seg_start = [], start
        for change in changes:
            if change.effective_on > end:
                break
            if change.effective_on > seg_start:
                segments.append((plan_id, seg_start, change.effective_on - datetime.timedelta(days=1)))
                seg_start = change.effective_on
            plan_id = change.to_plan_id
        segments.append((plan_id, seg_start, end))
        lines = []
        for plan_id, seg_start, seg_end in segments:
            plan = self.plans[plan_id]
            days = (seg_end - seg_start).days + 1
            lines.append(_Line(sub.id, "plan", plan.name, prorate(plan.monthly_price, days, self.days),
                               period_start=seg_start, period_end=seg_end, unit_price=plan.monthly_price))
        return lines

    def _addon_lines(self, sub):
        start, end = self._served(sub)
        lines = []
        for row in self.addons.get(sub.id, ()):
            seg_start = max(start, row.start_date)
            if seg_start > end:
                continue
            days = (end - seg_start).days + 1
            price = row.addon.monthly_price
            lines.append(_Line(sub.id, "addon", row.addon.name, prorate(price, days, self.days),
                               period_start=seg_start, period_end=end, unit_price=price))
        return lines

    def _usage_lines(self, sub):
        charged = defaultdict(lambda: [0, 0])  # kind -> [quantity, amount]
        for (kind, abroad, priced), (count, seconds, kb, price) in self.usage.get(sub.id, {}).items():
            if not priced:
                continue
            line_kind = "usage_roaming" if abroad else {"call": "usage_voice", "sms": "usage_sms"}.get(kind, "usage_data")
            quantity = count if abroad or kind == "sms" else -(-seconds // 60) if kind == "call" else -(-kb // 1024)
            charged[line_kind][0] += quantity
            charged[line_kind][1] += price
        return [_Line(sub.id, kind, "", charged[kind][1], quantity=charged[kind][0], period_start=self.first,
                      period_end=self.last) for kind in KIND_ORDER if kind in charged]

    # -- monthly usage totals --------------------------------------------------------------------
    def write_usage(self, account_id):
        rows = []
        for sub in self.subs.get(account_id, ()):
            groups = self.usage.get(sub.id)
            if not groups:
                continue
            calls = seconds = sms = kb = roaming = cost = 0
            for (kind, abroad, _), (count, secs, vol, price) in groups.items():
                cost += price
                roaming += count if abroad else 0
                if kind == "call":
                    calls, seconds = calls + count, seconds + secs
                elif kind == "sms":
                    sms += count
                else:
                    kb += vol
            rows.append((sub.id, account_id, self.first, calls, seconds, sms, kb, roaming, cost))
        if not rows:
            return
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), BATCH):
            UsageMonth.delete().where(UsageMonth.subscription.in_(ids[i:i + BATCH]),
                                      UsageMonth.month == self.first).execute()
        fields = [UsageMonth.subscription, UsageMonth.account, UsageMonth.month, UsageMonth.calls,
                  UsageMonth.call_seconds, UsageMonth.sms, UsageMonth.data_kb, UsageMonth.roaming, UsageMonth.cost]
        for i in range(0, len(rows), BATCH):
            UsageMonth.insert_many(rows[i:i + BATCH], fields=fields).execute()


def last_complete_period(today=None):
    """The month before `today`'s: what a run on the first days of a month invoices."""
    today = today or utcnow().date()
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
