"""Products: the phone system, its users (extensions) with their profiles and vacation replies,
and personal numbers (70-numbers) with their forwarding schedule.

Reading functions check the `products` right and go through the Scope: the phone systems and
personal numbers of the membership's companies, and the users whose subscription the membership
may see (a limited membership: its accounts' subscriptions). Every change is carried out by the
operator's phone system, so it is an order (`orders.create` with its audit event in one
transaction, enqueued after commit); the kinds below register themselves with the order pipeline,
and their `_apply_*` functions change the rows when the order completes. Each change function
checks every field at once (ServiceError.of) and, with `preview`, returns what would happen.

A personal number is company-wide like the call flow: a limited membership sees it but cannot
re-point it (403).
"""
import datetime
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn
from werkzeug.exceptions import Forbidden, NotFound

from models import (
    Order,
    PersonalNumber,
    PersonalNumberRule,
    PhoneSystem,
    PhoneUser,
    Subscription,
    UserProfile,
    VacationReply,
    db,
    utcnow,
)
from models.orders import OPEN_STATUSES
from models.products import FORWARD_KINDS, PROFILE_KINDS, TARGET_KINDS

from . import order_text, orders
from .errors import ServiceError
from .formatting import phone
from .ids import parse_id, parse_ids
from .listing import paginate
from .validation import DAYS_AHEAD, danish_number

PROFILE_LABELS = {"available": _l("Available"), "meeting": _l("In a meeting"), "lunch": _l("At lunch"),
                  "away": _l("Away")}
FORWARD_LABELS = {"none": _l("To the user's own phone (no forwarding)"), "voicemail": _l("To voicemail"),
                  "colleague": _l("To a colleague"), "number": _l("To another number")}
TARGET_LABELS = {"number": _l("A phone number"), "user": _l("A user of the phone system"),
                 "voicemail": _l("Voicemail")}
USER_KINDS = ("vacation_reply", "profile_switch", "profile_change")
MESSAGE_MAX = 500
MAX_RULES = 10
SEARCH_MAX = 100
TIMEZONE = ZoneInfo("Europe/Copenhagen")  # the schedule's hours are Danish time


# -- reading: phone systems and users --------------------------------------------------------

def phone_systems(scope):
    """The phone systems of the scope's companies, each with `user_count`: the users the membership
    sees. Two queries."""
    scope.require("products")
    systems = list(scope.phone_systems().order_by(PhoneSystem.name))
    counts = dict(_users(scope).select(PhoneUser.phone_system, fn.COUNT(PhoneUser.id))
                  .group_by(PhoneUser.phone_system).tuples()) if systems else {}
    for system in systems:
        system.user_count = counts.get(system.id, 0)
    return systems


def _users(scope, query=None):
    """Users of the scope's phone systems whose subscription the membership may see."""
    query = query if query is not None else PhoneUser.select()
    query = (query.join(Subscription, on=(PhoneUser.subscription == Subscription.id))
             .where(PhoneUser.phone_system.in_(scope.phone_systems().select(PhoneSystem.id)),
                    Subscription.customer == scope.customer_id))
    if scope.limited:
        query = query.where(Subscription.account.in_(scope.account_ids))
    return query


def parse_user_filters(args):
    return {"q": str(args.get("q") or "").strip()[:SEARCH_MAX], "system": parse_id(args.get("system"))}


def _matching_users(scope, q="", system=None, query=None):
    query = _users(scope, query)
    q = (q or "").strip().lower()
    if q:
        condition = PhoneUser.search_key.contains(q)
        digits = "".join(ch for ch in q if ch.isdigit())
        if digits and len(digits) == len(q.replace(" ", "").lstrip("+")):
            condition |= Subscription.number.contains(digits)
        query = query.where(condition)
    if system:
        query = query.where(PhoneUser.phone_system == system)
    return query


def list_users(scope, q="", system=None, page=1):
    """One page of users by extension, with their subscription, phone system and vacation reply:
    three queries whatever the page (count, rows, vacation replies)."""
    scope.require("products")
    rows = (_matching_users(scope, q, system, PhoneUser.select(PhoneUser, Subscription, PhoneSystem))
            .switch(PhoneUser).join(PhoneSystem)
            .order_by(PhoneSystem.name, fn.LENGTH(PhoneUser.extension), PhoneUser.extension))
    result = paginate(rows, page, count_query=_matching_users(scope, q, system))
    replies = _vacation_replies([u.subscription_id for u in result.items])
    for user in result.items:
        user.vacation = replies.get(user.subscription_id)
    return result


def _vacation_replies(subscription_ids):
    if not subscription_ids:
        return {}
    return {r.subscription_id: r for r in VacationReply.select().where(VacationReply.subscription.in_(subscription_ids))}


def get_user(scope, phone_user_id):
    """One user the membership may see, with subscription and phone system.

    :raise 403: without the `products` right.
    :raise 404: another customer's user, one outside a limited membership's accounts, or no id.
    """
    scope.require("products")
    query = _users(scope, PhoneUser.select(PhoneUser, Subscription, PhoneSystem)).switch(PhoneUser).join(PhoneSystem)
    return scope.get(query, PhoneUser, phone_user_id)


def _users_by_id(scope, ids):
    """{id: user} of the given users; one the membership may not see comes with its extension only
    (a limited membership sees no names outside its accounts). At most two queries."""
    ids = list({i for i in ids if i})
    if not ids:
        return {}
    found = {u.id: u for u in _users(scope).where(PhoneUser.id.in_(ids))}
    hidden = [i for i in ids if i not in found]
    if hidden:
        found.update({u.id: u for u in PhoneUser.select(PhoneUser.id, PhoneUser.extension).where(
            PhoneUser.id.in_(hidden))})
    return found


def profiles_of(scope, user):
    """The user's four profiles in PROFILE_KINDS order, each with `colleague` (the user it forwards
    to, or None). Two or three queries."""
    rows = {p.kind: p for p in UserProfile.select().where(UserProfile.phone_user == user.id)}
    colleagues = _users_by_id(scope, [p.forward_user_id for p in rows.values()])
    profiles = []
    for kind in PROFILE_KINDS:
        profile = rows.get(kind) or UserProfile(phone_user=user.id, kind=kind, forward_kind="none")
        profile.colleague = colleagues.get(profile.forward_user_id)
        profiles.append(profile)
    return profiles


def user_page(scope, phone_user_id, watch=()):
    """What the user's page shows: the user, the profiles, the vacation reply, the orders on their
    way and, for the poll, how the watched orders ended."""
    user = get_user(scope, phone_user_id)
    open_orders = orders.open_orders(user.subscription_id, USER_KINDS)
    return {"user": user, "profiles": profiles_of(scope, user), "vacation": _vacation_replies([user.subscription_id]).get(
        user.subscription_id), "open_orders": open_orders,
        "finished": _finished(Order.select().where(Order.subscription == user.subscription_id), watch, open_orders)}


def _finished(query, watch, open_orders):
    """The watched orders (ids the page polls with) that have completed or failed, once none is open."""
    ids = parse_ids(watch)[:20]
    if open_orders or not ids:
        return []
    return list(query.where(Order.id.in_(ids), Order.status.not_in(OPEN_STATUSES)).order_by(Order.id))


def order_sentence(order):
    return order_text.describe(order.kind, orders.order_details(order))


def order_state(open_orders):
    """The open orders' ids and statuses as one value: a poll that sees the same has nothing new."""
    return ",".join(f"{o.id}:{o.status}" for o in open_orders)


def profile_label(kind):
    return str(PROFILE_LABELS.get(kind, kind))


def forward_text(profile):
    """What a profile does with calls, as a sentence."""
    if profile.forward_kind == "voicemail":
        return _("Calls go to voicemail.")
    if profile.forward_kind == "colleague":
        colleague = getattr(profile, "colleague", None)
        if colleague is None:
            return _("Calls go to a colleague who is no longer on the phone system.")
        if not colleague.name:
            return _("Calls go to extension %(extension)s.", extension=colleague.extension)
        return _("Calls go to %(name)s (extension %(extension)s).", name=colleague.name, extension=colleague.extension)
    if profile.forward_kind == "number":
        return _("Calls go to %(number)s.", number=phone(profile.forward_to))
    return _("The phone rings as usual.")


# -- changes: profiles and vacation replies --------------------------------------------------

@dataclass
class Preview:
    """What a change would do, every check passed: its sentence for the confirmation."""

    kind: str
    details: dict

    @property
    def text(self):
        return order_text.describe(self.kind, self.details)


def _changeable_user(scope, phone_user_id):
    user = get_user(scope, phone_user_id)
    orders.refuse_if_ended(user.subscription)
    return user


def _user_details(user):
    return {"phone_user_id": user.id, "name": user.name, "extension": user.extension,
            "number": user.subscription.number}


def _place(scope, kind, user, details, preview):
    if preview:
        return Preview(kind, details)
    with db.atomic():
        order = orders.create(scope, kind, subscription=user.subscription, details=details)
    orders.submit(order)
    return order


def switch_profile(scope, phone_user_id, profile):
    """Make one of the user's profiles the active one (one click: no confirmation)."""
    user = _changeable_user(scope, phone_user_id)
    if profile not in PROFILE_KINDS:
        raise ServiceError(_("Choose one of the profiles."), "profile")
    if profile == user.active_profile:
        raise ServiceError(_("%(profile)s is already the active profile.", profile=profile_label(profile)), "profile")
    orders.refuse_if_open(user.subscription, ("profile_switch",), _("A profile switch is already on its way."))
    return _place(scope, "profile_switch", user, dict(
        _user_details(user), from_profile=user.active_profile, to_profile=profile), preview=False)


def change_profile(scope, phone_user_id, profile, forward_kind, colleague="", number="", preview=False):
    """Where one of the user's profiles sends calls: nowhere, voicemail, a colleague on the same
    phone system (by extension), or a Danish number."""
    user = _changeable_user(scope, phone_user_id)
    if profile not in PROFILE_KINDS:
        raise NotFound()
    errors, details = {}, dict(_user_details(user), profile=profile, forward_kind=forward_kind)
    if forward_kind not in FORWARD_KINDS:
        errors["forward_kind"] = _("Choose what happens to calls.")
    elif forward_kind == "colleague":
        target, problem = _colleague(scope, user, colleague)
        if problem:
            errors["colleague"] = problem
        else:
            details.update(colleague_id=target.id, colleague_name=target.name, colleague_extension=target.extension)
    elif forward_kind == "number":
        target = danish_number(number)
        if target is None:
            errors["number"] = _("Enter a Danish phone number with 8 digits.")
        elif target == user.subscription.number:
            errors["number"] = _("Calls cannot be forwarded to the user's own number.")
        else:
            details["forward_number"] = target
    if errors:
        raise ServiceError.of(errors)
    current = next(p for p in profiles_of(scope, user) if p.kind == profile)
    if (current.forward_kind, current.forward_user_id, current.forward_to) == (
            forward_kind, details.get("colleague_id"), details.get("forward_number", "")):
        raise ServiceError(_("The profile already forwards calls that way."), "forward_kind")
    orders.refuse_if_open(user.subscription, ("profile_change",), _("A profile change is already on its way."))
    return _place(scope, "profile_change", user, details, preview)


def _colleague(scope, user, extension):
    """(the user with that extension on the same phone system, None) or (None, why)."""
    extension = (extension or "").strip()
    if not extension:
        return None, _("Enter the colleague's extension.")
    colleague = (_users(scope).where(PhoneUser.phone_system == user.phone_system_id,
                                     PhoneUser.extension == extension[:8]).first())
    if colleague is None:
        return None, _("There is no user with extension %(extension)s on this phone system.", extension=extension[:8])
    if colleague.id == user.id:
        return None, _("Choose a colleague, not the user themself.")
    return colleague, None


def _day(value, field, errors):
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors[field] = _("Enter a date, for example %(example)s.", example=utcnow().date().isoformat())
        return None


def set_vacation_reply(scope, phone_user_id, active, message="", starts_on="", ends_on="", preview=False):
    """Switch the user's vacation reply on (message of 1–500 characters, from and to dates, the end
    not before the start nor in the past) or off (the message and dates are kept)."""
    user = _changeable_user(scope, phone_user_id)
    current = _vacation_replies([user.subscription_id]).get(user.subscription_id)
    details = dict(_user_details(user), active=bool(active))
    if not active:
        if current is None or not current.active:
            raise ServiceError(_("The vacation reply is already off."), "active")
    else:
        errors, today = {}, utcnow().date()
        message = "\n".join(line.rstrip() for line in (message or "").strip().splitlines())
        if not message:
            errors["message"] = _("Write the message callers hear or read.")
        elif len(message) > MESSAGE_MAX:
            errors["message"] = _("Use at most %(max)d characters.", max=MESSAGE_MAX)
        start, end = _day(starts_on, "starts_on", errors), _day(ends_on, "ends_on", errors)
        if start and end and end < start:
            errors["ends_on"] = _("The last day cannot be before the first day.")
        elif end and end < today:
            errors["ends_on"] = _("The last day has passed; choose a day from today.")
        elif end and end > today + datetime.timedelta(days=DAYS_AHEAD):
            errors["ends_on"] = _("The date can be at most a year ahead.")
        if errors:
            raise ServiceError.of(errors)
        details.update(message=message, starts_on=start.isoformat(), ends_on=end.isoformat())
        if current is not None and current.active and (current.message, current.starts_on, current.ends_on) == (
                message, start, end):
            raise ServiceError(_("The vacation reply is already set like that."), "message")
    orders.refuse_if_open(user.subscription, ("vacation_reply",), _("A change of the vacation reply is already on its way."))
    return _place(scope, "vacation_reply", user, details, preview)


# -- personal numbers ------------------------------------------------------------------------

def personal_numbers(scope):
    """The scope's personal numbers by number, each with its rules and the users they point to.
    Three queries."""
    scope.require("products")
    items = list(scope.personal_numbers().order_by(PersonalNumber.number))
    _with_rules(scope, items)
    return items


def _with_rules(scope, items):
    ids = [p.id for p in items]
    rules = list(PersonalNumberRule.select().where(PersonalNumberRule.personal_number.in_(ids))
                 .order_by(PersonalNumberRule.position)) if ids else []
    users = _users_by_id(scope, [r.target_user_id for r in rules] + [p.default_user_id for p in items])
    by_number = {}
    for rule in rules:
        rule.user = users.get(rule.target_user_id)
        by_number.setdefault(rule.personal_number_id, []).append(rule)
    for item in items:
        item.rule_list = by_number.get(item.id, [])
        item.user = users.get(item.default_user_id)


def get_personal_number(scope, personal_number_id):
    """One of the scope's personal numbers with its rules.

    :raise 403: without the `products` right.
    :raise 404: another customer's number, or no id.
    """
    scope.require("products")
    item = scope.get(scope.personal_numbers(), PersonalNumber, personal_number_id)
    _with_rules(scope, [item])
    return item


def _personal_number_orders(item, query=None):
    query = query if query is not None else Order.select()
    return [o for o in query.where(Order.company == item.company_id, Order.kind == "personal_number")
            if json.loads(o.details or "{}").get("personal_number_id") == item.id]


def personal_number_page(scope, personal_number_id, watch=(), for_change=False):
    """The number with its schedule, the orders on their way and how the watched ones ended.

    :raise 403: `for_change` (the edit form) by a membership that may not re-point it.
    """
    item = get_personal_number(scope, personal_number_id)
    if for_change and not can_change_personal_numbers(scope):
        raise Forbidden()
    open_orders = _personal_number_orders(item, Order.select().where(Order.status.in_(OPEN_STATUSES)))
    finished = []
    if not open_orders and parse_ids(watch):
        finished = _personal_number_orders(item, Order.select().where(
            Order.id.in_(parse_ids(watch)[:20]), Order.status.not_in(OPEN_STATUSES)))
    return {"item": item, "open_orders": open_orders, "finished": finished, "now": target_now(item),
            "can_change": can_change_personal_numbers(scope)}


def can_change_personal_numbers(scope):
    """Company-wide: a membership limited to some accounts may not re-point them."""
    return scope.can("products") and not scope.limited


def target_now(item, at=None):
    """The rule in force at `at` (now, Danish time), or None: the default target."""
    local = (at or datetime.datetime.now(datetime.timezone.utc)).astimezone(TIMEZONE)
    day, clock = str(local.weekday()), local.strftime("%H:%M")
    return next((r for r in item.rule_list if day in r.days and r.starts <= clock < r.ends), None)


def _time(value):
    """'8:00', '08.00' or '0800' -> '08:00', or None."""
    text = str(value or "").strip().replace(".", ":")
    if text.isdigit() and len(text) in (3, 4):
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        return datetime.datetime.strptime(text, "%H:%M").strftime("%H:%M")
    except ValueError:
        return None


def _target(scope, item, values, prefix, place, errors):
    """The plain values of a target ({"kind", "number" | "user_id", "user_name", "extension"}), or None
    with the problem in `errors` under `<prefix>-number` / `<prefix>-extension` / `<prefix>-kind`."""
    kind = values.get("kind", "")
    if kind not in TARGET_KINDS:
        errors[f"{prefix}-kind"] = _("%(place)s: choose where calls go.", place=place)
        return None
    if kind == "voicemail":
        return {"kind": kind}
    if kind == "number":
        number = danish_number(values.get("number", ""))
        if number is None:
            errors[f"{prefix}-number"] = _("%(place)s: enter a Danish phone number with 8 digits.", place=place)
            return None
        if number == item.number:
            errors[f"{prefix}-number"] = _("%(place)s: the number cannot forward to itself.", place=place)
            return None
        return {"kind": kind, "number": number}
    extension = str(values.get("extension", "")).strip()[:8]
    user = None
    if extension:
        user = (PhoneUser.select().join(PhoneSystem)
                .where(PhoneSystem.company == item.company_id, PhoneSystem.customer == scope.customer_id,
                       PhoneUser.extension == extension).order_by(PhoneUser.id).first())
    if user is None:
        errors[f"{prefix}-extension"] = (
            _("%(place)s: there is no user with extension %(extension)s.", place=place, extension=extension)
            if extension else _("%(place)s: enter the user's extension.", place=place))
        return None
    return {"kind": kind, "user_id": user.id, "user_name": user.name, "extension": user.extension}


def _is_blank(rule):
    return not (rule.get("days") or rule.get("starts") or rule.get("ends") or rule.get("number")
                or rule.get("extension"))


def _check_rules(scope, item, rules, errors):
    """The schedule's rules as plain values; every problem goes to `errors` with the rule's place."""
    checked = []
    rows = [(i, r) for i, r in enumerate(rules, 1) if not _is_blank(r)]
    if len(rows) > MAX_RULES:
        errors["rules"] = _("Use at most %(max)d rules.", max=MAX_RULES)
        return []
    for index, rule in rows:
        place, prefix = _("Rule %(n)d", n=index), f"rule-{index}"
        days = "".join(sorted({d for d in rule.get("days") or () if d in "0123456" and len(d) == 1}))
        starts, ends = _time(rule.get("starts")), _time(rule.get("ends"))
        if not days:
            errors[f"{prefix}-days"] = _("%(place)s: choose at least one weekday.", place=place)
        if starts is None:
            errors[f"{prefix}-starts"] = _("%(place)s: enter the start as hours and minutes, e.g. 08:00.", place=place)
        if ends is None:
            errors[f"{prefix}-ends"] = _("%(place)s: enter the end as hours and minutes, e.g. 16:00.", place=place)
        elif starts is not None and ends <= starts:
            errors[f"{prefix}-ends"] = _("%(place)s: the end must be later than the start.", place=place)
        target = _target(scope, item, rule, prefix, place, errors)
        if days and starts and ends and ends > starts and target:
            for other_index, other in checked:
                shared = [d for d in days if d in other["days"]]
                if shared and starts < other["ends"] and other["starts"] < ends:
                    errors[f"{prefix}-starts"] = _(
                        "%(place)s overlaps rule %(other)d on %(day)s.", place=place, other=other_index,
                        day=weekday_names("wide")[int(shared[0])])
                    break
            checked.append((index, dict(target, days=days, starts=starts, ends=ends)))
    return [rule for _index, rule in checked]


def repoint_personal_number(scope, personal_number_id, default, rules, preview=False):
    """Where the personal number forwards calls: `default` ({"kind", "number", "extension"}) when no
    rule applies, and `rules` ([{"days": ["0", …], "starts", "ends", "kind", "number", "extension"}]).
    Blank rule rows are left out; rules that overlap or end before they start are refused.

    :raise 403: for a membership limited to some accounts (the number is company-wide).
    """
    item = get_personal_number(scope, personal_number_id)
    if not can_change_personal_numbers(scope):
        raise Forbidden()
    errors = {}
    target = _target(scope, item, default or {}, "default", _("Otherwise"), errors)
    checked = _check_rules(scope, item, rules or [], errors)
    if errors:
        raise ServiceError.of(errors)
    details = {"personal_number_id": item.id, "number": item.number, "name": item.name, "default": target,
               "rules": checked}
    if _current_schedule(item) == (target, checked):
        raise ServiceError(_("The number already forwards like that."), "form")
    if _personal_number_orders(item, Order.select().where(Order.status.in_(OPEN_STATUSES))):
        raise ServiceError(_("A change of this number is already on its way."), "form")
    if preview:
        return Preview("personal_number", details)
    with db.atomic():
        order = orders.create(scope, "personal_number", company=item.company_id, details=details)
    orders.submit(order)
    return order


def _target_values(kind, number, user):
    if kind == "voicemail":
        return {"kind": kind}
    if kind == "user":
        return {"kind": kind, "user_id": user.id, "user_name": user.name, "extension": user.extension} if user else None
    return {"kind": kind, "number": number}


def _current_schedule(item):
    rules = [dict(_target_values(r.target_kind, r.target_number, r.user) or {}, days=r.days, starts=r.starts,
                  ends=r.ends) for r in item.rule_list]
    return _target_values(item.default_kind, item.forward_to, item.user), rules


def form_values(item):
    """The schedule as the edit form shows it: the default and one row per rule."""
    def values(kind, number, user):
        return {"kind": kind, "number": phone(number) if kind == "number" else "",
                "extension": user.extension if kind == "user" and user else ""}

    return (values(item.default_kind, item.forward_to, item.user),
            [dict(values(r.target_kind, r.target_number, r.user), days=list(r.days), starts=r.starts, ends=r.ends)
             for r in item.rule_list])


# -- words -----------------------------------------------------------------------------------

def weekday_names(width="abbreviated"):
    """Monday first, in the current locale."""
    names = get_day_names(width, locale=get_locale())
    return [names[i] for i in range(7)]


def days_text(days):
    """'01234' -> 'Mon–Fri'; '56' -> 'Sat, Sun'; runs of three or more days become a range."""
    names, numbers = weekday_names(), sorted(int(d) for d in days)
    runs, parts = [], []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}–{names[run[-1]]}")
        else:
            parts.extend(names[n] for n in run)
    return ", ".join(parts)


def target_text(target):
    """A target's plain values in words."""
    if not target:
        return ""
    if target.get("kind") == "voicemail":
        return _("voicemail")
    if target.get("kind") == "user":
        if not target.get("user_name"):
            return _("extension %(extension)s", extension=target.get("extension", ""))
        return _("%(name)s (extension %(extension)s)", name=target.get("user_name"), extension=target.get("extension", ""))
    return phone(target.get("number", ""))


def rule_target(rule):
    return target_text(_target_values(rule.target_kind, rule.target_number, getattr(rule, "user", None)))


def default_target(item):
    return target_text(_target_values(item.default_kind, item.forward_to, getattr(item, "user", None)))


def _describe_switch(d):
    return _("%(name)s (extension %(extension)s) switches to the profile %(profile)s.", name=d.get("name", ""),
             extension=d.get("extension", ""), profile=profile_label(d.get("to_profile")))


def _describe_profile(d):
    profile = UserProfile(kind=d.get("profile"), forward_kind=d.get("forward_kind"),
                          forward_to=d.get("forward_number", ""))
    if d.get("colleague_id"):
        profile.colleague = PhoneUser(name=d.get("colleague_name", ""), extension=d.get("colleague_extension", ""))
    return _("%(name)s, profile %(profile)s: %(rule)s", name=d.get("name", ""), profile=profile_label(d.get("profile")),
             rule=forward_text(profile))


def _describe_vacation(d):
    if not d.get("active"):
        return _("The vacation reply of %(name)s is switched off.", name=d.get("name", ""))
    return _("%(name)s gets a vacation reply from %(start)s to %(end)s: “%(message)s”", name=d.get("name", ""),
             start=_date_text(d.get("starts_on")), end=_date_text(d.get("ends_on")), message=d.get("message", ""))


def _date_text(value):
    try:
        return format_date(datetime.date.fromisoformat(value), "long")
    except (TypeError, ValueError):
        return ""


def _describe_personal_number(d):
    rules = d.get("rules") or []
    text = _("%(number)s (%(name)s) forwards calls to %(target)s", number=phone(d.get("number", "")),
             name=d.get("name", ""), target=target_text(d.get("default")))
    if not rules:
        return text + "."
    parts = [_("%(days)s %(starts)s–%(ends)s to %(target)s", days=days_text(r.get("days", "")),
               starts=r.get("starts", ""), ends=r.get("ends", ""), target=target_text(r)) for r in rules]
    return text + " " + ngettext("except by this rule: %(rules)s.", "except by these rules: %(rules)s.",
                                 len(rules), rules="; ".join(parts))


# -- what a completed order changes ------------------------------------------------------------

def _apply_switch(order, details, answer):
    PhoneUser.update(active_profile=details["to_profile"]).where(PhoneUser.id == details["phone_user_id"]).execute()


def _apply_profile(order, details, answer):
    user = PhoneUser.get_or_none(PhoneUser.id == details["phone_user_id"])
    if user is None:
        return
    values = {"forward_kind": details["forward_kind"], "forward_user": details.get("colleague_id"),
              "forward_to": details.get("forward_number", "")}
    updated = (UserProfile.update(**values)
               .where(UserProfile.phone_user == user.id, UserProfile.kind == details["profile"]).execute())
    if not updated:
        UserProfile.create(phone_system=user.phone_system_id, phone_user=user.id, subscription=user.subscription_id,
                           kind=details["profile"], **values)


def _apply_vacation(order, details, answer):
    if not details.get("active"):
        VacationReply.update(active=False).where(VacationReply.subscription == order.subscription_id).execute()
        return
    values = {"message": details["message"], "starts_on": datetime.date.fromisoformat(details["starts_on"]),
              "ends_on": datetime.date.fromisoformat(details["ends_on"]), "active": True}
    (VacationReply.insert(subscription=order.subscription_id, **values)
     .on_conflict(conflict_target=[VacationReply.subscription], update=values).execute())


def _apply_personal_number(order, details, answer):
    number_id, default = details["personal_number_id"], details["default"]
    PersonalNumber.update(default_kind=default["kind"], forward_to=default.get("number", ""),
                          default_user=default.get("user_id")).where(PersonalNumber.id == number_id).execute()
    PersonalNumberRule.delete().where(PersonalNumberRule.personal_number == number_id).execute()
    for position, rule in enumerate(details["rules"], 1):
        PersonalNumberRule.create(personal_number=number_id, position=position, days=rule["days"],
                                  starts=rule["starts"], ends=rule["ends"], target_kind=rule["kind"],
                                  target_number=rule.get("number", ""), target_user=rule.get("user_id"))


for _kind, _apply, _describe in (("vacation_reply", _apply_vacation, _describe_vacation),
                                 ("profile_switch", _apply_switch, _describe_switch),
                                 ("profile_change", _apply_profile, _describe_profile),
                                 ("personal_number", _apply_personal_number, _describe_personal_number)):
    orders.register(_kind, _apply)
    order_text.register(_kind, _describe)
