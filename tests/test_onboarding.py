"""Applying for access (/apply) and activating the login from the letter (/activate)."""
import datetime
import re
import shutil

import pyotp
import pytest

from models import (
    Application,
    AuditEvent,
    Membership,
    OneTimeCode,
    OutboxMessage,
    TotpDevice,
    User,
    utcnow,
)
from services.rights import FUNCTIONS
from tests.conftest import make_app

TREDJE = "87654338"  # a customer without self-service users
DEMO_A = "12345674"  # has admins
UNKNOWN = "20000007"  # a valid CVR number that is no customer
GOOD_PASSWORD = "grøn kaffekop under bordet"


@pytest.fixture
def en(client):
    """The client in English, so texts can be checked against the source strings."""
    client.set_cookie("lang", "en")
    return client


def application_data(**overrides):
    data = {"cvr": TREDJE, "company_name": "Tredje Firma A/S", "admin_name": "Tove Tredje",
            "email": "tove@tredje.dk", "mobile": "20 30 40 50", "terms": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def apply(client, **overrides):
    return client.post("/apply", data=application_data(**overrides))


def letters(cvr=TREDJE):
    return list(OutboxMessage.select().where(OutboxMessage.channel == "digital_post",
                                             OutboxMessage.recipient == cvr)
                .order_by(OutboxMessage.id))


def read_letter(message):
    """Username and activation code, as the admin reads them in e-Boks."""
    username = re.search(r"\bsb\d{6}\b", message.body).group(0)
    code = re.search(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b", message.body).group(0)
    return username, code


def actions():
    return {e.action for e in AuditEvent.select(AuditEvent.action)}


MY_DETAILS = {"name": "Tove Tredje", "email": "tove@tredje.dk", "mobile": "20 30 40 50"}


def activate_with_letter(client, cvr=TREDJE, details=None):
    """The code from the letter; for an access application also the applicant's details (confirmed
    or replaced: until then the application's e-mail and mobile are used for nothing)."""
    username, code = read_letter(letters(cvr)[-1])
    response = client.post("/activate", data={"username": username, "code": code})
    if response.status_code == 302 and response.headers["Location"] == "/activate/details":
        response = client.post("/activate/details", data=details or MY_DETAILS)
    assert response.status_code == 302 and response.headers["Location"] == "/activate/password", response.data[:400]
    return username


def choose_password(client, password=GOOD_PASSWORD, repeat=None):
    return client.post("/activate/password", data={"password": password, "repeat": repeat or password})


# -- the happy path ---------------------------------------------------------------------

def test_company_without_users_applies_activates_and_is_logged_in(app, en, ctx):
    response = apply(en)
    assert response.status_code == 302 and response.headers["Location"] == "/apply/sent"
    page = en.get("/apply/sent").get_data(as_text=True)
    assert "within 2 hours" in page and "e-Boks" in page

    application = Application.get(Application.cvr == TREDJE)
    assert (application.status, application.result, application.kind) == ("approved", "letter_sent", "access")
    user = application.login
    # nothing the applicant typed is a second-factor channel before the letter's holder confirms it
    assert (user.status, user.kind, user.name, user.mobile) == ("pending", "customer", "Tove Tredje", "")
    assert user.email.endswith("@pending.invalid")
    membership = Membership.get(Membership.user == user)
    assert membership.is_admin and membership.full_access
    assert membership.company.cvr == TREDJE and membership.function_set == frozenset(FUNCTIONS)
    [letter] = letters()
    assert letter.status == "sent" and user.username in letter.body

    username, code = read_letter(letter)
    prefilled = en.get(f"/activate?username={username}")
    assert prefilled.status_code == 200 and f'value="{username}"' in prefilled.get_data(as_text=True)
    activate_with_letter(en)
    user = User.get_by_id(user.id)
    assert (user.email, user.mobile) == ("tove@tredje.dk", "+4520304050")
    assert choose_password(en).headers["Location"] == "/activate/two-factor"

    assert en.post("/activate/two-factor", data={"action": "choose", "method": "totp"}).status_code == 302
    setup = en.get("/activate/two-factor").get_data(as_text=True)
    with app.app_context():  # the secret is sealed with the app's key
        device = TotpDevice.get(TotpDevice.user == user)
        secret = str(device.secret)
    assert secret in setup and "data:image/svg+xml" in setup
    response = en.post("/activate/two-factor", data={"action": "confirm", "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.headers["Location"] == "/"

    front = en.get("/")
    assert front.status_code == 200 and "Welcome to Selvbetjening, Tove Tredje" in front.get_data(as_text=True)
    user = User.get_by_id(user.id)
    assert user.status == "active" and user.password_hash and user.last_login_at
    assert TotpDevice.get_by_id(device.id).confirmed
    assert {"application.received", "application.approved", "user.created", "user.activation_sent",
            "user.activation_code_accepted", "user.password_set", "2fa.device_added", "user.activated",
            "auth.login"} <= actions()
    # the code was single use
    assert OneTimeCode.get(OneTimeCode.user == user, OneTimeCode.purpose == "activation").used_at is not None


def test_activation_with_a_code_by_sms(client, ctx):
    apply(client)
    activate_with_letter(client)
    choose_password(client)
    client.post("/activate/two-factor", data={"action": "choose", "method": "sms"})
    sms = OutboxMessage.select().where(OutboxMessage.channel == "sms",
                                       OutboxMessage.recipient == "+4520304050").get()
    code = re.search(r"\b\d{6}\b", sms.body).group(0)
    response = client.post("/activate/two-factor", data={"action": "confirm", "code": code})
    assert response.headers["Location"] == "/"
    assert User.get(User.email == "tove@tredje.dk").status == "active"
    assert client.get("/").status_code == 200


def test_the_steps_survive_a_reload(app, client, ctx):
    apply(client)
    activate_with_letter(client)
    assert client.get("/activate").headers["Location"] == "/activate/password"
    assert client.get("/activate/password").status_code == 200
    choose_password(client)
    assert client.get("/activate/password").headers["Location"] == "/activate/two-factor"
    client.post("/activate/two-factor", data={"action": "choose", "method": "totp"})
    first = client.get("/activate/two-factor").get_data(as_text=True)
    with app.app_context():  # the secret is sealed with the app's key
        secret = str(TotpDevice.get(TotpDevice.user == User.get(User.email == "tove@tredje.dk")).secret)
    assert secret in first and secret in client.get("/activate/two-factor").get_data(as_text=True)


def test_wrong_enrolment_codes_are_refused_and_limited(en, ctx):
    apply(en)
    activate_with_letter(en)
    choose_password(en)
    en.post("/activate/two-factor", data={"action": "choose", "method": "totp"})
    for _ in range(4):
        response = en.post("/activate/two-factor", data={"action": "confirm", "code": "000000"})
        assert response.status_code == 200 and "The code is not right" in response.get_data(as_text=True)
    response = en.post("/activate/two-factor", data={"action": "confirm", "code": "000000"})
    assert response.status_code == 302
    user = User.get(User.email == "tove@tredje.dk")
    assert user.status == "pending" and not TotpDevice.select().where(TotpDevice.user == user).exists()
    assert AuditEvent.select().where(AuditEvent.action == "user.activation_2fa_failed").count() == 5


def test_the_activation_session_expires_after_30_minutes(en, ctx):
    apply(en)
    activate_with_letter(en)
    with en.session_transaction() as session:
        state = session["activation"]
        session["activation"] = {**state, "at": (utcnow() - datetime.timedelta(minutes=31)).isoformat()}
    response = en.get("/activate/password")
    assert response.headers["Location"] == "/activate"
    assert "has expired" in en.get("/activate").get_data(as_text=True)


# -- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"cvr": "12345675"}, "not a valid CVR number"),
    ({"cvr": "1234"}, "CVR number with 8 digits"),
    ({"cvr": ""}, "Enter the company"),
    ({"admin_name": ""}, "s name."),
    ({"email": "not-an-email"}, "Enter a valid e-mail address"),
    ({"mobile": "123"}, "Danish phone number"),
    ({"terms": None}, "Accept the terms"),
])
def test_bad_applications_get_errors_and_nothing_is_recorded(en, ctx, overrides, message):
    response = apply(en, **overrides)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert 'value="Tredje Firma A/S"' in body  # what was typed is kept
    assert ".:" not in body  # a label that is a sentence, in the summary: "…the company: Accept the terms"
    assert Application.select().count() == 0
    assert not AuditEvent.select().where(AuditEvent.action == "application.received").exists()
    assert letters() == []


def test_only_an_accepted_application_counts_against_the_limit(demo_db_file, tmp_path):
    """Someone correcting their typing is not locked out: forms sent back with errors do not count."""
    path = tmp_path / "limits.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path, RATELIMIT_ENABLED=True, APPLY_RATE_LIMIT="1 per minute")
    client = app.test_client()
    client.set_cookie("lang", "en")
    for _ in range(4):
        assert apply(client, terms=None).status_code == 200  # errors: sent back, not counted
    assert apply(client).status_code == 302  # taken in: counted
    assert apply(client, terms=None).status_code == 429  # the minute's one is used


# -- the check against the customer records ---------------------------------------------------

def test_company_with_an_admin_gets_no_new_user(en, ctx):
    apply(en, cvr=DEMO_A, company_name="Demo A/S", email="ny@demo.dk")
    application = Application.get(Application.cvr == DEMO_A)
    assert (application.status, application.result) == ("rejected", "has_admin")
    assert not User.select().where(User.email == "ny@demo.dk").exists()
    assert letters(DEMO_A) == []
    page = en.get("/apply/sent").get_data(as_text=True)
    assert "already has an administrator" in page and "/apply/recovery?cvr=12345674" in page


def test_unknown_cvr_is_rejected(en, ctx):
    apply(en, cvr=UNKNOWN, company_name="Ukendt ApS", email="x@ukendt.dk")
    application = Application.get(Application.cvr == UNKNOWN)
    assert (application.status, application.result) == ("rejected", "not_customer")
    assert not User.select().where(User.email == "x@ukendt.dk").exists()
    assert "We have received your application" in en.get("/apply/sent").get_data(as_text=True)
    assert {"application.received", "application.rejected"} <= actions()


def test_email_of_an_existing_login_is_not_revealed_and_cannot_be_taken(en, ctx):
    apply(en, email="admin@anden.dk")
    assert Application.get(Application.cvr == TREDJE).result == "letter_sent"
    assert "We have received your application" in en.get("/apply/sent").get_data(as_text=True)
    username, code = read_letter(letters()[0])
    en.post("/activate", data={"username": username, "code": code})
    response = en.post("/activate/details", data={**MY_DETAILS, "email": "admin@anden.dk"})
    assert response.status_code == 422 and "cannot be used for a new login" in response.get_data(as_text=True)
    assert en.post("/activate/details", data=MY_DETAILS).headers["Location"] == "/activate/password"


def test_repeated_applications_send_at_most_one_letter_an_hour(en, ctx):
    apply(en)
    apply(en, admin_name="Tim Tredje", email="tim@tredje.dk")
    second = Application.select().order_by(Application.id.desc()).first()
    assert second.result == "already_sent" and len(letters()) == 1
    _, old_code = read_letter(letters()[0])

    # an hour later a second letter, with a login of its own; the first letter still works
    OneTimeCode.update(created_at=utcnow() - datetime.timedelta(hours=2)).execute()
    apply(en, admin_name="Tim Tredje", email="tim@tredje.dk")
    third = Application.select().order_by(Application.id.desc()).first()
    assert (third.status, third.result) == ("approved", "letter_sent") and len(letters()) == 2
    first_username, first_code = read_letter(letters()[0])
    assert first_code == old_code
    assert en.post("/activate", data={"username": first_username, "code": first_code}).status_code == 302


# -- activation errors --------------------------------------------------------------------------

def test_unknown_username_gets_the_same_answer(en, ctx):
    response = en.post("/activate", data={"username": "sb000000", "code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 200
    assert "The username or the activation code is not right" in response.get_data(as_text=True)


def test_expired_activation_code_is_refused(en, ctx):
    apply(en)
    OneTimeCode.update(expires_at=utcnow() - datetime.timedelta(minutes=1)).where(
        OneTimeCode.purpose == "activation").execute()
    username, code = read_letter(letters()[0])
    response = en.post("/activate", data={"username": username, "code": code})
    assert response.status_code == 200 and "has expired" in response.get_data(as_text=True)
    assert en.get("/activate/password").headers["Location"] == "/activate"


@pytest.mark.parametrize("password, repeat, message", [
    ("password1234", None, "too easy to guess"),
    ("kort", None, "at least 12 characters"),
    ("x" * 129, None, "at most 128 characters"),
    (GOOD_PASSWORD, GOOD_PASSWORD + "!", "not the same"),
])
def test_weak_or_mismatched_passwords_are_refused(en, ctx, password, repeat, message):
    apply(en)
    activate_with_letter(en)
    response = choose_password(en, password, repeat)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert User.get(User.email == "tove@tredje.dk").password_hash is None


def test_steps_cannot_be_skipped(client, ctx):
    assert client.get("/activate/password").headers["Location"] == "/activate"
    assert client.get("/activate/two-factor").headers["Location"] == "/activate"
    apply(client)
    activate_with_letter(client)
    assert client.get("/activate/two-factor").headers["Location"] == "/activate/password"
    response = client.post("/activate/two-factor", data={"action": "confirm", "code": "123456"})
    assert response.status_code == 302 and User.get(User.email == "tove@tredje.dk").status == "pending"


def test_pending_user_cannot_log_in_with_password_before_activation(client, ctx):
    apply(client)
    activate_with_letter(client)
    choose_password(client)
    other = client.application.test_client()
    response = other.post("/login", data={"email": "tove@tredje.dk", "password": GOOD_PASSWORD})
    assert response.status_code == 200  # refused: the login is not active yet


# -- recovery request --------------------------------------------------------------------------

def test_recovery_request_is_recorded_for_staff(en, ctx):
    response = en.post("/apply/recovery", data=application_data(
        cvr="25313763", company_name="Fjerde Handel ApS", admin_name="Nina Ny", email="nina@fjerde.dk",
        reason="Jens har forladt firmaet."))
    assert response.headers["Location"] == "/apply/sent"
    application = Application.get(Application.cvr == "25313763")
    assert (application.kind, application.status, application.reason) == ("recovery", "received",
                                                                          "Jens har forladt firmaet.")
    assert application.company.name == "Fjerde Handel ApS"
    assert "usually within two working days" in en.get("/apply/sent").get_data(as_text=True)
    assert not User.select().where(User.email == "nina@fjerde.dk").exists()
    assert AuditEvent.select().where(AuditEvent.action == "application.received").exists()


def test_recovery_request_needs_a_reason(en, ctx):
    response = en.post("/apply/recovery", data=application_data(cvr="25313763", reason=""))
    assert response.status_code == 200 and "Tell us what has happened" in response.get_data(as_text=True)
    assert Application.select().count() == 0
