"""A row per background job, so the page that started it can show its progress."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import TimestampedModel
from .customers import Company
from .users import User

JOB_STATUSES = ("queued", "running", "finished", "failed")


class JobRecord(TimestampedModel):
    id = CharField(primary_key=True, max_length=36)
    name = CharField(max_length=64)
    status = CharField(max_length=16, default="queued")
    progress = IntegerField(default=0)  # 0..100
    message = CharField(default="")
    result = TextField(default="")  # a file name under the job folder, or a short text
    user = ForeignKeyField(User, null=True)
    company = ForeignKeyField(Company, null=True)
    finished_at = DateTimeField(null=True)
