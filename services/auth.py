"""Signing in: password, then a second factor (TOTP, or a code by SMS or e-mail).

Consecutive failures of either step count towards a temporary lock; each TOTP
time step is accepted once; codes are stored as HMACs and expire.
"""
import datetime
import hashlib
import hmac
import secrets

import pyotp
from flask import current_app
from flask_babel import gettext as _

from models import OneTimeCode, TotpDevice, User, db, utcnow

from . import audit
from .messages import in_locale, queue_message
from .passwords import hash_password, needs_rehash, verify_password

CODE_TTL = datetime.timedelta(minutes=10)
CODE_RESEND_AFTER = datetime.timedelta(seconds=30)
CODES_PER_QUARTER = 5  # codes one user may be sent per 15 minutes


class LoginError(Exception):
    """`reason` is one of: invalid, locked, too_soon, too_many, no_channel."""

    def __init__(self, reason, until=None):
        super().__init__(reason)
        self.reason = reason
        self.until = until


def normalise_email(email):
    return (email or "").strip().lower()


def is_locked(user):
    return user.locked_until is not None and user.locked_until > utcnow()


def _register_failure(user, step):
    user.failed_logins += 1
    audit.record("auth.failure", user=user.id, obj=user, step=step)
    if user.failed_logins >= current_app.config["LOCKOUT_AFTER"]:
        user.locked_until = utcnow() + datetime.timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
        user.failed_logins = 0
        audit.record("auth.locked", user=user.id, obj=user, until=user.locked_until)
    user.save()


def check_password(email, password):
    """The user whose password this is, ready for the second factor; or LoginError."""
    user = User.get_or_none(User.email == normalise_email(email))
    ok = verify_password(user.password_hash if user else None, password or "")
    # Failures are written before the error is raised: never inside a rolled-back transaction.
    with db.atomic():
        if user is None or user.kind == "employee":
            audit.record("auth.failure", step="password", email_domain=normalise_email(email).rpartition("@")[2])
            error = LoginError("invalid")
        elif is_locked(user):
            audit.record("auth.refused_locked", user=user.id, obj=user)
            error = LoginError("locked", user.locked_until)
        elif not ok or user.status != "active":
            _register_failure(user, "password")
            error = LoginError("locked", user.locked_until) if is_locked(user) else LoginError("invalid")
        else:
            error = None
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
                user.save()
            audit.record("auth.password_ok", user=user.id, obj=user)
    if error is not None:
        raise error
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


def send_login_code(user, channel, purpose="login"):
    """Create a 6-digit code and send it by `channel` (sms or email)."""
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
    body = in_locale(user.locale, lambda: _(
        "Your Selvbetjening code is %(code)s. It is valid for 10 minutes. "
        "Never give it to anyone.", code=code))
    subject = in_locale(user.locale, lambda: _("Your Selvbetjening code"))
    recipient = user.mobile if channel == "sms" else user.email
    queue_message(channel, recipient, body, subject=subject, user=user.id, sensitive=True)


def _verify_totp(user, code):
    """Accept a code of any confirmed device, once per time step."""
    for device in confirmed_devices(user):
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


def verify_second_factor(user, method, code, purpose="login"):
    """True when the code is right; a wrong one counts towards the lock."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    with db.atomic():
        user = User.get_by_id(user.id)  # fresh counters
        if is_locked(user):
            ok = None
        elif len(code) == 6:
            ok = _verify_totp(user, code) if method == "totp" else _verify_sent_code(user, code, purpose)
        else:
            ok = False
        if ok is False:
            _register_failure(user, method)
        elif ok:
            user.failed_logins = 0
            user.save()
    if ok is None or (not ok and is_locked(user)):
        raise LoginError("locked", user.locked_until)
    return ok


def complete_login(user, method):
    with db.atomic():
        User.update(last_login_at=utcnow(), failed_logins=0).where(User.id == user.id).execute()
        audit.record("auth.login", user=user.id, obj=user, method=method)


def new_totp_secret():
    return pyotp.random_base32(32)


def provisioning_uri(user, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Selvbetjening")
