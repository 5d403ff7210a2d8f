"""What a user can do to one subscription: each function checks the right, validates the
plain values, and places the order (services/orders.py) with its audit event in one
transaction. The change itself happens when the order completes.

Views, bulk updates and offboarding call these same functions, so they all get the same
checks. Each raises ServiceError on bad input, with every problem of the form at once
({field: translated message}, ServiceError.of), before it looks at open orders.
"""

from flask_babel import format_date
from flask_babel import gettext as _
from stdnum import luhn
from werkzeug.exceptions import NotFound

from models import (
    AddOn,
    Plan,
    SimCard,
    Subscription,
    SubscriptionAddOn,
    User,
    db,
    utcnow,
)
from models.subscriptions import BLOCK_PARTS

from . import audit, fraud, numbers, orders
from .errors import ServiceError
from .formatting import phone
from .messages import public_url, queue_message
from .sessions import end_user_sessions
from .validation import email_address, order_date

CANCEL_REASONS = ("employee_left", "not_needed", "moving_operator", "other")
SIM_REASONS = ("lost", "damaged", "esim", "other")
SIM_HOW = ("in_hand", "physical", "esim")
NOTE_MAX = 60
NAME_MAX = 100


def _subscription(scope, subscription_id, right):
    scope.require(right)
    return scope.get(scope.subscriptions(), Subscription, subscription_id)


def _active(scope, subscription_id, right):
    subscription = _subscription(scope, subscription_id, right)
    orders.refuse_if_ended(subscription)
    return subscription


def _date(value, field, errors):
    """The date of a form's field, or None with its problem added to `errors` (order_date's rules)."""
    day, problem = order_date(value)
    if problem:
        errors[field] = problem
    return day


def _raise_if(errors):
    """Every problem of the form at once (ServiceError.of), in the form's order."""
    if errors:
        raise ServiceError.of(errors)


def _place(scope, kind, subscription, preview, details, batch=None):
    """The order, or with `preview` what it would be: every check has already passed."""
    if preview:
        return orders.Preview(kind, subscription, details)
    return orders.place(scope, kind, subscription=subscription, details=details, batch=batch)


def _require_step_up(stepped_up):
    if not stepped_up:
        raise ServiceError(_("Confirm with your second factor first."), "step_up")


# -- SIM cards, PIN and PUK ------------------------------------------------------------

def reveal_codes(scope, subscription_id, stepped_up):
    """The active SIM cards with PIN and PUK; each reveal is audited (without the codes)."""
    subscription = _subscription(scope, subscription_id, "sim")
    _require_step_up(stepped_up)
    sims = list(SimCard.select().where(SimCard.subscription == subscription.id, SimCard.status == "active"))
    with db.atomic():
        audit.record_for_scope(scope, "subscription.codes_revealed", obj=subscription,
                               sims=[s.iccid for s in sims])
    fraud.after_codes_revealed(scope, subscription)  # many reveals: the next needs a new code
    return sims


def clean_iccid(text):
    return "".join(ch for ch in (text or "") if ch.isdigit())


def change_sim(scope, subscription_id, how, iccid="", address="", reason="lost", preview=False):
    """A card in hand (ICCID), a new physical SIM sent to an address, or an eSIM."""
    subscription = _active(scope, subscription_id, "sim")
    if subscription.kind != "mobile":
        raise ServiceError(_("Only mobile subscriptions have SIM cards."))
    errors = {}
    if how not in SIM_HOW:
        errors["how"] = _("Choose how we should deliver the new SIM card.")
    details = {"number": subscription.number, "sim_form": "esim" if how == "esim" else "physical",
               "how": how, "reason": reason}
    if how == "in_hand":
        iccid = clean_iccid(iccid)
        if not (18 <= len(iccid) <= 20 and iccid.startswith("89")):
            errors["iccid"] = _("An ICCID has 18 to 20 digits and starts with 89; it is printed on the card.")
        elif not luhn.is_valid(iccid):
            errors["iccid"] = _("The ICCID is not right: check the digits on the card.")
        elif SimCard.select().where(SimCard.iccid == iccid).exists():
            errors["iccid"] = _("That SIM card is already in use.")
        details["iccid"] = iccid
    elif how == "physical":
        address = " ".join((address or "").split())
        if len(address) < 5 or len(address) > 200:
            errors["address"] = _("Enter the address the SIM card is sent to.")
        details["delivery_address"] = address
    if reason not in SIM_REASONS:
        errors["reason"] = _("Choose a reason.")
    _raise_if(errors)
    orders.refuse_if_open(subscription, ("sim_change",),
                          _("A SIM change is already on its way for this subscription."))
    fraud.check_sim_burst(scope, subscription)
    if preview:
        return orders.Preview("sim_change", subscription, details)
    return _guarded(scope, "sim_change", subscription, details)


def _guarded(scope, kind, subscription, details, batch=None, review=False, notify_admins=True, **create):
    """An order under the fraud guard: the number and the admins are told before it is carried
    out, and it waits the notice period (and, with `review`, staff) first. `notify_admins=False`:
    the admins are told by the caller instead (a bulk request: one e-mail for all its orders)."""
    with db.atomic():
        order = orders.create(scope, kind, subscription=subscription, details=details, batch=batch, **create)
        fraud.guard(scope, order, review=review)
    fraud.announce(order, admins=notify_admins)
    fraud.start(order)
    return order


# -- plan, account, add-ons ------------------------------------------------------------

def change_plan(scope, subscription_id, plan_code, from_date=None, preview=False):
    subscription = _active(scope, subscription_id, "manage")
    errors = {}
    plan = Plan.get_or_none(Plan.code == (plan_code or ""), Plan.active == True)  # noqa: E712
    if plan is None or plan.kind != subscription.kind:
        errors["plan_code"] = _("Choose a plan for this kind of subscription.")
    elif plan.id == subscription.plan_id:
        errors["plan_code"] = _("The subscription already has that plan.")
    # None: no date asked (a bulk change), so from today; an emptied date field is a problem
    day = utcnow().date() if from_date is None else _date(from_date, "from_date", errors)
    _raise_if(errors)
    orders.refuse_if_open(subscription, ("plan_change",), _("A plan change is already on its way."))
    current = Plan.get_by_id(subscription.plan_id)
    return _place(scope, "plan_change", subscription, preview, {
        "number": subscription.number, "from_plan": current.code, "to_plan": plan.code,
        "from_date": day.isoformat(), "price_difference": plan.monthly_price - current.monthly_price})


def change_account(scope, subscription_id, account_id, preview=False):
    subscription = _active(scope, subscription_id, "manage")
    account = scope.account(account_id)
    if account is None:
        raise ServiceError(_("Choose one of your accounts."), "account_id")
    if account.id == subscription.account_id:
        raise ServiceError(_("The subscription is already on that account."), "account_id")
    orders.refuse_if_open(subscription, ("account_change",), _("An account change is already on its way."))
    return _place(scope, "account_change", subscription, preview, {
        "number": subscription.number, "from_account": subscription.account.number,
        "to_account": account.number, "to_account_id": account.id})


def addons_for(subscription):
    """(the add-ons it has, the catalogue's others for its kind)."""
    have = list(AddOn.select().join(SubscriptionAddOn)
                .where(SubscriptionAddOn.subscription == subscription.id).order_by(AddOn.name))
    held = {a.id for a in have}
    others = [a for a in AddOn.select().where(AddOn.kind == subscription.kind, AddOn.active == True)  # noqa: E712
              .order_by(AddOn.name) if a.id not in held]
    return have, others


def _addon_order(scope, subscription_id, code, adding, preview=False):
    subscription = _active(scope, subscription_id, "manage")
    addon = AddOn.get_or_none(AddOn.code == (code or ""))
    if addon is None or addon.kind != subscription.kind or (adding and not addon.active):
        raise ServiceError(_("Choose an add-on from the list."), "code")
    has = SubscriptionAddOn.select().where(SubscriptionAddOn.subscription == subscription.id,
                                           SubscriptionAddOn.addon == addon.id).exists()
    if adding and has:
        raise ServiceError(_("The subscription already has %(name)s.", name=addon.name), "code")
    if not adding and not has:
        raise ServiceError(_("The subscription does not have %(name)s.", name=addon.name), "code")
    for order in orders.open_orders(subscription.id, ("addon", "addon_remove")):
        if order.details and f'"{addon.code}"' in order.details:
            raise ServiceError(_("An order for %(name)s is already on its way.", name=addon.name), "code")
    return _place(scope, "addon" if adding else "addon_remove", subscription, preview, {
        "number": subscription.number, "addon": addon.code, "monthly_price": addon.monthly_price})


def add_addon(scope, subscription_id, code, preview=False):
    return _addon_order(scope, subscription_id, code, True, preview)


def remove_addon(scope, subscription_id, code, preview=False):
    return _addon_order(scope, subscription_id, code, False, preview)


# -- blocking --------------------------------------------------------------------------

BLOCK_REASONS = ("lost", "stolen", "misuse", "cost_control", "other")


def blockable_parts(subscription):
    """The parts the block form offers: those not blocked already."""
    return [p for p in BLOCK_PARTS if p not in subscription.blocks]


def _chosen(parts):
    return [p for p in BLOCK_PARTS if p in (parts or ())]


def block(scope, subscription_id, parts, reason, preview=False):
    subscription = _active(scope, subscription_id, "manage")
    errors = {}
    chosen = _chosen(parts)
    new = [p for p in chosen if p not in subscription.blocks]
    if not chosen:
        errors["parts"] = _("Choose what to block.")
    elif not new:
        errors["parts"] = _("That is already blocked.")
    if reason not in BLOCK_REASONS:
        errors["reason"] = _("Choose a reason.")
    _raise_if(errors)
    orders.refuse_if_open(subscription, ("block", "unblock"), _("A block or unblock is already on its way."))
    return _place(scope, "block", subscription, preview, {
        "number": subscription.number, "parts": new, "reason": reason})


def unblock(scope, subscription_id, parts, preview=False):
    subscription = _active(scope, subscription_id, "manage")
    chosen = _chosen(parts)
    if not chosen:
        raise ServiceError(_("Choose what to open again."), "parts")
    chosen = [p for p in chosen if p in subscription.blocks]
    if not chosen:
        raise ServiceError(_("That is not blocked."), "parts")
    orders.refuse_if_open(subscription, ("block", "unblock"), _("A block or unblock is already on its way."))
    return _place(scope, "unblock", subscription, preview, {
        "number": subscription.number, "parts": chosen})


# -- ending: cancel, transfer to the employee ------------------------------------------

def _ending_checks(subscription):
    orders.refuse_if_open(subscription, ("cancel", "transfer"),
                          _("A cancellation or transfer is already on its way."))


def cancel(scope, subscription_id, end_date, reason, stepped_up, batch=None, preview=False, notify_admins=True):
    """`notify_admins=False`: a bulk request tells the admins once for all (services/bulk.py); the
    number's SMS is sent either way."""
    subscription = _active(scope, subscription_id, "manage")
    _require_step_up(stepped_up)
    errors = {}
    day = _date(end_date, "end_date", errors)
    if reason not in CANCEL_REASONS:
        errors["reason"] = _("Choose a reason.")
    _raise_if(errors)
    if reason == "moving_operator":  # a port-out: refused while the number has a port lock
        numbers.refuse_port_out(subscription)
    _ending_checks(subscription)
    details = {"number": subscription.number, "end_date": day.isoformat(), "reason": reason}
    review = reason == "moving_operator" and fraud.port_out_needs_review(subscription.id)
    if preview:
        preview = orders.Preview("cancel", subscription, details)
        preview.held_for_review = review
        return preview
    return _guarded(scope, "cancel", subscription, details, batch=batch, review=review, notify_admins=notify_admins)


def transfer(scope, subscription_id, name, email, end_date, stepped_up, batch=None, preview=False):
    """The subscription moves to the employee as a private customer once they accept by e-mail."""
    subscription = _active(scope, subscription_id, "manage")
    _require_step_up(stepped_up)
    errors = {}  # in the form's order: the date comes first
    day = _date(end_date, "end_date", errors)
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        errors["name"] = _("Enter the new holder's name.")
    address = email_address(email)
    if address is None:
        errors["email"] = _("Enter a valid e-mail address.")
    _raise_if(errors)
    _ending_checks(subscription)
    details = {"number": subscription.number, "new_holder_name": name, "new_holder_email": address,
               "end_date": day.isoformat()}
    if preview:
        return orders.Preview("transfer", subscription, details)
    order = _guarded(scope, "transfer", subscription, details, batch=batch, awaiting_acceptance=True)
    queue_message("email", address, _(
        "%(company)s will transfer the subscription with the number %(number)s to you as a private "
        "customer from %(date)s. Accept or decline here within 14 days: %(url)s",
        company=subscription.company.name, number=phone(subscription.number), date=format_date(day, "long"),
        url=public_url("transfers.answer", token=order.acceptance_token)),
        subject=_("Take over your subscription"), company=subscription.company_id)
    return order


# -- invoice note (the portal's own field: no order) -----------------------------------

def set_invoice_note(scope, subscription_id, note):
    subscription = _subscription(scope, subscription_id, "manage")
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise ServiceError(_("The note can be at most %(num)d characters.", num=NOTE_MAX), "invoice_note")
    with db.atomic():
        Subscription.update(invoice_note=note).where(Subscription.id == subscription.id).execute()
        audit.record_for_scope(scope, "subscription.invoice_note", obj=subscription,
                               before=subscription.invoice_note, after=note)
    return note


# -- offboarding: "the employee is leaving" --------------------------------------------

def logins_of(subscription):
    """The employee's own login (`/me`) and a self-service login with the holder's e-mail."""
    own = (User.subscription == subscription.id) & (User.kind == "employee")
    if subscription.holder_email:
        own |= User.email == subscription.holder_email.lower()
    return list(User.select().where(own, User.status != "disabled"))


def offboard(scope, subscription_id, choice, end_date, stepped_up, name="", email="", disable_login=True,
             preview=False):
    """Cancel (closing the SIM with it) or transfer, and disable the employee's logins: one batch.

    With `preview`: {"order": Preview, "logins": users that would be disabled, "kept": ..., "disable_login"}."""
    from .users import disable_user  # the users service imports nothing of this one

    subscription = _active(scope, subscription_id, "manage")
    _require_step_up(stepped_up)
    batch = None if preview else orders.new_batch()
    if choice == "transfer":
        order = transfer(scope, subscription.id, name, email, end_date, stepped_up, batch=batch, preview=preview)
    elif choice == "cancel":
        order = cancel(scope, subscription.id, end_date, "employee_left", stepped_up, batch=batch, preview=preview)
    else:
        errors = {"choice": _("Choose whether the subscription is cancelled or transferred.")}
        _date(end_date, "end_date", errors)
        raise ServiceError.of(errors)
    logins = logins_of(subscription) if disable_login else []
    can_disable = [u for u in logins if u.kind == "employee" or scope.can("users")]
    kept = [u.name for u in logins if u not in can_disable]
    if preview:
        return {"order": order, "logins": [u.name for u in can_disable], "kept": kept,
                "disable_login": disable_login}
    disabled = []
    for user in can_disable:
        if user.kind == "employee":
            with db.atomic():
                User.update(status="disabled", disabled_reason="offboarded").where(User.id == user.id).execute()
                end_user_sessions(user.id)
                audit.record_for_scope(scope, "user.disable", obj=user, reason="offboarded")
            disabled.append(user.name)
            continue
        try:
            disable_user(scope, user.id)
            disabled.append(user.name)
        except (ServiceError, NotFound):
            kept.append(user.name)  # the last admin, or a login beyond this admin's companies
    with db.atomic():
        audit.record_for_scope(scope, "subscription.offboarded", obj=subscription, batch=batch,
                               choice=choice, logins_disabled=len(disabled))
    return {"batch": batch, "order": order, "disabled": disabled, "kept": kept}
