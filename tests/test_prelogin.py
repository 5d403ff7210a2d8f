"""Pre-login abuse (issue 11): nobody can lock out or enumerate anyone.

Failures slow the client that makes them, per target (an address, a pending login, a mobile
number, a username), and never lock the owner; answers are the same whether or not a login, a
username or a customer exists; /apply says nothing of the customer records, and the letter's
holder, not the first applicant, becomes the admin. Limits are shared through Redis.
"""
import json
import re
import shutil
import subprocess
import sys
import time

import pyotp
import pytest

from models import Application, AuditEvent, OneTimeCode, OutboxMessage, User, db, utcnow
from tests.conftest import DEMO_TOTP, ROOT, login_with_totp, make_app
from tests.test_jobs_rq import redis_url  # noqa: F401  (the module's private redis-server)
from tests.test_onboarding import MY_DETAILS, application_data, letters, read_letter

OWNER = "admin@demo.dk"
TREDJE, DEMO_A, UNKNOWN = "87654338", "12345674", "20000007"


def client_from(app, ip):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def quick_app(demo_db_file, tmp_path):
    """The demo data; a client waits at most one second however often it failed."""
    path = tmp_path / "quick.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path, LOGIN_DELAY_MAX_SECONDS=1)
    yield app
    if not db.is_closed():
        db.close()


def same(page):
    """The page without the per-session CSRF token (the only part that differs by design)."""
    page = re.sub(r'"X-CSRFToken": "[^"]*"', "", page)
    return re.sub(r'name="csrf_token"[^>]*>', "", page)


def wrong_password(client, email=OWNER):
    return client.post("/login", data={"email": email, "password": "not-the-password"})


# -- login: slowed, never locked ------------------------------------------------------------------

def test_an_anonymous_client_cannot_lock_out_the_owner(quick_app, ctx):
    attacker = client_from(quick_app, "198.51.100.66")
    # the five free tries and the sixth, which makes the attacker wait (asked at once: a loaded
    # machine must not let the second pass between the failure and the next try)
    statuses = [wrong_password(attacker).status_code for _ in range(6)]
    assert statuses == [200] * 6
    refused = wrong_password(attacker)
    assert refused.status_code == 429 and "Wait 1 second" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "1"

    owner = client_from(quick_app, "192.0.2.10")  # at once, from elsewhere
    assert login_with_totp(owner, OWNER).headers["Location"] == "/"

    time.sleep(1.2)  # and from the attacker's own address, after the wait
    same_place = client_from(quick_app, "198.51.100.66")
    assert login_with_totp(same_place, OWNER, at_offset=1).headers["Location"] == "/"
    user = User.get(User.email == OWNER)
    assert user.locked_until is None
    assert not AuditEvent.select().where(AuditEvent.action.in_(["auth.locked", "auth.refused_locked"])).exists()


def test_wrong_email_and_wrong_password_give_identical_answers(app, ctx):
    def answer(email, ip):
        client = client_from(app, ip)
        started = time.perf_counter()
        response = wrong_password(client, email)
        took = time.perf_counter() - started
        return response.status_code, same(response.get_data(as_text=True).replace(email, "EMAIL")), took

    known = answer(OWNER, "192.0.2.1")
    unknown = answer("nobody-here@demo.dk", "192.0.2.2")
    assert known[:2] == unknown[:2]
    assert "The e-mail address or password is not right." in known[1]
    assert unknown[2] > known[2] / 4  # the unknown address still costs an argon2 verification

    # slowed the same way too: the count is of the address as typed, not of a login
    for email, ip in ((OWNER, "192.0.2.3"), ("nobody-here@demo.dk", "192.0.2.4")):
        client = client_from(app, ip)
        assert [wrong_password(client, email).status_code for _ in range(8)] == [200] * 6 + [429] * 2


def test_wrong_second_factor_codes_slow_this_client_but_the_login_stays(app, ctx):
    attacker = client_from(app, "198.51.100.7")  # has the password, not the authenticator
    for _ in range(4):
        assert attacker.post("/login", data={"email": OWNER, "password": "demo-password-1"}).status_code == 302
        for _ in range(2):
            attacker.post("/login/verify", data={"code": "000000", "method": "totp"})
    attacker.post("/login", data={"email": OWNER, "password": "demo-password-1"})
    refused = attacker.post("/login/verify", data={"code": "000000", "method": "totp"})
    assert refused.status_code == 429 and "Wait" in refused.get_data(as_text=True)
    owner = client_from(app, "192.0.2.20")
    assert login_with_totp(owner, OWNER).headers["Location"] == "/"


def test_the_sms_login_is_slowed_alike_for_known_and_unknown_numbers(app, ctx):
    def statuses(mobile, ip):
        client = client_from(app, ip)
        seen = []
        for _ in range(2):
            client.post("/login/mobile", data={"mobile": mobile})
            seen += [client.post("/login/verify", data={"code": "000000", "method": "sms"}).status_code
                     for _ in range(4)]
        return seen

    known, unknown = statuses("20 00 00 01", "192.0.2.30"), statuses("30 30 30 30", "192.0.2.31")
    assert known == unknown and known[-1] == 429


# -- activation: the letter survives wrong codes ------------------------------------------------------

def test_the_activation_letter_survives_wrong_codes(app, ctx):
    applicant = client_from(app, "192.0.2.40")
    applicant.post("/apply", data=application_data())
    username, code = read_letter(letters()[0])
    attacker = client_from(app, "198.51.100.40")
    answers = [attacker.post("/activate", data={"username": username, "code": "AAAA-BBBB-CCCC"}).status_code
               for _ in range(8)]
    assert answers[:5] == [200] * 5 and answers[-1] == 429
    assert attacker.post("/activate", data={"username": username, "code": code}).status_code == 429  # still waiting
    holder = client_from(app, "192.0.2.41")
    response = holder.post("/activate", data={"username": username, "code": code})
    assert response.status_code == 302 and response.headers["Location"] == "/activate/details"


def test_unknown_and_known_usernames_get_the_same_answer(app, ctx):
    client_from(app, "192.0.2.50").post("/apply", data=application_data())
    username, _ = read_letter(letters()[0])
    known = client_from(app, "192.0.2.51").post("/activate", data={"username": username, "code": "AAAA-BBBB-CCCC"})
    unknown = client_from(app, "192.0.2.52").post("/activate", data={"username": "sb000000", "code": "AAAA-BBBB-CCCC"})
    assert known.status_code == unknown.status_code == 200
    assert (same(known.get_data(as_text=True).replace(username, "U"))
            == same(unknown.get_data(as_text=True).replace("sb000000", "U")))


# -- /apply: the same answer for every CVR; the letter's holder wins --------------------------------------

def test_apply_answers_the_same_for_customer_non_customer_and_has_admin(app, ctx):
    pages = []
    for n, cvr in enumerate((TREDJE, UNKNOWN, DEMO_A)):
        client = client_from(app, f"192.0.2.6{n}")
        response = client.post("/apply", data=application_data(cvr=cvr, company_name="Firma", email=f"x{n}@firma.dk"))
        assert response.status_code == 302 and response.headers["Location"] == "/apply/sent"
        page = client.get("/apply/sent").get_data(as_text=True).replace(cvr, "CVR")
        pages.append(same(re.sub(r"<dt>Received</dt><dd>[^<]*</dd>", "", page)))
    assert pages[0] == pages[1] == pages[2]
    assert "We have received your application" in pages[0]
    for words in ("cannot find", "already has an administrator of", "not a customer"):
        assert words not in pages[0]
    results = [a.result for a in Application.select().order_by(Application.id)]
    assert results == ["letter_sent", "not_customer", "has_admin"]  # the records are still checked


def test_the_real_applicant_wins_over_an_earlier_fake_one(app, ctx):
    fake = client_from(app, "198.51.100.70")
    fake.post("/apply", data=application_data(admin_name="Falsk Person", email="falsk@example.com",
                                              mobile="30 30 30 31"))
    fake_application = Application.get(Application.email == "falsk@example.com")
    fake_login = fake_application.login
    assert (fake_login.mobile, fake_login.status) == ("", "pending")  # the typed details are not channels
    _, fake_code = read_letter(letters()[0])
    OneTimeCode.update(created_at=utcnow().replace(year=2000)).where(OneTimeCode.user == fake_login.id).execute()

    real = client_from(app, "192.0.2.70")
    real.post("/apply", data=application_data())
    real_application = Application.get(Application.email == "tove@tredje.dk")
    assert real_application.result == "letter_sent" and real_application.login_id != fake_login.id
    username, code = read_letter(letters()[-1])
    real.post("/activate", data={"username": username, "code": code})
    assert real.post("/activate/details", data=MY_DETAILS).headers["Location"] == "/activate/password"

    fake_application = Application.get_by_id(fake_application.id)
    assert (fake_application.status, fake_application.result) == ("closed", "superseded")
    assert User.get_by_id(fake_login.id).status == "disabled"
    fake_username = User.get_by_id(fake_login.id).username
    late = client_from(app, "198.51.100.71").post("/activate", data={"username": fake_username, "code": fake_code})
    assert late.status_code == 200  # the other letter stopped working
    closed = AuditEvent.get(AuditEvent.action == "application.closed")
    assert closed.object_id == str(fake_application.id) and json.loads(closed.details)["winner"] == real_application.id
    assert not OutboxMessage.select().where(OutboxMessage.recipient.in_(["falsk@example.com", "+4530303031"])).exists()


def test_whoever_holds_the_letter_replaces_the_applicants_details(app, ctx):
    client_from(app, "198.51.100.80").post("/apply", data=application_data(email="falsk@example.com",
                                                                          mobile="30 30 30 31"))
    username, code = read_letter(letters()[0])
    holder = client_from(app, "192.0.2.80")
    holder.post("/activate", data={"username": username, "code": code})
    form = holder.get("/activate/details").get_data(as_text=True)
    assert 'value="falsk@example.com"' in form  # shown to be confirmed or replaced
    assert holder.get("/activate/password").headers["Location"] == "/activate/details"  # no skipping
    holder.post("/activate/details", data=MY_DETAILS)
    user = User.get(User.username == username)
    assert (user.email, user.mobile) == ("tove@tredje.dk", "+4520304050")
    assert AuditEvent.select().where(AuditEvent.action == "user.details_confirmed").exists()


# -- forgotten password: the same answer; limited per client and per address ------------------------------

def test_forgot_answers_the_same_and_is_limited_per_address(demo_db_file, tmp_path, ctx):
    path = tmp_path / "limits.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path, RATELIMIT_ENABLED=True, RESET_TARGET_RATE_LIMIT="2 per hour", LOGIN_RATE_LIMIT="100 per minute")
    try:
        with app.app_context():
            def ask(email, ip):
                client = client_from(app, ip)
                response = client.post("/login/forgot", data={"email": email})
                page = client.get("/login/forgot/code").get_data(as_text=True) if response.status_code == 302 else ""
                return response.status_code, page

            assert ask(OWNER, "192.0.2.90") == ask("nobody-here@demo.dk", "192.0.2.91")
            assert ask(OWNER, "192.0.2.92")[0] == 302
            assert ask(OWNER, "192.0.2.93")[0] == 429  # the third for one address, from a third client
            assert ask("nobody-here@demo.dk", "192.0.2.94")[0] == 302
            assert ask("nobody-here@demo.dk", "192.0.2.95")[0] == 429  # unknown addresses alike
            assert ask("begraenset@demo.dk", "192.0.2.93")[0] == 302  # another address is not limited
    finally:
        if not db.is_closed():
            db.close()


# -- the limits are shared between processes through Redis -----------------------------------------------

OTHER_INSTANCE = """
import sys
sys.path.insert(0, {root!r})
from tests.conftest import make_app
app = make_app({db!r}, REDIS_URL={url!r}, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
client = app.test_client()
client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
seen = [client.post("/login", data={{"email": "admin@demo.dk", "password": "wrong"}}).status_code for _ in range(3)]
print(seen)
"""


def test_two_app_instances_share_the_limits_through_redis(demo_db_file, tmp_path, redis_url):  # noqa: F811
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    other_db, this_db = tmp_path / "other.db", tmp_path / "this.db"
    shutil.copy(demo_db_file, other_db)
    shutil.copy(demo_db_file, this_db)
    script = OTHER_INSTANCE.format(root=str(ROOT), db=str(other_db), url=redis_url)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[200, 200, 200]"

    app = make_app(this_db, REDIS_URL=redis_url, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute",
                   LOGIN_FREE_FAILURES=2)
    try:
        client = client_from(app, "203.0.113.9")
        with app.app_context():
            # the other process's three failures count here: this instance makes the client wait
            refused = client.post("/login", data={"email": OWNER, "password": "demo-password-1"})
            assert refused.status_code == 429
            elsewhere = client_from(app, "203.0.113.10")
            assert elsewhere.post("/login", data={"email": OWNER, "password": "demo-password-1"}).status_code == 302
            code = pyotp.TOTP(DEMO_TOTP).now()
            assert elsewhere.post("/login/verify", data={"code": code, "method": "totp"}).headers["Location"] == "/"
        keys = [k.decode() for k in Redis.from_url(redis_url).keys("*")]
        assert any("sb-throttle" in k for k in keys) and any("LIMITER" in k for k in keys)
        assert not any("admin@demo.dk" in k for k in keys)  # a hash of the address, never the address
    finally:
        if not db.is_closed():
            db.close()
