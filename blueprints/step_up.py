"""Step-up: a fresh second factor before PIN/PUK, cancellation and transfer.

The login's own second factor counts for STEP_UP_MINUTES; after that a view sends the
user here (`require_fresh`), and back to where they were once the code is right.
"""
import datetime

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import utcnow
from services import auth as auth_service

from .access import signed_in
from .auth import error_text, mark_second_factor, safe_next, wrong_code_text
from .rendering import navigate, render
from .settings import SecondFactorForm, send_confirmation_code

bp = Blueprint("step_up", __name__, url_prefix="/verify")


def is_fresh():
    at = session.get("second_factor_at")
    if not at:
        return False
    try:
        when = datetime.datetime.fromisoformat(at)
    except ValueError:
        return False
    return utcnow() - when < datetime.timedelta(minutes=current_app.config["STEP_UP_MINUTES"])


def go_verify(next_url, back_url=None):
    """To the step-up page, then on to `next_url`; its Cancel goes to `back_url` (default
    `next_url`: give another one when `next_url` itself needs the step-up)."""
    return navigate(url_for("step_up.verify", next=next_url, back=back_url))


@bp.route("", methods=["GET", "POST"])
@signed_in
def verify():
    next_url = safe_next(request.values.get("next")) or url_for("home.index")
    back_url = safe_next(request.values.get("back")) or next_url
    methods = auth_service.second_factor_methods(current_user)
    form = SecondFactorForm(method=request.args.get("method") or methods[0])
    if request.method == "POST" and request.form.get("send") in ("sms", "email"):
        return send_confirmation_code(request.form["send"],
                                      url_for("step_up.verify", method=request.form["send"], next=next_url,
                                              back=back_url))
    if form.validate_on_submit():
        method = form.method.data if form.method.data in methods else methods[0]
        attempts = session.get("step_up_attempts", 0) + 1
        try:
            ok = auth_service.verify_second_factor(current_user, method, form.code.data, purpose="verify")
        except auth_service.LoginError as error:
            flash(error_text(error), "error")
            return redirect(next_url)
        if ok:
            session.pop("step_up_attempts", None)
            mark_second_factor()
            return redirect(next_url)
        session["step_up_attempts"] = attempts
        left = current_app.config["MAX_CODE_ATTEMPTS"] - attempts
        if left <= 0:
            session.pop("step_up_attempts", None)
            flash(_("Too many wrong codes. Try again later."), "error")
            return redirect(next_url)
        form.code.errors.append(wrong_code_text(left))
    return render("step_up/verify.html", form=form, methods=methods, method=form.method.data,
                  next_url=next_url, back_url=back_url)
