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
    try:
        return format_date(datetime.date.fromisoformat(value), "long")
    except (TypeError, ValueError):
        return _("today")


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
        text = _("Plan changes from %(old)s to %(new)s from %(date)s.", old=_plan(d.get("from_plan")),
                 new=_plan(d.get("to_plan")), date=_day(d.get("from_date")))
        if diff > 0:
            text += " " + _("The monthly price goes up by %(amount)s.", amount=format_money(diff))
        elif diff < 0:
            text += " " + _("The monthly price goes down by %(amount)s.", amount=format_money(-diff))
        return text
    if kind == "sim_change":
        how = d.get("how") or ("esim" if d.get("sim_form") == "esim" else "physical")
        if how == "in_hand":
            return _("The SIM card %(iccid)s replaces the current one; the old card stops working.",
                     iccid=d.get("iccid", ""))
        if how == "esim":
            return _("An eSIM replaces the current SIM card; the activation QR code shows here when it is ready.")
        return _("A new SIM card is sent to %(address)s; the old card stops working when the new one is active.",
                 address=d.get("delivery_address", ""))
    if kind == "cancel":
        return _("The subscription is cancelled on %(date)s (%(reason)s).", date=_day(d.get("end_date")),
                 reason=reason_text(d.get("reason")))
    if kind == "transfer":
        return _("The subscription is transferred to %(name)s (%(email)s) on %(date)s, once they accept "
                 "by e-mail.", name=d.get("new_holder_name", ""), email=d.get("new_holder_email", ""),
                 date=_day(d.get("end_date")))
    if kind == "account_change":
        return _("The subscription moves from account %(old)s to %(new)s.", old=d.get("from_account", ""),
                 new=d.get("to_account", ""))
    if kind == "addon":
        return _("%(name)s is added (%(price)s a month).", name=_addon(d.get("addon")),
                 price=format_money(d.get("monthly_price", 0)))
    if kind == "addon_remove":
        return _("%(name)s is removed.", name=_addon(d.get("addon")))
    if kind == "block":
        return _("Blocks %(parts)s (%(reason)s).", parts=parts_text(d.get("parts")),
                 reason=reason_text(d.get("reason")))
    if kind == "unblock":
        return _("Lifts the block on %(parts)s.", parts=parts_text(d.get("parts")))
    if kind in ("new_subscription", "takeover", "port_in"):
        number = phone(d.get("number")) or _("a new number")
        if not d.get("holder_name"):
            return _("%(plan)s on %(number)s.", plan=_plan(d.get("plan")), number=number)
        return _("%(plan)s for %(name)s on %(number)s.", plan=_plan(d.get("plan")),
                 name=d.get("holder_name"), number=number)
    return ""
