"""Reading and exporting a company's audit trail (admins only)."""
import datetime
import json

from peewee import JOIN

from models import AuditEvent, Membership, User

from . import exports
from .exports import spreadsheet_safe  # noqa: F401 (its old home; services/exports.py is the one)
from .ids import parse_id
from .listing import paginate

KINDS = ("auth", "2fa", "user", "application", "staff", "session", "settings", "ticket", "outage",
         "subscription", "order", "invoice", "account", "company")
EXPORT_LIMIT = 100_000


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
    kind = args.get("kind") if args.get("kind") in KINDS else None
    return {"user_id": user_id, "kind": kind, "date_from": day(args.get("from")), "date_to": day(args.get("to"))}


def filtered(company_ids, user_id=None, kind=None, date_from=None, date_to=None):
    query = _events(company_ids)
    if user_id:
        query = query.where(AuditEvent.user == user_id)
    if kind:
        query = query.where(AuditEvent.action.startswith(kind + "."))
    if date_from:
        query = query.where(AuditEvent.created_at >= datetime.datetime.combine(date_from, datetime.time()))
    if date_to:
        query = query.where(AuditEvent.created_at < datetime.datetime.combine(date_to, datetime.time())
                            + datetime.timedelta(days=1))
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def page_of(scope, filters, page):
    scope.require("users")
    return paginate(filtered(scope.company_ids, **filters), page)


def company_users(scope):
    return list(User.select().join(Membership).where(Membership.company.in_(scope.company_ids))
                .distinct().order_by(User.name))


def details_text(event):
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return ""
    return ", ".join(f"{k}: {v}" for k, v in details.items())


def export_csv(scope, path, filters, progress=None):
    """Write the filtered events to `path` (services/exports.py's dialect); returns the row count.

    The scope is rebuilt by the job from the membership, so the right is checked again there.
    """
    scope.require("users")
    query = filtered(scope.company_ids, **filters).limit(EXPORT_LIMIT)
    total = query.count()

    def rows():
        for event in query.iterator():
            user = event.user if event.user_id else None
            yield (event.created_at, user.name if user else "", user.email if user else "", event.action,
                   event.object_type, event.object_id, details_text(event), event.ip)

    header = ("time_utc", "user", "email", "action", "object_type", "object_id", "details", "ip")
    return exports.write_csv(path, header, rows(), total=total, progress=progress)
