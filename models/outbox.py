"""Messages that leave the system (e-mail, SMS, digital post), delivered by jobs."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import TimestampedModel
from .customers import Company
from .users import User

CHANNELS = ("email", "sms", "digital_post")


class OutboxMessage(TimestampedModel):
    channel = CharField(max_length=16)
    recipient = CharField()  # e-mail, E.164 number, or CVR for digital post
    subject = CharField(default="")
    body = TextField()
    user = ForeignKeyField(User, null=True)
    company = ForeignKeyField(Company, null=True)
    status = CharField(max_length=16, default="queued")  # queued, sent, failed
    attempts = IntegerField(default=0)
    error = CharField(default="")
    sent_at = DateTimeField(null=True)
    # holds a login or activation code: the body is wiped once delivered (outside demo mode)
    sensitive = BooleanField(default=False)
    # one file sent along (e-mail only): its key among the stored files (services/stored_files.py),
    # the name the recipient sees, and its MIME type; empty: none
    attachment = CharField(default="")
    attachment_name = CharField(default="")
    attachment_type = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("created_at",), False), (("status",), False))
