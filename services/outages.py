"""Outages: operator staff publish, update and resolve them in Danish and English, naming the
services and postal codes they touch; customers see current and recent ones, those that touch
their own installation addresses first; a company can subscribe to outage e-mails.

"Touches" compares postal codes: an outage's ranges (none: the whole country) against the
postal codes of the company's subscriptions' installation addresses (kept per account and postal
code in `subscription_place` by migration 0021's triggers), accounts and companies.
"""
import copy
import datetime
import re
import threading
import time

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from peewee import CharField, ForeignKeyField, IntegerField
from werkzeug.exceptions import Forbidden, NotFound

from models import Account, BaseModel, Company, Customer, Outage, OutageAlert, db, utcnow
from models.database import execute_prepared, prepared_rows
from models.support import OUTAGE_SERVICES

from . import audit
from .errors import ServiceError
from .ids import parse_id
from .labels import label
from .messages import in_locale, public_url, queue_message
from .validation import email_address
from .working_hours import LOCAL, UTC

RECENT_DAYS = 14
SEVERITIES = ("minor", "major")
TITLE_MAX, BODY_MAX, AREA_MAX, POSTAL_TEXT_MAX = 120, 2000, 120, 2000
MAX_ALERT_EMAILS = 10
INSTALLED_KINDS = ("landline", "internet", "circuit")  # the kinds with an installation address
LANGUAGES = ("da", "en")
_POSTAL_IN_TEXT = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_POSTAL_PART = re.compile(r"(\d{4})(?:\s*[-–]\s*(\d{4}))?")


# -- postal codes ------------------------------------------------------------------------------------

def parse_postal_codes(text):
    """(normalised "1000-1499,1620", error or None) from what staff typed: codes and ranges separated
    by commas, semicolons or spaces. Empty means the whole country."""
    text = (text or "").strip()
    if len(text) > POSTAL_TEXT_MAX:
        return "", _("Use at most %(max)d characters.", max=POSTAL_TEXT_MAX)
    parts, bad = [], []
    for token in re.split(r"[,;\s]+", re.sub(r"\s*[-–]\s*", "-", text)):
        if not token:
            continue
        match = _POSTAL_PART.fullmatch(token)
        first, last = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, 0)
        if not match or first < 800 or last < first:
            bad.append(token)
        else:
            parts.append((first, last))
    if bad:
        return "", _("These are not Danish postal codes or ranges (such as 2100 or 1000-1499): %(bad)s",
                      bad=", ".join(bad[:5]))
    merged = []
    for first, last in sorted(parts):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return ",".join(f"{a:04d}" if a == b else f"{a:04d}-{b:04d}" for a, b in merged), None


def postal_code_in(text):
    """The postal code in an address ("Vesterbrogade 1, 1620 København V" -> "1620"): the last
    group of exactly four digits; a bare "1620" is its own."""
    found = _POSTAL_IN_TEXT.findall(text or "")
    return found[-1] if found else None


def installation_postal_code(address):
    """The postal code of an installation address as migration 0021's triggers read it: the four
    digits that begin its last comma-separated part ("Vesterbrogade 1, 1620 København V" -> "1620")."""
    tail = (address or "").rpartition(",")[2].lstrip(" ")
    return tail[:4] if re.match(r"\d{4}(?!\d)", tail) else None


class SubscriptionPlace(BaseModel):
    """Read only: how many running installed subscriptions of an account have their installation
    address in a postal code. Kept by the database's triggers (migrations/0021_subscription_places.py),
    never written here."""

    customer = ForeignKeyField(Customer)
    company = ForeignKeyField(Company)
    account = ForeignKeyField(Account)
    postal_code = CharField(max_length=4)
    subscriptions = IntegerField(default=0)

    class Meta:
        table_name = "subscription_place"


def _places(customer_ids, company_ids, account_ids=None):
    """One UNION query: (company id, postal code) of the running installed subscriptions'
    installation addresses (kept per account and postal code), the accounts and the companies."""
    subscriptions = (SubscriptionPlace.select(SubscriptionPlace.company, SubscriptionPlace.postal_code)
                     .where(SubscriptionPlace.customer.in_(customer_ids), SubscriptionPlace.company.in_(company_ids)))
    accounts = (Account.select(Account.company, Account.postal_code)
                .where(Account.customer.in_(customer_ids), Account.company.in_(company_ids)))
    if account_ids is not None:
        subscriptions = subscriptions.where(SubscriptionPlace.account.in_(account_ids))
        accounts = accounts.where(Account.id.in_(account_ids))
    companies = Company.select(Company.id, Company.postal_code).where(Company.id.in_(company_ids))
    return (subscriptions | accounts | companies).tuples()


def postal_codes_of(scope):
    """The postal codes of what the scope sees: its installation addresses, accounts and companies.
    As many rows as the scope has (account, postal code) places, so not for every request: the
    front page asks `touching` instead."""
    rows = _places([scope.customer_id], list(scope.company_ids), scope.account_ids)
    return {code for _company, text in rows for code in [postal_code_in(text)] if code}


def _in(column, ids, params):
    params.extend(ids)
    return f"{column} IN ({', '.join([db.param] * len(ids))})"


def touching(scope, outages):
    """Set `touches_us` on each outage: whether it reaches a postal code of the scope (its
    companies, the accounts it sees, their running installation addresses). One query whatever
    the customer's size: the outages' postal code ranges (usually a handful) as a VALUES list, and
    per range three EXISTS that stop at the first row: subscription_place by (account, postal
    code) for a user limited to accounts and by (company, postal code) otherwise, both index
    seeks; the scope's accounts (as many as it has, never a subscription); its companies by id.

    Why kept rows and not an EXISTS on the subscriptions themselves: an address is free text with
    no postal code column to index, and even with one, a range of Copenhagen codes holds most of
    a customer's lines, so the limited user's account filter would scan them all to answer "no".
    The kept rows carry the account, so that filter narrows the seek instead, and an outage
    touching only another account of the company is not flagged for the limited user. Asking per
    range rather than reading the scope's codes keeps it constant too: an account may have lines
    in hundreds of postal codes, an outage names a few ranges."""
    ranges = _ranges_of(outages)
    return _flag(outages, set(_ranges_touched(scope, ranges)) if ranges else set())


def _ranges_of(outages):
    """The outages' postal code ranges as (first, last) text, each once, in order."""
    return sorted({(f"{lo:04d}", f"{hi:04d}") for outage in outages for lo, hi in outage.postal_ranges})


def _flag(outages, hits):
    """Set `touches_us` from the ranges that reach the scope (an outage without ranges: the whole country)."""
    for outage in outages:
        bounds = outage.postal_ranges
        outage.touches_us = not bounds or any((f"{lo:04d}", f"{hi:04d}") in hits for lo, hi in bounds)
    return outages


def _ranges_touched(scope, ranges):
    """The (first, last) postal code ranges that reach the scope's places, in one query."""
    p = db.param
    params = [value for bounds in ranges for value in bounds]
    values = ", ".join([f"({p}, {p})"] * len(ranges))
    companies = list(scope.company_ids)
    accounts = None if scope.account_ids is None else list(scope.account_ids)

    def exists(table, company_column, account_column):
        """Some row of `table` in the scope has a postal code in the range (its params appended in order)."""
        alias = company_column.split(".")[0]
        where = [_in(company_column, companies, params)]
        if account_column and accounts is not None:
            where.append(_in(account_column, accounts, params))
        params.append(scope.customer_id)
        return (f"EXISTS (SELECT 1 FROM {table} {alias} WHERE {' AND '.join(where)} "  # nosec B608  # placeholders and column names only, no values
                f"AND {alias}.customer_id = {p} AND {alias}.postal_code BETWEEN r.column1 AND r.column2)")

    checks = []
    if accounts != []:  # a limited user without accounts sees no installation address and no account
        checks += [exists("subscription_place", "s.company_id", "s.account_id"), exists("account", "a.company_id", "a.id")]
    checks.append(exists("company", "c.id", None))
    sql = f"SELECT r.column1, r.column2 FROM (VALUES {values}) AS r WHERE {' OR '.join(checks)}"  # nosec B608  # placeholders and column names only, no values
    return [tuple(row) for row in execute_prepared(sql, params).fetchall()]


# -- reading -----------------------------------------------------------------------------------------

def _running(now):
    return (Outage.starts_at <= now) & (Outage.ends_at.is_null() | (Outage.ends_at > now))


def list_outages(limit=50):
    """For staff: the running and planned first, then the ended; newest first."""
    return list(Outage.select().order_by(Outage.ends_at.is_null(False), Outage.starts_at.desc()).limit(limit))


_RUNNING_SQL = {}  # db.param -> the SQL of running_outages


def running_outages(now, limit=20, running_at=None):
    """The outages running at `now`, newest first (with `running_at`: started by `now` and not
    ended at `running_at`). Fixed SQL made once per database kind (as models/database.py does for
    the per-request lookups, and like them a prepared statement): compiling the query's
    expression tree cost more than running it."""
    sql = _RUNNING_SQL.get(db.param)
    if sql is None:
        sql, params = Outage.select().where(_running(now)).order_by(Outage.starts_at.desc()).limit(limit).sql()
        if params != [now, now, limit]:  # the order the fixed SQL's parameters come in
            raise RuntimeError(f"running_outages: unexpected parameters {params!r}")
        _RUNNING_SQL[db.param] = sql
    return prepared_rows(Outage, sql, (now, running_at or now, limit))


def front_page(scope, now=None):
    """The running outages, those touching the scope's addresses first; each gets `touches_us`.
    Kept briefly (`_Kept`): no query on most requests, at most two whatever the customer's size.
    With `now` (another moment than the present) both are asked of the database."""
    if now is not None:
        return _first_touching(touching(scope, running_outages(now)))
    kept = _kept()
    outages = [copy.copy(outage) for outage in kept.running(utcnow())]  # each request flags its own copies
    if not outages:
        return []
    ranges = _ranges_of(outages)
    return _first_touching(_flag(outages, kept.touched(scope, ranges) if ranges else set()))


def _first_touching(outages):
    return sorted(outages, key=lambda o: not o.touches_us)


class _Kept:
    """The front page's outages, kept by each process for OUTAGE_CACHE_SECONDS.

    Every signed-in front page shows the running outages, and which of them touch the reader's
    addresses. The outages are the same for every customer and change a few times a day, and a
    scope's addresses change far less often than its front page is opened, yet the two queries
    were half the front page's round trips to the database (on PostgreSQL with 100,000
    subscriptions, keeping them saved 0.7 ms of the machine's CPU a request). So the running
    outages (and those starting within the period) are read once per period and filtered by the
    clock on every request, and the ranges a scope's places reach are kept per scope for the
    same period: its customer, companies and accounts are the key, so no scope is given
    another's answer (a subscription's new address, too, shows within the period). A staff change
    forgets both in the process that made it (`forget_kept`), and a reading that raced it is not
    kept; other processes and machines show it within the period, as the README says. The state
    is one tuple, replaced whole, so a request never sees half of a refresh."""

    MAX_SCOPES = 4096  # scopes asked within one period; a bound all the same

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._lock = threading.Lock()
        self._generation = 0
        self._state = ((), 0.0, {})  # (outages, kept until, scope key -> ranges touched): replaced whole

    def forget(self):
        with self._lock:
            self._generation += 1
            self._state = ((), 0.0, {})

    def running(self, now):
        outages, until, _scopes = self._state
        clock = self.clock()
        if clock >= until:
            generation = self._generation
            # those running now or starting within the period, so the clock starts them here
            outages = running_outages(now + datetime.timedelta(seconds=self.seconds), running_at=now)
            with self._lock:
                if generation == self._generation:  # a staff change while reading: not kept
                    self._state = (outages, clock + self.seconds, {})
        return [o for o in outages if o.starts_at <= now and (o.ends_at is None or o.ends_at > now)]

    def touched(self, scope, ranges):
        scopes = self._state[2]
        key = (scope.customer_id, tuple(sorted(scope.company_ids)),
               None if scope.account_ids is None else tuple(sorted(scope.account_ids)), tuple(ranges))
        hits = scopes.get(key)
        if hits is None:
            hits = frozenset(_ranges_touched(scope, ranges))
            if len(scopes) < self.MAX_SCOPES:
                scopes[key] = hits
        return hits


def _kept():
    """This app's `_Kept` (each app its own: a test's app starts with nothing kept)."""
    kept = current_app.extensions.get("outages")
    if kept is None:
        kept = current_app.extensions["outages"] = _Kept(current_app.config.get("OUTAGE_CACHE_SECONDS", 10))
    return kept


def forget_kept():
    """After a staff change: this process reads the outages again on its next front page."""
    kept = current_app.extensions.get("outages")
    if kept is not None:
        kept.forget()


def customer_list(scope, service="", now=None):
    """/outages: {"current", "planned", "recent"} lists (recent: ended within RECENT_DAYS days), each
    with those touching the scope's addresses first; `service` filters by subscription kind."""
    now = now or utcnow()
    query = Outage.select().where(Outage.ends_at.is_null() | (Outage.ends_at >= now - datetime.timedelta(days=RECENT_DAYS)))
    if service in OUTAGE_SERVICES:
        query = query.where((Outage.services == "") | Outage.services.contains(service))
    outages = list(query.order_by(Outage.starts_at.desc()).limit(200))
    touching(scope, outages)
    groups = {"current": [], "planned": [], "recent": []}
    for outage in outages:
        if outage.ends_at is not None and outage.ends_at <= now:
            groups["recent"].append(outage)
        elif outage.starts_at > now:
            groups["planned"].append(outage)
        else:
            groups["current"].append(outage)
    for key in ("current", "planned"):
        groups[key].sort(key=lambda o: not o.touches_us)
    return groups


def get_outage(outage_id):
    """For staff (the routes are staff-only). :raise 404: no such outage."""
    outage = Outage.get_or_none(Outage.id == parse_id(outage_id)) if parse_id(outage_id) else None
    if outage is None:
        raise NotFound()
    return outage


# -- times in forms ------------------------------------------------------------------------------------

def local_input(moment):
    """A stored (naive UTC) time as the value of a datetime-local input, in Danish time."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def _from_local_input(text):
    """Danish time from a datetime-local input ("2026-11-20T14:30") as naive UTC; None if it is not one."""
    text = (text or "").strip().replace(" ", "T")
    try:
        local = datetime.datetime.strptime(text[:16], "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return local.replace(tzinfo=LOCAL).astimezone(UTC).replace(tzinfo=None)


# -- staff: publish, update, resolve -------------------------------------------------------------------

def _clean(values, outage=None):
    """The outage's fields from a form, or ServiceError with every problem at once."""
    get = values.get
    text = {name: " ".join((get(name) or "").split()) for name in ("title_da", "title_en", "area_da", "area_en")}
    text.update({name: (get(name) or "").strip() for name in ("body_da", "body_en")})
    errors = {}
    for name in ("title_da", "title_en"):
        if not text[name]:
            errors[name] = _("Write a title.")
        elif len(text[name]) > TITLE_MAX:
            errors[name] = _("Use at most %(max)d characters.", max=TITLE_MAX)
    for name, limit in (("body_da", BODY_MAX), ("body_en", BODY_MAX), ("area_da", AREA_MAX), ("area_en", AREA_MAX)):
        if len(text[name]) > limit:
            errors[name] = _("Use at most %(max)d characters.", max=limit)
    severity = get("severity") or "minor"
    if severity not in SEVERITIES:
        errors["severity"] = _("Choose a severity.")
    chosen = values.getlist("services") if hasattr(values, "getlist") else list(get("services") or ())
    services = [s for s in OUTAGE_SERVICES if s in chosen]
    if not services or len(services) != len(set(chosen)):
        errors["services"] = _("Choose the services the outage affects.")
    postal_codes, problem = parse_postal_codes(get("postal_codes"))
    if problem:
        errors["postal_codes"] = problem
    starts_at = _from_local_input(get("starts_at"))
    if not (get("starts_at") or "").strip():
        starts_at = outage.starts_at if outage else utcnow().replace(second=0, microsecond=0)
    elif starts_at is None:
        errors["starts_at"] = _("Enter a date and time, for example %(example)s.", example="2026-11-20 14:30")
    expected = _from_local_input(get("expected_end_at"))
    if (get("expected_end_at") or "").strip() and expected is None:
        errors["expected_end_at"] = _("Enter a date and time, for example %(example)s.", example="2026-11-20 18:00")
    elif expected is not None and starts_at is not None and expected <= starts_at:
        errors["expected_end_at"] = _("The expected end must be after the start.")
    if errors:
        raise ServiceError.of(errors)
    return dict(text, severity=severity, services=",".join(services), postal_codes=postal_codes,
                starts_at=starts_at, expected_end_at=expected)


def create_outage(staff_user, values):
    """Publish an outage; subscribed companies whose postal codes it touches are told by e-mail."""
    fields = _clean(values)
    with db.atomic():
        outage = Outage.create(**fields, updated_at=utcnow())
        audit.record("outage.create", user=staff_user.id, obj=outage, title=outage.title_da,
                     services=outage.services, postal_codes=outage.postal_codes or "DK")
    forget_kept()
    notify(outage, "published")
    return outage


def update_outage(staff_user, outage_id, values):
    """Change an outage's texts, services, postal codes or times; returns the changed field names."""
    outage = get_outage(outage_id)
    fields = _clean(values, outage)
    changed = [name for name, value in fields.items() if getattr(outage, name) != value]
    if changed:
        with db.atomic():
            Outage.update(**fields, updated_at=utcnow()).where(Outage.id == outage.id).execute()
            audit.record("outage.update", user=staff_user.id, obj=outage, title=fields["title_da"], changed=changed)
        forget_kept()
    return changed


def resolve_outage(staff_user, outage_id):
    """The outage ends now; subscribed companies it touches are told. None when it had ended already."""
    outage = get_outage(outage_id)
    now = utcnow()
    if outage.ends_at is not None and outage.ends_at <= now:
        return None
    outage.ends_at = now
    with db.atomic():
        Outage.update(ends_at=now, updated_at=now).where(Outage.id == outage.id).execute()
        audit.record("outage.end", user=staff_user.id, obj=outage, title=outage.title_da)
    forget_kept()
    notify(outage, "resolved")
    return outage


# -- outage e-mails ------------------------------------------------------------------------------------

def get_alert(scope):
    return OutageAlert.get_or_none(OutageAlert.company == scope.company_id)


def save_alert(scope, emails_text, language):
    """Subscribe the membership's company to outage e-mails (administrators only); no addresses
    ends the subscription. Returns the addresses.

    :raise 403: for a member who is not an administrator.
    """
    if not scope.is_admin:
        raise Forbidden()
    parts = [p for p in re.split(r"[,;\s]+", emails_text or "") if p]
    emails, bad = [], []
    for part in parts:
        address = email_address(part)
        if address is None:
            bad.append(part)
        elif address not in emails:
            emails.append(address)
    errors = {}
    if bad:
        errors["emails"] = _("These are not e-mail addresses: %(bad)s", bad=", ".join(p[:60] for p in bad[:3]))
    elif len(emails) > MAX_ALERT_EMAILS:
        errors["emails"] = _("Give at most %(num)d e-mail addresses.", num=MAX_ALERT_EMAILS)
    if language not in LANGUAGES:
        errors["language"] = _("Choose the language of the e-mails.")
    if errors:
        raise ServiceError.of(errors)
    current = get_alert(scope)
    before = current.emails if current else ""
    with db.atomic():
        if current is None:
            OutageAlert.create(customer=scope.customer_id, company=scope.company_id, emails=",".join(emails),
                               language=language, updated_by=scope.user_id)
        else:
            OutageAlert.update(emails=",".join(emails), language=language, updated_by=scope.user_id,
                               updated_at=utcnow()).where(OutageAlert.id == current.id).execute()
        audit.record_for_scope(scope, "outage.alerts", object_type="company", object_id=scope.company_id,
                               emails=f"{before or '–'} → {','.join(emails) or '–'}", language=language)
    return emails


def _companies_touched(outage, alerts):
    """The alerts whose company (with its subsidiaries) has a postal code the outage touches.
    Two queries whatever the number of alerts: the companies' trees, then their places."""
    customers = {a.customer_id for a in alerts}
    children = {}
    for company_id, parent_id in (Company.select(Company.id, Company.parent)
                                  .where(Company.customer.in_(customers)).tuples()):
        children.setdefault(parent_id, []).append(company_id)
    trees = {}
    for alert in alerts:
        tree, todo = set(), [alert.company_id]
        while todo:
            current = todo.pop()
            tree.add(current)
            todo.extend(children.get(current, ()))
        trees[alert.id] = tree
    codes = {}
    for company_id, text in _places(list(customers), sorted(set().union(*trees.values()))):
        code = postal_code_in(text)
        if code:
            codes.setdefault(company_id, set()).add(code)
    return [a for a in alerts if outage.touches(set().union(*(codes.get(c, set()) for c in trees[a.id])))]


def notify(outage, event):
    """Queue the e-mails of `event` ("published" or "resolved"); call outside a transaction."""
    alerts = list(OutageAlert.select().where(OutageAlert.emails != ""))
    if not alerts:
        return 0
    touched = _companies_touched(outage, alerts)
    link = public_url("outages.index")
    for alert in touched:
        subject, body = in_locale(alert.language, lambda: _alert_text(outage, event, link, alert.language))
        queue_message("email", alert.emails, body, subject=subject, company=alert.company_id)
    return len(touched)


def _alert_text(outage, event, link, language):
    title = outage.text("title", language)
    services = ", ".join(str(label("kind", s)) for s in outage.service_list) or _("All services")
    lines = []
    if event == "resolved":
        subject = _("Resolved: %(title)s", title=title)
        lines.append(_("The outage “%(title)s” was resolved %(time)s.", title=title,
                       time=format_datetime(outage.ends_at, "short")))
    else:
        subject = _("Outage: %(title)s", title=title)
        lines += [title, outage.text("body", language)]
    lines += ["", _("Services: %(services)s", services=services),
              _("Postal codes: %(codes)s", codes=outage.postal_codes.replace(",", ", ") or _("the whole country")),
              _("Started: %(time)s", time=format_datetime(outage.starts_at, "short"))]
    if outage.expected_end_at and event != "resolved":
        lines.append(_("Expected to end: %(time)s", time=format_datetime(outage.expected_end_at, "short")))
    lines += ["", _("Current outages: %(link)s", link=link), "",
              _("You receive this e-mail because your company subscribes to outage e-mails in Selvbetjening.")]
    return subject, "\n".join(lines)
