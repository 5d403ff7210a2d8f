"""Login with password and a second factor; the throttle (never a lock); sessions."""
import datetime

import pyotp

from models import AuditEvent, OutboxMessage, User, WebSession
from tests.conftest import DEMO_TOTP, login_with_totp


def test_login_with_password_and_totp_lands_on_front_page(client):
    response = login_with_totp(client, "admin@demo.dk")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Anne Admin" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_wrong_password_is_refused_and_counted(client, ctx):
    response = client.post("/login", data={"email": "admin@demo.dk", "password": "wrong-password"})
    assert response.status_code == 200
    assert "e-mail-adressen eller adgangskoden er ikke rigtig" in response.get_data(as_text=True).lower()
    assert User.get(User.email == "admin@demo.dk").failed_logins == 1
    assert AuditEvent.select().where(AuditEvent.action == "auth.failure").exists()


def test_unknown_email_gets_the_same_answer(client):
    response = client.post("/login", data={"email": "nobody@demo.dk", "password": "whatever-it-is"})
    assert "e-mail-adressen eller adgangskoden er ikke rigtig" in response.get_data(as_text=True).lower()


def test_bad_email_input_gets_a_translated_error(client):
    response = client.post("/login", data={"email": "not-an-email", "password": ""})
    text = response.get_data(as_text=True)
    assert "Skriv en gyldig e-mailadresse" in text or "gyldig e-mail" in text
    assert "Skriv din adgangskode" in text


def test_verify_without_password_step_goes_back_to_login(client):
    response = client.get("/login/verify")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_each_totp_code_is_accepted_once(app):
    first, second = app.test_client(), app.test_client()
    assert login_with_totp(first, "admin@demo.dk").headers["Location"] == "/"
    replay = login_with_totp(second, "admin@demo.dk")
    assert replay.status_code == 200  # the same code again: refused
    assert "Koden er ikke rigtig" in replay.get_data(as_text=True)


def test_five_wrong_codes_end_the_pending_login(client):
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1"})
    for _ in range(4):
        response = client.post("/login/verify", data={"code": "000000", "method": "totp"})
        assert response.status_code == 200
    response = client.post("/login/verify", data={"code": "000000", "method": "totp"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/login/verify").headers["Location"].startswith("/login")


def test_repeated_failures_slow_this_client_and_never_lock_the_owner(app, client, ctx):
    client.set_cookie("lang", "en")
    for _ in range(7):
        response = client.post("/login", data={"email": "admin@demo.dk", "password": "wrong-password"})
    assert response.status_code == 429 and "Wait" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) >= 1
    assert User.get(User.email == "admin@demo.dk").locked_until is None
    assert not AuditEvent.select().where(AuditEvent.action == "auth.locked").exists()
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # the owner, elsewhere
    assert login_with_totp(owner, "admin@demo.dk").headers["Location"] == "/"


def test_login_code_by_sms_goes_through_the_outbox(client, ctx):
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1"})
    response = client.post("/login/send-code", data={"channel": "sms"})
    assert response.status_code == 302
    message = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert message.channel == "sms" and message.recipient == "+4520000010"
    assert message.status == "sent"
    code = "".join(ch for ch in message.body if ch.isdigit())[:6]
    response = client.post("/login/verify", data={"code": code, "method": "sms"})
    assert response.headers["Location"] == "/"


def test_login_code_by_email(client, ctx):
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1"})
    client.post("/login/send-code", data={"channel": "email"})
    message = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert message.channel == "email" and message.recipient == "admin@demo.dk"
    assert "Selvbetjening" in message.subject


def test_sms_code_cannot_be_resent_at_once(client, ctx):
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1"})
    client.post("/login/send-code", data={"channel": "sms"})
    client.post("/login/send-code", data={"channel": "sms"})
    assert OutboxMessage.select().where(OutboxMessage.channel == "sms").count() == 1


def test_employee_logs_in_to_me_by_sms(client, ctx):
    response = client.post("/login/mobile", data={"mobile": "20 00 00 01"})
    assert response.status_code == 302
    message = OutboxMessage.select().where(OutboxMessage.recipient == "+4520000001").get()
    code = "".join(ch for ch in message.body if ch.isdigit())[:6]
    response = client.post("/login/verify", data={"code": code, "method": "sms"})
    assert response.headers["Location"] == "/me"
    page = client.get("/me").get_data(as_text=True)
    assert "20 00 00 01" in page and "Mette" in page


def test_unknown_mobile_is_not_revealed(client, ctx):
    response = client.post("/login/mobile", data={"mobile": "+4530303030"})
    assert response.status_code == 302 and response.headers["Location"] == "/login/verify"
    assert not OutboxMessage.select().exists()


def test_session_id_changes_after_password_and_after_second_factor(client, ctx):
    client.get("/login")
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1"})
    after_password = client.get_cookie("sb_session").value
    code = pyotp.TOTP(DEMO_TOTP).now()
    client.post("/login/verify", data={"code": code, "method": "totp"})
    after_code = client.get_cookie("sb_session").value
    assert after_password != after_code
    assert WebSession.select().count() == 1


def test_logout_ends_the_server_side_session(client, ctx):
    login_with_totp(client, "admin@demo.dk")
    assert WebSession.select().where(WebSession.user.is_null(False)).count() == 1
    response = client.post("/logout")
    assert response.headers["Location"].startswith("/login")
    assert WebSession.select().where(WebSession.user.is_null(False)).count() == 0
    assert client.get("/").headers["Location"].startswith("/login")


def test_idle_session_expires(client, ctx):
    login_with_totp(client, "admin@demo.dk")
    WebSession.update(last_seen_at=datetime.datetime.utcnow() - datetime.timedelta(hours=2)).execute()
    assert client.get("/").headers["Location"].startswith("/login")


def test_revoked_session_is_signed_out(client, ctx):
    login_with_totp(client, "admin@demo.dk")
    WebSession.delete().execute()
    assert client.get("/subscriptions").status_code == 302


def test_open_redirect_is_refused(client):
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1",
                                "next": "//evil.example/"})
    code = pyotp.TOTP(DEMO_TOTP).now()
    response = client.post("/login/verify", data={"code": code, "method": "totp"})
    assert response.headers["Location"] == "/"


def test_login_is_rate_limited(demo_db_file, tmp_path):
    import shutil

    from tests.conftest import make_app

    shutil.copy(demo_db_file, tmp_path / "rl.db")
    app = make_app(tmp_path / "rl.db", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.post("/login", data={"email": "x@demo.dk", "password": "y"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429


def test_no_secrets_in_audit_trail_or_logs(client, ctx, caplog):
    caplog.set_level("DEBUG")
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1"})
    client.post("/login/send-code", data={"channel": "sms"})
    message = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    code = "".join(ch for ch in message.body if ch.isdigit())[:6]
    client.post("/login/verify", data={"code": code, "method": "sms"})
    trail = " ".join(e.details for e in AuditEvent.select())
    assert "demo-password-1" not in trail and code not in trail
    assert "demo-password-1" not in caplog.text and code not in caplog.text


def test_a_code_follows_the_page_only_for_someone_who_showed_who_they_are(client, ctx):
    """After the password the code comes in the login page's language (the login has none of its
    own). A number typed on the mobile login shows nothing: a stranger must not choose the language of
    a real code sent to its owner, so that one keeps the login's (Danish)."""
    client.set_cookie("lang", "en")
    client.post("/login/mobile", data={"mobile": "20 00 00 01"})
    sms = OutboxMessage.select().where(OutboxMessage.recipient == "+4520000001").get()
    assert sms.body.startswith("Din kode til Selvbetjening")
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1"})
    client.post("/login/send-code", data={"channel": "sms"})
    admin_sms = OutboxMessage.select().where(OutboxMessage.recipient == User.get(User.email == "admin@demo.dk").mobile).get()
    assert admin_sms.body.startswith("Your Selvbetjening code is")
