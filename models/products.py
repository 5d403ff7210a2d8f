"""Telephony products: phone system, call flow, the system's users with their profiles and
vacation replies, personal numbers (70-numbers) with their forwarding schedule."""
from peewee import BooleanField, CharField, DateField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, TimestampedModel
from .customers import Company, Customer
from .subscriptions import Subscription

PROFILE_KINDS = ("available", "meeting", "lunch", "away")  # every user has one profile of each
FORWARD_KINDS = ("none", "voicemail", "colleague", "number")  # what a profile does with a call
TARGET_KINDS = ("number", "user", "voicemail")  # where a personal number's call goes


class PhoneSystem(TimestampedModel):
    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company, backref="phone_systems")
    name = CharField()
    main_number = CharField(max_length=32)


class PhoneUser(TimestampedModel):
    """A user of a phone system: an extension that rings a subscription. Limited memberships see
    the users whose subscription is on one of their accounts."""

    phone_system = ForeignKeyField(PhoneSystem, backref="users", on_delete="CASCADE")
    subscription = ForeignKeyField(Subscription, unique=True)
    extension = CharField(max_length=8)
    name = CharField()
    search_key = CharField(default="")  # lower-case name and extension (SQLite's LOWER is ASCII only)
    active_profile = CharField(max_length=16, default="available")  # one of PROFILE_KINDS

    class Meta:
        indexes = (
            (("phone_system", "extension"), True),
            (("phone_system", "name"), False),
        )

    @staticmethod
    def make_search_key(name, extension):
        return f"{name.lower()} {extension}"


class UserProfile(TimestampedModel):
    """One of a user's profiles (available, meeting, lunch, away) and where it sends calls."""

    phone_system = ForeignKeyField(PhoneSystem, backref="profiles", on_delete="CASCADE")
    phone_user = ForeignKeyField(PhoneUser, backref="profiles", on_delete="CASCADE")
    subscription = ForeignKeyField(Subscription, null=True)  # the user's, repeated for scoped reads
    kind = CharField(max_length=16)  # one of PROFILE_KINDS
    forward_kind = CharField(max_length=16, default="none")  # one of FORWARD_KINDS
    forward_user = ForeignKeyField(PhoneUser, null=True, backref="forwarded_from", on_delete="SET NULL")
    forward_to = CharField(default="")  # E.164, for forward_kind "number"

    class Meta:
        indexes = ((("phone_user", "kind"), True),)


class VacationReply(TimestampedModel):
    """A user's vacation reply, one per subscription (the user's)."""

    subscription = ForeignKeyField(Subscription, backref="vacation_replies", unique=True)
    message = TextField()
    starts_on = DateField()
    ends_on = DateField()
    active = BooleanField(default=True)


class PersonalNumber(TimestampedModel):
    """A personal number such as a 70-number: by default forwarded to a number, a user or
    voicemail (default_kind), and by the rules of its schedule at set hours of set weekdays."""

    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company, backref="personal_numbers")
    number = CharField(max_length=32, unique=True)
    name = CharField()
    forward_to = CharField(max_length=32)  # E.164 of the default target when default_kind is "number"
    default_kind = CharField(max_length=16, default="number")  # one of TARGET_KINDS
    default_user = ForeignKeyField(PhoneUser, null=True, on_delete="SET NULL")


class PersonalNumberRule(BaseModel):
    """One rule of a personal number's schedule: on `days` from `starts` to `ends`, calls go to the
    rule's target. Rules of one number never overlap (services/products.py refuses it)."""

    personal_number = ForeignKeyField(PersonalNumber, backref="rules", on_delete="CASCADE")
    position = IntegerField()
    days = CharField(max_length=7)  # weekdays, Monday = "0": "01234" is Monday to Friday
    starts = CharField(max_length=5)  # "08:00"
    ends = CharField(max_length=5)  # "16:00", later than starts on the same day
    target_kind = CharField(max_length=16)  # one of TARGET_KINDS
    target_number = CharField(max_length=32, default="")
    target_user = ForeignKeyField(PhoneUser, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("personal_number", "position"), True),)
