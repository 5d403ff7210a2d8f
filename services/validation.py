"""Checks on values people type: e-mail, Danish phone numbers. Libraries do the checking;
forms (blueprints/forms.py) and services both call these, so the rules live in one place."""
import phonenumbers
from email_validator import EmailNotValidError, validate_email


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
