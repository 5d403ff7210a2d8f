"""Signing in: password, then a second factor (TOTP, or a code by SMS or e-mail).

Failures never lock a login. A failure slows the next attempt at the same target (an e-mail
address as typed, a pending login, a mobile number, a username) from the same client: the first
few are free, then the client must wait 1, 2, 4 ... seconds (at most LOGIN_DELAY_MAX_SECONDS)
and is answered 429 until then. The owner from another client is not slowed at all. The counters
live in the rate-limit store (Redis when set), so every process sees the same ones; the key holds
a hash of the target, never the address itself. Answers never tell whether a login exists.
Each TOTP time step is accepted once; codes are stored as HMACs and expire.
"""
import datetime
import hashlib
import hmac
import math
import secrets
import time

import pyotp
from flask import current_app
from flask_babel import gettext as _

from extensions import counter_storage
from models import OneTimeCode, TotpDevice, User, db, utcnow

from . import audit
from .messages import in_locale, queue_message
from .passwords import hash_password, needs_rehash, verify_password

CODE_TTL = datetime.timedelta(minutes=10)
CODE_RESEND_AFTER = datetime.timedelta(seconds=30)
CODES_PER_QUARTER = 5  # codes one user may be sent per 15 minutes

FREE_FAILURES = 5  # failures at one target from one client before the client has to wait
FAILURE_MEMORY = 3600  # seconds a client's failures at a target are remembered (from the first)


class LoginError(Exception):
    """`reason` is one of: invalid, wait, too_soon, too_many, no_channel; `seconds` for wait."""

    def __init__(self, reason, seconds=None):
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds


def normalise_email(email):
    return (email or "").strip().lower()


# -- the throttle: per target and client, never a lock ------------------------------------------

def _throttle_keys(scope, target):
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{scope}:{target}".encode(),
                      hashlib.sha256).hexdigest()[:32]
    base = f"sb-throttle/{digest}/{audit.client_ip() or '-'}"
    return f"{base}/failures", f"{base}/wait"


def delay_after(failures):
    """Seconds to wait after this many failures: none for the free ones, then doubling, capped."""
    free = current_app.config.get("LOGIN_FREE_FAILURES", FREE_FAILURES)
    if failures <= free:
        return 0
    cap = current_app.config.get("LOGIN_DELAY_MAX_SECONDS", 300)
    return min(2 ** min(failures - free - 1, 20), cap)


def throttle_check(scope, target):
    """Raise LoginError("wait", seconds) while this client must wait before trying `target` again."""
    storage = counter_storage()
    _, wait_key = _throttle_keys(scope, target)
    if storage.get(wait_key) > 0:
        seconds = max(1, math.ceil(storage.get_expiry(wait_key) - time.time()))
        raise LoginError("wait", seconds)


def throttle_failure(scope, target):
    """Count a failure of this client at `target`; from the free ones on, the next try waits."""
    storage = counter_storage()
    failures_key, wait_key = _throttle_keys(scope, target)
    failures = storage.incr(failures_key, FAILURE_MEMORY)
    seconds = delay_after(failures)
    if seconds:
        storage.clear(wait_key)
        storage.incr(wait_key, seconds)
    return seconds


def throttle_clear(scope, target):
    """A success: this client's count at `target` starts again."""
    storage = counter_storage()
    for key in _throttle_keys(scope, target):
        storage.clear(key)


def check_password(email, password):
    """The user whose password this is, ready for the second factor; or LoginError.

    The answer is the same whether or not the address has a login: the throttle counts the address
    as typed, and a missing login still costs one argon2 verification (against a dummy hash)."""
    email = normalise_email(email)
    throttle_check("password", email)
    user = User.get_or_none(User.email == email)
    ok = verify_password(user.password_hash if user else None, password or "")
    # Failures are written before the error is raised: never inside a rolled-back transaction.
    with db.atomic():
        if user is None or user.kind == "employee" or not ok or user.status != "active":
            if user is not None:
                User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
            audit.record("auth.failure", user=user.id if user else None, obj=user, step="password",
                         email_domain=email.rpartition("@")[2])
            error = LoginError("invalid")
        else:
            error = None
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
                user.save()
            audit.record("auth.password_ok", user=user.id, obj=user)
    if error is not None:
        throttle_failure("password", email)
        raise error
    throttle_clear("password", email)
    return user


def find_employee_by_mobile(mobile):
    return User.get_or_none(User.mobile == mobile, User.kind == "employee", User.status == "active")


def second_factor_methods(user):
    """What this user can use: an authenticator, SMS to the mobile, a code by e-mail."""
    methods = []
    if user.kind != "employee" and confirmed_devices(user).exists():
        methods.append("totp")
    if user.mobile:
        methods.append("sms")
    if user.email and user.kind != "employee":
        methods.append("email")
    return methods


def confirmed_devices(user):
    return TotpDevice.select().where(TotpDevice.user == user.id, TotpDevice.confirmed == True)  # noqa: E712


def _code_digest(code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def send_login_code(user, channel, purpose="login", language=None):
    """Create a 6-digit code and send it by `channel` (sms or email), in `language` or else the
    login's own. A caller passes the page's language only for someone who has shown they are the
    user (the password typed, a session, an e-mailed code): a stranger who types a number must not
    choose the language of a real code sent to its owner."""
    if channel not in second_factor_methods(user) or channel == "totp":
        raise LoginError("no_channel")
    now = utcnow()
    recent = (OneTimeCode.select()
              .where(OneTimeCode.user == user.id, OneTimeCode.purpose == purpose,
                     OneTimeCode.created_at > now - datetime.timedelta(minutes=15))
              .order_by(OneTimeCode.created_at.desc()))
    latest = recent.first()
    if latest is not None and now - latest.created_at < CODE_RESEND_AFTER:
        raise LoginError("too_soon")
    if recent.count() >= CODES_PER_QUARTER:
        raise LoginError("too_many")
    code = f"{secrets.randbelow(10**6):06d}"
    with db.atomic():
        (OneTimeCode.update(used_at=now)
         .where(OneTimeCode.user == user.id, OneTimeCode.purpose == purpose,
                OneTimeCode.used_at.is_null()).execute())
        OneTimeCode.create(user=user.id, purpose=purpose, channel=channel,
                           code_hash=_code_digest(code), expires_at=now + CODE_TTL)
        audit.record("auth.code_sent", user=user.id, obj=user, channel=channel)
    body = in_locale(language or user.locale, lambda: _(
        "Your Selvbetjening code is %(code)s. It is valid for 10 minutes. "
        "Never give it to anyone.", code=code))
    subject = in_locale(language or user.locale, lambda: _("Your Selvbetjening code"))
    recipient = user.mobile if channel == "sms" else user.email
    queue_message(channel, recipient, body, subject=subject, user=user.id, sensitive=True)


def _verify_totp(user, code):
    """Accept a code of any confirmed device, once per time step."""
    from .two_factor import UnreadableSecret  # (two_factor imports this module)

    for device in confirmed_devices(user):
        if isinstance(device.secret, UnreadableSecret):  # the key that sealed it is gone: fails closed
            continue
        totp = pyotp.TOTP(device.secret)
        now = utcnow().replace(tzinfo=datetime.timezone.utc)
        for offset in (-1, 0, 1):  # allow one step of clock drift
            at = now + datetime.timedelta(seconds=offset * totp.interval)
            step = totp.timecode(at)
            if step > user.last_totp_step and hmac.compare_digest(totp.at(at), code):
                # Claim the step in the database: of two requests racing with one code, one wins.
                claimed = (User.update(last_totp_step=step)
                           .where(User.id == user.id, User.last_totp_step < step).execute())
                if not claimed:
                    return False
                user.last_totp_step = step
                device.last_used_at = utcnow()
                device.save()
                return True
    return False


def _verify_sent_code(user, code, purpose):
    row = (OneTimeCode.select()
           .where(OneTimeCode.user == user.id, OneTimeCode.purpose == purpose,
                  OneTimeCode.used_at.is_null(), OneTimeCode.expires_at > utcnow())
           .order_by(OneTimeCode.created_at.desc()).first())
    if row is None:
        return False
    if hmac.compare_digest(row.code_hash, _code_digest(code)):
        # spent only if still unspent: two racing requests cannot both use it
        return bool(OneTimeCode.update(used_at=utcnow())
                    .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_null()).execute())
    row.attempts += 1
    row.save()
    return False


def verify_second_factor(user, method, code, purpose="login", target=None):
    """True when the code is right. A wrong one slows this client at `target` (default: the
    user's login), and raises LoginError("wait") while the client must wait; never a lock."""
    target = target or f"user:{user.id if user else 0}"
    throttle_check("code", target)
    if user is None:  # the mobile-number login with a number that is no employee's: every code is wrong
        throttle_failure("code", target)
        return False
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    with db.atomic():
        user = User.get_by_id(user.id)
        if len(code) == 6:
            ok = _verify_totp(user, code) if method == "totp" else _verify_sent_code(user, code, purpose)
        else:
            ok = False
        if not ok:
            User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
            if purpose != "verify":  # a signed-in user's check records its own event (sessions.record_reauth_failure)
                audit.record("auth.failure", user=user.id, obj=user, step=method)
    if ok:
        throttle_clear("code", target)
    else:
        throttle_failure("code", target)
    return ok


def complete_login(user, method):
    with db.atomic():
        User.update(last_login_at=utcnow(), failed_logins=0).where(User.id == user.id).execute()
        audit.record("auth.login", user=user.id, obj=user, method=method)


def new_totp_secret():
    return pyotp.random_base32(32)


def provisioning_uri(user, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Selvbetjening")
