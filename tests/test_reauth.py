"""Sessions and second factor (issue 11): re-authentication before sensitive changes, the TOTP
secrets encrypted at rest and their key rotation, idle and absolute session timeouts, and the
production session cookie."""
import datetime
import importlib.util
import shutil
from pathlib import Path
from urllib.parse import unquote

import pyotp

from models import AuditEvent, Membership, TotpDevice, User, WebSession, db, utcnow
from tests.conftest import DEMO_PASSWORD, DEMO_TOTP, login_with_totp, make_app, reauthenticate

ROOT = Path(__file__).resolve().parent.parent


def _stolen(client):
    """A session whose login is older than five minutes: what a thief of the cookie holds."""
    with client.session_transaction() as session:
        session["second_factor_at"] = (utcnow() - datetime.timedelta(minutes=6)).isoformat()
        session.pop("reauth_at", None)
    return client


def _goes_to_verify(response, part):
    location = unquote(response.headers.get("Location", ""))
    return response.status_code == 302 and location.startswith("/verify?") and part in location


def _bent():
    return User.get(User.email == "begraenset@demo.dk")


def _raw_secrets():
    return dict(db.execute_sql("SELECT id, secret FROM totp_device").fetchall())


def _migration_0016():
    path = next((ROOT / "migrations").glob("0016_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0016", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- re-authentication ------------------------------------------------------------------------

def test_a_stolen_session_cannot_swap_the_second_factor(admin, ctx):
    _stolen(admin)
    device = TotpDevice.get(TotpDevice.user == 1)
    before = TotpDevice.select().count()
    add = admin.post("/settings/authenticator", data={"name": "Thief's phone"})
    assert _goes_to_verify(add, "again=1")
    remove = admin.post(f"/settings/authenticator/{device.id}/delete")
    assert _goes_to_verify(remove, "again=1")
    assert TotpDevice.select().count() == before and TotpDevice.get_or_none(TotpDevice.id == device.id)


def test_a_stolen_session_cannot_change_password_email_or_mobile(admin, ctx):
    _stolen(admin)
    wrong = admin.post("/settings/password", data={"current": "guess", "new": "a long good phrase 42",
                                                   "repeat": "a long good phrase 42"})
    assert wrong.status_code == 422
    contact = admin.post("/settings/profile", data={"name": "Anne Admin", "email": "thief@evil.example",
                                                    "mobile": "30 30 30 30"})
    assert contact.headers["Location"] == "/settings/profile/confirm"  # a code to the details in force
    assert admin.post("/settings/profile/confirm", data={"code": "123456", "method": "totp"}).status_code == 422
    user = User.get_by_id(1)
    assert (user.email, user.mobile) == ("admin@demo.dk", "+4520000010")


def test_a_stolen_session_cannot_grant_rights(admin, ctx):
    _stolen(admin)
    bent = _bent()
    membership = Membership.get(Membership.user == bent)
    before = membership.functions
    response = admin.post(f"/users/{bent.id}/rights", data={"membership_id": membership.id,
                                                             "functions": ["sim", "users", "invoices"]})
    assert _goes_to_verify(response, f"next=/users/{bent.id}&")
    assert Membership.get_by_id(membership.id).functions == before
    # a filter of the account list changes nothing and needs no re-authentication
    assert admin.post(f"/users/{bent.id}/rights", data={"membership_id": membership.id, "nav": "filter"}).status_code == 200


def test_another_customers_ids_are_404_before_the_reauth(other_admin, ctx):
    _stolen(other_admin)
    bent = _bent()
    membership = Membership.get(Membership.user == bent)
    assert other_admin.post(f"/users/{bent.id}/rights", data={"membership_id": membership.id}).status_code == 404
    device = TotpDevice.get(TotpDevice.user == 1)
    assert other_admin.post(f"/settings/authenticator/{device.id}/delete").status_code == 404


def test_after_reauth_by_password_the_change_can_be_made_again(admin, ctx):
    _stolen(admin)
    bent = _bent()
    membership = Membership.get(Membership.user == bent)
    response = admin.post(f"/users/{bent.id}/rights", data={"membership_id": membership.id,
                                                             "functions": ["subscriptions", "invoices"]})
    verify_url = response.headers["Location"]
    page = admin.get(verify_url).get_data(as_text=True)
    assert 'name="password"' in page and 'name="code"' in page
    done = admin.post(verify_url, data={"password": DEMO_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == f"/users/{bent.id}"  # the form, not a replay
    assert Membership.get_by_id(membership.id).functions == membership.functions
    assert AuditEvent.select().where(AuditEvent.action == "auth.reauthenticated").exists()
    again = admin.post(f"/users/{bent.id}/rights", data={"membership_id": membership.id,
                                                          "functions": ["subscriptions", "invoices"]})
    assert again.status_code == 302 and again.headers["Location"] == f"/users/{bent.id}"
    assert sorted(Membership.get_by_id(membership.id).functions.split()) == ["invoices", "subscriptions"]


def test_after_reauth_by_second_factor_an_authenticator_can_be_added_and_removed(app, admin, ctx):
    _stolen(admin)
    verify_url = admin.post("/settings/authenticator", data={"name": "Work phone"}).headers["Location"]
    done = admin.post(verify_url, data={"code": pyotp.TOTP(DEMO_TOTP).now(), "method": "totp"})
    assert done.status_code == 302 and done.headers["Location"] == "/settings/#twofa-title"
    added = admin.post("/settings/authenticator", data={"name": "Work phone"})
    assert added.status_code == 302 and added.headers["Location"].startswith("/settings/authenticator/")
    with app.app_context():
        device = TotpDevice.get(TotpDevice.name == "Work phone")
        secret = device.secret
    admin.post(added.headers["Location"], data={"code": pyotp.TOTP(secret).now()})
    assert TotpDevice.get_by_id(device.id).confirmed
    assert admin.post(f"/settings/authenticator/{device.id}/delete").status_code == 302
    assert not TotpDevice.select().where(TotpDevice.id == device.id).exists()


def test_a_get_comes_back_to_itself_after_the_reauth(app, admin, ctx):
    reauthenticate(admin)
    confirm = admin.post("/settings/authenticator", data={"name": "Tablet"}).headers["Location"]
    reauthenticate(admin, minutes_ago=6)  # five minutes later, the QR page is opened again
    response = admin.get(confirm)
    assert _goes_to_verify(response, "next=" + confirm)
    assert "again" not in response.headers["Location"]


def test_reauth_is_stale_after_five_minutes(admin, ctx):
    reauthenticate(admin, minutes_ago=4)
    assert admin.post("/settings/authenticator", data={"name": "Fresh"}).status_code == 302
    assert TotpDevice.select().where(TotpDevice.name == "Fresh").exists()
    reauthenticate(admin, minutes_ago=6)
    assert _goes_to_verify(admin.post("/settings/authenticator", data={"name": "Stale"}), "again=1")
    assert not TotpDevice.select().where(TotpDevice.name == "Stale").exists()


def test_the_wizard_creates_a_user_only_after_reauth(admin, ctx):
    from tests.test_users import LISE, _wizard

    _stolen(admin)
    response = _wizard(admin, fresh=False)
    assert _goes_to_verify(response, "next=/users/new?step=summary")
    assert not User.select().where(User.email == LISE["email"]).exists()
    reauthenticate(admin)
    assert admin.post("/users/new?step=summary", data={"nav": "create"}).status_code == 302
    assert User.select().where(User.email == LISE["email"]).exists()


def test_reauth_is_rate_limited_per_user_and_counts_the_current_password(app, admin, ctx):
    _stolen(admin)
    for _ in range(3):  # the current-password check of a password change counts as re-authentication
        admin.post("/settings/password", data={"current": "wrong", "new": "a long good phrase 42",
                                               "repeat": "a long good phrase 42"})
    for _ in range(2):
        assert admin.post("/verify?next=/settings/", data={"password": "wrong"}).status_code == 422
    blocked = admin.post("/verify?next=/settings/", data={"password": DEMO_PASSWORD})
    assert blocked.status_code == 429 and "Too many wrong attempts" in blocked.get_data(as_text=True) \
        or "For mange forkerte" in blocked.get_data(as_text=True)
    assert admin.post("/verify?next=/settings/", data={"code": pyotp.TOTP(DEMO_TOTP).now(),
                                                       "method": "totp"}).status_code == 429
    assert _goes_to_verify(admin.post("/settings/authenticator", data={"name": "X"}), "again=1")
    right = admin.post("/settings/password", data={"current": DEMO_PASSWORD, "new": "a long good phrase 42",
                                                   "repeat": "a long good phrase 42"})
    assert right.status_code == 429  # the right password does not help a guesser either
    # a second session of the same login is limited too: the count is per user
    other = app.test_client()
    login_with_totp(other, "admin@demo.dk", at_offset=1)
    assert other.post("/verify?next=/settings/", data={"password": DEMO_PASSWORD}).status_code == 429
    details = " ".join(e.details for e in AuditEvent.select().where(AuditEvent.user == 1))
    assert DEMO_PASSWORD not in details and "wrong" not in details


def test_the_window_passes(admin, ctx):
    _stolen(admin)
    for _ in range(5):
        admin.post("/verify?next=/settings/", data={"password": "wrong"})
    assert admin.post("/verify?next=/settings/", data={"password": DEMO_PASSWORD}).status_code == 429
    AuditEvent.update(created_at=utcnow() - datetime.timedelta(minutes=16)).where(
        AuditEvent.action == "auth.reauth_failed").execute()
    assert admin.post("/verify?next=/settings/", data={"password": DEMO_PASSWORD}).status_code == 302


def test_reauth_post_needs_input_and_never_goes_off_site(admin, ctx):
    _stolen(admin)
    assert admin.post("/verify?next=/settings/", data={"password": ""}).status_code == 422
    away = admin.post("/verify", data={"password": DEMO_PASSWORD, "next": "https://evil.example/"})
    assert away.status_code == 302 and "evil" not in away.headers["Location"]


# -- TOTP secrets at rest ---------------------------------------------------------------------

def test_an_enrolled_secret_is_never_stored_plain(app, admin, ctx):
    reauthenticate(admin)
    location = admin.post("/settings/authenticator", data={"name": "Phone"}).headers["Location"]
    device_id = int(location.rsplit("/", 1)[1])
    raw = _raw_secrets()[device_id]
    with app.app_context():
        plain = TotpDevice.get_by_id(device_id).secret
    assert raw.startswith("fernet:") and plain not in raw and len(plain) == 32
    admin.post(location, data={"code": pyotp.TOTP(plain).now()})
    assert _raw_secrets()[device_id] == raw  # confirming does not re-encrypt or un-encrypt


def test_migration_0016_encrypts_the_demo_secret_once_and_login_still_works(app, client, ctx):
    demo_id = TotpDevice.get(TotpDevice.user == 1).id
    assert _raw_secrets()[demo_id] == DEMO_TOTP  # the fixture's builder had no app, so no key
    migration = _migration_0016()
    with app.app_context():
        migration.up(None, db.obj)
    sealed = _raw_secrets()
    assert all(v.startswith("fernet:") for v in sealed.values()) and DEMO_TOTP not in sealed.values()
    with app.app_context():
        migration.up(None, db.obj)  # idempotent: sealed values are recognised and left alone
    assert _raw_secrets() == sealed
    assert login_with_totp(client, "admin@demo.dk").headers["Location"] == "/"


def test_key_rotation_with_fallbacks(app, tmp_path, ctx):
    with app.app_context():
        _migration_0016().up(None, db.obj)
    path = app.config["DATABASE_URL"].split("sqlite:///", 1)[1]
    before = _raw_secrets()
    db.close()
    rotated_app = make_app(path, SECRET_KEY="the-new-key", SECRET_KEY_FALLBACKS=["test-secret"])
    with rotated_app.app_context():  # the old key still opens the secrets
        assert TotpDevice.get(TotpDevice.user == 1).secret == DEMO_TOTP
    result = rotated_app.test_cli_runner().invoke(args=["rotate-totp-key"])
    assert result.exit_code == 0 and f"{len(before)} re-encrypted" in result.output
    after = _raw_secrets()
    assert after.keys() == before.keys() and all(after[k] != before[k] for k in after)
    db.close()
    new_only = make_app(path, SECRET_KEY="the-new-key")
    with new_only.app_context():
        assert TotpDevice.get(TotpDevice.user == 1).secret == DEMO_TOTP
    assert login_with_totp(new_only.test_client(), "admin@demo.dk").headers["Location"] == "/"
    db.close()


def test_a_wrong_key_fails_closed_with_a_clear_error(app, ctx, caplog):
    with app.app_context():
        _migration_0016().up(None, db.obj)
    path = app.config["DATABASE_URL"].split("sqlite:///", 1)[1]
    before = _raw_secrets()
    db.close()
    wrong = make_app(path, SECRET_KEY="a-wrong-key")
    client = wrong.test_client()
    client.post("/login", data={"email": "admin@demo.dk", "password": DEMO_PASSWORD})
    response = client.post("/login/verify", data={"code": pyotp.TOTP(DEMO_TOTP).now(), "method": "totp"})
    assert response.status_code < 500 and response.headers.get("Location") != "/"  # refused, not a 500
    assert client.get("/").status_code == 302  # not signed in
    assert "cannot be decrypted" in caplog.text
    result = wrong.test_cli_runner().invoke(args=["rotate-totp-key"])
    assert result.exit_code != 0 and "cannot be decrypted" in result.output and "nothing was changed" in result.output
    assert _raw_secrets() == before
    db.close()


# -- session timeouts -------------------------------------------------------------------------

def test_idle_timeout_signs_out_with_a_message(client, ctx):
    client.set_cookie("lang", "en")
    login_with_totp(client, "admin@demo.dk")
    assert client.get("/").status_code == 200
    WebSession.update(last_seen_at=utcnow() - datetime.timedelta(minutes=14)).execute()
    assert client.get("/").status_code == 200  # 14 minutes: still in
    WebSession.update(last_seen_at=utcnow() - datetime.timedelta(minutes=16)).execute()
    response = client.get("/subscriptions")
    assert response.headers["Location"].startswith("/login")
    assert not WebSession.select().where(WebSession.user == 1).exists()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were logged out after 15 minutes without activity" in page


def test_absolute_timeout_after_twelve_hours_even_when_active(client, ctx):
    client.set_cookie("lang", "en")
    login_with_totp(client, "admin@demo.dk")
    WebSession.update(created_at=utcnow() - datetime.timedelta(hours=11, minutes=50)).execute()
    assert client.get("/").status_code == 200
    WebSession.update(created_at=utcnow() - datetime.timedelta(hours=12, minutes=1),
                      last_seen_at=utcnow()).execute()
    response = client.get("/")
    assert response.headers["Location"].startswith("/login")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "more than 12 hours ago" in page


def test_an_anonymous_session_that_expires_says_nothing(client, ctx):
    client.set_cookie("lang", "en")
    client.get("/login")
    WebSession.update(last_seen_at=utcnow() - datetime.timedelta(minutes=20)).execute()
    assert "logged out" not in client.get("/login").get_data(as_text=True)


# -- the production cookie --------------------------------------------------------------------

def test_production_session_cookie_is_host_prefixed(demo_db_file, tmp_path):
    path = tmp_path / "prod.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path, ENV_MODE="production", SECRET_KEY="x" * 32, WTF_CSRF_ENABLED=True)
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    client = app.test_client()
    response = client.get("/login", base_url="https://portal.example")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-session="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= flags and "domain" not in flags
    assert "SameSite=Lax" in cookie and "Path=/;" in cookie + ";"
    token = cookie.split(";")[0].split("=", 1)[1]
    # the cookie is a random id; the CSRF secret lives in the server-side session row
    assert "." not in token and "csrf" in WebSession.get().data
    # a POST without the session's CSRF token is refused
    assert client.post("/login", data={"email": "admin@demo.dk", "password": DEMO_PASSWORD},
                       base_url="https://portal.example").status_code == 400
    db.close()


def test_a_wrong_code_at_the_check_is_one_event_not_a_failed_login(admin, ctx):
    """The check of a signed-in user records its own failure; a wrong code there is no failed login."""
    _stolen(admin)
    before = AuditEvent.select().count()
    admin.post("/verify?next=/settings/", data={"code": "000000", "method": "totp"})
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id).offset(before)]
    assert actions == ["auth.reauth_failed"]
