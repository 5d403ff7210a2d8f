"""Usage of one subscription: this period against the plan's quota, the last six months,
and itemised records with the called numbers masked."""
import datetime

from peewee import fn

from models import Plan, UsageRecord, db, utcnow

from .formatting import phone
from .listing import paginate

MASKED_DIGITS = 3


def period_start(now=None):
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _month(field):
    """The month of a timestamp as 'YYYY-MM', in the database's own dialect."""
    if "postgres" in type(db.obj).__name__.lower():
        return fn.to_char(field, "YYYY-MM")
    return fn.strftime("%Y-%m", field)


def six_months(subscription_id, now=None):
    """[(first day of month, {kind: {count, seconds, kb, price}})] for the last six months, oldest first."""
    start = period_start(now)
    months = []
    for _ in range(6):
        months.insert(0, start.date())
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    month = _month(UsageRecord.occurred_at)
    rows = (UsageRecord.select(month.alias("m"), UsageRecord.kind, fn.COUNT(UsageRecord.id),
                               fn.SUM(UsageRecord.duration_s), fn.SUM(UsageRecord.volume_kb),
                               fn.SUM(UsageRecord.price))
            .where(UsageRecord.subscription == subscription_id,
                   UsageRecord.occurred_at >= datetime.datetime.combine(months[0], datetime.time()))
            .group_by(month, UsageRecord.kind).tuples())
    by_month = {m.strftime("%Y-%m"): {} for m in months}
    for key, kind, count, seconds, kb, price in rows:
        if key in by_month:
            by_month[key][kind] = {"count": count, "seconds": seconds or 0, "kb": kb or 0, "price": price or 0}
    result = [(m, by_month[m.strftime("%Y-%m")]) for m in months]
    top = max([t.get("data", {}).get("kb", 0) for _, t in result] + [1])
    return [{"month": m, "totals": t, "price": sum(v["price"] for v in t.values()),
             "data_share": round(100 * t.get("data", {}).get("kb", 0) / top)} for m, t in result]


def gauge(plan_id, totals):
    """Data used this period against the plan's quota: (used kb, quota kb or None, percent)."""
    plan = Plan.get_by_id(plan_id)
    used = totals.get("data", {}).get("kb", 0)
    if not plan.data_gb:
        return {"used_kb": used, "quota_kb": None, "percent": None}
    quota = plan.data_gb * 1024 * 1024
    return {"used_kb": used, "quota_kb": quota, "percent": min(100, round(100 * used / quota))}


def mask(number):
    """'20 00 01 23' -> '20 00 0• ••': the last digits hidden, as on an itemised bill."""
    text = phone(number)
    out, hidden = [], 0
    for ch in reversed(text):
        if ch.isdigit() and hidden < MASKED_DIGITS:
            out.append("•")
            hidden += 1
        else:
            out.append(ch)
    return "".join(reversed(out))


def itemised(subscription_id, page=1, per_page=25):
    query = (UsageRecord.select().where(UsageRecord.subscription == subscription_id)
             .order_by(UsageRecord.occurred_at.desc(), UsageRecord.id.desc()))
    result = paginate(query, page, per_page=per_page)
    for record in result.items:
        record.masked_destination = mask(record.destination) if record.destination else ""
    return result
