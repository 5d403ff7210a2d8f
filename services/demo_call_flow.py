"""Demo data of the main number's call flow: two versions by admin@demo.dk, the second of which
keeps the line open an hour longer on weekdays (the flow the old five steps described)."""
import datetime
import json

from models import CallFlowVersion

from .call_flow import DAYS, diff
from .demo_data import _at


def _next(today, month, day):
    """The next `month`/`day` from today on (this year's, or next year's once it has passed)."""
    date = datetime.date(today.year, month, day)
    return date if date >= today else datetime.date(today.year + 1, month, day)


def _document(ctx, closes):
    users = getattr(ctx, "phone_users", None) or [r for r in ctx.subs["demo"] if r["kind"] == "mobile"][:5]
    people = list(dict.fromkeys(r["id"] for r in users))  # in order, without repeats
    sales, service = people[0::4][:2], people[1:4] or people[:1]
    hours = {d: {"open": True, "from": "08:00", "to": closes} if d not in ("sat", "sun") else {"open": False}
             for d in DAYS}
    return {
        "hours": hours,
        "holidays": [
            {"date": _next(ctx.today, 12, 24).isoformat(), "name": "Juleaften", "open": False},
            {"date": _next(ctx.today, 12, 31).isoformat(), "name": "Nytårsaftensdag", "open": True,
             "from": "09:00", "to": "12:00"},
        ],
        "welcome": "Velkommen til Demo A/S.",
        "menu": {
            "prompt": "Tryk 1 for salg, tryk 2 for kundeservice.",
            "default": "2",
            "options": [
                {"key": "1", "name": "Salg", "kind": "queue", "members": sales, "strategy": "in_turn",
                 "max_wait": 90, "then": {"kind": "voicemail", "email": "salg@demo.dk"}},
                {"key": "2", "name": "Kundeservice", "kind": "queue", "members": service, "strategy": "all",
                 "max_wait": 120, "then": {"kind": "voicemail", "email": "reception@demo.dk"}},
            ],
        },
        "closed": {"kind": "voicemail", "email": "reception@demo.dk"},
    }


def create_call_flow(ctx):
    """Version 1 (weekdays 08–16) and version 2 (08–17), both active in turn, by admin@demo.dk."""
    system, admin = ctx.phone_system, ctx.users["admin@demo.dk"]
    first, second = _document(ctx, "16:00"), _document(ctx, "17:00")
    for number, document, before, days_ago in ((1, first, None, 300), (2, second, first, 30)):
        created = _at(ctx.today - datetime.timedelta(days=days_ago), 10)
        CallFlowVersion.create(
            phone_system=system, number=number, document=json.dumps(document, ensure_ascii=False),
            changes=json.dumps(diff(before, document), ensure_ascii=False), created_by=admin,
            created_at=created, activated_at=created + datetime.timedelta(minutes=2))
    ctx.count("call_flow_versions", 2)
