"""Number porting requests."""
from peewee import CharField, DateField, ForeignKeyField

from .base import TimestampedModel
from .customers import Account, Company, Customer
from .users import User

PORTING_STATUSES = ("received", "confirmed", "completed", "rejected")


class PortingRequest(TimestampedModel):
    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company)
    account = ForeignKeyField(Account)
    number = CharField(max_length=32)
    donor_operator = CharField()
    requested_date = DateField()
    status = CharField(max_length=16, default="received")
    created_by = ForeignKeyField(User, null=True)

    class Meta:
        indexes = ((("company", "created_at"), False),)
