"""Reading and exporting a company's audit trail (admins only)."""
import csv
import datetime
import json

from peewee import JOIN

from models import AuditEvent, Membership, User

from .ids import parse_id
from .listing import paginate

KINDS = ("auth", "2fa", "user", "application", "staff", "session", "settings", "ticket", "outage",
         "subscription", "order")
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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell):
    """A cell Excel will not run as a formula: names and details are typed by users (OWASP CSV injection)."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path, company_ids, filters, progress=None):
    """Write the events as CSV (Excel dialect, UTF-8 with BOM so Excel reads æøå); returns the row count."""
    query = filtered(company_ids, **filters).limit(EXPORT_LIMIT)
    total = max(1, query.count())
    rows = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, dialect="excel", delimiter=";")
        writer.writerow(["time_utc", "user", "email", "action", "object_type", "object_id", "details", "ip"])
        for event in query.iterator():
            user = event.user if event.user_id else None
            writer.writerow([spreadsheet_safe(cell) for cell in (
                event.created_at.isoformat(timespec="seconds"), user.name if user else "",
                user.email if user else "", event.action, event.object_type, event.object_id,
                details_text(event), event.ip)])
            rows += 1
            if progress and rows % 500 == 0:
                progress(rows * 100 // total)
    return rows
