"""Logins, memberships (rights per company), second factors and web sessions."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, TimestampedModel
from .customers import Account, Company
from .subscriptions import Subscription

USER_KINDS = ("customer", "employee", "staff")
USER_STATUSES = ("pending", "active", "disabled")


class User(TimestampedModel):
    email = CharField(unique=True)  # stored lower-case
    username = CharField(unique=True, null=True)  # for activation letters
    name = CharField()
    mobile = CharField(default="")  # E.164
    password_hash = CharField(null=True)
    kind = CharField(max_length=16, default="customer")
    status = CharField(max_length=16, default="active")
    locale = CharField(max_length=5, null=True)
    subscription = ForeignKeyField(Subscription, null=True)  # an employee's own
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_login_at = DateTimeField(null=True)
    last_totp_step = IntegerField(default=0)  # each TOTP step is accepted once
    disabled_reason = CharField(default="")
    password_changed_at = DateTimeField(null=True)

    # Flask-Login protocol
    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.status == "active"

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return str(self.id)


class Membership(TimestampedModel):
    """A user's standing in one company: admin or not, functions, account scope."""

    user = ForeignKeyField(User, backref="memberships")
    company = ForeignKeyField(Company, backref="memberships")
    is_admin = BooleanField(default=False)
    full_access = BooleanField(default=True)  # False: only MembershipAccount rows
    functions = TextField(default="")  # space separated function names

    class Meta:
        indexes = ((("user", "company"), True),)

    @property
    def function_set(self):
        return frozenset(self.functions.split())


class MembershipAccount(BaseModel):
    membership = ForeignKeyField(Membership, backref="account_links", on_delete="CASCADE")
    account = ForeignKeyField(Account)

    class Meta:
        indexes = ((("membership", "account"), True),)


class SecretField(CharField):
    """Encrypted at rest with the app's key, plain in Python (services/two_factor.py seal/unseal)."""

    def db_value(self, value):
        from services.two_factor import seal

        return super().db_value(seal(value))

    def python_value(self, value):
        from services.two_factor import unseal

        return unseal(super().python_value(value))


class TotpDevice(TimestampedModel):
    user = ForeignKeyField(User, backref="totp_devices", on_delete="CASCADE")
    name = CharField()
    secret = SecretField()  # TOTP secret, encrypted
    confirmed = BooleanField(default=False)
    last_used_at = DateTimeField(null=True)


class OneTimeCode(TimestampedModel):
    """A code sent by SMS, e-mail or digital post; only its hash is stored."""

    user = ForeignKeyField(User, backref="codes", on_delete="CASCADE")
    purpose = CharField(max_length=16)  # login, activation, verify
    channel = CharField(max_length=16)  # sms, email, digital_post
    code_hash = CharField()
    expires_at = DateTimeField()
    attempts = IntegerField(default=0)
    used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "purpose", "created_at"), False),)


class WebSession(TimestampedModel):
    """Server-side session; the cookie holds a random token, the table its hash."""

    token_hash = CharField(unique=True)
    user = ForeignKeyField(User, null=True, backref="web_sessions", on_delete="CASCADE")
    data = TextField(default="{}")
    last_seen_at = DateTimeField()
    ip = CharField(default="")
    user_agent = CharField(default="")

    class Meta:
        indexes = ((("user", "last_seen_at"), False), (("last_seen_at",), False))
