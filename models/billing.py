"""Invoices with their lines, and credit notes. Amounts are integer øre."""
from peewee import CharField, DateField, ForeignKeyField, IntegerField

from .base import BaseModel, TimestampedModel
from .customers import Account, Customer
from .subscriptions import Subscription

INVOICE_STATUSES = ("open", "paid", "overdue")


class Invoice(TimestampedModel):
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
    status = CharField(max_length=16, default="open")

    class Meta:
        indexes = ((("account", "issued_on"), False), (("customer", "issued_on"), False))


class InvoiceLine(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="lines")
    subscription = ForeignKeyField(Subscription, null=True)
    kind = CharField(max_length=16)  # subscription, addon, usage, one_off
    description = CharField()
    quantity = IntegerField(default=1)
    amount = IntegerField()  # øre, excluding VAT

    class Meta:
        indexes = ((("subscription",), False),)


class CreditNote(TimestampedModel):
    customer = ForeignKeyField(Customer)
    account = ForeignKeyField(Account, backref="credit_notes")
    invoice = ForeignKeyField(Invoice, null=True, backref="credit_notes")
    number = CharField(max_length=16, unique=True)
    issued_on = DateField()
    reason = CharField()
    net = IntegerField()
    vat = IntegerField()
    total = IntegerField()

    class Meta:
        indexes = ((("account", "issued_on"), False),)
