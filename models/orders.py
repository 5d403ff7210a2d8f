"""Orders: every change a customer asks for, carried out by provisioning jobs."""
import uuid

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from .base import TimestampedModel, utcnow
from .customers import Account, Company, Customer
from .subscriptions import Subscription
from .users import User

ORDER_STATUSES = ("received", "in_progress", "completed", "failed")
OPEN_STATUSES = ("received", "in_progress")


def new_key():
    return uuid.uuid4().hex


class Order(TimestampedModel):
    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company)
    account = ForeignKeyField(Account, null=True)
    subscription = ForeignKeyField(Subscription, null=True, backref="orders")
    kind = CharField(max_length=24)  # a key of services.orders.APPLY
    status = CharField(max_length=16, default="received")
    details = TextField(default="{}")  # JSON of plain values
    requested_by = ForeignKeyField(User, null=True)
    updated_at = DateTimeField(default=utcnow)
    completed_at = DateTimeField(null=True)
    failure_reason = CharField(default="")  # a code, translated by labels ("order_failure")
    # Sent to the network with every attempt, so a retried job is carried out once.
    idempotency_key = CharField(max_length=32, unique=True, default=new_key)
    applied_at = DateTimeField(null=True)  # set in the same UPDATE that completes the order
    batch = CharField(max_length=32, null=True, index=True)  # orders placed together (offboarding, bulk)
    # A transfer waits for the new holder: the SHA-256 of the link's token.
    acceptance_hash = CharField(max_length=64, null=True, index=True)

    class Meta:
        indexes = (
            (("company", "status", "created_at"), False),
            (("customer", "created_at"), False),
            (("subscription", "status"), False),
            (("status", "updated_at"), False),  # the sweep's open orders (services/orders.py sweep)
        )


class OrderStep(TimestampedModel):
    """What happened to an order and when: received, sent, waiting, completed, failed."""

    order = ForeignKeyField(Order, backref="steps", on_delete="CASCADE")
    step = CharField(max_length=24)
    note = CharField(default="")  # a code (failure reason) or a plain value; never a secret

    class Meta:
        indexes = ((("order", "created_at"), False),)
