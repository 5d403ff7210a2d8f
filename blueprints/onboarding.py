"""Getting access: the application by CVR number (/apply), recovery when the admin has left,
and activation of the login from the letter (/activate: code, the applicant's details, password,
second factor).

/apply answers the same for every CVR number; the letter goes to the company's digital mailbox,
and whoever uses its code confirms or replaces the e-mail and mobile the application gave.

The activation rides on the (rotated) session: `session["activation"]` holds the
user id, when the code was accepted and the second-factor choice, so every step
survives a reload and the whole activation expires after 30 minutes.
"""
import datetime

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo

from extensions import limiter
from models import utcnow
from services import activation, applications, audit
from services import auth as auth_service
from services import two_factor as two_factor_service
from services.formatting import phone
from services.locale import page_language
from services.sessions import rotate_session

from .access import public
from .auth import error_text, sign_in, too_many, wait_text, wrong_code_text
from .forms import DanishMobile, MaxLength, ValidCvr, ValidEmail, password_error_text
from .rendering import render

bp = Blueprint("onboarding", __name__)
ACTIVATION_TTL = datetime.timedelta(minutes=30)
MAX_ENROL_ATTEMPTS = 5


def _apply_limit():
    return current_app.config.get("APPLY_RATE_LIMIT", "5 per minute;30 per day")


def _activate_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _accepted(response):
    """Only an application taken in counts against the limits: a form sent back with errors sends no
    letter, and counting it locked out someone correcting their typing and lost what they typed."""
    return response.status_code == 302


def _apply_target_limit():
    """Applications for one CVR number from all clients together (customer or not: the same)."""
    return current_app.config.get("APPLY_TARGET_RATE_LIMIT", "20 per day")


def _apply_target():
    return "apply-cvr:" + "".join(ch for ch in request.form.get("cvr", "") if ch.isdigit())[:8]


class ApplicationForm(FlaskForm):
    cvr = StringField(_l("CVR number"), validators=[DataRequired(_l("Enter the company's CVR number.")), ValidCvr()])
    company_name = StringField(_l("Company name"), validators=[
        DataRequired(_l("Enter the company's name.")), MaxLength(120)])
    admin_name = StringField(_l("Administrator's full name"), validators=[
        DataRequired(_l("Enter the administrator's name.")), MaxLength(120)])
    email = EmailField(_l("Administrator's e-mail"), validators=[
        DataRequired(_l("Enter the administrator's e-mail address.")), MaxLength(200), ValidEmail()])
    mobile = TelField(_l("Administrator's mobile number"), validators=[
        DataRequired(_l("Enter the administrator's mobile number.")), DanishMobile()])
    terms = BooleanField(_l("I accept the terms of use of Selvbetjening and may act on behalf of the company."),
                         validators=[DataRequired(_l("Accept the terms to apply."))])


class RecoveryForm(ApplicationForm):
    admin_name = StringField(_l("New administrator's full name"), validators=[
        DataRequired(_l("Enter the administrator's name.")), MaxLength(120)])
    email = EmailField(_l("New administrator's e-mail"), validators=[
        DataRequired(_l("Enter the administrator's e-mail address.")), MaxLength(200), ValidEmail()])
    mobile = TelField(_l("New administrator's mobile number"), validators=[
        DataRequired(_l("Enter the administrator's mobile number.")), DanishMobile()])
    reason = TextAreaField(_l("What has happened?"), validators=[
        DataRequired(_l("Tell us what has happened to the current administrator.")), MaxLength(2000)])


class ActivationForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter the username from the letter.")),
                                                        MaxLength(40)])
    code = StringField(_l("Activation code"), validators=[
        DataRequired(_l("Enter the activation code from the letter.")), MaxLength(40)])


class DetailsForm(FlaskForm):
    name = StringField(_l("Your full name"), validators=[DataRequired(_l("Enter your name.")), MaxLength(120)])
    email = EmailField(_l("Your e-mail"), validators=[
        DataRequired(_l("Enter your e-mail address.")), MaxLength(200), ValidEmail()])
    mobile = TelField(_l("Your mobile number"), validators=[
        DataRequired(_l("Enter your mobile number.")), DanishMobile()])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password."))])
    repeat = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(_l("Repeat the password.")), EqualTo("password", _l("The two passwords are not the same."))])


class EnrolCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the 6-digit code."))])


# -- applying -----------------------------------------------------------------------

def _submit(form, kind):
    application = applications.submit(
        kind, form.cvr.data, form.company_name.data, form.admin_name.data, form.email.data,
        form.mobile.data, getattr(form, "reason", None) and form.reason.data)
    session["application_id"] = application.id
    return redirect(url_for("onboarding.submitted"))


@bp.route("/apply", methods=["GET", "POST"])
@public
@limiter.limit(_apply_limit, methods=["POST"], deduct_when=_accepted)
@limiter.limit(_apply_target_limit, key_func=_apply_target, methods=["POST"], deduct_when=_accepted)
def apply():
    form = ApplicationForm()
    if form.validate_on_submit():
        return _submit(form, "access")
    return render("onboarding/apply.html", form=form)


@bp.route("/apply/recovery", methods=["GET", "POST"])
@public
@limiter.limit(_apply_limit, methods=["POST"], deduct_when=_accepted)
def recovery():
    """The company's only admin has left: ask staff to replace the login."""
    form = RecoveryForm(cvr=request.args.get("cvr", "")[:8] or None)
    if form.validate_on_submit():
        return _submit(form, "recovery")
    return render("onboarding/recovery.html", form=form)


@bp.route("/apply/sent")
@public
def submitted():
    """What happened to the application sent from this browser; polled while the check runs."""
    application = applications.status_of(session.get("application_id") or 0)
    if application is None:
        return redirect(url_for("onboarding.apply"))
    return render("onboarding/submitted.html", "status", application=application)


# -- activating ---------------------------------------------------------------------

def _activation():
    """(state, user) of the activation in progress, or (None, None) when there is none or it expired."""
    state = session.get("activation")
    if not state:
        return None, None
    if utcnow() - datetime.datetime.fromisoformat(state["at"]) > ACTIVATION_TTL:
        session.pop("activation", None)
        flash(_("The activation took too long and has expired. Apply again to get a new letter."), "error")
        return None, None
    user = activation.pending_user(state["user_id"])
    if user is None:
        session.pop("activation", None)
        return None, None
    return state, user


def _next_step(user):
    if applications.needs_details(user):
        return url_for("onboarding.details")
    return url_for("onboarding.two_factor" if user.password_hash else "onboarding.password")


def _activation_error(reason):
    return {
        "invalid": _("The username or the activation code is not right."),
        "expired": _("The activation code has expired. Apply again to get a new letter."),
    }.get(reason, _("The activation failed."))


@bp.route("/activate", methods=["GET", "POST"])
@public
@limiter.limit(_activate_limit, methods=["POST"])
def activate():
    """Step 1: the username and the activation code from the letter."""
    form = ActivationForm(username=request.args.get("username", "")[:40] or None)
    if request.method == "GET":
        state, user = _activation()
        if user is not None and request.args.get("username", user.username) == user.username:
            return redirect(_next_step(user))  # a reload mid-activation continues where it was
    if form.validate_on_submit():
        try:
            user = activation.check_activation(form.username.data, form.code.data)
        except activation.ActivationError as error:
            if error.reason == "wait":
                form.code.errors.append(wait_text(error.seconds))
                return too_many(render("onboarding/activate.html", form=form, step=1), error)
            form.code.errors.append(_activation_error(error.reason))
        else:
            session.clear()
            rotate_session(session)  # a new id now that the code is proven
            session["activation"] = {"user_id": user.id, "at": utcnow().isoformat()}
            return redirect(_next_step(user))
    return render("onboarding/activate.html", form=form, step=1)


@bp.route("/activate/details", methods=["GET", "POST"])
@public
@limiter.limit(_activate_limit, methods=["POST"])
def details():
    """Step 1b (a login from an access application): confirm or replace the name, e-mail and mobile
    the application gave. Until then they are not used for anything."""
    state, user = _activation()
    if user is None:
        return redirect(url_for("onboarding.activate"))
    if not applications.needs_details(user):
        return redirect(_next_step(user))
    application = applications.application_of(user)
    form = DetailsForm(data={"name": application.admin_name, "email": application.email,
                             "mobile": phone(application.mobile)} if application and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            applications.confirm_details(user, form.name.data, form.email.data, form.mobile.data)
        except applications.DetailsError:
            form.email.errors.append(_("This e-mail address cannot be used for a new login. Use another one."))
        else:
            return redirect(_next_step(user))
    return render("onboarding/details.html", status=422 if form.errors else 200, form=form, user=user, step=1)


@bp.route("/activate/password", methods=["GET", "POST"])
@public
@limiter.limit(_activate_limit, methods=["POST"])
def password():
    """Step 2: choose a password (length and a check against common ones, no composition rules)."""
    state, user = _activation()
    if user is None:
        return redirect(url_for("onboarding.activate"))
    if applications.needs_details(user):
        return redirect(url_for("onboarding.details"))
    if user.password_hash:
        return redirect(url_for("onboarding.two_factor"))
    form = PasswordForm()
    if form.validate_on_submit():
        problem = activation.choose_password(user, form.password.data)
        if problem is None:
            return redirect(url_for("onboarding.two_factor"))
        form.password.errors.append(password_error_text(problem))
    return render("onboarding/password.html", form=form, user=user, step=2)


@bp.route("/activate/two-factor", methods=["GET", "POST"])
@public
@limiter.limit(_activate_limit, methods=["POST"])
def two_factor():
    """Step 3: an authenticator app (QR code), or a code by SMS or e-mail; then the login is active."""
    state, user = _activation()
    if user is None:
        return redirect(url_for("onboarding.activate"))
    if applications.needs_details(user) or not user.password_hash:
        return redirect(_next_step(user))
    form = EnrolCodeForm()
    action = request.form.get("action") if request.method == "POST" else None
    if action == "choose":
        return _choose_method(state, user, request.form.get("method"))
    if action == "restart":
        activation.cancel_enrolment(user, state.get("device_id") or 0)
        session["activation"] = {"user_id": state["user_id"], "at": state["at"]}
        return redirect(url_for("onboarding.two_factor"))
    if action == "confirm" and state.get("method") and form.validate_on_submit():
        result = _confirm(state, user, form)
        if result is not None:
            return result
        state = session["activation"]
    device = qr = None
    if state.get("device_id"):
        device = two_factor_service.device_of(user, state["device_id"], confirmed=False)
        qr = two_factor_service.qr_svg_data_uri(user, device) if device else None
    methods = [m for m in auth_service.second_factor_methods(user) if m != "totp"]
    response = render("onboarding/two_factor.html", form=form, user=user, method=state.get("method"),
                      device=device, qr=qr, methods=methods, step=3)
    waiting = g.get("activation_wait")
    return too_many(response, waiting) if waiting else response


def _choose_method(state, user, method):
    if method == "totp":
        device = two_factor_service.start_enrolment(user, _("Authenticator"))
        session["activation"] = {**state, "method": "totp", "device_id": device.id, "attempts": 0}
    elif method in ("sms", "email"):
        try:
            auth_service.send_login_code(user, method, purpose="enrol", language=page_language())
        except auth_service.LoginError as error:
            flash(error_text(error), "error")
        else:
            session["activation"] = {**state, "method": method, "device_id": None, "attempts": 0}
    else:
        flash(_("Choose how you want to confirm your logins."), "error")
    return redirect(url_for("onboarding.two_factor"))


def _confirm(state, user, form):
    """Check the code; the finished login on success, else None with the error on the form."""
    method, code = state["method"], form.code.data
    try:
        if method == "totp":
            device = two_factor_service.device_of(user, state.get("device_id"), confirmed=False)
            ok = device is not None and two_factor_service.confirm_enrolment(user, device, code)
        else:
            ok = auth_service.verify_second_factor(user, method, code, purpose="enrol")
    except auth_service.LoginError as error:  # this client has to wait: the activation stays
        form.code.errors.append(error_text(error))
        g.activation_wait = error
        return None
    if ok:
        return _finish(user, method)
    attempts = state.get("attempts", 0) + 1
    audit.record("user.activation_2fa_failed", user=user.id, obj=user, method=method, attempt=attempts)
    if attempts >= MAX_ENROL_ATTEMPTS:
        activation.cancel_enrolment(user, state.get("device_id") or 0)
        session["activation"] = {"user_id": state["user_id"], "at": state["at"]}
        flash(_("Too many wrong codes. Choose a way to confirm your logins again."), "error")
        return redirect(url_for("onboarding.two_factor"))
    session["activation"] = {**state, "attempts": attempts}
    form.code.errors.append(wrong_code_text(MAX_ENROL_ATTEMPTS - attempts))
    return None


def _finish(user, method):
    sign_in(activation.finish_activation(user), method)
    flash(_("Welcome to Selvbetjening, %(name)s. Your login is ready.", name=user.name), "success")
    return redirect(url_for("home.index"))
