"""E-mail through a real SMTP server (aiosmtpd on a free port): the login code by e-mail."""
import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from models import OutboxMessage, db
from tests.conftest import DEMO_PASSWORD, make_app


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An SMTP handler that keeps every message it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _app_with_smtp(demo_db_file, tmp_path, port):
    import shutil

    path = tmp_path / "smtp.db"
    shutil.copy(demo_db_file, path)
    return make_app(path, SMTP_HOST="127.0.0.1", SMTP_PORT=port)


@pytest.fixture
def smtp_app(demo_db_file, tmp_path, smtp_server):
    controller, _ = smtp_server
    app = _app_with_smtp(demo_db_file, tmp_path, controller.port)
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def dead_smtp_app(demo_db_file, tmp_path):
    app = _app_with_smtp(demo_db_file, tmp_path, _free_port())  # nothing listens there
    yield app
    if not db.is_closed():
        db.close()


def _ask_for_code_by_email(client):
    response = client.post("/login", data={"email": "admin@demo.dk", "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.data[:500]
    return client.post("/login/send-code", data={"channel": "email"})


def _last_message():
    return OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()


def test_login_code_is_mailed_over_smtp(smtp_app, smtp_server):
    _, handler = smtp_server
    client = smtp_app.test_client()
    before = OutboxMessage.select().count()

    response = _ask_for_code_by_email(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/verify")

    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["admin@demo.dk"]
    mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert mail["To"] == "admin@demo.dk"
    assert mail["From"] == smtp_app.config["MAIL_FROM"]

    assert OutboxMessage.select().count() == before + 1
    message = _last_message()
    assert message.channel == "email" and message.recipient == "admin@demo.dk"
    assert message.status == "sent" and message.sent_at is not None and message.error == ""
    assert message.subject and str(mail["Subject"]) == message.subject
    assert "Selvbetjening" in message.subject

    body = mail.get_content()
    codes = re.findall(r"(?<!\d)\d{6}(?!\d)", body)
    assert len(codes) == 1, body
    assert body.strip() == message.body.strip()

    # the mailed code is the one that signs in
    response = client.post("/login/verify", data={"code": codes[0], "method": "email"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_smtp_server_down_marks_the_message_failed_without_a_500(dead_smtp_app):
    client = dead_smtp_app.test_client()

    response = _ask_for_code_by_email(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/verify")

    message = _last_message()
    assert message.channel == "email" and message.recipient == "admin@demo.dk"
    assert message.status == "failed" and message.sent_at is None
    assert message.attempts == 1
    assert message.error in ("ConnectionRefusedError", "SMTPConnectError", "SMTPServerDisconnected",
                             "TimeoutError", "OSError"), message.error

    assert client.get("/login/verify").status_code == 200
    assert client.get("/login").status_code == 200


def test_codes_are_wiped_from_the_outbox_after_delivery_in_production(demo_db_file, tmp_path):
    """Outside demo mode nobody reads /dev/outbox, so a delivered code must not stay in the database."""
    import shutil

    from models import OutboxMessage, User
    from services.messages import queue_message
    from tests.conftest import make_app

    shutil.copy(demo_db_file, tmp_path / "prod.db")
    app = make_app(tmp_path / "prod.db", ENV_MODE="production")
    with app.app_context():
        user = User.get(User.email == "admin@demo.dk")
        code_message = queue_message("sms", user.mobile, "Your code is 123456", user=user.id, sensitive=True)
        notice = queue_message("sms", user.mobile, "Your password was changed", user=user.id)
    assert OutboxMessage.get_by_id(code_message.id).status == "sent"
    assert "123456" not in OutboxMessage.get_by_id(code_message.id).body
    assert OutboxMessage.get_by_id(notice.id).body == "Your password was changed"
