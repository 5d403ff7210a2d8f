"""Activation of a pending login: a username and a single-use code, sent by digital post
(a company's first admin) or e-mail (a colleague created by an admin), then a password
and a second factor.
"""
import datetime
import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from models import Company, OneTimeCode, TotpDevice, User, db, utcnow

from . import audit
from . import auth as auth_service
from .messages import in_locale, public_url, queue_message
from .passwords import hash_password, password_problem

LIFETIME = {"digital_post": datetime.timedelta(days=14), "email": datetime.timedelta(days=7)}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class ActivationError(Exception):
    """`reason`: invalid, expired, wait (`seconds`: how long this client must wait)."""

    def __init__(self, reason, seconds=None):
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds


def _digest(code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.upper().replace("-", "").replace(" ", "").encode(), hashlib.sha256).hexdigest()


def _new_username():
    while True:
        username = f"sb{secrets.randbelow(10**6):06d}"
        if not User.select().where(User.username == username).exists():
            return username


def _new_code():
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def issue_activation(user_id, channel, company_id=None, actor_id=None):
    """Give a pending user a username (if none) and a fresh code, and send them.

    digital_post goes to the company's digital mailbox by CVR; email to the user.
    Earlier codes stop working. Call outside a transaction (the message is a job).
    """
    code = _new_code()
    with db.atomic():
        user = User.get_by_id(user_id)
        if not user.username:
            user.username = _new_username()
            user.save()
        now = utcnow()
        (OneTimeCode.update(used_at=now)
         .where(OneTimeCode.user == user.id, OneTimeCode.purpose == "activation",
                OneTimeCode.used_at.is_null()).execute())
        OneTimeCode.create(user=user.id, purpose="activation", channel=channel,
                           code_hash=_digest(code), expires_at=now + LIFETIME[channel])
        company = Company.get_by_id(company_id) if company_id else None
        audit.record("user.activation_sent", user=actor_id or user.id, obj=user, channel=channel,
                     customer=company.customer_id if company else None, company=company_id)
    expires = utcnow() + LIFETIME[channel]
    if channel == "digital_post":
        subject, body = in_locale(user.locale, lambda: _letter(user, company, code, expires))
        queue_message("digital_post", company.cvr, body, subject=subject, user=user.id, company=company.id,
                      sensitive=True)
    else:
        subject, body = in_locale(user.locale, lambda: _email(user, code, expires))
        queue_message("email", user.email, body, subject=subject, user=user.id, company=company_id,
                      sensitive=True)
    return user.username


def _letter(user, company, code, expires):
    from .applications import needs_details

    subject = _("Your login to Selvbetjening")
    values = dict(company=company.name, cvr=company.cvr, name=user.name, username=user.username, code=code,
                  link=public_url("onboarding.activate", username=user.username), date=format_date(expires, "long"))
    if needs_details(user):  # an access application: nothing the applicant typed is trusted yet
        body = _(
            "To %(company)s, CVR %(cvr)s\n\n"
            "Someone has applied for access to Selvbetjening for your company, in the name of %(name)s. "
            "Whoever activates the login with these details becomes the company's administrator:\n\n"
            "Username: %(username)s\nActivation code: %(code)s\n\n"
            "Go to %(link)s, enter the username and the code, confirm or correct the name, e-mail and "
            "mobile number, choose a password and set up two-factor authentication. The code can be used "
            "once and expires on %(date)s. If your company gets more than one such letter, the first code "
            "used wins and the others stop working.\n\n"
            "If nobody in your company applied, ignore this letter or contact us.",
            **values)
        return subject, body
    body = _(
        "To %(company)s, CVR %(cvr)s\n\n"
        "Your company has applied for access to Selvbetjening. The administrator %(name)s "
        "activates the login with:\n\n"
        "Username: %(username)s\nActivation code: %(code)s\n\n"
        "Go to %(link)s, enter the username and the code, choose a password and set up "
        "two-factor authentication. The code can be used once and expires on %(date)s.\n\n"
        "If you did not apply, contact us.",
        **values)
    return subject, body


def _email(user, code, expires):
    subject = _("A login to Selvbetjening has been created for you")
    body = _(
        "Hello %(name)s\n\n"
        "A login to Selvbetjening has been created for you. Activate it here:\n%(link)s\n\n"
        "Username: %(username)s\nActivation code: %(code)s\n\n"
        "You choose a password and set up two-factor authentication with your mobile "
        "%(mobile)s or an authenticator app. The code can be used once and expires on %(date)s.",
        name=user.name, link=public_url("onboarding.activate", username=user.username),
        username=user.username, code=code,
        mobile=user.mobile, date=format_date(expires, "long"))
    return subject, body


def check_activation(username, code):
    """The pending user whose code this is.

    Wrong codes never spend the letter: they slow the client that sends them, per username (see
    auth.throttle_*), so the rightful holder can always use it. The answer is the same whether or
    not the username exists, and "expired" is only said to whoever has the right code."""
    username = (username or "").strip().lower()
    try:
        auth_service.throttle_check("activation", username)
    except auth_service.LoginError as error:
        raise ActivationError("wait", error.seconds) from None
    user = User.get_or_none(User.username == username)
    row = None
    if user is not None and user.status == "pending":
        row = (OneTimeCode.select()
               .where(OneTimeCode.user == user.id, OneTimeCode.purpose == "activation",
                      OneTimeCode.used_at.is_null())
               .order_by(OneTimeCode.created_at.desc()).first())
    digest = _digest(code or "")  # the same work on every path
    right = row is not None and hmac.compare_digest(row.code_hash, digest)
    if not right:
        with db.atomic():
            audit.record("user.activation_failed", user=user.id if row else None, obj=user if row else None,
                         reason="wrong_code" if row else "unknown")
        auth_service.throttle_failure("activation", username)
        raise ActivationError("invalid")
    if row.expires_at < utcnow():
        with db.atomic():
            audit.record("user.activation_failed", user=user.id, obj=user, reason="expired")
        raise ActivationError("expired")
    from .applications import claim

    with db.atomic():
        # Single use: spent now; the rest of the activation rides on the (rotated) session.
        spent = (OneTimeCode.update(used_at=utcnow())
                 .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_null()).execute())
        if not spent:  # another request used it a moment ago
            raise ActivationError("invalid")
        claim(user)  # an application's letter: it wins over the company's other applications
        audit.record("user.activation_code_accepted", user=user.id, obj=user)
    auth_service.throttle_clear("activation", username)
    return user


def pending_user(user_id):
    """The login being activated in this session, while it is still pending."""
    return User.get_or_none(User.id == user_id, User.status == "pending")


def choose_password(user, password):
    """Set the pending user's password. Returns a reason code (see password_problem) or None."""
    problem = password_problem(password, (user.email, user.name, user.username))
    if problem:
        return problem
    with db.atomic():
        (User.update(password_hash=hash_password(password), password_changed_at=utcnow())
         .where(User.id == user.id, User.status == "pending").execute())
        audit.record("user.password_set", user=user.id, obj=user)
    return None


def finish_activation(user):
    """After the second factor is set up: the login becomes active. Returns the active user."""
    with db.atomic():
        User.update(status="active").where(User.id == user.id).execute()
        audit.record("user.activated", user=user.id, obj=user)
    user.status = "active"
    return user


def cancel_enrolment(user, device_id):
    """Drop an authenticator the pending user started to add but did not confirm (another method chosen)."""
    with db.atomic():
        removed = (TotpDevice.delete()
                   .where(TotpDevice.id == device_id, TotpDevice.user == user.id,
                          TotpDevice.confirmed == False)  # noqa: E712
                   .execute())
        audit.record("user.activation_2fa_restarted", user=user.id, obj=user, removed_devices=removed)
