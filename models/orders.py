"""Orders: every change a customer asks for, carried out by provisioning jobs."""
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from .base import TimestampedModel, utcnow
from .customers import Account, Company, Customer
from .subscriptions import Subscription
from .users import User

ORDER_KINDS = (
    "new_subscription", "takeover", "sim_change", "plan_change", "cancel",
    "transfer", "addon", "block", "unblock", "port_in", "account_change",
)
ORDER_STATUSES = ("received", "in_progress", "completed", "failed")


class Order(TimestampedModel):
    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company)
    account = ForeignKeyField(Account, null=True)
    subscription = ForeignKeyField(Subscription, null=True, backref="orders")
    kind = CharField(max_length=24)
    status = CharField(max_length=16, default="received")
    details = TextField(default="{}")  # JSON of plain values
    requested_by = ForeignKeyField(User, null=True)
    updated_at = DateTimeField(default=utcnow)
    completed_at = DateTimeField(null=True)
    failure_reason = CharField(default="")

    class Meta:
        indexes = (
            (("company", "status", "created_at"), False),
            (("customer", "created_at"), False),
        )
