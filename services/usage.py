"""Usage: one subscription's period against the plan's quota and its itemised records with
the called numbers masked; the last six months of a subscription or an account, and the bar
chart of one measure of them (templates/macros/usage_chart.html draws it)."""
import datetime
import math
from dataclasses import dataclass

from babel.numbers import get_decimal_symbol
from flask_babel import format_date, format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from models import Plan, Subscription, UsageMonth, UsageRecord, db, utcnow

from .formatting import data_volume, phone
from .listing import paginate
from .money import format_money

MASKED_DIGITS = 3
MONTHS = 6  # the charts' window, the current month included


def period_start(now=None):
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _month(field):
    """The month of a timestamp as 'YYYY-MM', in the database's own dialect."""
    if "postgres" in type(db.obj).__name__.lower():
        return fn.to_char(field, "YYYY-MM")
    return fn.strftime("%Y-%m", field)


def months_back(now=None, count=MONTHS):
    """The first days of the last `count` months, oldest first, the current month last."""
    start = period_start(now).date()
    months = [start]
    while len(months) < count:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months


def _abroad():
    return Case(None, [(UsageRecord.country == "DK", 0)], 1)


def six_months(subscription_id, now=None, since=None):
    """A MonthSeries of one subscription's last six months, counted from its records (only the
    current month is `live`: the others have been invoiced); none before the month of `since`, the
    subscription's start (a new one has no empty months before it), but always the current one.

    Each month also keeps the older shape the employee page used: `totals` ({kind: {count,
    seconds, kb, price}}), `price` and `data_share` (per cent of the busiest month's data)."""
    months = months_back(now)
    if since is not None:
        months = [m for m in months if m >= since.replace(day=1)] or months[-1:]
    month = _month(UsageRecord.occurred_at)
    rows = (UsageRecord.select(month.alias("m"), UsageRecord.kind, _abroad(), fn.COUNT(UsageRecord.id),
                               fn.SUM(UsageRecord.duration_s), fn.SUM(UsageRecord.volume_kb),
                               fn.SUM(UsageRecord.price))
            .where(UsageRecord.subscription == subscription_id,
                   UsageRecord.occurred_at >= datetime.datetime.combine(months[0], datetime.time()))
            .group_by(month, UsageRecord.kind, _abroad()).tuples())
    totals = {m.strftime("%Y-%m"): {} for m in months}
    roaming = dict.fromkeys(totals, 0)
    for key, kind, abroad, count, seconds, kb, price in rows:
        if key not in totals:
            continue
        into = totals[key].setdefault(kind, {"count": 0, "seconds": 0, "kb": 0, "price": 0})
        for name, value in (("count", count), ("seconds", seconds), ("kb", kb), ("price", price)):
            into[name] += value or 0
        roaming[key] += count if abroad else 0
    top = max([t.get("data", {}).get("kb", 0) for t in totals.values()] + [1])
    series = MonthSeries()
    for m in months:
        t = totals[m.strftime("%Y-%m")]
        row = usage_month(m, calls=t.get("call", {}).get("count", 0), seconds=t.get("call", {}).get("seconds", 0),
                          sms=t.get("sms", {}).get("count", 0), data_kb=t.get("data", {}).get("kb", 0),
                          roaming=roaming[m.strftime("%Y-%m")], cost=sum(v["price"] for v in t.values()),
                          live=m == months[-1], current=m == months[-1])
        row.update(totals=t, price=row["cost"], data_share=round(100 * row["data_kb"] / top))
        series.append(row)
    return series


def account_months(account_id, now=None):
    """A MonthSeries of one account's last six months.

    Months the billing run has done come from its UsageMonth totals (one grouped query on the
    (account, month) index, whatever the number of subscriptions); the months after the last
    of those (this month, and last month until its run) are counted live from the records of
    the account's subscriptions, in one more grouped query."""
    months = months_back(now)
    billed = {}
    for m, calls, seconds, started, sms, kb, roaming, cost in (
            UsageMonth.select(UsageMonth.month, fn.SUM(UsageMonth.calls), fn.SUM(UsageMonth.call_seconds),
                              fn.SUM(_started_minutes(UsageMonth.call_seconds)),
                              fn.SUM(UsageMonth.sms), fn.SUM(UsageMonth.data_kb), fn.SUM(UsageMonth.roaming),
                              fn.SUM(UsageMonth.cost))
            .where(UsageMonth.account == account_id, UsageMonth.month >= months[0])
            .group_by(UsageMonth.month).tuples()):
        m = _as_date(m)
        billed[m] = usage_month(m, calls=calls or 0, seconds=seconds or 0, sms=sms or 0, data_kb=kb or 0,
                                roaming=roaming or 0, cost=cost or 0)
        billed[m]["minutes"] = int(started or 0)
    live_from = max(billed) + datetime.timedelta(days=32) if billed else months[0]
    live_from = live_from.replace(day=1)
    live = _live_account_months(account_id, live_from) if live_from <= months[-1] else {}
    series = MonthSeries()
    for m in months:
        if m in billed:
            series.append(billed[m])
        elif m >= live_from:
            series.append(live.get(m) or usage_month(m, live=True))
            series[-1].update(live=True, current=m == months[-1])
        else:
            series.append(usage_month(m))  # a month the run found no usage in
    return series


def _live_account_months(account_id, since):
    """{first day: month row} counted from the records of the account's subscriptions since `since`.

    Minutes are started minutes per subscription and month, as its invoice counts them (the sum
    of the subscriptions' minutes, not the account's seconds rounded once): the records are
    grouped per subscription first, then per month, in one query."""
    month = _month(UsageRecord.occurred_at)
    per_subscription = (
        UsageRecord.select(month.alias("month"), UsageRecord.kind.alias("kind"),
                           fn.COUNT(UsageRecord.id).alias("records"), fn.SUM(_abroad()).alias("abroad"),
                           fn.SUM(UsageRecord.duration_s).alias("seconds"), fn.SUM(UsageRecord.volume_kb).alias("kb"),
                           fn.SUM(UsageRecord.price).alias("price"))
        .join(Subscription, on=(UsageRecord.subscription == Subscription.id))
        .where(Subscription.account == account_id,
               UsageRecord.occurred_at >= datetime.datetime.combine(since, datetime.time()))
        .group_by(UsageRecord.subscription, month, UsageRecord.kind)).alias("per_subscription")
    c = per_subscription.c
    rows = (UsageRecord.select(c.month, c.kind, fn.SUM(c.records), fn.SUM(c.abroad), fn.SUM(c.seconds),
                               fn.SUM(_started_minutes(fn.COALESCE(c.seconds, 0))), fn.SUM(c.kb), fn.SUM(c.price))
            .from_(per_subscription).group_by(c.month, c.kind).tuples())
    found = {}
    for key, kind, *sums in rows:
        # int(): PostgreSQL sums the derived table's bigint sums as numeric (Decimal)
        count, abroad, seconds, started, kb, price = (int(value or 0) for value in sums)
        m = datetime.date.fromisoformat(key + "-01")
        row = found.setdefault(m, usage_month(m, live=True))
        row["cost"] += price
        row["roaming"] += abroad
        if kind == "call":
            row["calls"] += count
            row["call_seconds"] += seconds
            row["minutes"] += started
        elif kind == "sms":
            row["sms"] += count
        else:
            row["data_kb"] += kb
    return found


def _started_minutes(seconds):
    """Started minutes of a whole number of seconds, in SQL (integer division in both databases)."""
    return (seconds + 59) / 60


def _as_date(value):
    """SQLite hands grouped dates back as text."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


def minutes(seconds):
    """Call time in started minutes, as operators count it."""
    return -(-int(seconds) // 60)


def usage_month(month, calls=0, seconds=0, sms=0, data_kb=0, roaming=0, cost=0, live=False, current=False):
    """One month of usage: counts, data in kB, cost in øre excl. VAT. `live`: counted from the
    records, not yet invoiced; `current`: the month in progress."""
    return {"month": month, "calls": calls, "call_seconds": seconds, "minutes": minutes(seconds), "sms": sms,
            "data_kb": data_kb, "roaming": roaming, "cost": cost, "live": live, "current": current}


# -- the chart ------------------------------------------------------------------------------

METRICS = ("cost", "data_kb", "minutes", "sms", "roaming")
METRIC_LABELS = {"cost": _l("Usage cost"), "data_kb": _l("Data"), "minutes": _l("Voice minutes"),
                 "sms": _l("SMS"), "roaming": _l("Use abroad")}
# The chart's drawing area in viewBox units; the SVG scales to its container (width 100 %).
WIDTH, HEIGHT = 300, 172
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 64, 294, 12, 146
KB_PER_MB, KB_PER_GB = 1024, 1024 * 1024


@dataclass
class Bar:
    month: datetime.date
    value: int
    label: str  # the month on the x axis
    title: str  # what the bar's <title> says
    x: float
    y: float
    width: float
    height: float
    live: bool


@dataclass
class Chart:
    metric: str
    name: str  # the measure in words
    summary: str  # the chart's accessible name
    bars: list
    ticks: list  # [(y, text)], bottom up
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_bottom: int = PLOT_BOTTOM
    label_y: int = HEIGHT - 8

    @property
    def has_live(self):
        return any(bar.live for bar in self.bars)


class MonthSeries(list):
    """Month rows (see usage_month), oldest first; `chart(metric)` draws one measure of them,
    and the table beside the chart reads its cells through `month_text` and `value_text`."""

    def chart(self, metric="cost"):
        return bar_chart(self, metric)

    @staticmethod
    def month_text(row):
        return month_text(row)

    @staticmethod
    def value_text(metric, row):
        return value_text(metric, row[metric])


def value_text(metric, value):
    """One month's value in words, as the table and the bars' titles show it."""
    if metric == "cost":
        return format_money(value)
    if metric == "data_kb":
        return data_volume(value)
    return format_decimal(value)


def month_text(row):
    """'May 2026', with '(so far)' for the month in progress and '(not invoiced yet)' for a
    finished month the billing run has not done."""
    text = format_date(row["month"], "LLLL y")
    if row.get("current"):
        return _("%(month)s (so far)", month=text)
    if row.get("live"):
        return _("%(month)s (not invoiced yet)", month=text)
    return text


def _unit(metric, top):
    """(units per step of the axis, how a tick reads) for the largest value."""
    if metric == "cost":
        return 100, lambda v: _whole_kroner(v)
    if metric == "data_kb":
        unit = KB_PER_GB if top >= KB_PER_GB else KB_PER_MB
        suffix = "GB" if unit == KB_PER_GB else "MB"
        return unit, lambda v: f"{format_decimal(v / unit)} {suffix}"
    return 1, lambda v: format_decimal(v)


def _whole_kroner(ore):
    """'1.500 kr.' / 'DKK 1,500': the locale's money format without the øre."""
    text = format_money(int(round(ore / 100)) * 100)
    head, _sep, tail = text.rpartition(get_decimal_symbol(locale=get_locale()) + "00")
    return head + tail if _sep else text


def nice_top(value):
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value` (>= 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def bar_chart(rows, metric="cost"):
    """The geometry of a bar chart of `metric` over `rows`: one bar per month, axis ticks at
    0, half and the top (a round number at or above the largest month)."""
    if metric not in METRICS:
        metric = "cost"
    values = [int(row[metric] or 0) for row in rows]
    unit, tick_text = _unit(metric, max(values + [0]))
    top = nice_top(max(values + [0]) / unit) * unit
    if not any(values):
        halves = (0,)
    elif metric == "data_kb" or (top / unit / 2).is_integer():
        halves = (0, top / 2, top)
    else:
        halves = (0, top)  # no half minute, message or krone on the axis
    plot_height = PLOT_BOTTOM - PLOT_TOP
    ticks = [(round(PLOT_BOTTOM - plot_height * v / top, 1), tick_text(v)) for v in halves]
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(rows), 1)
    width = round(slot * 0.62, 1)
    name = str(METRIC_LABELS[metric])
    bars = []
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        height = round(plot_height * value / top, 1) if value else 0
        if value and height < 1:
            height = 1  # a month with a little is not a month with nothing
        month = month_text(row)
        bars.append(Bar(month=row["month"], value=value, label=format_date(row["month"], "LLL"),
                        title=_("%(month)s: %(value)s", month=month, value=value_text(metric, value)),
                        x=round(PLOT_LEFT + i * slot + (slot - width) / 2, 1), y=round(PLOT_BOTTOM - height, 1),
                        width=width, height=height, live=bool(row.get("live"))))
    summary = _("%(measure)s per month, %(first)s to %(last)s", measure=name,
                first=format_date(rows[0]["month"], "LLLL y"), last=format_date(rows[-1]["month"], "LLLL y")) \
        if rows else name
    return Chart(metric=metric, name=name, summary=summary, bars=bars, ticks=ticks)


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


# -- this period against the plan (the employee's own page, /me) ---------------------------

def period_usage(subscription_id, now=None):
    """This period's usage of one subscription in one grouped query: counts, call seconds, data
    in kB and cost in øre, in all and abroad (any country but Denmark)."""
    since = period_start(now)
    out = {"since": since, "calls": 0, "call_seconds": 0, "sms": 0, "data_kb": 0, "cost": 0,
           "call_cost": 0, "sms_cost": 0, "data_cost": 0,
           "abroad_calls": 0, "abroad_sms": 0, "abroad_kb": 0, "abroad_cost": 0}
    rows = (UsageRecord.select(UsageRecord.kind, _abroad(), fn.COUNT(UsageRecord.id), fn.SUM(UsageRecord.duration_s),
                               fn.SUM(UsageRecord.volume_kb), fn.SUM(UsageRecord.price))
            .where(UsageRecord.subscription == subscription_id, UsageRecord.occurred_at >= since)
            .group_by(UsageRecord.kind, _abroad()).tuples())
    for kind, abroad, count, seconds, kb, price in rows:
        price = price or 0
        out["cost"] += price
        if kind == "call":
            out["calls"] += count
            out["call_seconds"] += seconds or 0
            out["call_cost"] += price
        elif kind == "sms":
            out["sms"] += count
            out["sms_cost"] += price
        else:
            out["data_kb"] += kb or 0
            out["data_cost"] += price
        if abroad:
            out["abroad_cost"] += price
            if kind == "call":
                out["abroad_calls"] += count
            elif kind == "sms":
                out["abroad_sms"] += count
            else:
                out["abroad_kb"] += kb or 0
    out["minutes"] = minutes(out["call_seconds"])
    return out


ROAMING_ADDON_CODES = ("ADD-EU-DATA-10", "ADD-VERDEN")  # the catalogue's add-ons for use abroad


@dataclass
class Meter:
    """One measure of this period in words: `text` is the headline ("12,4 of 50 GB"), `notes`
    short facts under it; `value`/`maximum` (kB) draw a gauge where the plan has a quota."""

    key: str
    name: str
    text: str
    notes: list
    value: int = 0
    maximum: int | None = None

    @property
    def percent(self):
        return min(100, round(100 * self.value / self.maximum)) if self.maximum else None


def _charged(price):
    return _("%(price)s charged", price=format_money(price)) if price else _("No charge")


def meters(plan, period, addons=()):
    """Data against the plan's quota, then calls, SMS and use abroad (which have no quota in
    the plans: their notes say what was charged). `addons`: the subscription's add-ons."""
    data = period["data_kb"]
    if plan.data_gb:
        quota = plan.data_gb * KB_PER_GB
        data_meter = Meter("data", _("Data"), _("%(used)s of %(quota)s GB", used=format_decimal(
            data / KB_PER_GB, format="#,##0.0"), quota=format_decimal(plan.data_gb)), [], data, quota)
        data_meter.notes = [_("%(percent)s used", percent=format_percent(data / quota)),
                            _("%(left)s left", left=data_volume(max(0, quota - data)))]
    else:
        data_meter = Meter("data", _("Data"), data_volume(data), [_("No data limit in your plan")], data)
    calls = Meter("voice", _("Calls"), ngettext("%(count)s minute", "%(count)s minutes", period["minutes"],
                                                count=format_decimal(period["minutes"])),
                  [ngettext("%(count)s call", "%(count)s calls", period["calls"], count=format_decimal(period["calls"])),
                   _charged(period["call_cost"])])
    sms = Meter("sms", _("SMS"), ngettext("%(count)s message", "%(count)s messages", period["sms"],
                                          count=format_decimal(period["sms"])), [_charged(period["sms_cost"])])
    used_abroad = period["abroad_calls"] + period["abroad_sms"]
    if used_abroad or period["abroad_kb"]:
        abroad = Meter("abroad", _("Abroad"), _("%(volume)s data", volume=data_volume(period["abroad_kb"])),
                       [ngettext("%(count)s call or SMS", "%(count)s calls and SMS", used_abroad,
                                 count=format_decimal(used_abroad)), _charged(period["abroad_cost"])])
    else:
        abroad = Meter("abroad", _("Abroad"), _("None this month"), [])
    abroad.notes += [_("%(name)s is on your subscription", name=a.name) for a in addons
                     if a.code in ROAMING_ADDON_CODES]
    return [data_meter, calls, sms, abroad]

