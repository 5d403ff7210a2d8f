"""Invoices with their lines, credit notes with theirs, one-off charges, plan history,
monthly usage totals and the gap-free number series. Amounts are integer øre."""
from peewee import CharField, DateField, ForeignKeyField, IntegerField

from .base import BaseModel, TimestampedModel
from .catalogue import Plan
from .customers import Account, Customer
from .subscriptions import Subscription
from .users import User

INVOICE_STATUSES = ("open", "paid", "overdue")  # overdue: open after its due date (computed)
VAT_STANDARD = 25  # per cent
# kind -> category. The category is what an invoice's totals are grouped by.
LINE_CATEGORIES = {
    "plan": "plans", "addon": "addons",
    "usage_voice": "usage", "usage_sms": "usage", "usage_data": "usage", "usage_roaming": "usage",
    "fee_sim_change": "fees", "fee_porting": "fees", "fee_reminder": "fees",
}


class _Parties(TimestampedModel):
    """The buyer as it was when the document was issued: a document never changes afterwards."""

    buyer_name = CharField(default="")
    buyer_cvr = CharField(max_length=8, default="")
    buyer_address = CharField(default="")
    buyer_postal_code = CharField(max_length=4, default="")
    buyer_city = CharField(default="")
    account_name = CharField(default="")
    reference = CharField(default="")
    ean = CharField(max_length=13, null=True)
    invoice_format = CharField(max_length=16, default="portal")


class Invoice(_Parties):
    customer = ForeignKeyField(Customer)
    account = ForeignKeyField(Account, backref="invoices")
    number = CharField(max_length=16, unique=True)
    period_start = DateField()
    period_end = DateField()
    issued_on = DateField()
    due_on = DateField()
    net = IntegerField()
    vat = IntegerField()
    total = IntegerField()
    status = CharField(max_length=16, default="open")  # open or paid; "overdue" in older rows
    payment_id = CharField(max_length=16, default="")  # FI-kort +71 payment id

    class Meta:
        indexes = ((("account", "period_start"), True), (("customer", "issued_on"), False))


class InvoiceLine(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="lines")
    subscription = ForeignKeyField(Subscription, null=True)
    kind = CharField(max_length=16)  # a key of LINE_CATEGORIES
    description = CharField()  # a product name; the kind's label says the rest
    quantity = IntegerField(default=1)  # units of the kind: 1, minutes, messages, MB
    amount = IntegerField()  # øre, excluding VAT, rounded once
    period_start = DateField(null=True)  # what was supplied when
    period_end = DateField(null=True)
    unit_price = IntegerField(null=True)  # monthly price of a plan or add-on
    vat_rate = IntegerField(default=VAT_STANDARD)  # 0: exempt
    note = CharField(default="")  # the subscription's invoice note

    class Meta:
        indexes = ((("subscription",), False), (("invoice", "subscription"), False))


class CreditNote(_Parties):
    customer = ForeignKeyField(Customer)
    account = ForeignKeyField(Account, backref="credit_notes")
    invoice = ForeignKeyField(Invoice, null=True, backref="credit_notes")
    number = CharField(max_length=16, unique=True)
    issued_on = DateField()
    reason = CharField()
    net = IntegerField()
    vat = IntegerField()
    total = IntegerField()
    created_by = ForeignKeyField(User, null=True)

    class Meta:
        indexes = ((("account", "issued_on"), False),)


class CreditNoteLine(BaseModel):
    credit_note = ForeignKeyField(CreditNote, backref="lines", on_delete="CASCADE")
    invoice_line = ForeignKeyField(InvoiceLine, null=True, index=True)
    subscription = ForeignKeyField(Subscription, null=True)
    kind = CharField(max_length=16)
    description = CharField()
    quantity = IntegerField(default=1)
    amount = IntegerField()  # øre credited, excluding VAT (positive)
    vat_rate = IntegerField(default=VAT_STANDARD)


class Charge(TimestampedModel):
    """A one-off fee waiting for the billing run of its month (SIM change, porting, reminder)."""

    customer = ForeignKeyField(Customer)
    account = ForeignKeyField(Account)
    subscription = ForeignKeyField(Subscription, null=True)
    kind = CharField(max_length=16)  # fee_* of LINE_CATEGORIES
    amount = IntegerField()
    vat_rate = IntegerField(default=VAT_STANDARD)
    occurred_on = DateField()

    class Meta:
        indexes = ((("account", "occurred_on"), False),)


class PlanChange(TimestampedModel):
    """A completed plan change, so a month with two plans is billed for each part."""

    subscription = ForeignKeyField(Subscription, backref="plan_changes")
    from_plan = ForeignKeyField(Plan)
    to_plan = ForeignKeyField(Plan)
    effective_on = DateField()  # the first day on the new plan

    class Meta:
        indexes = ((("subscription", "effective_on"), False), (("effective_on",), False))


class UsageMonth(BaseModel):
    """A subscription's usage in one month, written by the billing run for charts and details."""

    subscription = ForeignKeyField(Subscription)
    account = ForeignKeyField(Account)
    month = DateField()  # first day
    calls = IntegerField(default=0)
    call_seconds = IntegerField(default=0)
    sms = IntegerField(default=0)
    data_kb = IntegerField(default=0)
    roaming = IntegerField(default=0)  # calls, messages and sessions abroad
    cost = IntegerField(default=0)  # øre, excluding VAT

    class Meta:
        indexes = ((("subscription", "month"), True), (("account", "month"), False))


class NumberSeries(BaseModel):
    """The next number of a series; taken in the transaction that issues the document, so no gaps."""

    name = CharField(max_length=16, primary_key=True)
    prefix = CharField(max_length=4)
    next_value = IntegerField()

