"""Messages that leave the system go through the outbox and are delivered by a job."""
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import current_app, has_request_context, request
from flask_babel import force_locale

from jobs import enqueue
from jobs.messages import deliver_message
from models import OutboxMessage

from . import stored_files
from .locale import regional


@dataclass(frozen=True)
class Attachment:
    """A file sent along with an e-mail: one kept in the database (the outbox keeps its key)."""

    key: str  # services/stored_files.py
    name: str  # what the recipient sees
    mime_type: str


def queue_message(channel, recipient, body, subject="", user=None, company=None, sensitive=False, attachment=None):
    """Write the message and enqueue its delivery; call outside a transaction.

    `sensitive`: the body carries a code; it is wiped once delivered (kept in demo mode,
    where /dev/outbox is the delivery). `attachment`: an Attachment (e-mail only)."""
    files = {}
    if attachment is not None:
        if channel != "email" or not stored_files.exists(attachment.key):
            raise ValueError("only e-mails carry attachments, and only files kept in the database")
        files = {"attachment": attachment.key, "attachment_name": attachment.name, "attachment_type": attachment.mime_type}
    message = OutboxMessage.create(channel=channel, recipient=recipient, subject=subject,
                                   body=body, user=user, company=company, sensitive=sensitive, **files)
    enqueue(deliver_message, message.id)
    return message


_job_base = ContextVar("public_url_base", default=None)  # the address a running job was enqueued from


def captured_base():
    """The address to hand to a job being enqueued: the request's (behind ProxyFix, so the
    X-Forwarded-Host/-Proto of TRUSTED_PROXIES count), or the enqueuing job's own; None outside both."""
    if has_request_context():
        return request.url_root.rstrip("/")
    return _job_base.get()


@contextmanager
def link_base(base):
    """Links built inside this block (a job) point to `base`, the address captured at enqueue time."""
    token = _job_base.set(base or None)
    try:
        yield
    finally:
        _job_base.reset(token)


def base_url():
    """Where the portal runs: PUBLIC_URL when set; else the address the request came in on;
    in a job, the address it was enqueued from; else where scripts/start.sh serves (127.0.0.1:$PORT)."""
    base = (current_app.config.get("PUBLIC_URL") or captured_base()
            or f"http://127.0.0.1:{os.environ.get('PORT') or 5000}")
    return base.rstrip("/")


def public_url(endpoint, **values):
    """An absolute link for a message; built from the URL map, so it works in a job (no request)."""
    return base_url() + current_app.url_map.bind("localhost").build(endpoint, values)


def in_locale(locale, render):
    """Render text in the recipient's language (None: Danish)."""
    with force_locale(regional(locale)):
        return render()
