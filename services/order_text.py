"""An order in words: what will happen (confirmations, bulk previews) or what was asked
(order lists and details). Details are the plain values an order keeps."""
import datetime

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import AddOn, Plan

from .formatting import phone
from .money import format_money

BLOCK_PART_LABELS = {
    "all": _l("the whole subscription"), "abroad": _l("calls abroad"), "data": _l("mobile data"),
    "premium": _l("premium numbers"),
}
REASON_LABELS = {
    "lost": _l("lost"), "stolen": _l("stolen"), "damaged": _l("damaged"), "esim": _l("change to eSIM"),
    "misuse": _l("misuse"), "cost_control": _l("cost control"), "employee_left": _l("the employee has left"),
    "not_needed": _l("no longer needed"), "moving_operator": _l("moving to another operator"),
    "other": _l("other"),
}


def _day(value):
    """The date in words, or None when the order has none (the sentence then leaves it out)."""
    try:
        return format_date(datetime.date.fromisoformat(value), "long")
    except (TypeError, ValueError):
        return None


def _plan(code):
    plan = Plan.get_or_none(Plan.code == code)
    return plan.name if plan else code


def _addon(code):
    addon = AddOn.get_or_none(AddOn.code == code)
    return addon.name if addon else code


def parts_text(parts):
    return ", ".join(str(BLOCK_PART_LABELS.get(p, p)) for p in parts or ())


def reason_text(code):
    return str(REASON_LABELS.get(code, code or ""))


DESCRIBE = {}  # kind -> function(details) of the other areas' order kinds


def register(kind, describe_fn):
    """How another area's order kind reads: `describe_fn(details)` -> one sentence in the current locale."""
    DESCRIBE[kind] = describe_fn


def describe(kind, d):
    """One sentence, in the current locale."""
    if kind in DESCRIBE:
        return DESCRIBE[kind](d)
    if kind == "plan_change":
        diff = d.get("price_difference", 0)
        old, new, day = _plan(d.get("from_plan")), _plan(d.get("to_plan")), _day(d.get("from_date"))
        if day:
            text = _("Plan changes from %(old)s to %(new)s from %(date)s.", old=old, new=new, date=day)
        else:
            text = _("Plan changes from %(old)s to %(new)s.", old=old, new=new)
        if diff > 0:
            text += " " + _("The monthly price goes up by %(amount)s.", amount=format_money(diff))
        elif diff < 0:
            text += " " + _("The monthly price goes down by %(amount)s.", amount=format_money(-diff))
        return text
    if kind == "sim_change":
        return _sim_change(d)
    if kind == "cancel":
        return _cancel(_day(d.get("end_date")), reason_text(d.get("reason")))
    if kind == "transfer":
        return _transfer(d.get("new_holder_name"), d.get("new_holder_email"), _day(d.get("end_date")))
    if kind == "account_change":
        old, new = d.get("from_account"), d.get("to_account")
        if old and new:
            return _("The subscription moves from account %(old)s to %(new)s.", old=old, new=new)
        if new:
            return _("The subscription moves to account %(new)s.", new=new)
        return _("The subscription moves to another account.")
    if kind == "addon":
        name = _addon(d.get("addon"))
        if d.get("monthly_price") is None:  # an order that did not keep its price: no "0.00 a month"
            return _("%(name)s is added.", name=name)
        return _("%(name)s is added (%(price)s a month).", name=name, price=format_money(d["monthly_price"]))
    if kind == "addon_remove":
        return _("%(name)s is removed.", name=_addon(d.get("addon")))
    if kind == "block":
        parts, reason = parts_text(d.get("parts")), reason_text(d.get("reason"))
        if not reason:
            return _("Blocks %(parts)s.", parts=parts)
        return _("Blocks %(parts)s (%(reason)s).", parts=parts, reason=reason)
    if kind == "unblock":
        return _("Lifts the block on %(parts)s.", parts=parts_text(d.get("parts")))
    if kind in ("new_subscription", "takeover", "port_in"):
        number = phone(d.get("number")) or _("a new number")
        if not d.get("holder_name"):
            return _("%(plan)s on %(number)s.", plan=_plan(d.get("plan")), number=number)
        return _("%(plan)s for %(name)s on %(number)s.", plan=_plan(d.get("plan")),
                 name=d.get("holder_name"), number=number)
    return ""


# The sentences below leave out what the order does not have: never "()", an empty name or "today".

def _sim_change(d):
    how = d.get("how") or ("esim" if d.get("sim_form") == "esim" else "physical")
    if how == "in_hand":
        if not d.get("iccid"):
            return _("A SIM card in hand replaces the current one; the old card stops working.")
        return _("The SIM card %(iccid)s replaces the current one; the old card stops working.", iccid=d["iccid"])
    if how == "esim":
        return _("An eSIM replaces the current SIM card; the activation QR code shows here when it is ready.")
    if not d.get("delivery_address"):
        return _("A new SIM card is sent; the old card stops working when the new one is active.")
    return _("A new SIM card is sent to %(address)s; the old card stops working when the new one is active.",
             address=d["delivery_address"])


def _cancel(day, reason):
    if day and reason:
        return _("The subscription is cancelled on %(date)s (%(reason)s).", date=day, reason=reason)
    if day:
        return _("The subscription is cancelled on %(date)s.", date=day)
    if reason:
        return _("The subscription is cancelled (%(reason)s).", reason=reason)
    return _("The subscription is cancelled.")


def _transfer(name, email, day):
    if name and email and day:
        return _("The subscription is transferred to %(name)s (%(email)s) on %(date)s, once they accept "
                 "by e-mail.", name=name, email=email, date=day)
    holder = f"{name} ({email})" if name and email else name or email or _("the new holder")
    if day:
        return _("The subscription is transferred to %(holder)s on %(date)s, once they accept by e-mail.",
                 holder=holder, date=day)
    return _("The subscription is transferred to %(holder)s, once they accept by e-mail.", holder=holder)
