"""Checks on values people type: e-mail, Danish phone numbers, dates of orders. Libraries do the checking;
forms (blueprints/forms.py) and services both call these, so the rules live in one place."""
import datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
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


def order_date(value, earliest=None):
    """(date, None) for a date from `earliest` (today) up to a year ahead, or (None, the
    translated reason). `value`: ISO text from a form, or a date."""
    earliest = earliest or utcnow().date()
    if isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = datetime.date.fromisoformat(str(value or "").strip())
        except ValueError:
            return None, _("Enter a date, for example %(example)s.", example=earliest.isoformat())
    if day < earliest:
        return None, _("The date cannot be before %(date)s.", date=earliest.isoformat())
    if day > utcnow().date() + datetime.timedelta(days=DAYS_AHEAD):
        return None, _("The date can be at most a year ahead.")
    return day, None
