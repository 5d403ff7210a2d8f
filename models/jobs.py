"""A row per background job, so the page that started it can show its progress and its end;
and the files jobs make (exports, PDFs), kept in the database for every machine to serve."""
import json

from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, TimestampedModel
from .customers import Company
from .users import User

JOB_STATUSES = ("queued", "running", "finished", "failed")
# Why a job failed (JobRecord.reason); the page words them (templates/macros/job_status.html).
FAILURE_REASONS = ("error", "timeout", "worker_stopped", "stopped", "lost")
# A failed job the user may start again from its page: {job name: (endpoint, payload -> form fields)},
# filled by the job modules (jobs/exports.py).
RETRY_FORMS = {}


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
    func = CharField(default="")  # "jobs.exports.export_subscriptions_csv": what a retry runs
    payload = TextField(default="")  # JSON {"args": [...], "kwargs": {...}} of plain values
    rq_id = CharField(max_length=48, default="")  # the RQ job of the current attempt
    attempts = IntegerField(default=0)
    max_attempts = IntegerField(default=1)
    timeout_seconds = IntegerField(default=600)
    reason = CharField(max_length=32, default="")  # one of FAILURE_REASONS when failed
    started_at = DateTimeField(null=True)
    heartbeat_at = DateTimeField(null=True)  # written by the running job every few seconds

    class Meta:
        indexes = ((("status", "heartbeat_at"), False), (("user", "status"), False))

    @property
    def retry_form(self):
        """(endpoint, {field: value}) that starts this failed job again, or None."""
        entry = RETRY_FORMS.get(self.name)
        if entry is None or self.status != "failed" or not self.payload:
            return None
        endpoint, to_form = entry
        try:
            payload = json.loads(self.payload)
            return endpoint, to_form(*payload.get("args", []))
        except (ValueError, TypeError, IndexError, AttributeError):
            return None


class StoredFile(TimestampedModel):
    """A finished file, its content in parts (StoredFilePart): written in one transaction, so it is
    complete whenever it is visible (services/stored_files.py)."""
    key = CharField(max_length=120, unique=True)  # "export:<job id>", "document:v1/invoice-7-da.pdf", "attachment:<key>"
    job_id = CharField(max_length=36, null=True, index=True)
    content_type = CharField(max_length=100)  # a ticket attachment's as well (an .xlsx type is 65 long)
    size = IntegerField()

    class Meta:
        indexes = ((("created_at",), False),)


class StoredFilePart(BaseModel):
    """A stored file's bytes from `number` x the part size: a file of 100 MB is never one value in
    one statement, in the worker that stores it or the web process that sends it."""
    file = ForeignKeyField(StoredFile, on_delete="CASCADE", index=False)
    number = IntegerField()
    data = BlobField()

    class Meta:
        indexes = ((("file", "number"), True),)
