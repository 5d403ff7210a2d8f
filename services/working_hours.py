"""Danish working time, for the response-time targets of support tickets.

Working hours are Monday to Friday 08:00–16:00 in Europe/Copenhagen. The Danish public
holidays are closed, and so are the three days Danish businesses customarily close
(Constitution Day, Christmas Eve and New Year's Eve). Pure functions: timestamps in and
out are naive UTC (what the database holds) or timezone-aware; the answer keeps the kind.
"""
import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Copenhagen")
UTC = datetime.timezone.utc
DAY_START = datetime.time(8)
DAY_END = datetime.time(16)
HOURS_PER_DAY = 8
_DAY = datetime.timedelta(days=1)


def easter_sunday(year):
    """Easter Sunday of the Gregorian calendar (the anonymous algorithm, as in Meeus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


@lru_cache(maxsize=32)
def closed_days(year):
    """The weekdays of `year` that are not working days."""
    easter = easter_sunday(year)
    # Maundy Thursday, Good Friday, Easter Sunday and Monday, Ascension Day, Whit Sunday and Monday
    offsets = [-3, -2, 0, 1, 39, 49, 50]
    if year < 2024:
        offsets.append(26)  # Great Prayer Day, a public holiday until 2023
    days = {easter + datetime.timedelta(days=n) for n in offsets}
    days |= {datetime.date(year, 1, 1), datetime.date(year, 12, 25), datetime.date(year, 12, 26)}
    days |= {datetime.date(year, 6, 5), datetime.date(year, 12, 24), datetime.date(year, 12, 31)}
    return frozenset(days)


def is_working_day(day):
    return day.weekday() < 5 and day not in closed_days(day.year)


def _utc(moment):
    """Naive UTC for comparing; aware values are converted."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _local_day(moment_utc):
    return moment_utc.replace(tzinfo=UTC).astimezone(LOCAL).date()


def _hours_of(day):
    """(start, end) of the working day as naive UTC; the offset follows summer time."""
    def at(clock):
        return datetime.datetime.combine(day, clock, tzinfo=LOCAL).astimezone(UTC).replace(tzinfo=None)
    return at(DAY_START), at(DAY_END)


def working_time_between(start, end):
    """The working time from `start` to `end` as a timedelta (zero when end is not later)."""
    start, end = _utc(start), _utc(end)
    total = datetime.timedelta(0)
    if end <= start:
        return total
    day, last = _local_day(start), _local_day(end)
    while day <= last:
        if is_working_day(day):
            opens, closes = _hours_of(day)
            overlap = min(closes, end) - max(opens, start)
            if overlap > datetime.timedelta(0):
                total += overlap
        day += _DAY
    return total


def add_working_hours(start, hours):
    """The moment `hours` of working time after `start` (a deadline); from outside working
    hours the count starts when the next working day opens."""
    aware = start.tzinfo is not None
    moment = _utc(start)
    remaining = datetime.timedelta(hours=hours)
    day = _local_day(moment)
    while remaining > datetime.timedelta(0):
        if is_working_day(day):
            opens, closes = _hours_of(day)
            begin = max(opens, moment)
            if begin < closes:
                if remaining <= closes - begin:
                    moment = begin + remaining
                    break
                remaining -= closes - begin
        day += _DAY
    return moment.replace(tzinfo=UTC) if aware else moment
