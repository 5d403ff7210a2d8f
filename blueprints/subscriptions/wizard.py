"""The create-subscription wizard (`/subscriptions/new`).

As the create-user wizard: the draft lives in the (server-side) session, keyed to the
membership, so back, forward and a reload keep what was entered; the step is in the URL
(`/subscriptions/new?step=number`). Each step is rendered in the `wizard` block of
subscriptions/new.html and swapped into `#wizard` by HTMX; without JavaScript the same
forms post and redirect. The steps depend on the kind: mobile has number and SIM,
landline a number only, internet and circuits an installation address.
"""
from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services import subscription_create as svc
from services.errors import ServiceError
from services.ids import parse_id

from ..access import member
from ..rendering import navigate, render, wants_fragment
from ..wizard_draft import WizardDraft
from . import bp

STEP_TITLES = {
    "kind": _l("Kind of subscription"),
    "plan": _l("Plan"),
    "number": _l("Number"),
    "sim": _l("SIM card"),
    "address": _l("Installation address"),
    "employee": _l("Employee"),
    "account": _l("Account"),
    "summary": _l("Summary"),
}
# Which step each field belongs to, so an error found at create time opens its step.
FIELD_STEPS = {
    "kind": "kind", "plan": "plan", "sim_form": "sim", "delivery_address": "sim",
    "address": "address", "postcode": "address", "city": "address",
    "holder_name": "employee", "holder_email": "employee", "account_id": "account",
}
TEXT_FIELDS = {
    "number": ("port_number", "port_operator", "port_owner_name", "port_owner_cvr", "port_signer",
               "port_date", "takeover_number", "takeover_owner_type", "takeover_owner_name",
               "takeover_owner_cvr"),
    "sim": ("delivery_address",),
    "address": ("address", "postcode", "city"),
    "employee": ("holder_name", "holder_email"),
}


def _blank():
    return {"kind": "", "plan": "",
            "number_source": "new", "new_number": "", "offered": [], "offered_kind": "",
            "port_number": "", "port_operator": "", "port_owner_name": "", "port_owner_cvr": "",
            "port_consent": False, "port_signer": "", "port_date": "",
            "takeover_number": "", "takeover_owner_type": "company", "takeover_owner_name": "",
            "takeover_owner_cvr": "", "takeover_consent": False,
            "sim_form": "physical", "delivery_address": "", "address": "", "postcode": "", "city": "",
            "holder_name": "", "holder_email": "", "account_id": None}


drafts = WizardDraft("subscription_draft", "subscriptions.new", _blank)


def _steps(draft):
    return svc.steps_for(draft["kind"])


def _move(step, draft):
    """Show another step: the fragment with its URL pushed, or a redirect without HTMX."""
    return _show(step, draft, push=True) if wants_fragment() else redirect(drafts.url(step))


def _offer(draft):
    """Numbers to choose from, kept in the draft so a reload shows the same ones."""
    if draft["kind"] in svc.PHONE_KINDS and (not draft["offered"] or draft["offered_kind"] != draft["kind"]):
        draft["offered"] = svc.offer_numbers(draft["kind"])
        draft["offered_kind"] = draft["kind"]
        drafts.save(draft)


def _show(step, draft, errors=None, push=False):
    """The wizard at `step`: the page, or the #wizard fragment (with the URL pushed)."""
    steps = _steps(draft)
    q = request.values.get("q", "") if step == "account" else ""
    context = dict(step=step, steps=steps, number=steps.index(step) + 1, titles=STEP_TITLES, draft=draft,
                   errors=errors or {}, q=q, kinds=svc.KINDS, operators=svc.DONOR_OPERATORS,
                   operator_names=dict(svc.DONOR_OPERATORS), next_working_day=svc.next_working_day())
    if step in ("plan", "summary"):
        context["plans"] = svc.plans_for_kind(draft["kind"])
        context["plan"] = next((p for p in context["plans"] if p.code == draft["plan"]), None)
    if step in ("account", "summary"):
        selected = draft["account_id"]
        chosen, matches, more = svc.account_choices(g.scope, q, selected)
        if chosen is None and not q and len(matches) == 1 and not more:
            chosen, matches = matches[0], []  # one account only: chosen already
        context.update(chosen_account=chosen, matching_accounts=matches, more_accounts=more)
    if step == "summary":
        context["order_kind"] = svc.order_kind(draft)
        context["port_date"] = svc.parse_day(draft["port_date"])
    response = render("subscriptions/new.html", "wizard", **context)
    if push and wants_fragment():
        response.headers["HX-Push-Url"] = drafts.url(step)
    return response


@bp.route("/new")
@member("order")
def new():
    draft = drafts.load()
    account = g.scope.account(request.args.get("account")) if request.args.get("account") else None
    if account is not None and draft["account_id"] != account.id:
        draft["account_id"] = account.id
        drafts.save(draft)
    kind = request.args.get("kind")
    if kind in svc.KINDS and not request.args.get("step"):  # "Create mobile subscription" on an account page
        _choose_kind(draft, kind)
        if "kind" not in draft["done"]:
            draft["done"].append("kind")
        drafts.save(draft)
        return redirect(drafts.url("plan"))
    steps = _steps(draft)
    step = drafts.requested_step(steps)
    first_open = drafts.first_open(draft, steps)
    if steps.index(step) > steps.index(first_open):
        return redirect(drafts.url(first_open))
    if step == "account" and request.headers.get("HX-Target") == "account-list":
        # The live filter: the account list only, the chosen account kept on top.
        chosen, matches, more = svc.account_choices(g.scope, request.args.get("q", ""),
                                                    request.args.get("account_id") or draft["account_id"])
        return render("subscriptions/new.html", "account_list", chosen_account=chosen,
                      matching_accounts=matches, more_accounts=more, draft=draft)
    if step == "number":
        _offer(draft)
    return _show(step, draft)


@bp.route("/new", methods=["POST"])
@member("order")
def new_post():
    """One step's form. `nav`: next, back, filter, more_numbers, create or cancel."""
    draft = drafts.load()
    steps = _steps(draft)
    step = drafts.requested_step(steps)
    nav = request.form.get("nav", "next")
    if nav == "cancel":
        drafts.clear()
        return navigate(url_for("subscriptions.index") if g.scope.can("subscriptions") else url_for("home.index"))
    if nav == "more_numbers" and step == "number":  # its own form: the step's fields are not in it
        draft["offered"], draft["new_number"] = [], ""
        _offer(draft)
        return _show(step, draft)
    _take_input(step, draft)
    steps = _steps(draft)  # the kind may have changed them
    if nav == "back":
        drafts.save(draft)
        return _move(steps[max(0, steps.index(step) - 1)], draft)
    if nav == "filter" and step == "account":
        drafts.save(draft)
        return _show(step, draft)
    if step == "summary":
        return _create(draft, steps)
    errors = svc.check_step(g.scope, step, draft)
    if errors:
        drafts.save(draft)
        return _show(step, draft, errors=errors)
    if step not in draft["done"]:
        draft["done"].append(step)
    drafts.save(draft)
    # the next step, unless an earlier one still waits (the draft was changed further back)
    following = min(steps[steps.index(step) + 1], drafts.first_open(draft, steps), key=steps.index)
    if following == "number":
        _offer(draft)
    return _move(following, draft)


def _choose_kind(draft, kind):
    if kind != draft["kind"]:
        # plans, numbers and the SIM or address belong to the kind: choose them again
        draft.update(kind=kind, plan="", new_number="", offered=[], offered_kind="")
        draft["done"] = [s for s in draft["done"] if s not in ("plan", "number", "sim", "address")]


def _take_input(step, draft):
    """Copy the step's fields into the draft, unchecked (back keeps them as entered)."""
    form = request.form
    if step == "kind":
        _choose_kind(draft, form.get("kind", "")[:20])
    elif step == "plan":
        draft["plan"] = form.get("plan", "")[:40]
    elif step == "number":
        draft["number_source"] = form.get("number_source", "")[:20]
        draft["new_number"] = form.get("new_number", "")[:20]
        draft["port_consent"] = form.get("port_consent") == "1"
        draft["takeover_consent"] = form.get("takeover_consent") == "1"
    elif step == "sim":
        draft["sim_form"] = form.get("sim_form", "")[:10]
    elif step == "account":
        draft["account_id"] = parse_id(form.get("account_id")) or form.get("account_id", "")[:20] or None
    for field in TEXT_FIELDS.get(step, ()):
        draft[field] = form.get(field, "")[:200]


def _step_of(field):
    return FIELD_STEPS.get(field, "number")


def _create(draft, steps):
    missing = [s for s in steps[:-1] if s not in draft["done"]]
    if missing:
        return _move(missing[0], draft)
    try:
        subscription, order = svc.create_subscription(g.scope, draft)
    except ServiceError as error:
        step = _step_of(error.field) if error.field else "summary"
        if step in draft["done"]:
            draft["done"].remove(step)
        drafts.save(draft)
        errors = error.errors
        return _show(step, draft, errors=errors, push=True)
    drafts.clear()
    flash(_("The subscription for %(name)s was ordered as order %(order)s. It is pending until the order "
            "is completed.", name=subscription.holder_name, order=order.id), "success")
    if g.scope.can("subscriptions"):
        return navigate(url_for("subscriptions.detail", subscription_id=subscription.id))
    if g.scope.can("orders"):
        return navigate(url_for("orders.detail", order_id=order.id))
    return navigate(url_for("home.index"))
