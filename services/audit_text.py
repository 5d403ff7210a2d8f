"""An audit event in words: one sentence in the current locale ("Anne Admin gav Bent
Begrænset adgang til Fakturaer"), for the audit trail page and its CSV export.

`describe(event, names)` reads one event. The objects events name (logins, subscriptions,
orders, accounts, companies, applications, credit notes, plans, add-ons) are loaded by
`Names(events)` for a whole page at once, one query per kind of object, so a page costs the
same few queries at 10 or 50 rows; `describe(event)` alone loads them for that one event.

Every action the code records has its own sentence (`SENTENCES`, and every order kind through
`order.<kind>`); an action nobody taught this module yet reads as its kind's label and its
object (`fallback`), so a new area's events are readable from the day they are written.
Details are shown as values, never as codes: statuses, channels, formats and reasons go
through the label groups of services/labels.py.
"""
import datetime
import json
import logging
from collections import defaultdict

from babel.lists import format_list
from flask_babel import format_date, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from models import Account, AddOn, Application, Company, CreditNote, Order, Plan, Subscription, User

from .formatting import phone
from .labels import LABELS, label
from .money import format_money

SENTENCES = {}  # action -> function(View) -> sentence
log = logging.getLogger(__name__)


def sentence(*actions):
    """Register the sentence of one or more actions."""
    def register(fn):
        for action in actions:
            SENTENCES[action] = fn
        return fn
    return register


def _label(group, code):
    return str(label(group, code)) if code not in (None, "") else ""


def details_of(event):
    """The event's details as a dict ({} when they are not JSON)."""
    cached = getattr(event, "_details_dict", None)
    if cached is None:
        try:
            cached = json.loads(event.details or "{}")
        except ValueError:
            cached = {}
        if not isinstance(cached, dict):
            cached = {}
        event._details_dict = cached
    return cached


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ints(values):
    if not isinstance(values, (list, tuple)):
        values = [values]
    return [i for i in (_int(v) for v in values) if i is not None]


# -- the objects a page of events names, loaded in bulk --------------------------------------

class Names:
    """The objects named by `events`, one query per kind of object.

    With `customer_id`, tenant objects of another customer are never read (an event of the
    company names only its own objects, but the trail does not rely on that)."""

    def __init__(self, events, customer_id=None):
        events = list(events)
        wanted = defaultdict(set)
        for event in events:
            _collect(event, details_of(event), wanted)
        self.users = self._load(User, wanted["user"])
        self.subscriptions = self._load(Subscription, wanted["subscription"], customer_id)
        self.orders = self._orders(wanted["order"], customer_id)
        self.accounts = self._load(Account, wanted["account"], customer_id)
        self.companies = self._load(Company, wanted["company"], customer_id)
        self.applications = self._load(Application, wanted["application"])
        self.credit_notes = self._load(CreditNote, wanted["creditnote"], customer_id)
        self.plans = self._by_code(Plan, wanted["plan"])
        self.addons = self._by_code(AddOn, wanted["addon"])

    @staticmethod
    def _load(model, ids, customer_id=None):
        if not ids:
            return {}
        query = model.select().where(model.id.in_(sorted(ids)))
        if customer_id is not None and "customer" in model._meta.fields:
            query = query.where(model.customer == customer_id)
        return {row.id: row for row in query}

    @staticmethod
    def _orders(ids, customer_id):
        if not ids:
            return {}
        query = (Order.select(Order, Subscription)
                 .join(Subscription, on=(Order.subscription == Subscription.id), join_type=JOIN.LEFT_OUTER)
                 .where(Order.id.in_(sorted(ids))))
        if customer_id is not None:
            query = query.where(Order.customer == customer_id)
        return {row.id: row for row in query}

    @staticmethod
    def _by_code(model, codes):
        if not codes:
            return {}
        return {row.code: row.name for row in model.select(model.code, model.name).where(model.code.in_(sorted(codes)))}


def _collect(event, d, wanted):
    """Note the ids of the objects `event` names, by kind of object."""
    if event.user_id:
        wanted["user"].add(event.user_id)
    object_id = _int(event.object_id)
    if object_id is not None and event.object_type in ("user", "subscription", "order", "account", "company",
                                                       "application", "creditnote"):
        wanted[event.object_type].add(object_id)
    for key in ("subscription",):
        wanted["subscription"].update(_ints(d.get(key)))
    for key in ("new_user", "pending_user"):
        wanted["user"].update(_ints(d.get(key)))
    for key in ("companies", "target_company"):
        wanted["company"].update(_ints(d.get(key)))
    for key in ("before", "after"):
        if isinstance(d.get(key), dict):
            wanted["account"].update(_ints(d[key].get("accounts") or []))
    if event.action == "user.create":
        wanted["account"].update(_ints(d.get("accounts") or []))
    if event.action.startswith("order."):
        for key in ("plan", "from_plan", "to_plan"):
            if d.get(key):
                wanted["plan"].add(str(d[key]))
        if d.get("addon"):
            wanted["addon"].add(str(d["addon"]))


# -- one event ---------------------------------------------------------------------------------

class View:
    """One event with its details and the names it needs, for the sentence functions."""

    def __init__(self, event, names):
        self.event = event
        self.d = details_of(event)
        self.names = names
        self.suffix = event.action.partition(".")[2]

    def _user_name(self, user_id):
        user = self.names.users.get(user_id) if user_id else None
        return user.name if user is not None else None

    @property
    def actor(self):
        """Who did it: the login's name, or "Someone" for an event without one."""
        return self._user_name(self.event.user_id) or _("Someone")

    @property
    def has_actor(self):
        return self._user_name(self.event.user_id) is not None

    @property
    def user(self):
        """The login the event is about (its object)."""
        name = self._user_name(_int(self.event.object_id)) if self.event.object_type == "user" else None
        return name or self.d.get("name") or _("a login that no longer exists")

    @property
    def object_is_actor(self):
        return self.event.object_type == "user" and _int(self.event.object_id) == self.event.user_id

    def subscription(self, subscription_id=None):
        """'Mette Jensen (20 00 00 01)' of the event's subscription (object or details)."""
        if subscription_id is None:
            subscription_id = _int(self.event.object_id) if self.event.object_type == "subscription" else None
            subscription_id = subscription_id or _int(self.d.get("subscription"))
        item = self.names.subscriptions.get(subscription_id)
        if item is not None:
            return holder_text(item.holder_name, item.number)
        return holder_text(self.d.get("holder_name"), self.d.get("number")) or _("a subscription")

    @property
    def order(self):
        return self.names.orders.get(_int(self.event.object_id)) if self.event.object_type == "order" else None

    def company(self, company_id=None):
        if company_id is None:
            company_id = _int(self.event.object_id) if self.event.object_type == "company" else self.event.company_id
        company = self.names.companies.get(company_id)
        return company.name if company is not None else _("the company")

    def account_numbers(self, ids):
        return [self.names.accounts[i].number for i in _ints(ids) if i in self.names.accounts]


def holder_text(name, number):
    """'Mette Jensen (20 00 00 01)', or whichever of the two is known."""
    number = phone(number) if number else ""
    if name and number:
        return f"{name} ({number})"
    return name or number or ""


def listed(items):
    """'A, B og C' in the current locale."""
    items = [str(i) for i in items if i not in (None, "")]
    return format_list(items, locale=get_locale()) if items else ""


def quoted(text):
    """Text quoted as the page's language quotes: “…” in English, «…» in Danish."""
    return _("“%(text)s”", text=text)


def _split_change(value):
    """'before → after' as the services record a change -> (before, after); '–' is empty."""
    before, arrow, after = str(value or "").partition(" → ")
    if not arrow:
        return "", str(value or "")
    return ("" if before == "–" else before), ("" if after == "–" else after)


def _day(value):
    try:
        return format_date(datetime.date.fromisoformat(str(value)[:10]), "long")
    except (TypeError, ValueError):
        return ""


def _moment(value):
    """A stored UTC time ('2025-01-01 12:00:00.123456') in local time, short."""
    try:
        return format_datetime(datetime.datetime.fromisoformat(str(value)), "short")
    except (TypeError, ValueError):
        return ""


def describe(event, names=None):
    """The event as one sentence in the current locale."""
    names = names if names is not None else Names([event])
    view = View(event, names)
    fn = sentence_for(event.action)
    try:
        text = fn(view) if fn is not None else None
    except Exception:  # noqa: BLE001 (one odd event must not take the whole trail down)
        log.exception("no sentence for audit event %s (%s)", event.id, event.action)
        text = None
    return text or fallback(view)


def describe_all(events, customer_id=None):
    """The sentences of many events, with their objects loaded in one query per kind."""
    events = list(events)
    names = Names(events, customer_id)
    return [describe(event, names) for event in events]


def sentence_for(action):
    """The sentence function of an action, or None when only the fallback knows it."""
    if action in SENTENCES:
        return SENTENCES[action]
    prefix, _dot, suffix = action.partition(".")
    if prefix == "order" and _is_order_kind(suffix):
        return _order_placed
    return None


def known(action):
    return sentence_for(action) is not None


def kind_label(prefix):
    """The label of an action's kind ('Logins'); an unlabelled prefix, made readable."""
    if prefix in LABELS["audit_kind"]:
        return str(LABELS["audit_kind"][prefix])
    return prefix.replace("_", " ").strip().capitalize() or "?"


def object_text(view):
    """The event's object in words, as well as the names loaded allow."""
    event = view.event
    object_id = _int(event.object_id)
    if event.object_type == "user":
        return view.user
    if event.object_type == "subscription":
        return view.subscription()
    if event.object_type == "order":
        order = view.order
        if order is not None:
            subject = _order_subject(view)
            kind = _label("order_kind", order.kind)
            return f"{quoted(kind)} {subject}".strip()
    if event.object_type == "account" and object_id in view.names.accounts:
        return _("account %(number)s", number=view.names.accounts[object_id].number)
    if event.object_type == "company" and object_id in view.names.companies:
        return view.names.companies[object_id].name
    if view.d.get("number"):
        return str(view.d["number"])
    return " ".join(part for part in (event.object_type, event.object_id) if part)


def fallback(view):
    """An action without its own sentence: its kind's label and its object."""
    kind = kind_label(view.event.action.partition(".")[0])
    thing = object_text(view)
    if view.has_actor:
        if thing:
            return _("%(actor)s: an event under %(kind)s concerning %(object)s", actor=view.actor, kind=kind,
                     object=thing)
        return _("%(actor)s: an event under %(kind)s", actor=view.actor, kind=kind)
    if thing:
        return _("An event under %(kind)s concerning %(object)s", kind=kind, object=thing)
    return _("An event under %(kind)s", kind=kind)


# -- logins --------------------------------------------------------------------------------------

BY_CHANNEL = {"email": _l("by e-mail"), "sms": _l("by SMS"), "digital_post": _l("by digital post")}
LOGIN_METHOD = {"totp": _l("with an authenticator app"), "sms": _l("with a code by SMS"),
                "email": _l("with a code by e-mail")}


def _by(channel):
    return str(BY_CHANNEL.get(channel) or _label("channel", channel))


@sentence("auth.reauthenticated")
def _reauthenticated(v):
    return _("%(actor)s confirmed who they are", actor=v.actor)


@sentence("auth.reauth_failed")
def _reauth_failed(v):
    return _("%(actor)s entered a wrong password or code when confirming who they are", actor=v.actor)


@sentence("2fa.secrets_rotated")
def _secrets_rotated(v):
    return _("The authenticator secrets were re-encrypted with a new key")


@sentence("auth.login")
def _login(v):
    how = LOGIN_METHOD.get(v.d.get("method"))
    if how is None:
        return _("%(actor)s logged in", actor=v.actor)
    return _("%(actor)s logged in %(how)s", actor=v.actor, how=how)


@sentence("auth.logout")
def _logout(v):
    return _("%(actor)s logged out", actor=v.actor)


@sentence("auth.password_ok")
def _password_ok(v):
    return _("%(actor)s entered the right password and was asked for the second factor", actor=v.actor)


@sentence("auth.code_sent")
def _code_sent(v):
    return _("A login code was sent to %(actor)s %(by)s", actor=v.actor, by=_by(v.d.get("channel")))


@sentence("auth.failure")
def _failure(v):
    step = v.d.get("step")
    if not v.has_actor:
        if step == "mobile":
            return _("Someone asked for a login code for a mobile number that has no login")
        domain = v.d.get("email_domain")
        if domain:
            return _("Someone tried to log in with an unknown e-mail address at %(domain)s", domain=domain)
        return _("Someone tried to log in with an unknown e-mail address")
    if step == "password":
        return _("%(actor)s tried to log in with a wrong password", actor=v.actor)
    return _("%(actor)s entered a wrong login code", actor=v.actor)


@sentence("auth.locked")
def _locked(v):
    until = _moment(v.d.get("until"))
    if until:
        return _("The login of %(actor)s was locked until %(time)s after too many failed attempts", actor=v.actor,
                 time=until)
    return _("The login of %(actor)s was locked after too many failed attempts", actor=v.actor)


@sentence("auth.refused_locked")
def _refused_locked(v):
    return _("%(actor)s tried to log in while the login was locked", actor=v.actor)


@sentence("auth.password_reset_unknown")
def _reset_unknown(v):
    domain = v.d.get("email_domain")
    if domain:
        return _("Someone asked to reset the password of an unknown e-mail address at %(domain)s", domain=domain)
    return _("Someone asked to reset the password of an unknown e-mail address")


@sentence("auth.password_reset_refused")
def _reset_refused(v):
    return _("%(actor)s asked to reset the password, but the login has no second factor to confirm it with",
             actor=v.actor)


@sentence("auth.password_reset_throttled")
def _reset_throttled(v):
    return _("%(actor)s asked to reset the password again too soon; no new code was sent", actor=v.actor)


@sentence("auth.password_reset_requested")
def _reset_requested(v):
    return _("%(actor)s asked to reset the password; a code was sent by e-mail", actor=v.actor)


@sentence("auth.password_reset_code_wrong")
def _reset_code_wrong(v):
    return _("%(actor)s entered a wrong password reset code", actor=v.actor)


@sentence("auth.password_reset")
def _reset_done(v):
    return _("%(actor)s reset the password; the other sessions were logged out", actor=v.actor)


@sentence("2fa.enrolment_started")
def _enrolment_started(v):
    return _("%(actor)s started adding an authenticator app", actor=v.actor)


@sentence("2fa.device_added")
def _device_added(v):
    if v.d.get("name"):
        return _("%(actor)s added the authenticator app %(name)s", actor=v.actor, name=quoted(v.d["name"]))
    return _("%(actor)s added an authenticator app", actor=v.actor)


@sentence("2fa.device_removed")
def _device_removed(v):
    return _("%(actor)s removed an authenticator app", actor=v.actor)


# -- self-service users -------------------------------------------------------------------------

def _codes(value):
    """A list of codes as details keep them: a list, or a space-separated text."""
    if isinstance(value, str):
        return value.split()
    return [str(code) for code in value or ()] if isinstance(value, (list, tuple)) else []


def _functions(codes):
    from .rights import FUNCTION_LABELS

    return listed(FUNCTION_LABELS.get(code, code) for code in _codes(codes))


def _only_accounts(numbers):
    return ngettext("only account %(accounts)s", "only accounts %(accounts)s", len(numbers),
                    accounts=listed(numbers))


@sentence("user.create")
def _user_create(v):
    if v.d.get("is_admin"):
        text = _("%(actor)s created a login for %(user)s as administrator", actor=v.actor, user=v.user)
    elif v.d.get("functions"):
        text = _("%(actor)s created a login for %(user)s with access to %(functions)s", actor=v.actor, user=v.user,
                 functions=_functions(v.d["functions"]))
    else:
        text = _("%(actor)s created a login for %(user)s", actor=v.actor, user=v.user)
    numbers = v.account_numbers(v.d.get("accounts") or []) if v.d.get("full_access") is False else []
    return f"{text}, {_only_accounts(numbers)}" if numbers else text


@sentence("user.rights_change")
def _rights_change(v):
    before = v.d.get("before") if isinstance(v.d.get("before"), dict) else {}
    after = v.d.get("after") if isinstance(v.d.get("after"), dict) else {}
    changes = []  # (natural sentence, part of a list)
    admin_before, admin_after = bool(before.get("is_admin")), bool(after.get("is_admin"))
    if admin_after and not admin_before:
        changes.append((_("%(actor)s made %(user)s an administrator", actor=v.actor, user=v.user),
                        _("now an administrator")))
    elif admin_before and not admin_after:
        changes.append((_("%(actor)s removed %(user)s as administrator", actor=v.actor, user=v.user),
                        _("no longer an administrator")))
    if admin_after == admin_before and not admin_after:  # an administrator holds every function
        had = set(_codes(before.get("functions")))
        has = set(_codes(after.get("functions")))
        from .rights import FUNCTIONS

        added = [f for f in FUNCTIONS if f in has - had] + sorted(has - had - set(FUNCTIONS))
        removed = [f for f in FUNCTIONS if f in had - has] + sorted(had - has - set(FUNCTIONS))
        if added and removed:
            changes.append((_("%(actor)s gave %(user)s access to %(added)s and removed the access to %(removed)s",
                              actor=v.actor, user=v.user, added=_functions(added), removed=_functions(removed)),
                            _("access to %(added)s added and to %(removed)s removed", added=_functions(added),
                              removed=_functions(removed))))
        elif added:
            changes.append((_("%(actor)s gave %(user)s access to %(functions)s", actor=v.actor, user=v.user,
                              functions=_functions(added)),
                            _("access to %(functions)s added", functions=_functions(added))))
        elif removed:
            changes.append((_("%(actor)s removed the access of %(user)s to %(functions)s", actor=v.actor, user=v.user,
                              functions=_functions(removed)),
                            _("access to %(functions)s removed", functions=_functions(removed))))
    full_before, full_after = bool(before.get("full_access", True)), bool(after.get("full_access", True))
    accounts_before = sorted(_ints(before.get("accounts") or []))
    accounts_after = sorted(_ints(after.get("accounts") or []))
    if full_after and not full_before:
        changes.append((_("%(actor)s gave %(user)s access to all accounts", actor=v.actor, user=v.user),
                        _("all accounts")))
    elif not full_after and (full_before or accounts_before != accounts_after):
        numbers = v.account_numbers(accounts_after)
        changes.append((ngettext("%(actor)s limited %(user)s to account %(accounts)s",
                                 "%(actor)s limited %(user)s to the accounts %(accounts)s", len(numbers),
                                 actor=v.actor, user=v.user, accounts=listed(numbers)),
                        _only_accounts(numbers)))
    if not changes:
        return _("%(actor)s saved the rights of %(user)s without changes", actor=v.actor, user=v.user)
    if len(changes) == 1:
        return changes[0][0]
    return _("%(actor)s changed the rights of %(user)s: %(changes)s", actor=v.actor, user=v.user,
             changes=listed(part for _text, part in changes))


@sentence("user.disable")
def _user_disable(v):
    if v.d.get("reason") == "offboarded":
        return _("%(actor)s disabled the login of %(user)s because the employee is leaving", actor=v.actor,
                 user=v.user)
    return _("%(actor)s disabled the login of %(user)s", actor=v.actor, user=v.user)


@sentence("user.enable")
def _user_enable(v):
    return _("%(actor)s enabled the login of %(user)s again", actor=v.actor, user=v.user)


@sentence("user.sessions_end")
def _user_sessions_end(v):
    count = _int(v.d.get("sessions_ended")) or 0
    return ngettext("%(actor)s logged %(user)s out of %(num)d session",
                    "%(actor)s logged %(user)s out of %(num)d sessions", count, actor=v.actor, user=v.user)


@sentence("user.delete")
def _user_delete(v):
    if v.d.get("outcome") == "membership":
        companies = listed(v.company(i) for i in _ints(v.d.get("companies") or []))
        return _("%(actor)s removed %(user)s from %(companies)s", actor=v.actor, user=v.user,
                 companies=companies or _("the company"))
    return _("%(actor)s deleted the login of %(user)s", actor=v.actor, user=v.user)


@sentence("user.created")
def _user_created(v):
    if v.has_actor and not v.object_is_actor:
        return _("%(actor)s created a login for %(user)s as administrator", actor=v.actor, user=v.user)
    return _("A login was created for %(user)s as administrator after an application", user=v.user)


@sentence("user.activation_sent")
def _activation_sent(v):
    if v.has_actor and not v.object_is_actor:
        return _("%(actor)s sent the activation code to %(user)s %(by)s", actor=v.actor, user=v.user,
                 by=_by(v.d.get("channel")))
    return _("The activation code for %(user)s was sent %(by)s", user=v.user, by=_by(v.d.get("channel")))


@sentence("user.activation_failed")
def _activation_failed(v):
    reason = v.d.get("reason")
    if not v.has_actor:
        return _("Someone entered an activation code that does not exist")
    if reason == "expired":
        return _("%(actor)s tried an activation code that had expired", actor=v.actor)
    if reason == "too_many":
        return _("%(actor)s was stopped after too many wrong activation codes", actor=v.actor)
    return _("%(actor)s entered a wrong activation code", actor=v.actor)


@sentence("user.activation_code_accepted")
def _activation_code_accepted(v):
    return _("%(actor)s entered the right activation code", actor=v.actor)


@sentence("user.password_set")
def _password_set(v):
    return _("%(actor)s chose a password during the activation", actor=v.actor)


@sentence("user.activated")
def _activated(v):
    return _("%(actor)s finished activating the login", actor=v.actor)


@sentence("user.activation_2fa_restarted")
def _activation_2fa_restarted(v):
    return _("%(actor)s started the setup of two-factor authentication over during the activation", actor=v.actor)


@sentence("user.activation_2fa_failed")
def _activation_2fa_failed(v):
    return _("%(actor)s entered a wrong code while setting up two-factor authentication", actor=v.actor)


@sentence("user.audit_export")
def _audit_export(v):
    return _("%(actor)s exported the audit trail", actor=v.actor)


# -- applications and operator staff -------------------------------------------------------------

def _applicant(v):
    application = (v.names.applications.get(_int(v.event.object_id))
                   if v.event.object_type == "application" else None)
    if application is not None:
        return application.company_name
    return v.company() if v.event.company_id else _("a company")


@sentence("application.received")
def _application_received(v):
    cvr = v.d.get("cvr") or ""
    if v.d.get("kind") == "recovery":
        return _("%(company)s (CVR %(cvr)s) asked for a new administrator", company=_applicant(v), cvr=cvr)
    return _("%(company)s (CVR %(cvr)s) applied for self-service access", company=_applicant(v), cvr=cvr)


@sentence("application.approved")
def _application_approved(v):
    result = _label("application_result", v.d.get("result"))
    if v.has_actor:
        return _("%(actor)s approved the application from %(company)s: %(result)s", actor=v.actor,
                 company=_applicant(v), result=result)
    return _("The application from %(company)s was approved: %(result)s", company=_applicant(v), result=result)


@sentence("application.rejected")
def _application_rejected(v):
    result = _label("application_result", v.d.get("result"))
    if v.has_actor:
        return _("%(actor)s rejected the application from %(company)s: %(result)s", actor=v.actor,
                 company=_applicant(v), result=result)
    return _("The application from %(company)s was rejected: %(result)s", company=_applicant(v), result=result)


@sentence("staff.approve_application")
def _staff_approve(v):
    return _("%(actor)s approved the application from %(company)s", actor=v.actor, company=_applicant(v))


@sentence("staff.reject_application")
def _staff_reject(v):
    return _("%(actor)s rejected the application from %(company)s", actor=v.actor, company=_applicant(v))


@sentence("staff.disable_admin")
def _staff_disable_admin(v):
    return _("%(actor)s disabled the administrator login of %(user)s", actor=v.actor, user=v.user)


# -- sessions and one's own settings -----------------------------------------------------------

@sentence("session.switch_company")
def _switch_company(v):
    return _("%(actor)s switched to %(company)s", actor=v.actor, company=v.company())


@sentence("session.end_others")
def _end_others(v):
    count = _int(v.d.get("ended")) or 0
    return ngettext("%(actor)s logged out of %(num)d other session", "%(actor)s logged out of %(num)d other sessions",
                    count, actor=v.actor)


@sentence("settings.name")
def _settings_name(v):
    return _("%(actor)s changed their name", actor=v.actor)


@sentence("settings.contact")
def _settings_contact(v):
    email, mobile = v.d.get("email_changed"), v.d.get("mobile_changed")
    if v.d.get("email_refused"):  # the address belongs to another login (services/profile.py)
        return _("%(actor)s asked for an e-mail address another login uses; it was not changed", actor=v.actor)
    if email and mobile:
        return _("%(actor)s changed their e-mail address and mobile number", actor=v.actor)
    if email:
        return _("%(actor)s changed their e-mail address", actor=v.actor)
    if mobile:
        return _("%(actor)s changed their mobile number", actor=v.actor)
    return _("%(actor)s saved their contact details", actor=v.actor)


@sentence("settings.password_failed")
def _settings_password_failed(v):
    return _("%(actor)s tried to change the password, but the current password was wrong", actor=v.actor)


@sentence("settings.password")
def _settings_password(v):
    return _("%(actor)s changed their password", actor=v.actor)


@sentence("settings.language")
def _settings_language(v):
    from babel import Locale, UnknownLocaleError

    code = str(v.d.get("language") or "")
    try:
        language = Locale.parse(code).get_display_name(get_locale())
    except (ValueError, TypeError, UnknownLocaleError):
        language = code
    return _("%(actor)s chose %(language)s as language", actor=v.actor, language=language)


# -- support tickets and outages -----------------------------------------------------------------

def _ticket(v):
    return v.d.get("number") or v.event.object_id


@sentence("ticket.create")
def _ticket_create(v):
    category = _label("ticket_category", v.d.get("category"))
    concerns = v.d.get("concerns") or ""
    concerns = phone(concerns) if str(concerns).startswith("+") else concerns
    if concerns:
        return _("%(actor)s created the support ticket %(number)s (%(category)s) about %(concerns)s", actor=v.actor,
                 number=_ticket(v), category=category, concerns=concerns)
    return _("%(actor)s created the support ticket %(number)s (%(category)s)", actor=v.actor, number=_ticket(v),
             category=category)


@sentence("ticket.reply")
def _ticket_reply(v):
    return _("%(actor)s wrote in the support ticket %(number)s", actor=v.actor, number=_ticket(v))


@sentence("ticket.close")
def _ticket_close(v):
    return _("%(actor)s closed the support ticket %(number)s", actor=v.actor, number=_ticket(v))


@sentence("ticket.reopen")
def _ticket_reopen(v):
    return _("%(actor)s reopened the support ticket %(number)s", actor=v.actor, number=_ticket(v))


@sentence("ticket.staff_answer")
def _ticket_staff_answer(v):
    status = _label("ticket_status", v.d.get("status"))
    if v.d.get("answered"):
        return _("%(actor)s answered the support ticket %(number)s (now: %(status)s)", actor=v.actor,
                 number=_ticket(v), status=status)
    return _("%(actor)s set the support ticket %(number)s to %(status)s", actor=v.actor, number=_ticket(v),
             status=quoted(status))


def _outage(v):
    return quoted(v.d.get("title") or v.event.object_id)


@sentence("outage.create")
def _outage_create(v):
    return _("%(actor)s published the outage %(title)s", actor=v.actor, title=_outage(v))


@sentence("outage.update")
def _outage_update(v):
    return _("%(actor)s updated the outage %(title)s", actor=v.actor, title=_outage(v))


@sentence("outage.end")
def _outage_end(v):
    return _("%(actor)s ended the outage %(title)s", actor=v.actor, title=_outage(v))


@sentence("outage.alerts")
def _outage_alerts(v):
    before, after = _split_change(v.d.get("emails"))
    after = listed(a.strip() for a in after.split(",") if a.strip())
    if not after:
        return _("%(actor)s stopped the e-mail alerts about outages", actor=v.actor)
    return _("%(actor)s set the e-mail alerts about outages to go to %(emails)s", actor=v.actor, emails=after)


# -- subscriptions -------------------------------------------------------------------------------

@sentence("subscription.export")
def _subscription_export(v):
    return _("%(actor)s exported subscriptions as a CSV file", actor=v.actor)


@sentence("subscription.codes_revealed")
def _codes_revealed(v):
    return _("%(actor)s looked up the PIN and PUK codes of %(subscription)s", actor=v.actor,
             subscription=v.subscription())


@sentence("subscription.invoice_note")
def _invoice_note(v):
    before, after = v.d.get("before") or "", v.d.get("after") or ""
    if not after:
        return _("%(actor)s removed the invoice note of %(subscription)s", actor=v.actor, subscription=v.subscription())
    if not before:
        return _("%(actor)s set the invoice note of %(subscription)s to %(after)s", actor=v.actor,
                 subscription=v.subscription(), after=quoted(after))
    return _("%(actor)s changed the invoice note of %(subscription)s from %(before)s to %(after)s", actor=v.actor,
             subscription=v.subscription(), before=quoted(before), after=quoted(after))


@sentence("subscription.offboarded")
def _offboarded(v):
    if v.d.get("choice") == "transfer":
        text = _("%(actor)s transferred %(subscription)s because the employee is leaving", actor=v.actor,
                 subscription=v.subscription())
    else:
        text = _("%(actor)s cancelled %(subscription)s because the employee is leaving", actor=v.actor,
                 subscription=v.subscription())
    count = _int(v.d.get("logins_disabled")) or 0
    if count:
        text += "; " + ngettext("%(num)d login disabled", "%(num)d logins disabled", count)
    return text


@sentence("subscription.port_lock")
def _port_lock(v):
    if v.d.get("locked"):
        return _("%(actor)s locked %(subscription)s against moving to another operator", actor=v.actor,
                 subscription=v.subscription())
    return _("%(actor)s lifted the port lock on %(subscription)s", actor=v.actor, subscription=v.subscription())


def _bulk_change(v):
    from .bulk import ACTION_LABELS

    code = v.d.get("change")
    return quoted(str(ACTION_LABELS.get(code, code or "")))


@sentence("subscription.bulk_started")
def _bulk_started(v):
    count = _int(v.d.get("subscriptions")) or 0
    return ngettext("%(actor)s prepared the bulk update %(change)s of %(num)d subscription",
                    "%(actor)s prepared the bulk update %(change)s of %(num)d subscriptions", count, actor=v.actor,
                    change=_bulk_change(v))


@sentence("subscription.bulk_confirmed")
def _bulk_confirmed(v):
    return _("%(actor)s started the bulk update %(change)s", actor=v.actor, change=_bulk_change(v))


@sentence("subscription.bulk_discarded")
def _bulk_discarded(v):
    return _("%(actor)s discarded the bulk update %(change)s", actor=v.actor, change=_bulk_change(v))


@sentence("subscription.bulk_finished")
def _bulk_finished(v):
    return _("The bulk update %(change)s finished: %(ordered)s ordered, %(failed)s failed", change=_bulk_change(v),
             ordered=_int(v.d.get("ordered")) or 0, failed=_int(v.d.get("failed")) or 0)


@sentence("subscription.bulk_announced")
def _bulk_announced(v):
    return ngettext("The administrators were told of the bulk update %(change)s by e-mail (%(num)d subscription)",
                    "The administrators were told of the bulk update %(change)s by e-mail (%(num)d subscriptions)",
                    _int(v.d.get("subscriptions")) or 0, change=_bulk_change(v))


# -- orders --------------------------------------------------------------------------------------

def _is_order_kind(kind):
    from .order_text import DESCRIBE

    return kind in LABELS["order_kind"] or kind in DESCRIBE


def _order_subject(v, kind=None):
    """Whom an order is for: the subscription's holder and number, else what the details say."""
    order = v.order
    subscription_id = _int(v.d.get("subscription")) or (order.subscription_id if order is not None else None)
    if subscription_id and subscription_id in v.names.subscriptions:
        return v.subscription(subscription_id)
    if order is not None and order.subscription_id and order.subscription is not None:
        return holder_text(order.subscription.holder_name, order.subscription.number)
    return holder_text(v.d.get("holder_name"), v.d.get("number"))


def _plan(v, code):
    return v.names.plans.get(code, code or "")


def _order_placed(v):
    """order.<kind>: what was ordered, for whom."""
    from .order_text import DESCRIBE, parts_text

    kind, d, actor = v.suffix, v.d, v.actor
    subject = _order_subject(v) or _("a subscription")
    if kind == "new_subscription":
        return _("%(actor)s ordered a new subscription (%(plan)s) for %(subscription)s", actor=actor,
                 plan=_plan(v, d.get("plan")), subscription=subject)
    if kind == "takeover":
        return _("%(actor)s ordered the takeover of %(number)s for %(holder)s", actor=actor,
                 number=phone(d.get("number")), holder=d.get("holder_name") or "")
    if kind == "port_in":
        return _("%(actor)s ordered %(number)s moved here from another operator for %(holder)s", actor=actor,
                 number=phone(d.get("number")), holder=d.get("holder_name") or "")
    if kind == "sim_change":
        if d.get("how") == "esim" or (not d.get("how") and d.get("sim_form") == "esim"):
            return _("%(actor)s ordered an eSIM for %(subscription)s", actor=actor, subscription=subject)
        if d.get("how") == "in_hand":
            return _("%(actor)s changed the SIM card of %(subscription)s to %(iccid)s", actor=actor,
                     subscription=subject, iccid=d.get("iccid") or "")
        return _("%(actor)s ordered a new SIM card for %(subscription)s", actor=actor, subscription=subject)
    if kind == "plan_change":
        return _("%(actor)s ordered a change of plan for %(subscription)s from %(old)s to %(new)s", actor=actor,
                 subscription=subject, old=_plan(v, d.get("from_plan")), new=_plan(v, d.get("to_plan")))
    if kind == "cancel":
        if _day(d.get("end_date")):
            return _("%(actor)s ordered the cancellation of %(subscription)s on %(date)s", actor=actor,
                     subscription=subject, date=_day(d.get("end_date")))
        return _("%(actor)s ordered the cancellation of %(subscription)s", actor=actor, subscription=subject)
    if kind == "transfer":
        return _("%(actor)s ordered the transfer of %(subscription)s to %(name)s", actor=actor, subscription=subject,
                 name=d.get("new_holder_name") or "")
    if kind == "account_change":
        return _("%(actor)s ordered %(subscription)s moved from account %(old)s to %(new)s", actor=actor,
                 subscription=subject, old=d.get("from_account") or "–", new=d.get("to_account") or "–")
    if kind == "addon":
        return _("%(actor)s ordered the add-on %(addon)s for %(subscription)s", actor=actor,
                 addon=v.names.addons.get(d.get("addon"), d.get("addon") or ""), subscription=subject)
    if kind == "addon_remove":
        return _("%(actor)s cancelled the add-on %(addon)s for %(subscription)s", actor=actor,
                 addon=v.names.addons.get(d.get("addon"), d.get("addon") or ""), subscription=subject)
    if kind == "block":
        return _("%(actor)s blocked %(parts)s on %(subscription)s", actor=actor, parts=parts_text(d.get("parts")),
                 subscription=subject)
    if kind == "unblock":
        return _("%(actor)s lifted the block on %(parts)s on %(subscription)s", actor=actor,
                 parts=parts_text(d.get("parts")), subscription=subject)
    if kind == "port_request":
        count = _int(d.get("count")) or 1
        return ngettext("%(actor)s ordered %(num)d number moved here from %(operator)s",
                        "%(actor)s ordered %(num)d numbers moved here from %(operator)s", count, actor=actor,
                        operator=_operator(d.get("donor_operator")))
    label = _label("order_kind", kind)
    what = ""
    if kind in DESCRIBE and d:
        try:
            what = str(DESCRIBE[kind](d) or "").strip().rstrip(".")
        except Exception:  # noqa: BLE001 (another area's text must not break the trail)
            what = ""
    if what:
        return _("%(actor)s placed the order %(kind)s: %(what)s", actor=actor, kind=quoted(label), what=what)
    if _order_subject(v):
        return _("%(actor)s placed the order %(kind)s for %(subscription)s", actor=actor, kind=quoted(label),
                 subscription=subject)
    return _("%(actor)s placed the order %(kind)s", actor=actor, kind=quoted(label))


def _operator(code):
    try:
        from .numbers import operator_name
    except ImportError:  # pragma: no cover (the numbers area is part of the portal)
        return code or ""
    return operator_name(code) or _("another operator")


def _order_kind_of(v):
    order = v.order
    return _label("order_kind", v.d.get("kind") or (order.kind if order is not None else ""))


def _about_order(v, with_subscription, without, **values):
    """An order sentence in its two forms (with the subscription it is about, or without): the two
    translated texts, formatted here."""
    subject = _order_subject(v)
    values["kind"] = quoted(_order_kind_of(v))
    if subject:
        return with_subscription % dict(values, subscription=subject)
    return without % values


@sentence("order.completed")
def _order_completed(v):
    return _about_order(v, _("The order %(kind)s for %(subscription)s was carried out"),
                        _("The order %(kind)s was carried out"))


@sentence("order.failed")
def _order_failed(v):
    return _about_order(v, _("The order %(kind)s for %(subscription)s failed: %(reason)s"),
                        _("The order %(kind)s failed: %(reason)s"),
                        reason=_label("order_failure", v.d.get("reason")) or "–")


@sentence("order.held_for_review")
def _order_held(v):
    return _about_order(v, _("The order %(kind)s for %(subscription)s was held for review by the operator"),
                        _("The order %(kind)s was held for review by the operator"))


@sentence("order.review_approved")
def _order_review_approved(v):
    return _about_order(v, _("The operator approved the order %(kind)s for %(subscription)s after review"),
                        _("The operator approved the order %(kind)s after review"))


@sentence("order.review_rejected")
def _order_review_rejected(v):
    return _about_order(v, _("The operator rejected the order %(kind)s for %(subscription)s after review"),
                        _("The operator rejected the order %(kind)s after review"))


@sentence("order.fraud_stopped")
def _order_fraud_stopped(v):
    return _about_order(v, _("The order %(kind)s for %(subscription)s was stopped as not ordered by us"),
                        _("The order %(kind)s was stopped as not ordered by us"))


@sentence("fraud.sim_burst")
def _sim_burst(v):
    return _("Many SIM cards were changed within an hour: the administrators were told, and further changes need a new code")


@sentence("fraud.puk_burst")
def _puk_burst(v):
    return _("PIN and PUK codes were looked up many times within an hour: the administrators were told")


@sentence("application.letter_used")
def _letter_used(v):
    return _("The activation letter's code was used: the company's first administrator login was activated")


@sentence("user.details_confirmed")
def _details_confirmed(v):
    return _("The new administrator confirmed their name, e-mail and mobile number")


@sentence("order.requeued")
def _order_requeued(v):
    return _about_order(v, _("The order %(kind)s for %(subscription)s had stopped on its way to the network and was started again"),
                        _("The order %(kind)s had stopped on its way to the network and was started again"))


@sentence("order.transfer_accepted")
def _transfer_accepted(v):
    return _("The new holder accepted the transfer of %(subscription)s", subscription=_order_subject(v) or "–")


@sentence("order.transfer_declined")
def _transfer_declined(v):
    return _("The new holder declined the transfer of %(subscription)s", subscription=_order_subject(v) or "–")


@sentence("order.port_request_corrected")
def _port_corrected(v):
    return _("%(actor)s corrected the order to move numbers here from another operator", actor=v.actor)


@sentence("order.port_request_cancelled")
def _port_cancelled(v):
    return _("%(actor)s cancelled the order to move numbers here from another operator", actor=v.actor)


# -- invoices, accounts and the company ---------------------------------------------------------

@sentence("invoice.credited")
def _invoice_credited(v):
    note = v.names.credit_notes.get(_int(v.event.object_id)) if v.event.object_type == "creditnote" else None
    amount = format_money(_int(v.d.get("total")) or 0)
    invoice = v.d.get("invoice") or ""
    if note is not None:
        return _("%(actor)s credited invoice %(invoice)s with %(amount)s (credit note %(note)s)", actor=v.actor,
                 invoice=invoice, amount=amount, note=note.number)
    return _("%(actor)s credited invoice %(invoice)s with %(amount)s", actor=v.actor, invoice=invoice, amount=amount)


@sentence("invoice.sent")
def _invoice_sent(v):
    recipients = v.d.get("recipients") or []
    if isinstance(recipients, str):
        recipients = [r.strip() for r in recipients.split(",")]
    return _("Invoice %(number)s was sent by e-mail to %(recipients)s", number=v.d.get("number") or v.event.object_id,
             recipients=listed(recipients) or "–")


FIELD_VALUE_LABELS = {"invoice_format": "invoice_format", "default_invoice_format": "invoice_format"}


def changes_text(d, fields):
    """'invoice format from “PDF by e-mail” to “EAN e-invoice”, reference set to “PO 12”'."""
    parts = []
    for key in fields:
        if key not in d:
            continue
        before, after = _split_change(d[key])
        group = FIELD_VALUE_LABELS.get(key)
        if group:
            before, after = _label(group, before), _label(group, after)
        if key == "invoice_emails":  # kept as "a@x.dk,b@y.dk"
            before, after = (", ".join(a for a in value.split(",") if a) for value in (before, after))
        field = str(label("audit_field", key))
        if not before:
            parts.append(_("%(field)s set to %(after)s", field=field, after=quoted(after)))
        elif not after:
            parts.append(_("%(field)s removed (was %(before)s)", field=field, before=quoted(before)))
        else:
            parts.append(_("%(field)s from %(before)s to %(after)s", field=field, before=quoted(before),
                           after=quoted(after)))
    return listed(parts)


ACCOUNT_FIELDS = ("invoice_format", "invoice_emails", "ean", "reference", "address", "postal_code", "city")
COMPANY_FIELDS = ("name", "address", "postal_code", "city", "default_invoice_format")


def _account_number(v):
    account = v.names.accounts.get(_int(v.event.object_id)) if v.event.object_type == "account" else None
    return v.d.get("number") or (account.number if account is not None else v.event.object_id)


@sentence("account.renamed")
def _account_renamed(v):
    before, after = _split_change(v.d.get("name"))
    return _("%(actor)s renamed account %(number)s from %(old)s to %(new)s", actor=v.actor, number=_account_number(v),
             old=quoted(before or "–"), new=quoted(after or "–"))


@sentence("account.invoice_settings_changed")
def _account_invoice_settings(v):
    changes = changes_text(v.d, ACCOUNT_FIELDS)
    if not changes:
        return _("%(actor)s changed the invoice settings of account %(number)s", actor=v.actor,
                 number=_account_number(v))
    return _("%(actor)s changed the invoice settings of account %(number)s: %(changes)s", actor=v.actor,
             number=_account_number(v), changes=changes)


@sentence("company.master_data_changed")
def _company_master_data(v):
    company = v.company()
    if v.d.get("cvr"):
        company = f"{company} (CVR {v.d['cvr']})"
    changes = changes_text(v.d, COMPANY_FIELDS)
    if not changes:
        return _("%(actor)s changed the master data of %(company)s", actor=v.actor, company=company)
    return _("%(actor)s changed the master data of %(company)s: %(changes)s", actor=v.actor, company=company,
             changes=changes)
