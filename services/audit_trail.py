"""Reading and exporting a company's audit trail (admins only).

Events are shown as sentences (services/audit_text.py) with their times in local time
(Europe/Copenhagen); the date filter means local days too. The objects a page names are
loaded in one query per kind of object, so a page costs the same few queries whatever it shows.
"""
import datetime
import json
from dataclasses import dataclass

from flask_babel import get_locale, to_user_timezone, to_utc
from flask_babel import gettext as _
from peewee import JOIN

from models import AuditEvent, Membership, User
from models.database import batches

from . import audit, audit_text, exports
from .errors import ServiceError
from .exports import spreadsheet_safe  # noqa: F401 (its old home; services/exports.py is the one)
from .ids import parse_id
from .labels import LABELS
from .listing import paginate

EXPORT_LIMIT = 100_000
EXPORT_CHUNK = 500  # events whose objects are loaded together in the export


def kinds():
    """The kinds of the filter: the prefixes services/labels.py names ("audit_kind"), so a
    new area's prefix shows up with its label line alone."""
    return tuple(LABELS["audit_kind"])


def _events(company_ids):
    """The companies' events, and the sign-in events of their members (which carry no company)."""
    members = Membership.select(Membership.user).where(Membership.company.in_(company_ids))
    return (AuditEvent.select(AuditEvent, User).join(User, on=(AuditEvent.user == User.id), join_type=JOIN.LEFT_OUTER)
            .where(AuditEvent.company.in_(company_ids)
                   | (AuditEvent.company.is_null() & AuditEvent.user.in_(members))))


def parse_filters(args):
    """Plain, validated filter values from query arguments; bad values are dropped."""
    def day(value):
        """A date from the form, within years that can hold events (no overflow at 9999-12-31)."""
        try:
            parsed = datetime.date.fromisoformat(value) if value else None
        except ValueError:
            return None
        return parsed if parsed and 2000 <= parsed.year <= 2100 else None

    user_id = parse_id(args.get("user"))
    kind = args.get("kind") if args.get("kind") in kinds() else None
    return {"user_id": user_id, "kind": kind, "date_from": day(args.get("from")), "date_to": day(args.get("to"))}


def export_filters(form):
    """The export form's filters, checked: a value the page's own form cannot send is an error
    (every error at once), where the page itself just leaves a bad value out."""
    filters = parse_filters(form)
    errors = {}
    if form.get("user") and not filters["user_id"]:
        errors["user"] = _("Choose a user from the list.")
    if form.get("kind") and not filters["kind"]:
        errors["kind"] = _("Choose a kind from the list.")
    for key, name in (("from", "date_from"), ("to", "date_to")):
        if form.get(key) and not filters[name]:
            errors[key] = _("Enter a date, for example %(example)s.", example="2025-01-31")
    if filters["date_from"] and filters["date_to"] and filters["date_to"] < filters["date_from"]:
        errors.setdefault("to", _("The to date cannot be before the from date."))
    if errors:
        raise ServiceError.of(errors)
    return filters


def form_values(filters):
    """The filters as the page's form sends them (the export form carries these)."""
    values = {"user": filters.get("user_id"), "kind": filters.get("kind"), "from": filters.get("date_from"),
              "to": filters.get("date_to")}
    return {key: (value.isoformat() if hasattr(value, "isoformat") else str(value))
            for key, value in values.items() if value}


def _local_midnight(day):
    """The UTC moment a local (Copenhagen) day starts: events are stored in UTC."""
    return to_utc(datetime.datetime.combine(day, datetime.time()))


# Orders that change a subscription are under "Subscriptions" as well as under "Orders": that is
# where someone looks for what happened to a subscription.
SUBSCRIPTION_ORDERS = tuple(f"order.{kind}" for kind in (
    "new_subscription", "takeover", "sim_change", "plan_change", "cancel", "transfer", "addon", "addon_remove",
    "block", "unblock", "port_in", "account_change"))


def filtered(company_ids, user_id=None, kind=None, date_from=None, date_to=None):
    query = _events(company_ids)
    if user_id:
        query = query.where(AuditEvent.user == user_id)
    if kind == "subscription":
        query = query.where(AuditEvent.action.startswith("subscription.") | AuditEvent.action.in_(SUBSCRIPTION_ORDERS))
    elif kind:
        query = query.where(AuditEvent.action.startswith(kind + "."))
    if date_from:
        query = query.where(AuditEvent.created_at >= _local_midnight(date_from))
    if date_to:
        query = query.where(AuditEvent.created_at < _local_midnight(date_to + datetime.timedelta(days=1)))
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


@dataclass
class Line:
    """One event of the page: the event, its sentence, and whether a sentence was written for it."""

    event: AuditEvent
    text: str
    known: bool

    @property
    def details(self):
        """The raw details, for an event only the fallback sentence knows."""
        return details_text(self.event)


def page_of(scope, filters, page):
    """One page of the trail as Lines; the names the sentences need cost one query per kind."""
    scope.require("users")
    result = paginate(filtered(scope.company_ids, **filters), page)
    texts = audit_text.describe_all(result.items, scope.customer_id)
    result.items = [Line(event, text, audit_text.known(event.action)) for event, text in zip(result.items, texts)]
    return result


def company_users(scope):
    return list(User.select().join(Membership).where(Membership.company.in_(scope.company_ids))
                .distinct().order_by(User.name))


def details_text(event):
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return ""
    if not isinstance(details, dict):
        return ""
    return ", ".join(f"{k}: {v}" for k, v in details.items())


def local_time(moment):
    """A stored UTC time as the local wall-clock time (naive), for files."""
    return to_user_timezone(moment).replace(tzinfo=None) if moment else None


def start_export(scope, form):
    """Check the export form's filters, audit and enqueue the CSV export; returns the job id.

    The job gets the membership id and plain values, not the scope: it rebuilds the scope itself.

    :raise 403: without the `users` right.
    :raise ServiceError: a filter value the page's form cannot send.
    """
    from jobs import enqueue  # jobs import this module
    from jobs.exports import export_audit_csv
    from jobs.state import check_limit

    scope.require("users")
    filters = export_filters(form)
    check_limit(export_audit_csv, scope.user_id)  # refused exports are not audited as started
    plain = {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in filters.items()}
    audit.record_for_scope(scope, "user.audit_export", **{key: value for key, value in plain.items() if value})
    return enqueue(export_audit_csv, scope.membership_id, plain, get_locale().language, track=True,
                   user_id=scope.user_id, company_id=scope.company_id)


def export_header():
    return (_("Time"), _("User"), _("E-mail"), _("Event"), _("Action code"), _("Object type"), _("Object id"),
            _("IP address"))


def export_csv(scope, path, filters, progress=None):
    """Write the filtered events to `path` (services/exports.py's dialect); returns the row count.

    Times are local, the headers and sentences in the current locale; the action code stays
    for machines. The scope is rebuilt by the job from the membership, so the right is
    checked again there.
    """
    scope.require("users")
    query = filtered(scope.company_ids, **filters).limit(EXPORT_LIMIT)
    total = query.count()

    def rows():
        for chunk in batches(query, EXPORT_CHUNK):
            yield from _export_rows(chunk, scope.customer_id)

    return exports.write_csv(path, export_header(), rows(), total=total, progress=progress)


def _export_rows(events, customer_id):
    if not events:
        return
    texts = audit_text.describe_all(events, customer_id)
    for event, text in zip(events, texts):
        user = event.user if event.user_id else None
        yield (local_time(event.created_at), user.name if user else "", user.email if user else "", text,
               event.action, event.object_type, event.object_id, event.ip)
