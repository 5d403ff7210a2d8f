"""Checks on values people type: e-mail, Danish phone numbers, dates of orders. Libraries do the checking;
forms (blueprints/forms.py) and services both call these, so the rules live in one place."""
import datetime
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from models import utcnow

DAYS_AHEAD = 366  # an order may be booked up to a year ahead


def email_address(text):
    """The normalised, lower-case address, or None when it is not an e-mail address."""
    try:
        return validate_email(text or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def danish_number(text):
    """E.164 of a Danish 8-digit number, or None.

    'Possible' rather than 'valid': phonenumbers' ranges lag the Danish numbering
    plan (it rejects numbers in use, such as 20 00 00 01).
    """
    try:
        number = phonenumbers.parse(text or "", "DK")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 45 or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_day(text):
    """ISO (what a date field sends) or the portal's own "24 Nov 2026" / "24. nov. 2026" (the example
    its errors give, typed where a browser has no date field); else None."""
    text = str(text or "").strip()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})\.?\s+([^\W\d]+)\.?\s+(\d{4})", text)
    locale = get_locale()
    if not match or locale is None:  # no request (a job): ISO only
        return None
    months = locale.months["format"]
    name = match[2].lower()
    month = next((n for width in ("abbreviated", "wide") for n, m in months[width].items()
                  if m.lower().rstrip(".") == name), None)
    try:
        return datetime.date(int(match[3]), month, int(match[1])) if month else None
    except ValueError:
        return None


def order_date(value, earliest=None):
    """(date, None) for a date from `earliest` (today) up to a year ahead, or (None, the
    translated reason). `value`: ISO text from a form, or a date."""
    earliest = earliest or utcnow().date()
    day = value if isinstance(value, datetime.date) else parse_day(value)
    if day is None:  # empty is a problem too: never silently today
        return None, _("Enter a date, for example %(example)s.", example=format_date(earliest))
    if day < earliest:
        return None, _("The date cannot be before %(date)s.", date=format_date(earliest, "long"))
    if day > utcnow().date() + datetime.timedelta(days=DAYS_AHEAD):
        return None, _("The date can be at most a year ahead.")
    return day, None


# Length caps, in characters, for everything people type or put in a URL. Forms and services check
# their own fields against the caps that fit them (a name, a subject, a pasted list) and answer 422
# with a translated message; blueprints/input_limits.py applies the outer caps to every request, so
# no value anywhere reaches a service, a query or a log longer than these.
SEARCH_MAX = 100  # a search box or a text filter: longer is cut, never refused
QUERY_VALUE_MAX = 500  # any value in a query string (ids, pages, dates, a next URL): longer is cut
QUERY_PAIRS_MAX = 5000  # values in one query string; the rest are dropped (selections go by POST)
NAME_MAX = 100  # a person's, company's, account's or device's name
SHORT_TEXT_MAX = 200  # a subject, reference, address or reason
LONG_TEXT_MAX = 5000  # a message: a support ticket, a reply, an outage text
LIST_TEXT_MAX = 100_000  # a pasted list: 5,000 numbers for a bulk action, 1,000 for a port-in
FORM_VALUE_MAX = LIST_TEXT_MAX  # any single form value: longer is refused (422) before the view runs


def capped(text, limit=SEARCH_MAX):
    """A search or filter value as text, trimmed and cut at `limit` characters (None -> "")."""
    return str(text if text is not None else "").strip()[:limit]


def too_long(text, limit):
    """The translated 'at most N characters' message when `text` is longer than `limit`, else None."""
    if text is not None and len(str(text)) > limit:
        return _("Use at most %(max)d characters.", max=limit)
    return None
