"""E-mail over SMTP."""
import smtplib
from email.message import EmailMessage

from flask import current_app


class SmtpEmail:
    def send(self, message):
        host = current_app.config.get("SMTP_HOST")
        if not host:
            return  # no relay configured: the outbox row is the delivery (demo mode)
        mail = EmailMessage()
        mail["From"] = current_app.config["MAIL_FROM"]
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(mail)
