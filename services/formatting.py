"""Locale-aware formatting for templates: dates, money, numbers, phone numbers."""
from collections.abc import Mapping

import phonenumbers
from flask import g
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale, get_translations

from extensions import babel

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


# One shape per kind of date, whatever length a caller asks for ("short", "medium", "long"):
# English "22 Nov 2026" and "22 Nov 2026, 14:05", Danish "22. nov. 2026" and "22. nov. 2026 kl. 14.05".
# "full" adds the weekday. Explicit patterns ("MMMM y" for a month) are passed through as they are.
DATE_PATTERNS = {
    "en": {"date": "d MMM y", "datetime": "d MMM y, HH:mm", "time": "HH:mm", "date.full": "EEEE d MMM y"},
    "da": {"date": "d. MMM y", "datetime": "d. MMM y 'kl.' HH.mm", "time": "HH.mm", "date.full": "EEEE d. MMM y"},
}


class OneDateFormat(Mapping):
    """Flask-Babel's `date_formats`, per locale: every format_date/format_datetime/format_time
    call, in templates and services alike, asks it for the pattern of a kind and length."""

    KEYS = tuple(f"{kind}{length}" for kind in ("date", "datetime", "time")
                 for length in ("", ".short", ".medium", ".long", ".full"))

    def __getitem__(self, key):
        if key not in self.KEYS:
            raise KeyError(key)
        kind, _, length = key.partition(".")
        if not length:
            return "medium"
        locale = get_locale()
        patterns = DATE_PATTERNS.get(locale.language if locale else "da", DATE_PATTERNS["da"])
        return patterns.get(key) or patterns[kind]

    def __iter__(self):
        return iter(self.KEYS)

    def __len__(self):
        return len(self.KEYS)


def use_one_date_format(babel_extension=babel):
    """Install OneDateFormat on the Babel extension (also done when this module is imported)."""
    babel_extension.date_formats = OneDateFormat()


use_one_date_format()


_GROUP = {}  # the thousands separator per locale ("." in Danish, "," in English)


def number(n):
    """A number in the current locale (the `number` filter): a whole number is grouped with the
    locale's separator (format_decimal's result, without its pattern parsing and rounding: a list
    page formats a handful per request); anything else goes to Babel."""
    if type(n) is int and n >= 0:
        if n < 1000:
            return str(n)
        locale = get_locale()
        key = str(locale)
        group = _GROUP.get(key)
        if group is None:
            group = _GROUP[key] = locale.number_symbols["latn"]["group"] if locale else ","
        return f"{n:,}".replace(",", group)
    return format_decimal(n)


def _translations():
    """The request's translations, found once per request and locale. flask_babel's get_translations
    walks g, the domain, the locale and its cache (keyed by the locale's string) on every `_()` of a
    template; a fragment makes 20 of them. The locale object is the key: flask_babel's refresh()
    (a changed language) makes a new one, so the next call looks again."""
    if not g:  # no app context: flask_babel's NullTranslations
        return get_translations()
    locale = get_locale()
    cached = g.get("_translations_of")
    if cached is None or cached[0] is not locale:
        cached = g._translations_of = (locale, get_translations())
    return cached[1]


def install_gettext(jinja_env):
    """Templates' _(), ngettext() and pgettext() through _translations (same results as flask_babel's)."""
    jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def template_filters():
    return {
        "money": format_money,
        "date": lambda d, fmt="medium": format_date(d, fmt) if d else "",
        "datetime": lambda d, fmt="medium": format_datetime(d, fmt) if d else "",
        "number": number,
        # a whole-number rate (25) as the locale writes a percentage: "25 %" in Danish, "25%" in English
        "percent": lambda rate: format_percent(rate / 100),
        "phone": phone,
        "phone_text": typed_phone,
        "device": device,
        "data_volume": data_volume,
        "duration": duration,
    }


def pager_numbers(current, pages):
    """The page numbers a pager shows: the first, the last and those next to `current`; a gap of a
    single page shows that page rather than "…" (1 2 3 4, not 1 2 … 4)."""
    shown = sorted({n for n in (1, current - 1, current, current + 1, pages) if 1 <= n <= pages})
    for before, after in zip(shown, shown[1:]):
        if after - before == 2:
            shown.append(before + 1)
    return sorted(shown)


def template_globals():
    return {"current_locale": lambda: get_locale().language, "pager_numbers": pager_numbers}
