"""Own settings: language (the cogwheel), profile and two-factor devices."""
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from models import TotpDevice, User, WebSession
from services import audit, two_factor
from services.locale import COOKIE
from services.sessions import current_token_hash

from .access import public, signed_in
from .auth import safe_next
from .rendering import render

bp = Blueprint("settings", __name__, url_prefix="/settings")


class DeviceForm(FlaskForm):
    name = StringField(_l("Name of the device"), default="Authenticator",
                       validators=[DataRequired(_l("Give the device a name.")), Length(max=60)])


class ConfirmForm(FlaskForm):
    code = StringField(_l("Code from the app"), validators=[DataRequired(_l("Enter the 6-digit code."))])


@bp.route("/")
@signed_in
def index():
    from flask import session

    devices = TotpDevice.select().where(TotpDevice.user == current_user.id, TotpDevice.confirmed == True)  # noqa: E712
    sessions = (WebSession.select().where(WebSession.user == current_user.id)
                .order_by(WebSession.last_seen_at.desc()))
    return render("settings/index.html", devices=list(devices), form=DeviceForm(),
                  sessions=list(sessions), current_hash=current_token_hash(session))


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
    form = DeviceForm()
    if not form.validate_on_submit():
        flash(" ".join(form.name.errors) or _("Give the device a name."), "error")
        return redirect(url_for("settings.index"))
    device = two_factor.start_enrolment(current_user, form.name.data.strip())
    return redirect(url_for("settings.confirm_authenticator", device_id=device.id))


@bp.route("/authenticator/<int:device_id>", methods=["GET", "POST"])
@signed_in
def confirm_authenticator(device_id):
    device = two_factor.own_device(current_user, device_id, confirmed=False)
    form = ConfirmForm()
    if form.validate_on_submit():
        if two_factor.confirm_enrolment(current_user, device, form.code.data):
            flash(_("The authenticator app is ready. Use it the next time you log in."), "success")
            return redirect(url_for("settings.index"))
        form.code.errors.append(_("The code is not right. Check the time on your phone and try again."))
    return render("settings/authenticator.html", device=device, form=form,
                  qr=two_factor.qr_svg_data_uri(current_user, device))


@bp.route("/authenticator/<int:device_id>/delete", methods=["POST"])
@signed_in
def remove_authenticator(device_id):
    device = two_factor.own_device(current_user, device_id)
    if two_factor.remove_device(current_user, device):
        flash(_("The authenticator app was removed."), "success")
    else:
        flash(_("You cannot remove your last way of confirming a login."), "error")
    return redirect(url_for("settings.index"))
