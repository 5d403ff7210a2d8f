"""Bulk requests: one action on many subscriptions, previewed, then run item by item."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import TimestampedModel
from .customers import Company, Customer
from .orders import Order
from .subscriptions import Subscription
from .users import Membership, User

BULK_STATUSES = ("preview", "running", "finished", "cancelled")
ITEM_OUTCOMES = ("pending", "ordered", "skipped", "failed")


class BulkRequest(TimestampedModel):
    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company)
    membership = ForeignKeyField(Membership, on_delete="CASCADE")
    requested_by = ForeignKeyField(User)
    action = CharField(max_length=24)
    params = TextField(default="{}")  # JSON of plain values
    status = CharField(max_length=16, default="preview")
    # The form's one-time token: a double submit finds the request it already made.
    client_token = CharField(max_length=64, unique=True)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    total = IntegerField(default=0)

    class Meta:
        indexes = ((("company", "created_at"), False),)


class BulkItem(TimestampedModel):
    bulk = ForeignKeyField(BulkRequest, backref="items", on_delete="CASCADE")
    subscription = ForeignKeyField(Subscription)
    outcome = CharField(max_length=16, default="pending")
    reason = CharField(default="")  # a code when skipped or failed
    order = ForeignKeyField(Order, null=True)

    class Meta:
        indexes = ((("bulk", "subscription"), True),)
