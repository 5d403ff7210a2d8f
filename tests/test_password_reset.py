"""A forgotten password: a code by e-mail, the second factor, a new password (/login/forgot)."""
import datetime
import email
import email.policy
import re
import shutil

import pyotp
import pytest

from models import AuditEvent, OneTimeCode, OutboxMessage, TotpDevice, User, WebSession, utcnow
from services.passwords import verify_password
from tests.conftest import DEMO_PASSWORD, DEMO_TOTP, make_app
from tests.test_email_smtp import smtp_server  # noqa: F401 - a real SMTP server (aiosmtpd) as a fixture

NEW_PASSWORD = "blå cykel ved havnen om natten"
RESET_SUBJECTS = ("Nulstil din adgangskode til Selvbetjening", "Reset your Selvbetjening password")


@pytest.fixture
def client(app):
    """In English: the texts are checked against the source strings (the Danish ones are merged later)."""
    return english(app)


def english(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


def ask(client, email="admin@demo.dk"):
    return client.post("/login/forgot", data={"email": email})


def mails_to(address):
    return list(OutboxMessage.select().where(OutboxMessage.recipient == address).order_by(OutboxMessage.id))


def reset_code(address="admin@demo.dk"):
    """The 8-digit code of the newest reset e-mail to `address`."""
    message = [m for m in mails_to(address) if m.subject in RESET_SUBJECTS][-1]
    return re.search(r"\b\d{8}\b", message.body).group(0)


def sms_code(number):
    message = (OutboxMessage.select().where(OutboxMessage.recipient == number, OutboxMessage.channel == "sms")
               .order_by(OutboxMessage.id.desc()).first())
    return re.search(r"\b\d{6}\b", message.body).group(0)


def totp_now():
    return pyotp.TOTP(DEMO_TOTP).now()


def through_second_factor(client, email="admin@demo.dk"):
    assert ask(client, email).headers["Location"] == "/login/forgot/code"
    response = client.post("/login/forgot/code", data={"code": reset_code(email)})
    assert response.headers["Location"] == "/login/forgot/verify", response.data[:300]
    response = client.post("/login/forgot/verify", data={"code": totp_now(), "method": "totp"})
    assert response.headers["Location"] == "/login/forgot/password", response.data[:300]


def password_login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def actions():
    return [e.action for e in AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]


def test_login_page_links_to_forgotten_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/forgot"' in page and "Forgot your password?" in page


def test_forgotten_password_end_to_end(client, admin, ctx):
    assert admin.get("/subscriptions").status_code == 200  # another session of the same user
    page = client.get("/login/forgot")
    assert page.status_code == 200 and "Forgotten password" in page.get_data(as_text=True)

    through_second_factor(client)
    weak = client.post("/login/forgot/password", data={"password": "password1234", "repeat": "password1234"})
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)
    both = client.post("/login/forgot/password", data={"password": "password1234", "repeat": "password12"})
    assert both.status_code == 422
    assert "too easy to guess" in both.get_data(as_text=True) and "not the same" in both.get_data(as_text=True)
    assert verify_password(User.get(User.email == "admin@demo.dk").password_hash, DEMO_PASSWORD)

    done = client.post("/login/forgot/password", data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Anne Admin" in home.get_data(as_text=True)  # signed in here
    assert admin.get("/subscriptions").status_code == 302  # the other session is over

    user = User.get(User.email == "admin@demo.dk")
    assert verify_password(user.password_hash, NEW_PASSWORD) and user.password_changed_at is not None
    assert WebSession.select().where(WebSession.user == user.id).count() == 1
    changed = mails_to("admin@demo.dk")[-1]
    assert changed.subject == "Din adgangskode er ændret" and not changed.sensitive
    assert NEW_PASSWORD not in changed.body and not re.search(r"\d{6}", changed.body)
    assert "auth.password_reset_requested" in actions() and "auth.password_reset" in actions()

    fresh = english(client.application)
    assert password_login(fresh, "admin@demo.dk", DEMO_PASSWORD).status_code == 200  # refused
    assert password_login(fresh, "admin@demo.dk", NEW_PASSWORD).headers["Location"] == "/login/verify"


def _without_csrf(text):
    """The page with its CSRF tokens (form field and hx-headers; signed, so they differ) blanked."""
    return re.sub(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}", "TOKEN", text)


@pytest.mark.parametrize("stranger", ["nobody@demo.dk", "mette.jensen@demo.dk"])
def test_unknown_address_or_employee_gets_the_same_answer_and_no_mail(app, ctx, stranger):
    """An unknown address and an employee's (employees have no password) look like a known one."""
    known, unknown = english(app), english(app)
    before = OutboxMessage.select().count()
    a, b = ask(known), ask(unknown, stranger)
    assert (a.status_code, a.headers["Location"]) == (b.status_code, b.headers["Location"])
    assert OutboxMessage.select().count() == before + 1  # only the known address got a code
    assert mails_to(stranger) == []
    page_a, page_b = known.get("/login/forgot/code"), unknown.get("/login/forgot/code")
    assert page_a.status_code == page_b.status_code == 200
    assert _without_csrf(page_a.get_data(as_text=True)) == _without_csrf(page_b.get_data(as_text=True))
    wrong_a = known.post("/login/forgot/code", data={"code": "12345678"})
    wrong_b = unknown.post("/login/forgot/code", data={"code": "12345678"})
    assert wrong_a.status_code == wrong_b.status_code == 422
    assert _without_csrf(wrong_a.get_data(as_text=True)) == _without_csrf(wrong_b.get_data(as_text=True))


def test_bad_address_is_a_translated_422(client):
    response = ask(client, "not-an-address")
    assert response.status_code == 422 and "Enter a valid e-mail address." in response.get_data(as_text=True)


def test_wrong_code_five_times_ends_the_reset_and_spends_the_code(client, ctx):
    ask(client)
    code = reset_code()
    for left in (4, 3, 2, 1):
        response = client.post("/login/forgot/code", data={"code": "00000000"})
        assert response.status_code == 422 and f"{left} attempt" in response.get_data(as_text=True)
    response = client.post("/login/forgot/code", data={"code": "00000000"})
    assert response.headers["Location"] == "/login/forgot"
    assert "Too many wrong codes" in client.get("/login/forgot").get_data(as_text=True)
    row = OneTimeCode.select().where(OneTimeCode.purpose == "reset").get()
    assert row.attempts == 5 and row.used_at is not None
    assert client.post("/login/forgot/code", data={"code": code}).headers["Location"] == "/login/forgot"


def test_expired_code_is_refused(client, ctx):
    ask(client)
    OneTimeCode.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).execute()
    response = client.post("/login/forgot/code", data={"code": reset_code()})
    assert response.status_code == 422 and "has expired" in response.get_data(as_text=True)


def test_code_is_single_use(app, ctx):
    first, second = english(app), english(app)
    ask(first)
    code = reset_code()
    assert first.post("/login/forgot/code", data={"code": code}).headers["Location"] == "/login/forgot/verify"
    ask(second)  # within 30 seconds: no new code is sent, the old one is spent
    assert len([m for m in mails_to("admin@demo.dk") if m.subject in RESET_SUBJECTS]) == 1
    assert second.post("/login/forgot/code", data={"code": code}).status_code == 422


def test_code_is_stored_hashed_and_kept_out_of_audit_and_logs(client, ctx, caplog):
    caplog.set_level("DEBUG")
    through_second_factor(client)
    client.post("/login/forgot/password", data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    code = reset_code()
    assert not OneTimeCode.select().where(OneTimeCode.code_hash.contains(code)).exists()
    trail = " ".join(e.details for e in AuditEvent.select())
    assert code not in trail and NEW_PASSWORD not in trail
    assert code not in caplog.text and NEW_PASSWORD not in caplog.text


def test_code_of_another_login_does_not_work(app, ctx):
    victim, attacker = english(app), english(app)
    ask(victim, "admin@demo.dk")
    ask(attacker, "admin@anden.dk")
    response = attacker.post("/login/forgot/code", data={"code": reset_code("admin@demo.dk")})
    assert response.status_code == 422


def test_steps_cannot_be_skipped(client, ctx):
    assert client.get("/login/forgot/password").headers["Location"] == "/login/forgot"
    assert client.get("/login/forgot/verify").headers["Location"] == "/login/forgot"
    ask(client)
    assert client.post("/login/forgot/verify", data={"code": totp_now(), "method": "totp"}).headers["Location"] == "/login/forgot"
    ask(client)  # again: the state is at the code step
    response = client.post("/login/forgot/password", data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.headers["Location"] == "/login/forgot"
    assert verify_password(User.get(User.email == "admin@demo.dk").password_hash, DEMO_PASSWORD)


def test_wrong_second_factor_five_times_ends_the_reset(client, ctx):
    ask(client)
    client.post("/login/forgot/code", data={"code": reset_code()})
    for _ in range(4):
        assert client.post("/login/forgot/verify", data={"code": "000000", "method": "totp"}).status_code == 422
    response = client.post("/login/forgot/verify", data={"code": "000000", "method": "totp"})
    assert response.headers["Location"] == "/login/forgot"
    assert User.get(User.email == "admin@demo.dk").failed_logins == 5  # counted (the throttle slows the client; nothing locks)


def test_second_factor_by_sms_when_there_is_no_authenticator(client, ctx):
    user = User.get(User.email == "begraenset@demo.dk")
    TotpDevice.delete().where(TotpDevice.user == user.id).execute()
    ask(client, user.email)
    response = client.post("/login/forgot/code", data={"code": reset_code(user.email)})
    assert response.headers["Location"] == "/login/forgot/verify"
    page = client.get("/login/forgot/verify").get_data(as_text=True)
    assert "SMS" in page
    response = client.post("/login/forgot/verify", data={"code": sms_code(user.mobile), "method": "sms"})
    assert response.headers["Location"] == "/login/forgot/password"
    client.post("/login/forgot/password", data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert verify_password(User.get_by_id(user.id).password_hash, NEW_PASSWORD)


def test_the_e_mail_is_not_accepted_as_the_second_factor(client, ctx):
    ask(client)
    client.post("/login/forgot/code", data={"code": reset_code()})
    page = client.get("/login/forgot/verify").get_data(as_text=True)
    assert "/login/forgot/send-code" in page and "Send code by e-mail" not in page
    response = client.post("/login/forgot/verify", data={"code": "123456", "method": "email"})
    assert response.status_code == 422  # read as the authenticator's code, and wrong


def test_login_without_a_second_factor_is_told_by_mail_and_gets_no_code(client, ctx):
    user = User.get(User.email == "begraenset@demo.dk")
    TotpDevice.delete().where(TotpDevice.user == user.id).execute()
    User.update(mobile="").where(User.id == user.id).execute()
    assert ask(client, user.email).headers["Location"] == "/login/forgot/code"
    [mail] = mails_to(user.email)
    assert not re.search(r"\b\d{8}\b", mail.body) and "administrator" in mail.body
    assert "http://localhost/login" in mail.body  # the address the request came in on
    assert not OneTimeCode.select().where(OneTimeCode.user == user.id).exists()


def test_signed_in_user_is_sent_home(admin):
    assert admin.get("/login/forgot").headers["Location"] == "/"


def test_forgotten_password_is_rate_limited(demo_db_file, tmp_path):
    shutil.copy(demo_db_file, tmp_path / "rl.db")
    app = make_app(tmp_path / "rl.db", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [ask(client, f"x{i}@demo.dk").status_code for i in range(4)]
    assert codes == [302, 302, 302, 429]
    codes = [client.post("/login/forgot/code", data={"code": "12345678"}).status_code for _ in range(4)]
    assert codes[3] == 429


def test_reset_code_and_notice_travel_over_smtp(demo_db_file, tmp_path, smtp_server):  # noqa: F811
    controller, handler = smtp_server
    shutil.copy(demo_db_file, tmp_path / "smtp.db")
    app = make_app(tmp_path / "smtp.db", SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    client = english(app)
    ask(client)
    [envelope] = handler.envelopes
    mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert envelope.rcpt_tos == ["admin@demo.dk"] and str(mail["Subject"]) in RESET_SUBJECTS
    code = re.search(r"\b\d{8}\b", mail.get_content()).group(0)
    assert client.post("/login/forgot/code", data={"code": code}).headers["Location"] == "/login/forgot/verify"
    client.post("/login/forgot/verify", data={"code": totp_now(), "method": "totp"})
    assert client.post("/login/forgot/password", data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD}).status_code == 302
    notice = email.message_from_bytes(handler.envelopes[-1].original_content, policy=email.policy.default)
    assert len(handler.envelopes) == 2 and str(notice["Subject"]) == "Din adgangskode er ændret"
    assert not re.search(r"\d{6}", notice.get_content()) and NEW_PASSWORD not in notice.get_content()


def test_the_reset_code_keeps_the_logins_language_whatever_the_askers(app, ctx):
    """Anyone can ask for a reset: the asker's page must not choose the language of the owner's e-mail."""
    ask(english(app))
    message = [m for m in mails_to("admin@demo.dk") if m.subject in RESET_SUBJECTS][-1]
    assert message.subject == "Nulstil din adgangskode til Selvbetjening"
