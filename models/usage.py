"""Usage records: calls, SMS and data per subscription."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from .base import BaseModel
from .subscriptions import Subscription

USAGE_KINDS = ("call", "sms", "data")


class UsageRecord(BaseModel):
    subscription = ForeignKeyField(Subscription, backref="usage", index=False)
    occurred_at = DateTimeField()
    kind = CharField(max_length=8)
    destination = CharField(default="")  # number called or texted
    country = CharField(max_length=2, default="DK")
    duration_s = IntegerField(default=0)
    volume_kb = IntegerField(default=0)
    price = IntegerField(default=0)  # øre, excluding VAT

    class Meta:
        indexes = ((("subscription", "occurred_at"), False),)
