"""E-mail over SMTP."""
import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


class SmtpEmail:
    def send(self, message):
        host = current_app.config.get("SMTP_HOST")
        if not host:
            return  # no relay configured: the outbox row is the delivery (demo mode)
        mail = EmailMessage()
        mail["From"] = current_app.config["MAIL_FROM"]
        mail["To"] = message.recipient  # one address, or several separated by commas
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        if message.attachment:
            maintype, _, subtype = (message.attachment_type or "application/octet-stream").partition("/")
            from services.documents import read_cached  # a PDF made on another machine comes from the database

            mail.add_attachment(read_cached(attachment_path(message)), maintype=maintype, subtype=subtype,
                                filename=message.attachment_name)
        with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(mail)


def attachment_path(message):
    """The attached file; the outbox holds a path relative to DATA_DIR and nothing outside it."""
    data_dir = Path(current_app.config["DATA_DIR"]).resolve()
    path = (data_dir / message.attachment).resolve()
    if not path.is_relative_to(data_dir):
        raise ValueError("attachment outside DATA_DIR")
    return path
