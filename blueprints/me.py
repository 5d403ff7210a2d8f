"""An employee's own subscription and usage, made for a phone (`/me`).

Every route works on the signed-in employee's own subscription (`current_user.subscription_id`,
through services/me.py); no route takes an id, so nothing of colleagues or of the company can
be asked for. The actions the company allows (a travel add-on, a replacement SIM card) are
small forms on pages of their own: the first post shows what will happen, a second post with
`confirm` places the order, errors come back as 422 with the form.
"""
from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from services import auth as auth_service
from services import me as me_service
from services.errors import ServiceError
from services.locale import page_language
from services.order_text import reason_text

from .access import employee
from .auth import error_text
from .rendering import navigate, render, wants_fragment
from .step_up import go_verify, is_fresh, resuming

bp = Blueprint("me", __name__)

TEMPLATE = "me/index.html"
ACTION_TEMPLATE = "me/action.html"


@bp.route("/me")
@employee
def index():
    target = request.headers.get("HX-Target") if wants_fragment() else None
    if target == "records":
        return render(TEMPLATE, "records", **me_service.records(current_user, request.args.get("page", 1)))
    if target == "my-orders":
        return render(TEMPLATE, "my_orders", **me_service.open_orders(current_user))
    return _page(resume_codes=resuming("codes"))


def _page(**extra):
    return render(TEMPLATE, **me_service.page(current_user, request.args.get("page", 1)), **extra)


@bp.route("/me/codes", methods=["POST"])
@employee
def codes():
    """PIN and PUK after a second factor from the last few minutes: otherwise a code goes by
    SMS at once and the step-up page asks for it, then back here. Never cached."""
    if not is_fresh():
        try:
            auth_service.send_login_code(current_user, "sms", purpose="verify", language=page_language())
        except auth_service.LoginError as error:
            flash(error_text(error), "error")  # a code sent a moment ago still works
        return go_verify(url_for("me.index", show="codes", _anchor="codes"), url_for("me.index", _anchor="codes"))
    sims = me_service.reveal_codes(current_user, stepped_up=True)
    response = render(TEMPLATE, "codes", revealed=sims) if wants_fragment() else _page(revealed=sims)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/me/roaming", methods=["GET", "POST"])
@employee
def roaming():
    """Buy a travel add-on: an `addon` order."""
    return _action("roaming", lambda preview: me_service.buy_roaming(
        current_user, request.form.get("code", ""), preview=preview))


@bp.route("/me/sim", methods=["GET", "POST"])
@employee
def sim():
    """A replacement SIM card sent by post: a `sim_change` order."""
    return _action("sim", lambda preview: me_service.order_sim(
        current_user, request.form.get("address", ""), request.form.get("reason", ""), preview=preview))


def _action(action, place):
    if request.method == "GET":
        return _form(action, values={})
    confirm = request.form.get("confirm") == "1"
    try:
        result = place(not confirm)
    except ServiceError as error:
        return _form(action, values=request.form, errors=error.errors, status=422)
    if not confirm:
        return _form(action, values=request.form, preview=result)
    flash(_("Thank you. Order %(id)s is placed; your company's administrators can follow it too.", id=result.id),
          "success")
    return navigate(url_for("me.index"))


def _form(action, values, errors=None, preview=None, status=200):
    return render(ACTION_TEMPLATE, "action_form", status=status, action=action, values=values,
                  errors=errors or {}, preview=preview, reason_label=reason_text,
                  **me_service.action_form(current_user, action))
