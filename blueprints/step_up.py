"""Re-authentication: a password or second factor from the last STEP_UP_MINUTES before changes
that a stolen session must not make: password, e-mail, mobile, authenticators, rights, and the
subscription actions marked for step-up (PIN/PUK, cancellation, transfer…).

One check for all of them: `is_fresh()`. A view asks `require_fresh(back_url)` (or wears
`@fresh_required(back=…)`); without a fresh re-authentication the user goes to `/verify`, and back
once it is done: a GET is shown again, a POST is never replayed: the form it came from is shown
again to be sent once more. Wrong passwords and codes here are limited per user
(services.sessions.reauth_blocked), and so is the current-password check of a password change.
The login's own second factor counts as a re-authentication (`second_factor_at`).
"""
import datetime
import functools

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired

from models import utcnow
from services import auth as auth_service
from services import sessions as sessions_service

from .access import signed_in
from .auth import error_text, safe_next, wrong_code_text
from .rendering import navigate, render

bp = Blueprint("step_up", __name__, url_prefix="/verify")


class PasswordAgainForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


def is_fresh():
    """True when the user re-authenticated (or logged in) within the last STEP_UP_MINUTES."""
    times = [t for t in (sessions_service.second_factor_at(), sessions_service.reauthenticated_at()) if t is not None]
    if not times:
        return False
    return utcnow() - max(times) < datetime.timedelta(minutes=current_app.config["STEP_UP_MINUTES"])


def go_verify(next_url, back_url=None, again=False):
    """To the re-authentication page, then on to `next_url`; its Cancel goes to `back_url` (default
    `next_url`: give another one when `next_url` itself needs the re-authentication). `again`: the
    request was a POST that was not carried out; the page says so, and so does the form."""
    return navigate(url_for("step_up.verify", next=next_url, back=back_url, again=1 if again else None))


def resuming(what):
    """Whether the page was reached from /verify (`?show=<what>` on its address) to carry on with
    `what`: its form then sends itself on load (`hx-trigger="load"`), so the user, who asked before
    confirming, need not ask again. Only while the session is fresh: the marker alone does nothing."""
    return request.args.get("show") == what and is_fresh()


def require_fresh(back_url=None, cancel_url=None):
    """None when the session is fresh; else the way to /verify. After it, a GET comes back to itself,
    a POST to `back_url` (the page of its form), never replayed."""
    if is_fresh():
        return None
    if request.method == "GET":
        return go_verify(request.full_path.rstrip("?"), cancel_url)
    return go_verify(back_url or url_for("home.index"), cancel_url, again=True)


def fresh_required(back=None, when=None, first=None):
    """The decorator form of require_fresh. `back(**view_args)`: the URL of the form a POST came
    from; `when()`: False for a request that changes nothing (a filter), which needs no re-auth;
    `first(**view_args)`: runs before, so another customer's id is a 404 and not a re-auth."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if first is not None:
                first(**kwargs)
            if when is None or when():
                response = require_fresh(back(**kwargs) if back else None)
                if response is not None:
                    return response
            return view(*args, **kwargs)
        return wrapper
    return decorate


def too_many_text():
    minutes = current_app.config["REAUTH_WINDOW_MINUTES"]
    return ngettext("Too many wrong attempts. Try again in %(num)d minute.",
                    "Too many wrong attempts. Try again in %(num)d minutes.", minutes)


def wrong_text(left, what):
    if what == "password":
        return ngettext("The password is not right. You have %(num)d attempt left.",
                        "The password is not right. You have %(num)d attempts left.", left)
    return wrong_code_text(left)


@bp.before_app_request
def signed_out_notice():
    """A signed-in session that ended on the server: say why on the page the user lands on (login)."""
    expired = getattr(session, "expired", None)
    if expired:
        session.expired = None
        if expired == "idle":
            flash(_("You were logged out after %(num)d minutes without activity. Log in again.",
                    num=current_app.config["SESSION_IDLE_MINUTES"]), "info")
        else:
            flash(_("You were logged out because you logged in more than %(num)d hours ago. Log in again.",
                    num=current_app.config["SESSION_ABSOLUTE_HOURS"]), "info")


@bp.route("", methods=["GET", "POST"])
@signed_in
def verify():
    from .settings import SecondFactorForm, send_confirmation_code  # settings imports this module

    next_url = safe_next(request.values.get("next")) or url_for("home.index")
    back_url = safe_next(request.values.get("back")) or next_url
    again = request.values.get("again") == "1"
    methods = auth_service.second_factor_methods(current_user)
    has_password = bool(current_user.password_hash) and current_user.kind != "employee"
    form = SecondFactorForm(method=request.args.get("method") or (methods[0] if methods else ""))
    password_form = PasswordAgainForm()
    here = dict(next=next_url, back=back_url, again=1 if again else None)

    def page(status=200):
        return render("step_up/verify.html", status=status, form=form, password_form=password_form,
                      methods=methods, method=form.method.data, has_password=has_password,
                      next_url=next_url, back_url=back_url, again=again)

    def done(method):
        if method == "password":
            sessions_service.mark_reauthenticated()
        else:
            sessions_service.record_reauth(current_user, method)
            sessions_service.mark_second_factor()
        if again:
            flash(_("Thank you. Your change was not saved yet: make it again."), "success")
        return redirect(next_url)

    if request.method == "GET":
        return page()
    if request.form.get("send") in ("sms", "email"):
        return send_confirmation_code(request.form["send"],
                                      url_for("step_up.verify", method=request.form["send"], **here))
    by_password = "password" in request.form
    target = password_form.password if by_password else form.code
    if sessions_service.reauth_blocked(current_user):
        target.errors = [too_many_text()]
        return page(429)
    if by_password:
        if not has_password or not password_form.validate_on_submit():
            return page(422)
        if sessions_service.password_again(current_user, password_form.password.data):
            return done("password")
        left = max(0, current_app.config["REAUTH_MAX_FAILURES"] - sessions_service.reauth_failures(current_user))
        password_form.password.errors.append(wrong_text(left, "password") if left else too_many_text())
        return page(422)
    if not form.validate_on_submit() or not methods:
        return page(422)
    method = form.method.data if form.method.data in methods else methods[0]
    try:
        ok = auth_service.verify_second_factor(current_user, method, form.code.data, purpose="verify")
    except auth_service.LoginError as error:
        form.code.errors.append(error_text(error))
        return page(422)
    if ok:
        return done(method)
    left = sessions_service.record_reauth_failure(current_user, method)
    form.code.errors.append(wrong_text(left, "code") if left else too_many_text())
    return page(422)
