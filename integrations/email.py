"""E-mail over SMTP."""
import smtplib
from email.message import EmailMessage

from flask import current_app

from services import stored_files


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
            content = stored_files.content(message.attachment)  # made on any machine: kept in the database
            if content is None:
                raise LookupError(f"attachment {message.attachment} is gone")
            mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=message.attachment_name)
        with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(mail)

