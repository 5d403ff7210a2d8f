"""Applications for access, support tickets with messages, and outages."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from .base import TimestampedModel, utcnow
from .customers import Company, Customer
from .users import User

APPLICATION_STATUSES = ("received", "approved", "rejected")
TICKET_STATUSES = ("open", "waiting", "closed")


APPLICATION_KINDS = ("access", "recovery")


class Application(TimestampedModel):
    kind = CharField(max_length=16, default="access")  # recovery: the only admin has left
    reason = TextField(default="")  # what the applicant tells staff (recovery)
    cvr = CharField(max_length=8, index=True)
    company_name = CharField()
    admin_name = CharField()
    email = CharField()
    mobile = CharField()
    status = CharField(max_length=16, default="received")
    result = CharField(default="")  # a reason code, translated when shown
    company = ForeignKeyField(Company, null=True)
    processed_at = DateTimeField(null=True)
    processed_by = ForeignKeyField(User, null=True)
    ip = CharField(default="")


class SupportTicket(TimestampedModel):
    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company, backref="tickets")
    created_by = ForeignKeyField(User, null=True)
    number = CharField(max_length=12, unique=True)
    subject = CharField()
    category = CharField(max_length=24, default="other")
    status = CharField(max_length=16, default="open")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("company", "updated_at"), False),)


class TicketMessage(TimestampedModel):
    ticket = ForeignKeyField(SupportTicket, backref="messages", on_delete="CASCADE")
    author = ForeignKeyField(User, null=True)
    from_staff = BooleanField(default=False)
    body = TextField()


class Outage(TimestampedModel):
    """Written by operator staff in both languages."""

    title_da = CharField()
    title_en = CharField()
    body_da = TextField(default="")
    body_en = TextField(default="")
    area_da = CharField(default="")
    area_en = CharField(default="")
    severity = CharField(max_length=16, default="minor")  # minor, major
    starts_at = DateTimeField()
    ends_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("ends_at", "starts_at"), False),)

    def text(self, name, language):
        """title, body or area in the reader's language (Danish when English is empty)."""
        return getattr(self, f"{name}_{language}", "") or getattr(self, f"{name}_da")
