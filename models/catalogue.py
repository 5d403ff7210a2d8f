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


class AddOn(BaseModel):
    code = CharField(unique=True)
    kind = CharField(max_length=16, index=True)
    name = CharField()
    monthly_price = IntegerField()
    active = BooleanField(default=True)
