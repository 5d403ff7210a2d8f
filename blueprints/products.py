"""Products (`/products`): the phone system with its users and extensions, each user's profiles
and vacation reply, and the personal numbers (70-numbers) with their forwarding schedules.

Changes follow the employee page's pattern: a form (in the page's `#dialog` by HTMX, or a page of
its own without JavaScript), a first post that shows what will happen (the service's preview),
and a second post with `confirm` that places the order. Switching the active profile is one click.
After an order the page polls its `#pending` block (`?watch=<order ids>`) until the orders are done,
then swaps in the changed sections. Errors come back as 422 with the form.
"""
from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _

from models import utcnow
from models.products import FORWARD_KINDS, PROFILE_KINDS, TARGET_KINDS
from services import products as svc
from services.errors import ServiceError
from services.formatting import phone
from services.ids import parse_id

from .access import member
from .rendering import navigate, render, wants_fragment

bp = Blueprint("products", __name__, url_prefix="/products")

MAX_ROWS = svc.MAX_RULES + 2  # rule rows a form may post: the rules, and blank ones to fill in


def _hx_target():
    """The element an HTMX request will swap (its block is all it needs), or None for a whole page."""
    return request.headers.get("HX-Target") if wants_fragment() else None


def _watch():
    return request.args.get("watch", "").split(",")[:20]


def _labels():
    return {"profile_names": svc.PROFILE_LABELS, "forwards": svc.FORWARD_LABELS, "targets": svc.TARGET_LABELS,
            "profile_kinds": PROFILE_KINDS, "forward_kinds": FORWARD_KINDS, "target_kinds": TARGET_KINDS,
            "forward_text": svc.forward_text, "days_text": svc.days_text, "rule_target": svc.rule_target,
            "default_target": svc.default_target, "weekdays": svc.weekday_names(),
            "weekdays_long": svc.weekday_names("wide"), "order_sentence": svc.order_sentence,
            "order_state": svc.order_state, "now_date": lambda: utcnow().date()}


# -- the overview ------------------------------------------------------------------------------

@bp.route("")
@member("products")
def index():
    filters = svc.parse_user_filters(request.args)
    users = svc.list_users(g.scope, page=request.args.get("page", 1), **filters)
    if _hx_target() == "users":
        return render("products/index.html", "users", users=users, filters=filters, **_labels())
    return render("products/index.html", users=users, filters=filters, systems=svc.phone_systems(g.scope),
                  personal=svc.personal_numbers(g.scope), **_labels())


# -- one user: profiles and vacation reply -------------------------------------------------------

@bp.route("/users/<int:phone_user_id>")
@member("products")
def user(phone_user_id):
    return _user_page(phone_user_id, polled=_hx_target() == "pending")


def _user_page(phone_user_id, polled=False, status=200, **extra):
    data = svc.user_page(g.scope, phone_user_id, _watch())
    if polled and _unchanged(data["open_orders"]):
        return "", 204
    return render("products/user.html", "pending" if polled else None, status=status, **data, **_labels(), **extra)


def _unchanged(open_orders):
    """A poll while the orders are as the page shows them: nothing to swap (204)."""
    return bool(open_orders) and svc.order_state(open_orders) == request.args.get("state")


@bp.route("/users/<int:phone_user_id>/profile", methods=["POST"])
@member("products")
def switch(phone_user_id):
    """One click: the chosen profile becomes the active one (an order, no confirmation)."""
    try:
        order = svc.switch_profile(g.scope, phone_user_id, request.form.get("profile", ""))
    except ServiceError as error:
        return _user_page(phone_user_id, status=422, switch_error=error.message)
    flash(_("Order %(id)s is placed: the phone system switches the profile.", id=order.id), "success")
    return navigate(url_for(".user", phone_user_id=phone_user_id, watch=order.id))


@bp.route("/users/<int:phone_user_id>/profiles/<profile>", methods=["GET", "POST"])
@member("products")
def profile(phone_user_id, profile):
    """GET: where the profile sends calls. POST: the preview; POST with confirm: the order."""
    data = svc.user_page(g.scope, phone_user_id)  # 404 before anything else
    current = next((p for p in data["profiles"] if p.kind == profile), None)
    if current is None:
        abort(404)
    if request.method == "GET":
        values = {"forward_kind": current.forward_kind, "number": phone(current.forward_to),
                  "colleague": current.colleague.extension if current.colleague else ""}
        return _form(data, "profile", values, profile=current)
    form = request.form
    try:
        result = svc.change_profile(g.scope, phone_user_id, profile, form.get("forward_kind", ""),
                                    form.get("colleague", ""), form.get("number", ""),
                                    preview=form.get("confirm") != "1")
    except ServiceError as error:
        return _form(data, "profile", form, errors=error.errors, status=422, profile=current)
    return _placed_or_preview(data, "profile", result, profile=current)


@bp.route("/users/<int:phone_user_id>/vacation", methods=["GET", "POST"])
@member("products")
def vacation(phone_user_id):
    """GET: the vacation reply. POST: the preview; POST with confirm: the order."""
    data = svc.user_page(g.scope, phone_user_id)
    if request.method == "GET":
        reply = data["vacation"]
        values = {"active": "1", "message": "", "starts_on": "", "ends_on": ""}
        if reply is not None:
            values = {"active": "1" if reply.active else "0", "message": reply.message,
                      "starts_on": reply.starts_on.isoformat(), "ends_on": reply.ends_on.isoformat()}
        if request.args.get("off") == "1":
            values["active"] = "0"
        return _form(data, "vacation", values)
    form = request.form
    try:
        result = svc.set_vacation_reply(g.scope, phone_user_id, form.get("active") == "1", form.get("message", ""),
                                        form.get("starts_on", ""), form.get("ends_on", ""),
                                        preview=form.get("confirm") != "1")
    except ServiceError as error:
        return _form(data, "vacation", form, errors=error.errors, status=422)
    return _placed_or_preview(data, "vacation", result)


def _form(data, action, values, errors=None, preview=None, status=200, profile=None):
    return render("products/user_action.html", "dialog", status=status, action=action, values=values,
                  errors=errors or {}, preview=preview, profile=profile, today=utcnow().date(),
                  **data, **_labels())


def _placed_or_preview(data, action, result, profile=None):
    if isinstance(result, svc.Preview):
        return _form(data, action, request.form, preview=result, profile=profile)
    flash(_("Order %(id)s is placed. The page shows when the phone system has carried it out.", id=result.id),
          "success")
    return navigate(url_for(".user", phone_user_id=data["user"].id, watch=result.id))


# -- personal numbers ---------------------------------------------------------------------------

@bp.route("/personal-numbers/<int:personal_number_id>")
@member("products")
def personal_number(personal_number_id):
    data = svc.personal_number_page(g.scope, personal_number_id, _watch())
    polled = _hx_target() == "pending"
    if polled and _unchanged(data["open_orders"]):
        return "", 204
    return render("products/personal_number.html", "pending" if polled else None, **data, **_labels())


@bp.route("/personal-numbers/<int:personal_number_id>/edit", methods=["GET", "POST"])
@member("products")
def edit_personal_number(personal_number_id):
    """The schedule's form. "Add a rule" (and "Back" from the preview) re-render the form, without
    the rows marked for removal (nothing is saved); Continue shows what will happen; Confirm places
    the order.

    :raise 403: for a membership limited to some accounts (the service decides).
    """
    data = svc.personal_number_page(g.scope, personal_number_id, for_change=True)
    if request.method == "GET":
        default, rules = svc.form_values(data["item"])
        return _schedule_form(data, default, rules + [_blank_rule()])
    default, rules = _posted_schedule()
    form = request.form
    if "add" in form or "edit" in form:
        rules = [r for r in rules if not r["remove"]]
        if "add" in form and len(rules) < MAX_ROWS:
            rules.append(_blank_rule())
        return _schedule_form(data, default, rules)
    # a row marked for removal stays in place as a blank one, so errors name the rows as numbered
    rules = [_blank_rule() if r["remove"] else r for r in rules]
    try:
        result = svc.repoint_personal_number(g.scope, personal_number_id, default, rules,
                                             preview=form.get("confirm") != "1")
    except ServiceError as error:
        return _schedule_form(data, default, rules, errors=error.errors, status=422)
    if isinstance(result, svc.Preview):
        return _schedule_form(data, default, rules, preview=result)
    flash(_("Order %(id)s is placed. The page shows when the new forwarding is in force.", id=result.id), "success")
    return navigate(url_for(".personal_number", personal_number_id=personal_number_id, watch=result.id))


def _blank_rule():
    return {"days": [], "starts": "", "ends": "", "kind": "number", "number": "", "extension": "", "remove": False}


def _posted_schedule():
    """The default target and the rule rows of the posted form, as plain values."""
    form = request.form
    default = {"kind": form.get("default-kind", ""), "number": form.get("default-number", ""),
               "extension": form.get("default-extension", "")}
    count = min(parse_id(form.get("rule_count")) or 0, MAX_ROWS)
    rules = [{"days": form.getlist(f"rule-{i}-days")[:7], "starts": form.get(f"rule-{i}-starts", ""),
              "ends": form.get(f"rule-{i}-ends", ""), "kind": form.get(f"rule-{i}-kind", ""),
              "number": form.get(f"rule-{i}-number", ""), "extension": form.get(f"rule-{i}-extension", ""),
              "remove": form.get(f"rule-{i}-remove") == "1"}
             for i in range(1, count + 1)]
    return default, rules


def _schedule_form(data, default, rules, errors=None, preview=None, status=200):
    return render("products/personal_number_form.html", "editor", status=status, default=default, rules=rules,
                  errors=errors or {}, preview=preview, max_rows=MAX_ROWS, **data, **_labels())
