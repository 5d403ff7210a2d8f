"""Own settings: language (the cogwheel), profile, password, two-factor devices, sessions.

What a stolen session must not change needs a re-authentication (blueprints/step_up.py): adding or
removing an authenticator asks for a fresh one; a new e-mail or mobile is confirmed with a code of
the second factor sent to the details in force; a new password with the current one (limited per
user, as re-authentication is)."""
import datetime

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from models import TotpDevice, User, WebSession, utcnow
from services import audit, profile, two_factor
from services import auth as auth_service
from services.formatting import phone
from services.locale import COOKIE, page_language
from services.sessions import current_token_hash, mark_reauthenticated, mark_second_factor

from .access import public, signed_in
from .auth import error_text, safe_next
from .forms import DanishMobile, MaxLength, ValidEmail, password_error_text
from .rendering import render
from .step_up import require_fresh, too_many_text

CONFIRM_TTL = datetime.timedelta(minutes=10)

bp = Blueprint("settings", __name__, url_prefix="/settings")


class DeviceForm(FlaskForm):
    name = StringField(_l("Name of the device"), default="Authenticator",
                       validators=[DataRequired(_l("Give the device a name.")), MaxLength(60)])


class ConfirmForm(FlaskForm):
    code = StringField(_l("Code from the app"), validators=[DataRequired(_l("Enter the 6-digit code."))])


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Write your name.")), MaxLength(100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), ValidEmail()])
    mobile = StringField(_l("Mobile number"), validators=[DataRequired(_l("Enter your mobile number.")), DanishMobile()])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your password."))])
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a new password."))])
    repeat = PasswordField(_l("Repeat the new password"),
                           validators=[EqualTo("new", _l("The two passwords are not the same."))])


class SecondFactorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the 6-digit code."))])
    method = HiddenField()


def send_confirmation_code(channel, back_url):
    """Send the signed-in user a code by SMS or e-mail (the confirm pages' other buttons)."""
    try:
        auth_service.send_login_code(current_user, channel, purpose="verify", language=page_language())
    except auth_service.LoginError as error:
        flash(error_text(error), "error")
    return redirect(back_url)


@bp.route("/")
@signed_in
def index():
    return _settings_page()


@bp.route("/profile", methods=["POST"])
@signed_in
def update_profile():
    """Name changes at once; a new e-mail or mobile must be confirmed with the second factor."""
    form = ProfileForm()
    if not form.validate_on_submit():
        form.mobile.data = (form.mobile.raw_data or [""])[0]  # as typed, not the +45 form its check made
        return _settings_page(422, profile_form=form)
    # An address another login uses is not refused here: the answer must not tell who has a
    # login. profile.change_contact leaves it out after the confirmation and tells its owner.
    if form.name.data.strip() != current_user.name:
        profile.change_name(current_user, form.name.data.strip())
    if (form.email.data, form.mobile.data) == (current_user.email, current_user.mobile):
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("settings.index"))
    session["pending_contact"] = {"email": form.email.data, "mobile": form.mobile.data,
                                  "at": utcnow().isoformat()}
    return redirect(url_for("settings.confirm_contact"))


def _settings_page(status=200, **forms):
    """The settings page; a form with errors replaces its blank twin (status 422)."""
    devices = TotpDevice.select().where(TotpDevice.user == current_user.id, TotpDevice.confirmed == True)  # noqa: E712
    sessions = (WebSession.select().where(WebSession.user == current_user.id)
                .order_by(WebSession.last_seen_at.desc()))
    # the forms not sent are blank (formdata=None): the page's forms share field names ("name")
    blank = ProfileForm(formdata=None, obj=current_user)
    blank.mobile.data = phone(current_user.mobile)  # as people write it: 20 00 00 10
    context = {"profile_form": blank, "password_form": PasswordForm(formdata=None), "form": DeviceForm(formdata=None),
               **forms}
    return render("settings/index.html", status=status, devices=list(devices),
                  sessions=list(sessions), current_hash=current_token_hash(session), **context)


@bp.route("/profile/confirm", methods=["GET", "POST"])
@signed_in
def confirm_contact():
    pending = session.get("pending_contact")
    if not pending or utcnow() - datetime.datetime.fromisoformat(pending["at"]) > CONFIRM_TTL:
        session.pop("pending_contact", None)
        flash(_("The change has expired. Make it again."), "error")
        return redirect(url_for("settings.index"))
    methods = auth_service.second_factor_methods(current_user)
    form = SecondFactorForm(method=request.args.get("method") or methods[0])
    if request.method == "POST" and request.form.get("send") in ("sms", "email"):
        return send_confirmation_code(request.form["send"], url_for("settings.confirm_contact",
                                                                    method=request.form["send"]))
    if form.validate_on_submit():
        method = form.method.data if form.method.data in methods else methods[0]
        try:
            ok = auth_service.verify_second_factor(current_user, method, form.code.data, purpose="verify")
        except auth_service.LoginError as error:
            flash(error_text(error), "error")
            return redirect(url_for("settings.index"))
        if ok:
            session.pop("pending_contact", None)
            mark_second_factor()  # the code was a re-authentication too
            profile.change_contact(current_user, pending["email"], pending["mobile"])
            flash(_("Your contact details are changed. We sent a notice to your previous e-mail address or mobile number."), "success")
            return redirect(url_for("settings.index"))
        form.code.errors.append(_("The code is not right."))
    return render("settings/confirm.html", status=422 if form.errors else 200, form=form, pending=pending,
                  methods=methods, method=form.method.data)


@bp.route("/password", methods=["POST"])
@signed_in
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        problem = profile.change_password(current_user, form.current.data, form.new.data,
                                          current_token_hash(session))
        if problem is None:
            mark_reauthenticated()
            flash(_("Your password is changed, and your other sessions are logged out."), "success")
            return redirect(url_for("settings.index"))
        if problem == "too_many_attempts":
            form.current.errors.append(too_many_text())
            return _settings_page(429, password_form=form)
        field = form.current if problem == "wrong_current" else form.new
        field.errors.append(password_error_text(problem))
    elif form.new.data and not form.new.errors:
        # told together with the form's other problems (the current password is checked once they are mended)
        problem = profile.new_password_problem(current_user, form.new.data)
        if problem:
            form.new.errors = [*form.new.errors, password_error_text(problem)]
    return _settings_page(422, password_form=form)


@bp.route("/sessions/end-others", methods=["POST"])
@signed_in
def end_other_sessions():
    ended = profile.end_other_sessions(current_user, current_token_hash(session))
    flash(ngettext("Logged out of %(num)d other session.", "Logged out of %(num)d other sessions.", ended), "success")
    return redirect(url_for("settings.index"))


@bp.route("/language", methods=["POST"])
@public
def language():
    """The cogwheel's language switch: remembered for the user, and in a cookie."""
    choice = request.form.get("language")
    target = safe_next(request.form.get("next")) or url_for("home.index")
    if choice not in current_app.config["LANGUAGES"]:
        flash(_("Choose Danish or English."), "error")
        return redirect(target)
    if current_user.is_authenticated:
        User.update(locale=choice).where(User.id == current_user.id).execute()
    audit.record("settings.language", user=current_user.get_id(), language=choice)
    response = redirect(target)
    response.set_cookie(COOKIE, choice, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/authenticator", methods=["POST"])
@signed_in
def add_authenticator():
    stale = require_fresh(url_for("settings.index", _anchor="twofa-title"))
    if stale is not None:
        return stale
    form = DeviceForm()
    if not form.validate_on_submit():
        flash(" ".join(str(error) for error in form.name.errors) or _("Give the device a name."), "error")
        return redirect(url_for("settings.index"))
    device = two_factor.start_enrolment(current_user, form.name.data.strip())
    return redirect(url_for("settings.confirm_authenticator", device_id=device.id))


@bp.route("/authenticator/<int:device_id>", methods=["GET", "POST"])
@signed_in
def confirm_authenticator(device_id):
    device = two_factor.own_device(current_user, device_id, confirmed=False)
    stale = require_fresh(url_for("settings.confirm_authenticator", device_id=device.id),
                          url_for("settings.index"))
    if stale is not None:
        return stale
    form = ConfirmForm()
    if form.validate_on_submit():
        if two_factor.confirm_enrolment(current_user, device, form.code.data):
            flash(_("The authenticator app is ready. Use it the next time you log in."), "success")
            return redirect(url_for("settings.index"))
        form.code.errors.append(_("The code is not right. Check the time on your phone and try again."))
    return render("settings/authenticator.html", status=422 if form.errors else 200, device=device, form=form,
                  qr=two_factor.qr_svg_data_uri(current_user, device))


@bp.route("/authenticator/<int:device_id>/delete", methods=["POST"])
@signed_in
def remove_authenticator(device_id):
    device = two_factor.own_device(current_user, device_id)
    stale = require_fresh(url_for("settings.index", _anchor="twofa-title"))
    if stale is not None:
        return stale
    if two_factor.remove_device(current_user, device):
        flash(_("The authenticator app was removed."), "success")
    else:
        flash(_("You cannot remove your last way of confirming a login."), "error")
    return redirect(url_for("settings.index"))
