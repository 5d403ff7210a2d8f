"""Invoice and credit-note lines in words, in the current language: the page, the PDF and the
e-invoice all say the same thing. Lines store codes and product names; the words come from here."""
import calendar

from flask_babel import format_date, format_decimal, get_translations
from flask_babel import lazy_gettext as _l

from models.billing import LINE_CATEGORIES

KIND_LABELS = {
    "plan": _l("Subscription"), "addon": _l("Add-on"),
    "usage_voice": _l("Calls to other countries and to special numbers"), "usage_sms": _l("Text messages to other countries"),
    "usage_data": _l("Extra data"), "usage_roaming": _l("Roaming outside the EU"),
    "fee_sim_change": _l("SIM card change"), "fee_porting": _l("Number porting"),
    "fee_reminder": _l("Reminder fee"),
}
CATEGORY_LABELS = {"plans": _l("Subscriptions"), "addons": _l("Add-ons"), "usage": _l("Usage"),
                   "fees": _l("One-off fees")}
CATEGORY_ORDER = ("plans", "addons", "usage", "fees")


def ungettext(singular, plural, n):
    """ngettext with the count formatted for the locale ('1.234 minutter'). flask_babel's own
    ngettext puts the raw number in %(num)s; the name keeps Babel's extractor finding the strings."""
    return get_translations().ungettext(singular, plural, n) % {"num": format_decimal(n)}


def category_of(kind):
    return LINE_CATEGORIES.get(kind, "fees")


def quantity_text(kind, quantity):
    """'12 minutes', '3 messages', '40 MB', '2 events'; None where the quantity is just 1."""
    if kind == "usage_voice":
        return ungettext("%(num)s minute", "%(num)s minutes", quantity)
    if kind == "usage_sms":
        return ungettext("%(num)s message", "%(num)s messages", quantity)
    if kind == "usage_data":
        return _l("%(mb)s MB", mb=format_decimal(quantity))
    if kind == "usage_roaming":
        return ungettext("%(num)s call, message or session", "%(num)s calls, messages or sessions", quantity)
    return None


def period_text(line):
    """'1 Oct 2026 – 31 Oct 2026', or one day; empty without a period."""
    if not line.period_start:
        return ""
    if line.period_end in (None, line.period_start):
        return format_date(line.period_start, "medium")
    return f"{format_date(line.period_start, 'medium')} – {format_date(line.period_end, 'medium')}"


def part_of_month(line):
    """'20 of 31 days' for a part month, else None."""
    if line.unit_price is None or not line.period_start or not line.period_end:
        return None
    days_in_month = calendar.monthrange(line.period_start.year, line.period_start.month)[1]
    days = (line.period_end - line.period_start).days + 1
    if days >= days_in_month:
        return None
    return _l("%(days)s of %(month)s days", days=days, month=days_in_month)


def line_title(line):
    """What was supplied: the product's name, or the kind's label."""
    if line.kind in ("plan", "addon") and line.description:
        return line.description
    return str(KIND_LABELS.get(line.kind, line.kind))


def line_details(line):
    """The small print under a line: quantity, part of month, period (a list of strings)."""
    parts = [str(p) for p in (quantity_text(line.kind, line.quantity), part_of_month(line)) if p]
    period = period_text(line)
    if period:
        parts.append(period)
    return parts
