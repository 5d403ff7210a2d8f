"""The audit trail: who did what to which object, when and from where."""
from peewee import CharField, ForeignKeyField, TextField

from .base import TimestampedModel
from .customers import Company, Customer
from .users import User


class AuditEvent(TimestampedModel):
    customer = ForeignKeyField(Customer, null=True)
    company = ForeignKeyField(Company, null=True)
    user = ForeignKeyField(User, null=True)
    action = CharField(max_length=48)  # e.g. auth.login, subscription.block
    object_type = CharField(max_length=32, default="")
    object_id = CharField(max_length=32, default="")
    details = TextField(default="{}")  # JSON; never secrets
    ip = CharField(default="")

    class Meta:
        indexes = (
            (("company", "created_at"), False),
            (("user", "created_at"), False),
            (("action", "created_at"), False),
        )
