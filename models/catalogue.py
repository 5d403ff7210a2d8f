"""The operator's catalogue: plans and add-ons with monthly prices in øre."""
from peewee import BooleanField, CharField, IntegerField

from .base import BaseModel

KINDS = ("mobile", "landline", "internet", "circuit")


class Plan(BaseModel):
    code = CharField(unique=True)
    kind = CharField(max_length=16, index=True)
    name = CharField()
    monthly_price = IntegerField()  # øre, excluding VAT
    data_gb = IntegerField(null=True)
    active = BooleanField(default=True)

    @classmethod
    def for_kind(cls, kind):
        """The plans on sale for a kind of subscription, cheapest first."""
        return list(cls.select().where(cls.kind == kind, cls.active == True)  # noqa: E712
                    .order_by(cls.monthly_price, cls.name))


class AddOn(BaseModel):
    code = CharField(unique=True)
    kind = CharField(max_length=16, index=True)
    name = CharField()
    monthly_price = IntegerField()
    active = BooleanField(default=True)
