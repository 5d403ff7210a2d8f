"""Delivering the outbox: e-mail, SMS and digital post."""
from flask import current_app

from integrations import channel_for
from models import OutboxMessage, utcnow

from . import job


@job
def deliver_message(message_id):
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
    if message is None or message.status == "sent":
        return "skipped"
    message.attempts += 1
    try:
        channel_for(message.channel).send(message)
    except Exception as exc:
        message.status = "failed"
        message.error = type(exc).__name__
        message.save()
        raise
    message.status = "sent"
    message.sent_at = utcnow()
    message.error = ""
    if message.sensitive and not current_app.config["DEMO_MODE"]:
        message.body = "[removed after delivery]"  # codes live only in the recipient's hands
    message.save()
    return "sent"
