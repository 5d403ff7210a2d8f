"""A forgotten password: a code by e-mail, then the second factor, then a new password.

Asking answers the same whether or not the address has a login (the view shows one page
either way, and both paths here hash a code and write one audit event). The e-mailed code
is 8 digits, stored as an HMAC, single use, valid for 15 minutes and for 5 attempts.
The second factor is the login's own (an authenticator or an SMS code; not the e-mail,
which the first step has already used). A new password ends every session of the user.
Codes and passwords never reach the audit trail or a log.
"""
import datetime
import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import gettext as _

from models import OneTimeCode, User, db, utcnow

from . import audit
from . import auth as auth_service
from .locale import page_language
from .messages import in_locale, public_url, queue_message
from .passwords import hash_password, password_problem
from .sessions import end_user_sessions

CODE_TTL = datetime.timedelta(minutes=15)
CODE_DIGITS = 8
MAX_ATTEMPTS = 5  # wrong tries before a code is spent
RESEND_AFTER = datetime.timedelta(seconds=30)
CODES_PER_QUARTER = 5  # codes one login may be sent per 15 minutes
PURPOSE = "reset"  # the code by e-mail
SMS_PURPOSE = "reset_sms"  # the second factor by SMS
FACTORS = ("totp", "sms")


def _digest(code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{PURPOSE}:{code}".encode(), hashlib.sha256).hexdigest()


def _clean(code):
    return "".join(ch for ch in (code or "") if ch.isdigit())


def factor_methods(user):
    """The second factors that can confirm a reset: an authenticator, an SMS to the mobile."""
    return [m for m in auth_service.second_factor_methods(user) if m in FACTORS]


def resettable(user):
    """An active login with a password (employees have none: they sign in by SMS)."""
    return (user is not None and user.kind != "employee" and user.status == "active"
            and bool(user.password_hash))


def request_reset(email):
    """Send a code to `email` if it belongs to a login that can be reset.

    Returns the user id the code was sent for (the view keeps it in the server-side
    session), or 0. The caller answers the same either way."""
    email = auth_service.normalise_email(email)
    user = User.get_or_none(User.email == email)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    digest = _digest(code)  # on every path: the same work whether or not the address is known
    if not resettable(user):
        with db.atomic():
            audit.record("auth.password_reset_unknown", email_domain=email.rpartition("@")[2])
        return 0
    if not factor_methods(user):
        with db.atomic():
            audit.record("auth.password_reset_refused", user=user.id, obj=user, reason="no_second_factor")
        _tell_no_second_factor(user)
        return 0
    now = utcnow()
    recent = (OneTimeCode.select()
              .where(OneTimeCode.user == user.id, OneTimeCode.purpose == PURPOSE,
                     OneTimeCode.created_at > now - datetime.timedelta(minutes=15))
              .order_by(OneTimeCode.created_at.desc()))
    latest = recent.first()
    if (latest is not None and now - latest.created_at < RESEND_AFTER) or recent.count() >= CODES_PER_QUARTER:
        # no new code: the last one still works. The answer is the same as for a sent code.
        with db.atomic():
            audit.record("auth.password_reset_throttled", user=user.id, obj=user)
        return user.id
    with db.atomic():
        (OneTimeCode.update(used_at=now)
         .where(OneTimeCode.user == user.id, OneTimeCode.purpose == PURPOSE, OneTimeCode.used_at.is_null())
         .execute())
        OneTimeCode.create(user=user.id, purpose=PURPOSE, channel="email", code_hash=digest,
                           expires_at=now + CODE_TTL)
        audit.record("auth.password_reset_requested", user=user.id, obj=user)
    body = in_locale(user.locale, lambda: _(
        "Someone, hopefully you, asked to reset the password of your Selvbetjening login. "
        "Your code is %(code)s. It is valid for 15 minutes. Never give it to anyone. "
        "If you did not ask for it, ignore this e-mail: your password stays as it is.", code=code))
    subject = in_locale(user.locale, lambda: _("Reset your Selvbetjening password"))
    queue_message("email", user.email, body, subject=subject, user=user.id, sensitive=True)
    return user.id


def _tell_no_second_factor(user):
    body = in_locale(user.locale, lambda: _(
        "Someone asked to reset the password of your Selvbetjening login. Your login has no "
        "authenticator app or mobile number to confirm it with, so the password cannot be reset here. "
        "Ask your company's administrator for help. Log in: %(link)s", link=public_url("auth.login")))
    subject = in_locale(user.locale, lambda: _("Reset your Selvbetjening password"))
    queue_message("email", user.email, body, subject=subject, user=user.id)


def check_code(user_id, code):
    """True once for the right, unexpired code; a wrong one counts, and the 5th spends the code."""
    code = _clean(code)
    digest = _digest(code)  # also for an unknown address: the same work
    with db.atomic():
        row = (OneTimeCode.select()
               .where(OneTimeCode.user == (user_id or 0), OneTimeCode.purpose == PURPOSE,
                      OneTimeCode.used_at.is_null(), OneTimeCode.expires_at > utcnow())
               .order_by(OneTimeCode.created_at.desc()).first())
        if row is None:
            return False
        if len(code) == CODE_DIGITS and hmac.compare_digest(row.code_hash, digest):
            # spent only if still unspent: of two racing requests, one wins
            return bool(OneTimeCode.update(used_at=utcnow())
                        .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_null()).execute())
        attempts = row.attempts + 1
        (OneTimeCode.update(attempts=attempts, used_at=utcnow() if attempts >= MAX_ATTEMPTS else None)
         .where(OneTimeCode.id == row.id).execute())
        audit.record("auth.password_reset_code_wrong", user=user_id, object_type="user", object_id=user_id,
                     attempts=attempts)
    return False


def reset_user(user_id):
    """The login a reset in progress belongs to, while it can still be reset; or None."""
    user = User.get_or_none(User.id == (user_id or 0))
    return user if resettable(user) else None


def send_sms_code(user):
    """The second factor by SMS (the login's own code path); raises auth.LoginError."""
    auth_service.send_login_code(user, "sms", purpose=SMS_PURPOSE, language=page_language())  # the e-mailed code is shown


def verify_factor(user, method, code):
    """The login's own second-factor check: wrong codes slow this client (auth.LoginError "wait")."""
    if method not in factor_methods(user):
        return False
    return auth_service.verify_second_factor(user, method, code, purpose=SMS_PURPOSE)


def new_password_problem(user, password):
    """A reason code of passwords.password_problem, or None: the rules of every password."""
    return password_problem(password or "", (user.email, user.name, user.username))


def reset_password(user, password):
    """Set the new password and end every session of the user.

    Returns a reason code of passwords.password_problem (nothing changed) or None."""
    problem = new_password_problem(user, password)
    if problem:
        return problem
    now = utcnow()
    with db.atomic():
        (User.update(password_hash=hash_password(password), password_changed_at=now,
                     failed_logins=0, locked_until=None)
         .where(User.id == user.id).execute())
        (OneTimeCode.update(used_at=now)
         .where(OneTimeCode.user == user.id, OneTimeCode.purpose.in_((PURPOSE, SMS_PURPOSE)),
                OneTimeCode.used_at.is_null()).execute())
        ended = end_user_sessions(user.id)
        audit.record("auth.password_reset", user=user.id, obj=user, sessions_ended=ended)
    # a notice for the login's owner, who may not be the one who asked: the login's own language
    body = in_locale(user.locale, lambda: _(
        "The password of your Selvbetjening login was changed, and your other sessions were "
        "logged out. If you did not do this, contact us at once."))
    subject = in_locale(user.locale, lambda: _("Your password was changed"))
    queue_message("email", user.email, body, subject=subject, user=user.id)
    return None
