"""A user's own profile: name, mobile and e-mail (confirmed with the second factor), password."""
from flask_babel import gettext as _

from models import User, db, utcnow

from . import audit
from .messages import in_locale, queue_message
from .passwords import hash_password, password_problem, verify_password
from .sessions import end_user_sessions, reauth_blocked


def change_name(user, name):
    with db.atomic():
        User.update(name=name).where(User.id == user.id).execute()
        audit.record("settings.name", user=user.id, obj=user)


def email_taken(email, user):
    return User.select().where(User.email == email, User.id != user.id).exists()


def change_contact(user, email, mobile):
    """Apply a confirmed change of e-mail and/or mobile, and tell the old address.

    An e-mail address another login uses is left out, and that login's owner is told: the
    person asking learns no more than they would from a free address (no one's login shows)."""
    old_email, old_mobile = user.email, user.mobile
    owner = User.get_or_none(User.email == email, User.id != user.id) if email != old_email else None
    refused = owner is not None
    if refused:
        body = in_locale(owner.locale, lambda: _(
            "Someone tried to use this e-mail address for another Selvbetjening login. Nothing was "
            "changed, and your own login is as before. If you know nothing about it, you need not do anything."))
        subject = in_locale(owner.locale, lambda: _("Your e-mail address was not used"))
        queue_message("email", email, body, subject=subject, user=owner.id)
        email = old_email
    with db.atomic():
        User.update(email=email, mobile=mobile).where(User.id == user.id).execute()
        audit.record("settings.contact", user=user.id, obj=user, email_refused=refused,
                     email_changed=email != old_email, mobile_changed=mobile != old_mobile)
    if email != old_email:
        body = in_locale(user.locale, lambda: _(
            "The e-mail address of your Selvbetjening login was changed to %(email)s. "
            "If you did not do this, contact us at once.", email=email))
        subject = in_locale(user.locale, lambda: _("Your e-mail address was changed"))
        queue_message("email", old_email, body, subject=subject, user=user.id)
    if mobile != old_mobile and old_mobile:
        body = in_locale(user.locale, lambda: _(
            "The mobile number of your Selvbetjening login was changed. "
            "If you did not do this, contact us at once."))
        queue_message("sms", old_mobile, body, user=user.id)


def new_password_problem(user, password):
    """Why `password` will not do as the user's new one (a reason code), or None."""
    return password_problem(password, (user.email, user.name))


def change_password(user, current, new, keep_session_hash):
    """Returns a reason code (too_many_attempts, wrong_current, too_short, too_long, too_common) or None.
    The current password is the re-authentication of this change: limited per user like the others."""
    if reauth_blocked(user):
        return "too_many_attempts"
    if not verify_password(user.password_hash, current or ""):
        with db.atomic():
            audit.record("settings.password_failed", user=user.id, obj=user)
        return "wrong_current"
    problem = new_password_problem(user, new)
    if problem:
        return problem
    with db.atomic():
        User.update(password_hash=hash_password(new), password_changed_at=utcnow()).where(User.id == user.id).execute()
        ended = end_user_sessions(user.id, keep_token_hash=keep_session_hash)
        audit.record("settings.password", user=user.id, obj=user, other_sessions_ended=ended)
    body = in_locale(user.locale, lambda: _(
        "The password of your Selvbetjening login was changed, and your other sessions were "
        "logged out. If you did not do this, contact us at once."))
    subject = in_locale(user.locale, lambda: _("Your password was changed"))
    queue_message("email", user.email, body, subject=subject, user=user.id)
    return None


def end_other_sessions(user, keep_session_hash):
    with db.atomic():
        ended = end_user_sessions(user.id, keep_token_hash=keep_session_hash)
        audit.record("session.end_others", user=user.id, obj=user, ended=ended)
    return ended
