"""Own settings: profile, contact change with the second factor, password, 2FA devices, sessions."""
import json
import re

import pyotp

from models import AuditEvent, OutboxMessage, TotpDevice, User, WebSession
from services.passwords import verify_password
from tests.conftest import DEMO_TOTP, login_with_totp, reauthenticate


def test_settings_page_shows_profile_devices_and_sessions(admin):
    page = admin.get("/settings/").get_data(as_text=True)
    assert "admin@demo.dk" in page and "Authenticator" in page


def test_name_change_is_saved_and_audited(admin, ctx):
    response = admin.post("/settings/profile", data={"name": "Anne Andersen Admin", "email": "admin@demo.dk",
                                                      "mobile": "+4520000010"})
    assert response.status_code == 302
    assert User.get(User.email == "admin@demo.dk").name == "Anne Andersen Admin"
    assert AuditEvent.select().where(AuditEvent.action == "settings.name").exists()


def test_email_change_needs_the_second_factor_and_tells_the_old_address(admin, ctx):
    response = admin.post("/settings/profile", data={"name": "Anne Admin", "email": "anne@demo.dk",
                                                      "mobile": "+4520000010"})
    assert response.headers["Location"] == "/settings/profile/confirm"
    assert User.get(User.id == 1).email == "admin@demo.dk"  # not yet
    wrong = admin.post("/settings/profile/confirm", data={"code": "000000", "method": "totp"})
    assert wrong.status_code == 422 and User.get(User.id == 1).email == "admin@demo.dk"
    ok = admin.post("/settings/profile/confirm", data={"code": pyotp.TOTP(DEMO_TOTP).now(), "method": "totp"})
    assert ok.status_code == 302
    assert User.select().where(User.email == "anne@demo.dk").exists()
    notice = OutboxMessage.get(OutboxMessage.recipient == "admin@demo.dk")
    assert "anne@demo.dk" in notice.body


def test_mobile_change_confirmed_by_sms_code(admin, ctx):
    admin.post("/settings/profile", data={"name": "Anne Admin", "email": "admin@demo.dk", "mobile": "30 30 30 30"})
    admin.post("/settings/profile/confirm", data={"send": "sms"})
    sms = OutboxMessage.get(OutboxMessage.recipient == "+4520000010")
    code = "".join(c for c in sms.body if c.isdigit())[:6]
    assert admin.post("/settings/profile/confirm", data={"code": code, "method": "sms"}).status_code == 302
    assert User.get(User.email == "admin@demo.dk").mobile == "+4530303030"
    assert OutboxMessage.select().where(OutboxMessage.recipient == "+4520000010").count() == 2  # code + notice


def test_bad_profile_input_is_refused_with_errors(admin, ctx):
    response = admin.post("/settings/profile", data={"name": "", "email": "nope", "mobile": "12"})
    assert response.status_code == 422
    assert User.get(User.id == 1).email == "admin@demo.dk"


def test_a_form_sent_back_keeps_what_was_typed_and_leaves_the_others_alone(admin, ctx):
    """The mobile number as typed (not the +45 form its check makes), and the device form, whose field
    is also called "name", keeps its own default."""
    page = admin.post("/settings/profile", data={"name": "", "email": "anne@", "mobile": "20 00 00 10"},
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'value="20 00 00 10"' in page and "+4520000010" not in page
    assert re.search(r'<input[^>]*name="name"[^>]*value="Authenticator"', page)


def test_every_problem_of_a_new_password_is_told_at_once(admin, ctx):
    page = admin.post("/settings/password", data={"current": "wrong", "new": "short", "repeat": "other"},
                      headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "The two passwords are not the same." in text and "Use at least 12 characters." in text


def test_an_address_another_login_uses_is_not_revealed_nor_taken(admin, ctx):
    """The answer is the same as for a free address; after the confirmation the address is left
    out, its owner is told, and the audit trail says so."""
    answers = []
    for email in ("ny.adresse@demo.dk", "admin@anden.dk"):
        response = admin.post("/settings/profile", data={"name": "Anne Admin", "email": email,
                                                          "mobile": "+4520000010"})
        answers.append((response.status_code, response.headers.get("Location")))
    assert answers[0] == answers[1] == (302, "/settings/profile/confirm")
    ok = admin.post("/settings/profile/confirm", data={"code": pyotp.TOTP(DEMO_TOTP).now(), "method": "totp"})
    assert ok.status_code == 302
    assert User.get(User.id == 1).email == "admin@demo.dk"
    assert User.select().where(User.email == "admin@anden.dk").count() == 1
    told = OutboxMessage.get(OutboxMessage.recipient == "admin@anden.dk")
    assert "Selvbetjening" in told.body
    event = AuditEvent.select().where(AuditEvent.action == "settings.contact").order_by(AuditEvent.id.desc()).get()
    assert json.loads(event.details)["email_refused"] is True


def test_password_change_rules_and_other_sessions_end(app, ctx):
    first, second = app.test_client(), app.test_client()
    login_with_totp(first, "admin@demo.dk")
    login_with_totp(second, "admin@demo.dk", at_offset=1)
    assert WebSession.select().where(WebSession.user == 1).count() == 2
    wrong = first.post("/settings/password", data={"current": "nope", "new": "a long good phrase 42", "repeat": "a long good phrase 42"})
    assert wrong.status_code == 422
    short = first.post("/settings/password", data={"current": "demo-password-1", "new": "short", "repeat": "short"})
    assert short.status_code == 422
    common = first.post("/settings/password", data={"current": "demo-password-1", "new": "password1234", "repeat": "password1234"})
    assert common.status_code == 422
    ok = first.post("/settings/password", data={"current": "demo-password-1", "new": "tre blå hvaler svømmer 7",
                                                "repeat": "tre blå hvaler svømmer 7"})
    assert ok.status_code == 302
    assert verify_password(User.get(User.id == 1).password_hash, "tre blå hvaler svømmer 7")
    assert WebSession.select().where(WebSession.user == 1).count() == 1
    assert second.get("/").headers["Location"].startswith("/login")
    assert first.get("/").status_code == 200


def test_log_out_everywhere_else(app, ctx):
    first, second = app.test_client(), app.test_client()
    login_with_totp(first, "admin@demo.dk")
    login_with_totp(second, "admin@demo.dk", at_offset=1)
    assert first.post("/settings/sessions/end-others").status_code == 302
    assert second.get("/").status_code == 302 and first.get("/").status_code == 200
    assert AuditEvent.select().where(AuditEvent.action == "session.end_others").exists()


def test_add_and_remove_an_authenticator(app, admin, ctx):
    reauthenticate(admin)
    response = admin.post("/settings/authenticator", data={"name": "Work phone"})
    with app.app_context():  # the secret is encrypted with the app's key
        device = TotpDevice.get(TotpDevice.name == "Work phone")
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "data:image/svg+xml;base64," in page and device.secret in page
    assert admin.post(response.headers["Location"], data={"code": "000000"}).status_code == 422
    admin.post(response.headers["Location"], data={"code": pyotp.TOTP(device.secret).now()})
    assert TotpDevice.get_by_id(device.id).confirmed
    admin.post(f"/settings/authenticator/{device.id}/delete")
    assert not TotpDevice.select().where(TotpDevice.id == device.id).exists()


def test_cannot_remove_the_last_way_to_confirm(app, ctx):
    User.update(mobile="", email="only-totp@demo.dk").where(User.email == "admin@demo.dk").execute()
    # e-mail codes still work, so make the e-mail channel unusable by checking the rule directly
    from services.two_factor import remove_device

    user = User.get(User.email == "only-totp@demo.dk")
    device = TotpDevice.get(TotpDevice.user == user)
    assert remove_device(user, device)  # e-mail remains as a second factor
    assert not TotpDevice.select().where(TotpDevice.user == user).exists()


def test_someone_elses_device_is_404(admin, other_admin, ctx):
    device = TotpDevice.get(TotpDevice.user == 1)
    assert other_admin.post(f"/settings/authenticator/{device.id}/delete").status_code == 404
    assert TotpDevice.select().where(TotpDevice.id == device.id).exists()
