"""Signing in and out: /login (password), /login/verify (second factor), /login/mobile, /logout;
a forgotten password: /login/forgot (e-mail, code, second factor, new password)."""
import datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from extensions import limiter
from models import User, utcnow
from services import audit, password_reset, sessions
from services import auth as auth_service
from services.locale import page_language
from services.sessions import destroy_session, rotate_session

from .access import public, signed_in
from .forms import DanishMobile, ValidEmail, password_error_text
from .rendering import render

bp = Blueprint("auth", __name__)
PENDING_TTL = datetime.timedelta(minutes=10)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_target_limit():
    """Reset requests for one e-mail address, from all clients together (known or not: the same)."""
    return current_app.config.get("RESET_TARGET_RATE_LIMIT", "10 per hour")


def _reset_target():
    return "reset-target:" + auth_service.normalise_email(request.form.get("email"))[:200]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), ValidEmail()])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = HiddenField()


class MobileForm(FlaskForm):
    mobile = StringField(_l("Mobile number"), validators=[DataRequired(_l("Enter your mobile number.")), DanishMobile()])


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the 6-digit code."))])
    method = HiddenField()


def error_text(error):
    """The translated sentence for an auth_service.LoginError."""
    if error.reason == "wait":
        return wait_text(error.seconds)
    return {
        "invalid": _("The e-mail address or password is not right."),
        "too_soon": _("A code was just sent. Wait half a minute before asking for a new one."),
        "too_many": _("Too many codes have been sent. Try again in 15 minutes."),
        "no_channel": _("That way of receiving a code is not set up for your login."),
    }.get(error.reason, _("Login failed."))


def wait_text(seconds):
    return ngettext("Too many failed attempts from this device. Wait %(num)d second and try again.",
                    "Too many failed attempts from this device. Wait %(num)d seconds and try again.", seconds)


def too_many(response, error):
    """429 with Retry-After for a client that has to wait (auth_service.LoginError "wait")."""
    response.status_code = 429
    response.headers["Retry-After"] = str(error.seconds)
    return response


def safe_next(target):
    """Only local paths: never an open redirect.

    Browsers drop tabs and newlines and read '\\' as '/', so '/\t/evil' would become '//evil':
    any control character, space or backslash is refused, and the path must have no scheme or host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch <= " " or ch == "\\" or ch == "\x7f" for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _pending_user():
    pending = session.get("pending")
    if not pending:
        return None, None
    started = datetime.datetime.fromisoformat(pending["at"])
    if utcnow() - started > PENDING_TTL:
        session.pop("pending", None)
        return None, None
    user = User.get_or_none(User.id == pending["user_id"]) if pending["user_id"] else None
    return pending, user


def _start_pending(user, method, next_url=None, target=None):
    """`target` is what wrong codes slow down from this client: the login, or for the mobile-number
    login the number as typed (known or not: the same either way)."""
    session.clear()
    rotate_session(session)  # new id after the password
    session["pending"] = {"user_id": user.id if user else 0, "method": method, "attempts": 0,
                          "at": utcnow().isoformat(), "next": safe_next(next_url),
                          "target": target or f"user:{user.id if user else 0}"}


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    waiting = None
    if form.validate_on_submit():
        try:
            user = auth_service.check_password(form.email.data, form.password.data)
        except auth_service.LoginError as error:
            form.password.errors.append(error_text(error))
            waiting = error if error.reason == "wait" else None
        else:
            methods = auth_service.second_factor_methods(user)
            _start_pending(user, methods[0] if methods else "", form.next.data)
            if methods and methods[0] != "totp":
                return _send_code(user, methods[0])
            return redirect(url_for("auth.verify"))
    response = render("auth/login.html", form=form, logged_out=request.args.get("logged_out"))
    return too_many(response, waiting) if waiting else response


@bp.route("/login/mobile", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def mobile():
    """Employees sign in to /me with their mobile number and a code by SMS."""
    form = MobileForm()
    if form.validate_on_submit():
        user = auth_service.find_employee_by_mobile(form.mobile.data)
        _start_pending(user, "sms", url_for("me.index"), target=f"mobile:{form.mobile.data}")
        if user is None:
            audit.record("auth.failure", step="mobile")
            return redirect(url_for("auth.verify"))  # same answer as for a known number
        return _send_code(user, "sms", quiet=True)
    return render("auth/mobile.html", form=form)


def _send_code(user, channel, quiet=False):
    """`quiet` for the mobile-number login: saying "a code was just sent" would tell a
    stranger that the number belongs to an employee."""
    try:
        # the password step shows who asks; the mobile-number login (quiet) does not
        auth_service.send_login_code(user, channel, language=None if quiet else page_language())
        session["pending"] = {**session["pending"], "method": channel}
    except auth_service.LoginError as error:
        if not quiet:
            flash(error_text(error), "error")
    return redirect(url_for("auth.verify"))


@bp.route("/login/send-code", methods=["POST"])
@public
@limiter.limit(_login_limit)
def send_code():
    pending, user = _pending_user()
    if pending is None:
        return redirect(url_for("auth.login"))
    channel = request.form.get("channel")
    if user is None:
        session["pending"] = {**pending, "method": "sms"}
        return redirect(url_for("auth.verify"))
    if channel not in ("sms", "email"):
        flash(_("Choose how to receive the code."), "error")
        return redirect(url_for("auth.verify"))
    return _send_code(user, channel, quiet=pending.get("next") == url_for("me.index"))


@bp.route("/login/verify", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def verify():
    pending, user = _pending_user()
    if pending is None:
        flash(_("Your login has expired. Start again."), "error")
        return redirect(url_for("auth.login"))
    methods = auth_service.second_factor_methods(user) if user else ["sms"]
    form = CodeForm(method=pending["method"])
    if form.validate_on_submit():
        method = form.method.data if form.method.data in methods else pending["method"]
        target = pending.get("target") or f"user:{pending['user_id']}"
        try:
            ok = auth_service.verify_second_factor(user, method, form.code.data, target=target)
        except auth_service.LoginError as error:  # this client has to wait: the pending login stays
            form.code.errors.append(error_text(error))
            return too_many(render("auth/verify.html", form=form, method=pending["method"], methods=methods,
                                   user=user), error)
        if ok:
            return _finish_login(user, method, pending.get("next"))
        attempts = pending["attempts"] + 1
        if attempts >= current_app.config["MAX_CODE_ATTEMPTS"]:
            session.pop("pending", None)
            flash(_("Too many wrong codes. Start again with your password."), "error")
            return redirect(url_for("auth.mobile" if pending.get("next") == url_for("me.index") else "auth.login"))
        session["pending"] = {**pending, "attempts": attempts}
        form.code.errors.append(wrong_code_text(current_app.config["MAX_CODE_ATTEMPTS"] - attempts))
    return render("auth/verify.html", form=form, method=pending["method"], methods=methods,
                  user=user)


def wrong_code_text(left):
    return ngettext("The code is not right. You have %(num)d attempt left.",
                    "The code is not right. You have %(num)d attempts left.", left)


def sign_in(user, method):
    """Start the signed-in session after the second factor: a new session id, the login audited.
    False when the login is no longer active (disabled between the password and the code)."""
    session.clear()
    rotate_session(session)
    if not login_user(user):
        return False
    auth_service.complete_login(user, method)
    sessions.mark_second_factor()  # step-up actions (PIN/PUK, cancel) need it recent
    return True


def _finish_login(user, method, next_url):
    if not sign_in(user, method):
        flash(_("Your login is not active. Contact your company's administrator."), "error")
        return redirect(url_for("auth.login"))
    if user.kind == "employee":
        return redirect(url_for("me.index"))
    if user.kind == "staff":
        return redirect(safe_next(next_url) or url_for("staff.index"))
    return redirect(safe_next(next_url) or url_for("home.index"))


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    audit.record("auth.logout", user=current_user.id, obj=current_user._get_current_object())
    logout_user()
    destroy_session(session)
    return redirect(url_for("auth.login", logged_out=1))


# Forgotten password: /login/forgot (e-mail) -> /code (the code from the e-mail) -> /verify (the
# second factor) -> /password (a new one). The state lives in the server-side session under "reset".

RESET_TTL = password_reset.CODE_TTL


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), ValidEmail()])


class ResetCodeForm(FlaskForm):
    code = StringField(_l("Code from the e-mail"), validators=[DataRequired(_l("Enter the 8-digit code from the e-mail."))])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password."))])
    repeat = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(_l("Repeat the password.")), EqualTo("password", _l("The two passwords are not the same."))])


def _reset_state(stage):
    """The reset in progress at `stage` ("code", "factor", "password") and its user; (None, None)
    when there is none, it has expired, or it is at another stage."""
    state = session.get("reset")
    if not state or state.get("stage") != stage:
        return None, None
    if utcnow() - datetime.datetime.fromisoformat(state["at"]) > RESET_TTL:
        session.pop("reset", None)
        return None, None
    user = password_reset.reset_user(state["user_id"]) if state["user_id"] else None
    if stage != "code" and user is None:
        session.pop("reset", None)
        return None, None
    return state, user


def _reset_expired():
    flash(_("Your password reset has expired. Start again."), "error")
    return redirect(url_for("auth.forgot"))


def _reset_failed(text):
    session.pop("reset", None)
    flash(text, "error")
    return redirect(url_for("auth.forgot"))


@bp.route("/login/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_reset_target_limit, key_func=_reset_target, methods=["POST"])
def forgot():
    """Step 1: the e-mail address. The answer is the same whether or not it has a login."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = ForgotForm()
    if form.validate_on_submit():
        user_id = password_reset.request_reset(form.email.data)
        session.pop("pending", None)
        rotate_session(session)
        session["reset"] = {"user_id": user_id, "stage": "code", "attempts": 0, "at": utcnow().isoformat(),
                            "target": auth_service.normalise_email(form.email.data)}
        return redirect(url_for("auth.forgot_code"))
    return render("auth/forgot.html", status=422 if form.errors else 200, form=form)


@bp.route("/login/forgot/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def forgot_code():
    """Step 2: the code from the e-mail (5 tries; for an unknown address every code is wrong)."""
    state, user = _reset_state("code")
    if state is None:
        return _reset_expired()
    form = ResetCodeForm()
    target = f"reset:{state.get('target') or state['user_id']}"
    if form.validate_on_submit():
        try:
            auth_service.throttle_check("reset-code", target)
        except auth_service.LoginError as error:
            form.code.errors.append(error_text(error))
            return too_many(render("auth/forgot_code.html", form=form), error)
        if password_reset.check_code(state["user_id"], form.code.data) and user is not None:
            auth_service.throttle_clear("reset-code", target)
            rotate_session(session)
            session["reset"] = {**state, "stage": "factor", "attempts": 0}
            methods = password_reset.factor_methods(user)
            if "totp" not in methods:
                return _reset_send_sms(user)
            return redirect(url_for("auth.forgot_verify"))
        auth_service.throttle_failure("reset-code", target)
        attempts = state["attempts"] + 1
        if attempts >= current_app.config["MAX_CODE_ATTEMPTS"]:
            return _reset_failed(_("Too many wrong codes. Start again."))
        session["reset"] = {**state, "attempts": attempts}
        form.code.errors.append(ngettext(
            "The code is not right or has expired. You have %(num)d attempt left.",
            "The code is not right or has expired. You have %(num)d attempts left.",
            current_app.config["MAX_CODE_ATTEMPTS"] - attempts))
    return render("auth/forgot_code.html", status=422 if form.errors else 200, form=form)


def _reset_send_sms(user):
    try:
        password_reset.send_sms_code(user)
        session["reset"] = {**session["reset"], "method": "sms"}
    except auth_service.LoginError as error:
        flash(error_text(error), "error")
    return redirect(url_for("auth.forgot_verify"))


@bp.route("/login/forgot/send-code", methods=["POST"])
@public
@limiter.limit(_login_limit)
def forgot_send_code():
    state, user = _reset_state("factor")
    if state is None:
        return _reset_expired()
    if "sms" not in password_reset.factor_methods(user):
        flash(error_text(auth_service.LoginError("no_channel")), "error")
        return redirect(url_for("auth.forgot_verify"))
    return _reset_send_sms(user)


@bp.route("/login/forgot/verify", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def forgot_verify():
    """Step 3: the login's second factor (authenticator, or a code by SMS)."""
    state, user = _reset_state("factor")
    if state is None:
        return _reset_expired()
    methods = password_reset.factor_methods(user)
    if not methods:  # the mobile was removed meanwhile
        return _reset_failed(error_text(auth_service.LoginError("no_channel")))
    method = state.get("method") or methods[0]
    form = CodeForm(method=method)
    if form.validate_on_submit():
        method = form.method.data if form.method.data in methods else method
        try:
            ok = password_reset.verify_factor(user, method, form.code.data)
        except auth_service.LoginError as error:  # this client has to wait: the reset stays
            form.code.errors.append(error_text(error))
            return too_many(render("auth/forgot_verify.html", form=form, method=method, methods=methods), error)
        if ok:
            rotate_session(session)
            session["reset"] = {**state, "stage": "password", "method": method}
            return redirect(url_for("auth.forgot_password"))
        attempts = state["attempts"] + 1
        if attempts >= current_app.config["MAX_CODE_ATTEMPTS"]:
            return _reset_failed(_("Too many wrong codes. Start again."))
        session["reset"] = {**state, "attempts": attempts}
        form.code.errors.append(wrong_code_text(current_app.config["MAX_CODE_ATTEMPTS"] - attempts))
    return render("auth/forgot_verify.html", status=422 if form.errors else 200, form=form,
                  method=method, methods=methods)


@bp.route("/login/forgot/password", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    """Step 4: the new password; every session of the user ends, and the user is signed in here."""
    state, user = _reset_state("password")
    if state is None:
        return _reset_expired()
    form = NewPasswordForm()
    if form.is_submitted():
        valid = form.validate()
        # every error at once: a weak password is named even when the repetition differs
        problem = password_reset.new_password_problem(user, form.password.data) if form.password.data else None
        if valid and problem is None:
            problem = password_reset.reset_password(user, form.password.data)
            if problem is None:
                if not sign_in(user, state.get("method") or "totp"):  # clears the reset state too
                    return _reset_failed(_("Your login is not active. Contact your company's administrator."))
                flash(_("Your password is changed, and your other sessions are logged out."), "success")
                return redirect(url_for("staff.index" if user.kind == "staff" else "home.index"))
        if problem:
            form.password.errors = [*form.password.errors, password_error_text(problem)]
    return render("auth/forgot_password.html", status=422 if form.errors else 200, form=form, user=user)
