"""The call flow on a phone system's main number: versions, the editor's checks, the readable
summary, and saving or restoring a version as an order the operator's switch carries out.

A flow is a JSON document (one `CallFlowVersion` row per version):

    hours     {"mon": {"open": true, "from": "08:00", "to": "17:00"}, …, "sun": {"open": false}}
    holidays  [{"date": "2026-12-24", "name": "Juleaften", "open": false}, …] by date; open ones have from/to
    welcome   the text read to every caller ("" for none)
    menu      {"prompt": text, "default": key when nothing is pressed,
               "options": [{"key": "1", "name": "Salg", "kind": queue|user|number|voicemail, …}]} in keypad order
    closed    {"kind": voicemail|number|message, …}: outside the hours and on closed holidays

Destinations: a queue (members: subscription ids, strategy, max_wait in seconds, `then`: where the
call goes after the wait: user, number or voicemail), a user (`user`: a subscription id), another
number (`number`: E.164), voicemail (`email`). There are no sub-menus, so every path ends in one
step; `check` refuses a draft where any path ends nowhere and names the place.

The editor works on a *draft*: the form's plain strings in the same shape (members and users as
typed numbers). `check` turns a draft into a document and every error at once, keyed by the
form field it belongs to (`hours-fri-to`, `options-1-kind`, `closed-kind`…).

Rights: reading needs `numbers`; changing also needs full account access, since the flow is
company-wide (a limited membership gets 403). Another customer's system or version is a 404.
"""
import datetime
import json
import re
from collections import namedtuple
from dataclasses import dataclass

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn
from werkzeug.exceptions import Forbidden, NotFound

from models import CallFlowVersion, Order, PhoneSystem, Subscription, User, db, utcnow
from models.orders import OPEN_STATUSES

from . import order_text, orders
from .errors import ServiceError
from .formatting import phone
from .ids import parse_id
from .listing import paginate
from .validation import danish_number, email_address

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {"mon": _l("Monday"), "tue": _l("Tuesday"), "wed": _l("Wednesday"), "thu": _l("Thursday"),
             "fri": _l("Friday"), "sat": _l("Saturday"), "sun": _l("Sunday")}
DAY_SHORT = {"mon": _l("Mon"), "tue": _l("Tue"), "wed": _l("Wed"), "thu": _l("Thu"), "fri": _l("Fri"),
             "sat": _l("Sat"), "sun": _l("Sun")}
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")  # keypad order
OPTION_KINDS = ("queue", "user", "number", "voicemail")
THEN_KINDS = ("user", "number", "voicemail")
CLOSED_KINDS = ("voicemail", "number", "message")
STRATEGIES = ("all", "in_turn", "longest_idle")
KIND_LABELS = {"queue": _l("A queue"), "user": _l("A user"), "number": _l("Another number"),
               "voicemail": _l("Voicemail"), "message": _l("A message, then the call ends")}
STRATEGY_LABELS = {"all": _l("All at once"), "in_turn": _l("One at a time, in turn"),
                   "longest_idle": _l("Whoever has been free longest")}
STRATEGY_TEXTS = {"all": _l("Rings all members at once"), "in_turn": _l("Rings one member at a time, in turn"),
                  "longest_idle": _l("Rings the member who has been free longest first")}
MAX_OPTIONS = len(KEYS)
MAX_HOLIDAYS = 40
MAX_MEMBERS = 50
MAX_TEXT = 500
MAX_NAME = 40
MAX_WAIT = (10, 1800)  # seconds a caller may wait in a queue
HISTORY_PER_PAGE = 20
TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")

Node = namedtuple("Node", "text children")


def cap(text):
    """The first letter upper case ("mandag–fredag" -> "Mandag–fredag"; English stays as it is)."""
    text = str(text)
    return text[:1].upper() + text[1:]


# -- rights and lookups ------------------------------------------------------------------

def can_change(scope):
    """The call flow is company-wide: only memberships with every account may change it."""
    return scope.can("numbers") and not scope.limited


def _system(scope, system_id):
    """:raise 403: without `numbers`; :raise 404: not a phone system of the scope's companies."""
    scope.require("numbers")
    return scope.get(scope.phone_systems(), PhoneSystem, system_id)


def _system_to_change(scope, system_id):
    """:raise 403: without `numbers` or with limited access; :raise 404: not the scope's system."""
    scope.require("numbers")
    if scope.limited:
        raise Forbidden()
    return scope.get(scope.phone_systems(), PhoneSystem, system_id)


def _active(system_id):
    return (CallFlowVersion.select().where(CallFlowVersion.phone_system == system_id,
                                           CallFlowVersion.activated_at.is_null(False))
            .order_by(CallFlowVersion.number.desc()).first())


def _pending(system_id):
    """The version an open order is carrying to the switch, or None."""
    return (CallFlowVersion.select(CallFlowVersion, Order).join(Order)
            .where(CallFlowVersion.phone_system == system_id, Order.status.in_(OPEN_STATUSES))
            .order_by(CallFlowVersion.number.desc()).first())


def _version(system, number):
    number = parse_id(number)
    version = (CallFlowVersion.select(CallFlowVersion, User.name.alias("author"))
               .join(User, JOIN.LEFT_OUTER, on=(CallFlowVersion.created_by == User.id))
               .where(CallFlowVersion.phone_system == system.id, CallFlowVersion.number == number)
               .objects().first()) if number else None
    if version is None:
        raise NotFound()
    return version


def _people(scope, documents):
    """{subscription id: Subscription} for every member and user the documents name, in one query.
    Only the scope's subscriptions: a limited reader sees colleagues outside its accounts as a count."""
    ids = set()
    for doc in documents:
        for option in doc.get("menu", {}).get("options", ()):
            ids.update(option.get("members", ()))
            for target in (option, option.get("then") or {}):
                if target.get("user"):
                    ids.add(target["user"])
    if not ids:
        return {}
    rows = (scope.subscriptions(details=False)
            .select(Subscription.id, Subscription.number, Subscription.holder_name, Subscription.status)
            .where(Subscription.id.in_(sorted(ids))))
    return {s.id: s for s in rows}


# -- documents and drafts ----------------------------------------------------------------

def empty_document():
    """The flow of a phone system that has none yet: open on weekdays, nothing else decided."""
    hours = {d: {"open": d not in ("sat", "sun"), "from": "08:00", "to": "16:00"} for d in DAYS}
    for day in ("sat", "sun"):
        hours[day] = {"open": False}
    return {"hours": hours, "holidays": [], "welcome": "", "menu": {"prompt": "", "default": "", "options": []},
            "closed": {"kind": ""}}


def empty_option(taken=()):
    """A new menu option on the first free key."""
    key = next((k for k in KEYS if k not in taken), "")
    return {"key": key, "name": "", "kind": "", "user": "", "number": "", "email": "", "members": "",
            "strategy": "all", "max_wait": "120", "then_kind": "", "then_user": "", "then_number": "",
            "then_email": ""}


def empty_holiday():
    return {"date": "", "name": "", "mode": "closed", "from": "", "to": ""}


def draft_of(document, people):
    """A stored document as the editor's draft: plain strings, people as their numbers."""
    def who(sub_id):
        person = people.get(sub_id)
        return phone(person.number) if person else ""

    doc = document or empty_document()
    hours = {}
    for day in DAYS:
        h = doc.get("hours", {}).get(day, {})
        hours[day] = {"open": "1" if h.get("open") else "", "from": h.get("from", ""), "to": h.get("to", "")}
    holidays = [{"date": h["date"], "name": h["name"], "mode": "hours" if h.get("open") else "closed",
                 "from": h.get("from", ""), "to": h.get("to", "")} for h in doc.get("holidays", ())]
    menu = doc.get("menu", {})
    options = []
    for o in menu.get("options", ()):
        then = o.get("then") or {}
        option = dict(empty_option(), key=o["key"], name=o.get("name", ""), kind=o.get("kind", ""),
                      user=who(o.get("user")), number=phone(o.get("number", "")), email=o.get("email", ""))
        if o.get("kind") == "queue":
            option.update(members=", ".join(filter(None, (who(m) for m in o.get("members", ())))),
                          strategy=o.get("strategy", "all"), max_wait=str(o.get("max_wait", "")),
                          then_kind=then.get("kind", ""), then_user=who(then.get("user")),
                          then_number=phone(then.get("number", "")), then_email=then.get("email", ""))
        options.append(option)
    closed = doc.get("closed", {})
    return {"hours": hours, "holidays": holidays, "welcome": doc.get("welcome", ""),
            "prompt": menu.get("prompt", ""), "default": menu.get("default", ""), "options": options,
            "closed": {"kind": closed.get("kind", ""), "number": phone(closed.get("number", "")),
                       "email": closed.get("email", ""), "message": closed.get("message", "")}}


def _s(value):
    return " ".join(str(value).split()) if isinstance(value, (str, int)) else ""


def _long(value):
    """Free text (welcome, prompts): trimmed, line breaks kept as spaces."""
    return _s(value)


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _time(text):
    match = TIME.match(_s(text))
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


def _numbers_in(text):
    """The numbers typed in a members field: separated by commas, semicolons or lines."""
    return [t.strip() for t in re.split(r"[,;\n]", str(text or "")) if t.strip()]


# -- checking a draft --------------------------------------------------------------------

class _Checker:
    """Turns a draft into a document, collecting every error keyed by its form field."""

    def __init__(self, scope, system, draft):
        self.scope, self.system, self.draft = scope, system, _dict(draft)
        self.errors = {}
        self.people = {}  # E.164 number -> Subscription that may take calls

    def error(self, field, message):
        self.errors.setdefault(field, message)

    def run(self):
        self._load_people()
        doc = {"hours": self._hours(), "holidays": self._holidays()}
        doc["welcome"] = self._text("welcome", _("The welcome message can have at most %(max)s characters.",
                                                  max=MAX_TEXT))
        doc["menu"] = self._menu()
        doc["closed"] = self._closed()
        return doc, self.errors

    def _text(self, field, too_long, value=None):
        text = _long(self.draft.get(field) if value is None else value)
        if len(text) > MAX_TEXT:
            self.error(field, too_long)
        return text

    # people: one query for every number typed in the draft
    def _load_people(self):
        typed = set()
        for option in _list(self.draft.get("options")):
            for text in [option.get("user"), option.get("then_user"), *_numbers_in(option.get("members"))]:
                number = danish_number(_s(text))
                if number:
                    typed.add(number)
        if typed:
            rows = self.scope.subscriptions(details=False).where(
                Subscription.number.in_(sorted(typed)), Subscription.kind.in_(("mobile", "landline")),
                Subscription.status == "active")
            self.people = {s.number: s for s in rows}

    def _person(self, text):
        """(subscription id or None, number or None) for a typed number."""
        number = danish_number(_s(text))
        person = self.people.get(number) if number else None
        return (person.id if person else None), number

    # opening hours
    def _hours(self):
        hours = {}
        given = _dict(self.draft.get("hours"))
        for day in DAYS:
            row = _dict(given.get(day))
            if not row.get("open"):
                hours[day] = {"open": False}
                continue
            name = cap(DAY_NAMES[day])
            opens, closes = _time(row.get("from")), _time(row.get("to"))
            if not opens:
                self.error(f"hours-{day}-from", _("%(day)s: enter the opening time as hh:mm.", day=name))
            if not closes:
                self.error(f"hours-{day}-to", _("%(day)s: enter the closing time as hh:mm.", day=name))
            if opens and closes and closes <= opens:
                self.error(f"hours-{day}-to", _("%(day)s: the closing time is before the opening time.", day=name))
            hours[day] = {"open": True, "from": opens or "", "to": closes or ""}
        return hours

    def _holidays(self):
        rows = _list(self.draft.get("holidays"))
        if len(rows) > MAX_HOLIDAYS:
            self.error("holidays", _("Add at most %(max)s holidays.", max=MAX_HOLIDAYS))
        seen, holidays = set(), []
        for i, row in enumerate(rows[:MAX_HOLIDAYS]):
            field = f"holidays-{i}"
            name = _s(row.get("name"))
            label = name or _("Holiday %(n)s", n=i + 1)
            try:
                day = datetime.date.fromisoformat(_s(row.get("date")))
            except ValueError:
                day = None
                self.error(f"{field}-date", _("%(holiday)s: enter the date.", holiday=label))
            if day and day in seen:
                self.error(f"{field}-date", _("%(date)s is on the list twice.", date=format_date(day, "medium")))
            seen.add(day)
            if not name:
                self.error(f"{field}-name", _("Holiday %(n)s: give it a name, for example Juleaften.", n=i + 1))
            elif len(name) > MAX_NAME:
                self.error(f"{field}-name", _("%(holiday)s: the name can have at most %(max)s characters.",
                                              holiday=label, max=MAX_NAME))
            holiday = {"date": day.isoformat() if day else "", "name": name, "open": row.get("mode") == "hours"}
            if holiday["open"]:
                opens, closes = _time(row.get("from")), _time(row.get("to"))
                if not opens or not closes:
                    self.error(f"{field}-{'from' if not opens else 'to'}",
                               _("%(holiday)s: enter the opening and closing times as hh:mm.", holiday=label))
                elif closes <= opens:
                    self.error(f"{field}-to", _("%(holiday)s: the closing time is before the opening time.",
                                                holiday=label))
                holiday.update({"from": opens or "", "to": closes or ""})
            holidays.append(holiday)
        return sorted(holidays, key=lambda h: h["date"])

    # the menu
    def _menu(self):
        prompt = self._text("prompt", _("The menu text can have at most %(max)s characters.", max=MAX_TEXT))
        rows = _list(self.draft.get("options"))
        if not prompt:
            self.error("prompt", _("Write the menu text the caller hears, for example: Press 1 for sales."))
        if not rows:
            self.error("options", _("Add at least one key to the menu."))
        elif len(rows) > MAX_OPTIONS:
            self.error("options", _("The menu can have at most %(max)s keys.", max=MAX_OPTIONS))
        options, keys = [], set()
        for i, row in enumerate(rows[:MAX_OPTIONS]):
            option = self._option(i, row, keys)
            keys.add(option["key"])
            options.append(option)
        options.sort(key=lambda o: KEYS.index(o["key"]) if o["key"] in KEYS else len(KEYS))
        default = _s(self.draft.get("default"))
        if options and default not in keys:
            self.error("default", _("Choose where the call goes when the caller presses no key."))
        return {"prompt": prompt, "default": default if default in keys else "", "options": options}

    def _option(self, i, row, keys):
        field = f"options-{i}"
        key = _s(row.get("key"))
        if key not in KEYS:
            self.error(f"{field}-key", _("Menu choice %(n)s: choose a key from 0 to 9.", n=i + 1))
        elif key in keys:
            self.error(f"{field}-key", _("Key %(key)s is used twice.", key=key))
        place = _("Key %(key)s", key=key) if key in KEYS else _("Menu choice %(n)s", n=i + 1)
        name = _s(row.get("name"))
        if not name:
            self.error(f"{field}-name", _("%(place)s: give the choice a name, for example Sales.", place=place))
        elif len(name) > MAX_NAME:
            self.error(f"{field}-name", _("%(place)s: the name can have at most %(max)s characters.",
                                          place=place, max=MAX_NAME))
        option = {"key": key, "name": name, "kind": _s(row.get("kind"))}
        kind = option["kind"]
        if kind not in OPTION_KINDS:
            option["kind"] = ""
            self.error(f"{field}-kind", _("%(place)s leads nowhere: choose where the call goes.", place=place))
        elif kind == "queue":
            option.update(self._queue(field, name or place, row))
        else:
            option.update(self._target(field, "", kind, row, place))
        return option

    def _queue(self, field, name, row):
        queue_place = _("The queue %(name)s", name=name)
        members, typed = [], _numbers_in(row.get("members"))
        for text in typed:
            sub_id, number = self._person(text)
            if number is None:
                self.error(f"{field}-members", _("%(place)s: %(text)s is not a Danish phone number.",
                                                 place=queue_place, text=text))
            elif sub_id is None:
                self.error(f"{field}-members", _("%(place)s: %(number)s is not an active mobile or landline "
                                                 "subscription of the company.", place=queue_place,
                                                 number=phone(number)))
            elif sub_id not in members:
                members.append(sub_id)
        if not typed:
            self.error(f"{field}-members", _("The queue %(name)s has no members.", name=name))
        elif len(members) > MAX_MEMBERS:
            self.error(f"{field}-members", _("%(place)s: a queue can have at most %(max)s members.",
                                             place=queue_place, max=MAX_MEMBERS))
        strategy = _s(row.get("strategy"))
        if strategy not in STRATEGIES:
            self.error(f"{field}-strategy", _("%(place)s: choose how the calls ring.", place=queue_place))
        wait = parse_id(_s(row.get("max_wait")))
        if wait is None or not MAX_WAIT[0] <= wait <= MAX_WAIT[1]:
            self.error(f"{field}-max_wait", _("%(place)s: the longest wait is from %(min)s to %(max)s seconds.",
                                              place=queue_place, min=MAX_WAIT[0], max=MAX_WAIT[1]))
        then_kind = _s(row.get("then_kind"))
        after = _("The queue %(name)s, after the longest wait", name=name)
        if then_kind not in THEN_KINDS:
            self.error(f"{field}-then_kind", _("%(place)s: choose where the call goes.", place=after))
            then = {"kind": ""}
        else:
            then = dict(kind=then_kind, **self._target(field, "then_", then_kind, row, after))
        return {"members": members, "strategy": strategy if strategy in STRATEGIES else "all",
                "max_wait": wait or 0, "then": then}

    def _target(self, field, prefix, kind, row, place):
        """The values of a user, number or voicemail destination (`prefix`: "then_" after a queue)."""
        if kind == "user":
            text = _s(row.get(prefix + "user"))
            sub_id, number = self._person(text)
            if not text:
                self.error(f"{field}-{prefix}user", _("%(place)s: enter the number of the user.", place=place))
            elif sub_id is None:
                self.error(f"{field}-{prefix}user", _("%(place)s: %(text)s is not an active mobile or landline "
                                                      "subscription of the company.", place=place,
                                                      text=phone(number) if number else text))
            return {"user": sub_id}
        if kind == "number":
            return {"number": self._number(f"{field}-{prefix}number", row.get(prefix + "number"), place)}
        return {"email": self._email(f"{field}-{prefix}email", row.get(prefix + "email"), place)}

    def _number(self, field, text, place):
        number = danish_number(_s(text))
        if number is None:
            self.error(field, _("%(place)s: enter a Danish phone number with 8 digits.", place=place))
        elif number == self.system.main_number:
            self.error(field, _("%(place)s: that is the main number itself; the call would go round in a loop.",
                                place=place))
        return number or ""

    def _email(self, field, text, place):
        email = email_address(_s(text))
        if email is None:
            self.error(field, _("%(place)s: enter the e-mail address the voicemail messages go to.", place=place))
        return email or ""

    def _closed(self):
        row = _dict(self.draft.get("closed"))
        kind, place = _s(row.get("kind")), _("When closed")
        if kind not in CLOSED_KINDS:
            self.error("closed-kind", _("When closed: choose what happens."))
            return {"kind": ""}
        if kind == "number":
            return {"kind": kind, "number": self._number("closed-number", row.get("number"), place)}
        if kind == "voicemail":
            return {"kind": kind, "email": self._email("closed-email", row.get("email"), place)}
        message = _long(row.get("message"))
        if not message:
            self.error("closed-message", _("When closed: write the message callers hear before the call ends."))
        elif len(message) > MAX_TEXT:
            self.error("closed-message", _("When closed: the message can have at most %(max)s characters.",
                                           max=MAX_TEXT))
        return {"kind": kind, "message": message}


def check(scope, system, draft):
    """(document, errors) of a draft; errors is {form field: translated message}, in the form's order."""
    return _Checker(scope, system, draft).run()


# -- what changed ------------------------------------------------------------------------

def _hours_text(h):
    return f"{h['from']}–{h['to']}"


def diff(old, new):
    """What differs from `old` to `new`: a list of [code, {plain values}] (see change_text)."""
    if old is None:
        return [["first", {}]]
    changes = []
    old_hours, new_hours = old.get("hours", {}), new.get("hours", {})
    run = None  # consecutive days with the same change read as one: "Mandag–fredag lukker kl. 17:00"
    for day in DAYS + (None,):
        pair = (old_hours.get(day, {"open": False}), new_hours.get(day, {"open": False})) if day else None
        if pair and pair[0] == pair[1]:
            pair = None
        if run and pair == run[1]:
            run[0][1] = day
            continue
        if run:
            changes.append(["hours", {"days": run[0], "old": run[1][0], "new": run[1][1]}])
        run = ([day, day], pair) if pair else None
    old_days = {h["date"]: h for h in old.get("holidays", ())}
    new_days = {h["date"]: h for h in new.get("holidays", ())}
    for date in sorted(set(old_days) | set(new_days)):
        if date not in new_days:
            changes.append(["holiday_removed", {"date": date, "name": old_days[date]["name"]}])
        elif date not in old_days:
            changes.append(["holiday_added", {"date": date, "name": new_days[date]["name"]}])
        elif old_days[date] != new_days[date]:
            changes.append(["holiday_changed", {"date": date, "name": new_days[date]["name"]}])
    if old.get("welcome") != new.get("welcome"):
        changes.append(["welcome", {}])
    old_menu, new_menu = old.get("menu", {}), new.get("menu", {})
    if old_menu.get("prompt") != new_menu.get("prompt"):
        changes.append(["prompt", {}])
    old_keys = {o["key"]: o for o in old_menu.get("options", ())}
    new_keys = {o["key"]: o for o in new_menu.get("options", ())}
    for key in KEYS:
        if key in old_keys and key not in new_keys:
            changes.append(["option_removed", {"key": key}])
        elif key in new_keys and key not in old_keys:
            changes.append(["option_added", {"key": key}])
        elif key in new_keys and old_keys[key] != new_keys[key]:
            changes.append(["option_changed", {"key": key}])
    if old_menu.get("default") != new_menu.get("default") and new_menu.get("default"):
        changes.append(["default", {"key": new_menu["default"]}])
    if old.get("closed") != new.get("closed"):
        changes.append(["closed", {}])
    return changes


def _days_text(days):
    first, last = days
    return cap(DAY_NAMES[first]) if first == last else cap(f"{DAY_NAMES[first]}–{DAY_NAMES[last]}")


def _day(iso):
    try:
        return format_date(datetime.date.fromisoformat(iso), "medium")
    except (TypeError, ValueError):
        return iso or ""


def change_text(code, values):
    """One change in words, in the current locale."""
    if code == "hours":
        days, old, new = _days_text(values["days"]), values["old"], values["new"]
        if not new.get("open"):
            return _("%(days)s closed (was open %(old)s)", days=days, old=_hours_text(old))
        if not old.get("open"):
            return _("%(days)s open %(hours)s (was closed)", days=days, hours=_hours_text(new))
        if old["from"] == new["from"]:
            return _("%(days)s closes at %(time)s (was %(old)s)", days=days, time=new["to"], old=old["to"])
        if old["to"] == new["to"]:
            return _("%(days)s opens at %(time)s (was %(old)s)", days=days, time=new["from"], old=old["from"])
        return _("%(days)s open %(hours)s (was %(old)s)", days=days, hours=_hours_text(new), old=_hours_text(old))
    texts = {
        "first": lambda v: _("First version"),
        "restored": lambda v: _("Restored from version %(number)s", number=v.get("number")),
        "holiday_added": lambda v: _("%(name)s %(date)s added", name=v.get("name"), date=_day(v.get("date"))),
        "holiday_removed": lambda v: _("%(name)s %(date)s removed", name=v.get("name"), date=_day(v.get("date"))),
        "holiday_changed": lambda v: _("%(name)s %(date)s changed", name=v.get("name"), date=_day(v.get("date"))),
        "welcome": lambda v: _("Welcome message changed"),
        "prompt": lambda v: _("Menu text changed"),
        "option_added": lambda v: _("Key %(key)s added", key=v.get("key")),
        "option_removed": lambda v: _("Key %(key)s removed", key=v.get("key")),
        "option_changed": lambda v: _("Key %(key)s changed", key=v.get("key")),
        "default": lambda v: _("No key pressed now goes to key %(key)s", key=v.get("key")),
        "closed": lambda v: _("What happens when closed changed"),
    }
    return texts[code](values) if code in texts else code


def changes_text(changes):
    """A version's changes as one line: "Fredag lukker kl. 16:00 (før 17:00); Tast 3 tilføjet"."""
    return "; ".join(change_text(code, values) for code, values in changes or ())


# -- the readable summary ----------------------------------------------------------------

def _hour_groups(hours):
    """[(first day, last day, from, to)]: consecutive days open with the same hours."""
    groups = []
    for day in DAYS:
        h = hours.get(day, {})
        if not h.get("open"):
            continue
        last = groups[-1] if groups else None
        if last and DAYS.index(last[1]) == DAYS.index(day) - 1 and (last[2], last[3]) == (h["from"], h["to"]):
            groups[-1] = (last[0], day, last[2], last[3])
        else:
            groups.append((day, day, h["from"], h["to"]))
    return groups


def opening_hours_text(hours):
    """"man–tor 08:00–17:00, fre 08:00–16:00"."""
    parts = []
    for first, last, opens, closes in _hour_groups(hours):
        days = str(DAY_SHORT[first]) if first == last else f"{DAY_SHORT[first]}–{DAY_SHORT[last]}"
        parts.append(f"{days} {opens}–{closes}")
    return ", ".join(parts)


def _person_text(people, sub_id):
    person = people.get(sub_id)
    if person is None:
        return _("a colleague")
    text = f"{person.holder_name} ({phone(person.number)})"
    return text if person.status == "active" else _("%(person)s, no longer active", person=text)


def _target_text(target, people):
    kind = target.get("kind")
    if kind == "user":
        return _("user %(person)s", person=_person_text(people, target.get("user")))
    if kind == "number":
        return _("forwarded to %(number)s", number=phone(target.get("number", "")))
    if kind == "voicemail":
        return _("voicemail to %(email)s", email=target.get("email", ""))
    if kind == "message":
        return _("the message “%(text)s”, then the call ends", text=target.get("message", ""))
    return _("nowhere")


def _option_node(option, people):
    if option.get("kind") != "queue":
        return Node(_("Key %(key)s (%(name)s) → %(target)s", key=option["key"], name=option["name"],
                      target=_target_text(option, people)), [])
    members = option.get("members", ())
    names = [people[m].holder_name for m in members if m in people]
    member_text = ngettext("%(num)s member", "%(num)s members", len(members))
    if names:
        member_text = _("%(members)s: %(names)s", members=member_text, names=", ".join(names))
    children = [Node(member_text, []),
                Node(str(STRATEGY_TEXTS.get(option.get("strategy"), "")), []),
                Node(_("After %(seconds)s s in the queue → %(target)s", seconds=option.get("max_wait"),
                       target=_target_text(option.get("then") or {}, people)), [])]
    return Node(_("Key %(key)s → queue %(name)s", key=option["key"], name=option["name"]), children)


def summary(system, document, people):
    """The flow as a text tree: [Node(text, [children])], in the current locale."""
    doc = document or empty_document()
    hours = opening_hours_text(doc.get("hours", {}))
    menu = doc.get("menu", {})
    open_children = []
    if doc.get("welcome"):
        open_children.append(Node(_("Welcome message “%(text)s”", text=doc["welcome"]), []))
    options = menu.get("options", ())
    menu_children = [_option_node(o, people) for o in options]
    default = next((o for o in options if o["key"] == menu.get("default")), None)
    if default:
        menu_children.append(Node(_("No key pressed → key %(key)s (%(name)s)", key=default["key"],
                                    name=default["name"]), []))
    if options or menu.get("prompt"):
        open_children.append(Node(_("Menu “%(text)s”", text=menu.get("prompt", "")), menu_children))
    branches = [Node(_("Open %(hours)s", hours=hours) if hours else _("Not open on any weekday"), open_children)]
    holidays = doc.get("holidays", ())
    if holidays:
        branches.append(Node(_("Holidays"), [
            Node(_("%(name)s %(date)s: open %(hours)s", name=h["name"], date=_day(h["date"]),
                   hours=_hours_text(h)) if h.get("open")
                 else _("%(name)s %(date)s: closed", name=h["name"], date=_day(h["date"])), [])
            for h in holidays]))
    branches.append(Node(_("Closed → %(target)s", target=_target_text(doc.get("closed", {}), people)), []))
    return [Node(_("Calls to %(number)s", number=phone(system.main_number)), branches)]


# -- pages -------------------------------------------------------------------------------

@dataclass
class SystemCard:
    system: object
    active: object  # CallFlowVersion or None
    pending: object


def systems(scope):
    """The phone systems in scope, each with its active and pending version, in three queries."""
    scope.require("numbers")
    found = list(scope.phone_systems().order_by(PhoneSystem.name, PhoneSystem.id))
    ids = [s.id for s in found]
    if not ids:
        return []
    newest = (CallFlowVersion.select(CallFlowVersion.phone_system.alias("system_id"),
                                     fn.MAX(CallFlowVersion.number).alias("top"))
              .where(CallFlowVersion.phone_system.in_(ids), CallFlowVersion.activated_at.is_null(False))
              .group_by(CallFlowVersion.phone_system).alias("newest"))
    active = (CallFlowVersion.select(CallFlowVersion, User.name.alias("author"))
              .join(newest, on=((CallFlowVersion.phone_system == newest.c.system_id)
                                & (CallFlowVersion.number == newest.c.top)))
              .switch(CallFlowVersion).join(User, JOIN.LEFT_OUTER, on=(CallFlowVersion.created_by == User.id)).objects())
    active = {v.phone_system_id: v for v in active}
    pending = {v.phone_system_id: v for v in CallFlowVersion.select(CallFlowVersion.phone_system, CallFlowVersion.number)
               .join(Order).where(CallFlowVersion.phone_system.in_(ids), Order.status.in_(OPEN_STATUSES))}
    return [SystemCard(s, active.get(s.id), pending.get(s.id)) for s in found]


def system_page(scope, system_id, page=1):
    """One phone system: the active flow as a summary, the version on its way, the history (paged)."""
    system = _system(scope, system_id)
    active, pending = _active(system.id), _pending(system.id)
    query = (CallFlowVersion.select(CallFlowVersion, User.name.alias("author"), Order.status.alias("order_status"),
                                    Order.failure_reason.alias("failure"))
             .join(User, JOIN.LEFT_OUTER, on=(CallFlowVersion.created_by == User.id)).switch(CallFlowVersion)
             .join(Order, JOIN.LEFT_OUTER, on=(CallFlowVersion.order == Order.id))
             .where(CallFlowVersion.phone_system == system.id)
             .order_by(CallFlowVersion.number.desc()).objects())
    history = paginate(query, page, HISTORY_PER_PAGE,
                       count_query=CallFlowVersion.select().where(CallFlowVersion.phone_system == system.id))
    document = active.flow if active else None
    people = _people(scope, [document] if document else [])
    return {"system": system, "active": active, "pending": pending, "history": history,
            "tree": summary(system, document, people) if active else [], "can_change": can_change(scope)}


def version_state(version, active):
    """active, saving, failed or earlier: what a row of the history says about a version."""
    if active is not None and version.number == active.number:
        return "active"
    status = getattr(version, "order_status", None)
    if status in OPEN_STATUSES:
        return "saving"
    if status == "failed":
        return "failed"
    return "earlier"


def saved_version(scope, system_id, number):
    """A version with its order's status, for the poll that follows it to the switch."""
    system = _system(scope, system_id)
    number = parse_id(number)
    version = (CallFlowVersion.select(CallFlowVersion, Order.status.alias("order_status"),
                                      Order.failure_reason.alias("failure"))
               .join(Order, JOIN.LEFT_OUTER, on=(CallFlowVersion.order == Order.id))
               .where(CallFlowVersion.phone_system == system.id, CallFlowVersion.number == number)
               .objects().first()) if number else None
    if version is None:
        raise NotFound()
    return version


def version_page(scope, system_id, number):
    """One version: its summary and changes, and — when it is not the active one — what restoring it does."""
    system = _system(scope, system_id)
    version = _version(system, number)
    active = _active(system.id)
    people = _people(scope, [version.flow])
    restore = None
    if can_change(scope) and (active is None or active.number != version.number):
        try:
            restore = restore_version(scope, system.id, version.number, preview=True)
        except ServiceError as error:
            restore = error
    return {"system": system, "version": version, "active": active, "tree": summary(system, version.flow, people),
            "restore": restore, "can_change": can_change(scope)}


def start_editing(scope, system_id):
    """The editor's first draft: the active flow (or an empty one) and the version it starts from."""
    system = _system_to_change(scope, system_id)
    active = _active(system.id)
    document = active.flow if active else None
    draft = draft_of(document, _people(scope, [document] if document else []))
    if not draft["options"]:
        draft["options"] = [empty_option()]
    return system, draft, active.number if active else 0


def editor_system(scope, system_id):
    """The phone system of an editor request (403 for limited access, 404 outside the scope)."""
    return _system_to_change(scope, system_id)


# -- saving, restoring -------------------------------------------------------------------

@dataclass
class Preview:
    """What saving would do, once every check has passed."""

    system: object
    document: dict
    changes: list
    tree: list
    base: int
    restored_from: int | None = None

    @property
    def text(self):
        return changes_text(self.changes)

    @property
    def difference_text(self):
        """What differs from the flow now (without "restored from")."""
        return changes_text([c for c in self.changes if c[0] != "restored"])


def _refuse_unless_current(system, base):
    pending = _pending(system.id)
    if pending is not None:
        raise ServiceError(_("Version %(number)s is still being saved on the switch. Wait until it is done, "
                             "then try again.", number=pending.number))
    active = _active(system.id)
    if (active.number if active else 0) != base:
        raise ServiceError(_("Someone else changed the call flow while you worked on it (it is version "
                             "%(number)s now). Start again from the current flow.", number=active.number if active else 0))
    return active


def save(scope, system_id, draft, base, preview=False):
    """Check the draft; with `preview` say what would change, else write it as a new version and
    place the order that carries it to the switch. `base`: the version the editor started from.

    :raise ServiceError: every error of the draft at once, or a form error when the flow changed meanwhile.
    """
    system = _system_to_change(scope, system_id)
    document, errors = check(scope, system, draft)
    if errors:
        raise ServiceError.of(errors)
    return _write(scope, system, document, parse_id(base) or 0, preview)


def restore_version(scope, system_id, number, preview=False):
    """A new version equal to an earlier one (history is never rewritten); checked again, since
    the people in it may have left since."""
    system = _system_to_change(scope, system_id)
    old = _version(system, number)
    active = _active(system.id)
    if active is not None and active.number == old.number:
        raise ServiceError(_("Version %(number)s is the current call flow already.", number=old.number))
    people = _people(scope, [old.flow])
    document, errors = check(scope, system, draft_of(old.flow, people))
    if errors:
        raise ServiceError(_("Version %(number)s cannot be restored as it was: %(problems)s Change the flow "
                             "in the editor instead.", number=old.number, problems=" ".join(errors.values())))
    return _write(scope, system, document, active.number if active else 0, preview, restored_from=old.number)


def _write(scope, system, document, base, preview, restored_from=None):
    active = _refuse_unless_current(system, base)
    changes = diff(active.flow if active else None, document)
    if not changes:
        raise ServiceError(_("Nothing has changed: this is the current call flow."))
    if restored_from:
        changes = [["restored", {"number": restored_from}], *changes]
    if preview:
        people = _people(scope, [document])
        return Preview(system, document, changes, summary(system, document, people), base, restored_from)
    try:
        with db.atomic():
            number = (CallFlowVersion.select(fn.MAX(CallFlowVersion.number))
                      .where(CallFlowVersion.phone_system == system.id).scalar() or 0) + 1
            order = orders.create(scope, "call_flow", company=system.company_id, details={
                "system_id": system.id, "version": number, "main_number": system.main_number,
                "restored_from": restored_from, "changes": changes})
            version = CallFlowVersion.create(
                phone_system=system.id, number=number, document=json.dumps(document, ensure_ascii=False),
                changes=json.dumps(changes, ensure_ascii=False), created_by=scope.user_id, order=order.id,
                restored_from=restored_from)
    except IntegrityError as clash:  # two saves at once: the unique (system, number) lets one win
        raise ServiceError(_("Someone else saved the call flow at the same moment. Start again from the "
                             "current flow.")) from clash
    orders.submit(order)
    return version


# -- the order kind ----------------------------------------------------------------------

def _apply(order, details, answer):
    """The switch has the version: it is the active flow from now on."""
    CallFlowVersion.update(activated_at=utcnow()).where(
        CallFlowVersion.phone_system == details["system_id"], CallFlowVersion.number == details["version"]).execute()


def _describe(details):
    text = _("The call flow on %(number)s becomes version %(version)s.", number=phone(details.get("main_number", "")),
             version=details.get("version"))
    changed = changes_text(details.get("changes"))
    return f"{text} {changed}." if changed else text


orders.register("call_flow", _apply)
order_text.register("call_flow", _describe)
