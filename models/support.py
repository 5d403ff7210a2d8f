"""Applications for access, support tickets with messages and attachments, outages and the
companies' outage e-mails."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import TimestampedModel, utcnow
from .customers import Account, Company, Customer
from .subscriptions import Subscription
from .users import User

APPLICATION_STATUSES = ("received", "approved", "rejected", "closed")  # closed: another letter won
TICKET_STATUSES = ("open", "waiting", "closed")  # open: the operator's turn; waiting: the customer's
# what a ticket is about; each has its response-time target (services/support.py TARGET_HOURS)
TICKET_CATEGORIES = ("fault_critical", "fault", "invoice", "order", "question")
OUTAGE_SERVICES = ("mobile", "landline", "internet", "circuit")  # the subscription kinds


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
    # access: the pending login its letter activates (one per application; the first code used wins)
    login = ForeignKeyField(User, null=True, backref="applications_for_login")


class SupportTicket(TimestampedModel):
    """A ticket about a subscription or an account follows that account's scope; a general one
    (neither set) is company-wide. `company` is the concerned object's company."""

    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company, backref="tickets")
    created_by = ForeignKeyField(User, null=True)
    number = CharField(max_length=12, unique=True)
    subject = CharField()
    category = CharField(max_length=24, default="question")
    status = CharField(max_length=16, default="open")
    updated_at = DateTimeField(default=utcnow)
    account = ForeignKeyField(Account, null=True)  # set for a subscription's ticket too
    subscription = ForeignKeyField(Subscription, null=True)
    # the response-time target: when the first answer is due (working hours), and when it came
    response_due_at = DateTimeField(null=True)
    first_response_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("company", "updated_at"), False),
            (("account", "updated_at"), False),
            (("status", "response_due_at"), False),  # the staff queue by time left
        )


class TicketMessage(TimestampedModel):
    ticket = ForeignKeyField(SupportTicket, backref="messages", on_delete="CASCADE")
    author = ForeignKeyField(User, null=True)
    from_staff = BooleanField(default=False)
    body = TextField()


class TicketAttachment(TimestampedModel):
    """A file sent with a message: kept as the stored file "attachment:<key>" (services/ticket_files.py)."""

    ticket = ForeignKeyField(SupportTicket, backref="attachments", on_delete="CASCADE")
    message = ForeignKeyField(TicketMessage, backref="attachments", on_delete="CASCADE")
    uploaded_by = ForeignKeyField(User, null=True)
    key = CharField(max_length=40, unique=True)  # made by the server (uuid4 hex)
    name = CharField()  # the sender's file name, sanitised; only ever sent as the download's name
    mime_type = CharField(max_length=100)  # from the checked content, not from the browser
    size = IntegerField()

    class Meta:
        indexes = ((("ticket", "message"), False),)


class Outage(TimestampedModel):
    """Written by operator staff in both languages. `services` are subscription kinds
    (comma-separated; empty: all); `postal_codes` is normalised "1000-1499,1620" (empty: the
    whole country)."""

    title_da = CharField()
    title_en = CharField()
    body_da = TextField(default="")
    body_en = TextField(default="")
    area_da = CharField(default="")
    area_en = CharField(default="")
    severity = CharField(max_length=16, default="minor")  # minor, major
    starts_at = DateTimeField()
    ends_at = DateTimeField(null=True)
    services = CharField(default="")
    postal_codes = TextField(default="")
    expected_end_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("ends_at", "starts_at"), False),)

    @property
    def service_list(self):
        return [s for s in self.services.split(",") if s]

    @property
    def postal_ranges(self):
        """[(first, last)] as ints; [] means the whole country."""
        ranges = []
        for part in self.postal_codes.split(","):
            first, _, last = part.partition("-")
            if first.strip():
                ranges.append((int(first), int(last or first)))
        return ranges

    def touches(self, postal_codes):
        """Whether the outage reaches any of these postal codes (4-digit strings)."""
        ranges = self.postal_ranges
        if not ranges:
            return True
        return any(lo <= int(code) <= hi for code in postal_codes for lo, hi in ranges)

    def text(self, name, language):
        """title, body or area in the reader's language (Danish when English is empty)."""
        return getattr(self, f"{name}_{language}", "") or getattr(self, f"{name}_da")


class OutageAlert(TimestampedModel):
    """A company's outage e-mails: sent when staff publish or resolve an outage that touches the
    postal codes of the company (and its subsidiaries)."""

    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company, unique=True)
    emails = TextField(default="")  # comma separated
    language = CharField(max_length=2, default="da")
    updated_by = ForeignKeyField(User, null=True)
    updated_at = DateTimeField(default=utcnow)
