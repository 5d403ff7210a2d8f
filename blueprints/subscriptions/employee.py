"""The employee page (`/subscriptions/<id>`) and its actions.

Every action is a small form (`/subscriptions/<id>/<action>`), loaded into the page's
`#dialog` by HTMX or opened as a page of its own without JavaScript. Posting it first
shows what will happen and when (the service's preview, every check passed), and a
second post with `confirm` places the order. Errors come back as 422 with the form.
"""
from collections import namedtuple

from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from services import employee_page as page_svc
from services import subscription_changes as changes
from services.errors import ServiceError
from services.order_text import parts_text, reason_text

from ..access import member
from ..rendering import navigate, render, wants_fragment
from ..step_up import go_verify, is_fresh, resuming
from . import bp

Action = namedtuple("Action", "function fields right step_up")
ACTIONS = {
    "plan": Action(changes.change_plan, ("plan_code", "from_date"), "manage", False),
    "sim": Action(changes.change_sim, ("how", "iccid", "address", "reason"), "sim", False),
    "account": Action(changes.change_account, ("account_id",), "manage", False),
    "addon": Action(changes.add_addon, ("code",), "manage", False),
    "addon-remove": Action(changes.remove_addon, ("code",), "manage", False),
    "block": Action(changes.block, ("parts", "reason"), "manage", False),
    "unblock": Action(changes.unblock, ("parts",), "manage", False),
    "cancel": Action(changes.cancel, ("end_date", "reason"), "manage", True),
    "transfer": Action(changes.transfer, ("name", "email", "end_date"), "manage", True),
    "offboard": Action(changes.offboard, ("choice", "end_date", "name", "email", "disable_login"), "manage", True),
}
LIST_FIELDS = ("parts",)


@bp.route("/<int:subscription_id>")
@member("subscriptions")
def detail(subscription_id):
    return _page(subscription_id, resume_codes=resuming("codes"))


def _page(subscription_id, **extra):
    target = request.headers.get("HX-Target") if wants_fragment() else None
    if target == "open-orders":
        return render("subscriptions/detail.html", "open_orders", **page_svc.open_orders(g.scope, subscription_id))
    if target == "usage-records":
        return render("subscriptions/detail.html", "usage_records",
                      **page_svc.usage_records(g.scope, subscription_id, request.args.get("usage_page", 1)))
    data = page_svc.employee_page(g.scope, subscription_id, request.args.get("usage_page", 1))
    esim = next((s for s in data["sims"] if s.status == "active" and s.form == "esim" and s.activation_code), None)
    qr = page_svc.esim_qr(esim) if esim and g.scope.can("sim") else None
    return render("subscriptions/detail.html", **data, esim_qr=qr, block_text=parts_text, **extra)


@bp.route("/<int:subscription_id>/codes", methods=["POST"])
@member("sim")
def codes(subscription_id):
    """PIN and PUK, after a fresh second factor; audited by the service, never cached."""
    page_svc.visible(g.scope, subscription_id)  # 404 before anything else
    if not is_fresh():
        return go_verify(url_for("subscriptions.detail", subscription_id=subscription_id, show="codes", _anchor="sim"),
                         url_for("subscriptions.detail", subscription_id=subscription_id, _anchor="sim"))
    sims = changes.reveal_codes(g.scope, subscription_id, stepped_up=True)
    if wants_fragment():
        response = render("subscriptions/detail.html", "codes", revealed=sims)
    else:
        response = _page(subscription_id, revealed=sims)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:subscription_id>/note", methods=["POST"])
@member("manage")
def note(subscription_id):
    """The invoice note is the portal's own field: saved at once, no order."""
    try:
        changes.set_invoice_note(g.scope, subscription_id, request.form.get("invoice_note", ""))
    except ServiceError as error:
        return _show_action(subscription_id, "note", errors=error.errors,
                            values=request.form, status=422)
    flash(_("The invoice note is saved."), "success")
    return _back(subscription_id)


@bp.route("/<int:subscription_id>/<action>", methods=["GET", "POST"])
@member("subscriptions")
def action(subscription_id, action):
    """GET: the form. POST: the preview; POST with confirm: the order."""
    if action == "note":
        return _show_action(subscription_id, "note", values=request.args)
    spec = ACTIONS.get(action)
    if spec is None:
        abort(404)
    g.scope.require(spec.right)
    page_svc.visible(g.scope, subscription_id)  # 404 before the step-up
    if spec.step_up and not is_fresh():
        # back to this form with what was typed in it; Cancel goes to the employee page
        typed = {k: request.form.getlist(k) for k in request.form if k not in ("csrf_token", "confirm")}
        return go_verify(url_for("subscriptions.action", subscription_id=subscription_id, action=action, **typed),
                         url_for("subscriptions.detail", subscription_id=subscription_id))
    if request.method == "GET":
        return _show_action(subscription_id, action, values=request.args)
    values = _values(spec)
    kwargs = dict(values, stepped_up=is_fresh()) if spec.step_up else dict(values)
    confirm = request.form.get("confirm") == "1"
    try:
        result = spec.function(g.scope, subscription_id, preview=not confirm, **kwargs)
    except ServiceError as error:
        if isinstance(error, changes.fraud.StepUpRequired):  # many SIM changes: a new code first
            return go_verify(url_for("subscriptions.action", subscription_id=subscription_id, action=action),
                             url_for("subscriptions.detail", subscription_id=subscription_id), again=True)
        return _show_action(subscription_id, action, errors=error.errors,
                            values=request.form, status=422)
    if not confirm:
        return _show_action(subscription_id, action, values=request.form, preview=result)
    flash(_placed_text(action, result), "success")
    return _back(subscription_id)


def _values(spec):
    values = {}
    for name in spec.fields:
        if name in LIST_FIELDS:
            values[name] = request.form.getlist(name)
        elif name == "disable_login":
            values[name] = request.form.get(name) == "1"
        else:
            values[name] = request.form.get(name, "").strip()
    return values


def _placed_text(action, result):
    if action == "offboard":
        return ngettext("The employee is offboarded: the order is below, and %(num)d login is disabled.",
                        "The employee is offboarded: the order is below, and %(num)d logins are disabled.",
                        len(result["disabled"]))
    if action == "transfer":
        return _("Order %(id)s is placed. We e-mailed the new holder a link to accept the transfer.",
                 id=result.id)
    return _("Order %(id)s is placed. You can follow it on this page and under Order status.", id=result.id)


def _show_action(subscription_id, action, errors=None, values=None, preview=None, status=200):
    item = page_svc.visible(g.scope, subscription_id)
    return render("subscriptions/action.html", "dialog", status=status, item=item, action=action,
                  block_text=parts_text, reason_label=reason_text,
                  chosen_parts=values.getlist("parts") if hasattr(values, "getlist") else [],
                  errors=errors or {}, values=values or {}, preview=preview,
                  choices=page_svc.action_choices(g.scope, item), reasons=_reasons(),
                  blockable=changes.blockable_parts(item), today=changes.utcnow().date())


def _reasons():
    return {"cancel": changes.CANCEL_REASONS, "block": changes.BLOCK_REASONS, "sim": changes.SIM_REASONS}


def _back(subscription_id):
    return navigate(url_for("subscriptions.detail", subscription_id=subscription_id))
