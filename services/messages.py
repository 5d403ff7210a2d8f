"""Messages that leave the system go through the outbox and are delivered by a job."""
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import force_locale

from jobs import enqueue
from jobs.messages import deliver_message
from models import OutboxMessage

from .locale import regional


@dataclass(frozen=True)
class Attachment:
    """A file sent along with an e-mail: it must lie under DATA_DIR (the outbox keeps the path)."""

    path: Path
    name: str  # what the recipient sees
    mime_type: str


def queue_message(channel, recipient, body, subject="", user=None, company=None, sensitive=False, attachment=None):
    """Write the message and enqueue its delivery; call outside a transaction.

    `sensitive`: the body carries a code; it is wiped once delivered (kept in demo mode,
    where /dev/outbox is the delivery). `attachment`: an Attachment (e-mail only)."""
    files = {}
    if attachment is not None:
        if channel != "email":
            raise ValueError("only e-mails carry attachments")
        data_dir = Path(current_app.config["DATA_DIR"]).resolve()
        files = {"attachment": str(Path(attachment.path).resolve().relative_to(data_dir)),
                 "attachment_name": attachment.name, "attachment_type": attachment.mime_type}
    message = OutboxMessage.create(channel=channel, recipient=recipient, subject=subject,
                                   body=body, user=user, company=company, sensitive=sensitive, **files)
    enqueue(deliver_message, message.id)
    return message


def public_url(endpoint, **values):
    """An absolute link for a message; built from the URL map, so it works in a job (no request)."""
    base = current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000"
    return base.rstrip("/") + current_app.url_map.bind("localhost").build(endpoint, values)


def in_locale(locale, render):
    """Render text in the recipient's language (None: Danish)."""
    with force_locale(regional(locale)):
        return render()
