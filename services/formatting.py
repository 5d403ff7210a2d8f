"""Locale-aware formatting for templates: dates, money, numbers, phone numbers."""
import phonenumbers
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from .money import format_money
from .validation import danish_number


def phone(number):
    """+4520000001 -> '20 00 00 01' for Danish numbers; international format otherwise."""
    if not number or not number.startswith("+"):
        return number or ""
    if number.startswith("+45") and len(number) == 11:
        local = number[3:]
        return " ".join(local[i:i + 2] for i in range(0, 8, 2))
    try:
        return phonenumbers.format_number(phonenumbers.parse(number),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return number


def typed_phone(text):
    """A number as someone typed it ('40404042'), shown as the portal writes numbers."""
    return phone(danish_number(text) or "") or text


BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
            ("Chromium/", "Chromium"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("Linux", "Linux"))


def device(user_agent):
    """'Chrome · Windows' from a User-Agent header, for the list of active sessions."""
    ua = user_agent or ""
    browser = next((name for key, name in BROWSERS if key in ua), "")
    system = next((name for key, name in SYSTEMS if key in ua), "")
    return " · ".join(part for part in (browser, system) if part) or ua[:40]


def data_volume(kb):
    if kb >= 1024 * 1024:
        return f"{format_decimal(kb / 1024 / 1024, format='#,##0.0')} GB"
    return f"{format_decimal(kb / 1024, format='#,##0.0')} MB"


def duration(seconds):
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def template_filters():
    return {
        "money": format_money,
        "date": lambda d, fmt="medium": format_date(d, fmt) if d else "",
        "datetime": lambda d, fmt="medium": format_datetime(d, fmt) if d else "",
        "number": lambda n: format_decimal(n),
        "phone": phone,
        "phone_text": typed_phone,
        "device": device,
        "data_volume": data_volume,
        "duration": duration,
    }


def template_globals():
    return {"current_locale": lambda: get_locale().language}
