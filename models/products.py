"""Telephony products: phone system, call flow, vacation replies, user profiles, personal numbers."""
from peewee import BooleanField, CharField, DateField, ForeignKeyField, IntegerField, TextField

from .base import TimestampedModel
from .customers import Company, Customer
from .subscriptions import Subscription


class PhoneSystem(TimestampedModel):
    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company, backref="phone_systems")
    name = CharField()
    main_number = CharField(max_length=32)


class CallFlowStep(TimestampedModel):
    """One step of the main number's call flow, in order."""

    phone_system = ForeignKeyField(PhoneSystem, backref="call_flow", on_delete="CASCADE")
    position = IntegerField()
    kind = CharField(max_length=16)  # greeting, opening_hours, menu, queue, forward, voicemail
    label = CharField()
    target = CharField(default="")
    settings = TextField(default="{}")

    class Meta:
        indexes = ((("phone_system", "position"), True),)


class UserProfile(TimestampedModel):
    phone_system = ForeignKeyField(PhoneSystem, backref="profiles", on_delete="CASCADE")
    subscription = ForeignKeyField(Subscription, null=True)
    name = CharField()
    presence = CharField(max_length=16, default="available")  # available, busy, away
    forward_to = CharField(default="")


class VacationReply(TimestampedModel):
    subscription = ForeignKeyField(Subscription, backref="vacation_replies")
    message = TextField()
    starts_on = DateField()
    ends_on = DateField()
    active = BooleanField(default=True)


class PersonalNumber(TimestampedModel):
    """A personal number such as a 70-number, forwarded to a subscription or any number."""

    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company, backref="personal_numbers")
    number = CharField(max_length=32, unique=True)
    name = CharField()
    forward_to = CharField(max_length=32)
