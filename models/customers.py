"""Tenants: customers, their companies (legal entities) and billing accounts."""
from peewee import BooleanField, CharField, ForeignKeyField, TextField

from .base import TimestampedModel

INVOICE_FORMATS = ("pdf_email", "ean", "portal")


class Customer(TimestampedModel):
    """One business relationship; nothing of one customer is visible to another."""

    name = CharField()


class Company(TimestampedModel):
    customer = ForeignKeyField(Customer, backref="companies", index=True)
    parent = ForeignKeyField("self", null=True, backref="subsidiaries")
    name = CharField()
    cvr = CharField(max_length=8, unique=True)
    address = CharField(default="")
    postal_code = CharField(max_length=4, default="")
    city = CharField(default="")
    default_invoice_format = CharField(max_length=16, default="pdf_email")  # for new accounts


class Account(TimestampedModel):
    """A billing account (kontonummer)."""

    customer = ForeignKeyField(Customer, index=True)
    company = ForeignKeyField(Company, backref="accounts", index=True)
    number = CharField(max_length=12, unique=True)
    name = CharField()
    invoice_emails = TextField(default="")  # comma separated
    ean = CharField(max_length=13, null=True)
    invoice_format = CharField(max_length=16, default="pdf_email")
    address = CharField(default="")
    postal_code = CharField(max_length=4, default="")
    city = CharField(default="")
    reference = CharField(default="")
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("company", "name"), False),)
