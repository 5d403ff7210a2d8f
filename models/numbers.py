"""Numbers: port-in requests with their numbers, and the number series a company holds."""
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField

from .base import BaseModel, TimestampedModel
from .customers import Account, Company, Customer
from .orders import Order
from .users import User

# received -> sent (to the current operator) -> date_confirmed -> completed; or rejected
# (with a reason) or cancelled (by the customer, only while received).
PORTING_STATUSES = ("received", "sent", "date_confirmed", "completed", "rejected", "cancelled")
OPEN_PORTING = ("received", "sent", "date_confirmed")
NUMBER_KINDS = ("mobile", "landline")


class PortingRequest(TimestampedModel):
    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company)
    account = ForeignKeyField(Account)
    # The first number. The subscription wizard's port-in (one number, no order of its own)
    # has only this; requests from /numbers/port-in keep all their numbers as PortingNumber rows.
    number = CharField(max_length=32)
    donor_operator = CharField()  # a code of services.subscription_create.DONOR_OPERATORS
    requested_date = DateField()
    status = CharField(max_length=16, default="received")
    created_by = ForeignKeyField(User, null=True)
    order = ForeignKeyField(Order, null=True)  # the one `port_request` order
    kind = CharField(max_length=16, default="mobile")  # NUMBER_KINDS
    owner_name = CharField(default="")
    owner_cvr = CharField(max_length=8, default="")
    signer_name = CharField(default="")  # who signed the owner's power of attorney
    number_count = IntegerField(default=1)
    confirmed_date = DateField(null=True)  # the date the current operator confirmed
    rejection_reason = CharField(max_length=32, default="")  # a code (labels: "order_failure")
    updated_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("company", "created_at"), False),)

    @property
    def is_open(self):
        return self.status in OPEN_PORTING


class PortingNumber(BaseModel):
    """One number of a port-in request, in the order they were entered."""

    porting_request = ForeignKeyField(PortingRequest, backref="numbers", on_delete="CASCADE")
    position = IntegerField()
    number = CharField(max_length=32, index=True)  # E.164

    class Meta:
        indexes = ((("porting_request", "position"), True),)


class NumberRange(TimestampedModel):
    """Numbers a company holds outside subscriptions: a series, or numbers ported in.

    `account` is null for a company-wide series; ported numbers are billed on the
    request's account. One number is a range whose first and last are the same."""

    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company)
    account = ForeignKeyField(Account, null=True)
    first = CharField(max_length=32)  # E.164, same length as last
    last = CharField(max_length=32)
    kind = CharField(max_length=16)  # NUMBER_KINDS
    description = CharField(default="")
    porting_request = ForeignKeyField(PortingRequest, null=True)

    class Meta:
        indexes = ((("company", "first"), False),)

    @property
    def count(self):
        return int(self.last[1:]) - int(self.first[1:]) + 1
