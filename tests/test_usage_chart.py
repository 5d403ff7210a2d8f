"""The monthly usage chart: one bar per month, the same numbers in the table behind it, the
numbers themselves (the billing run's monthly totals, this month counted live), and the
chart's geometry and accessible names."""
import datetime
from html.parser import HTMLParser

import pytest
from peewee import fn

from models import Account, Subscription, UsageMonth, UsageRecord
from services import usage

EN = {"Accept-Language": "en"}


class _Chart(HTMLParser):
    """The bars' values and titles, and the table's cells by measure, of a page's chart."""

    def __init__(self):
        super().__init__()
        self.svg = None
        self.bars, self.titles, self.cells, self.rows = [], [], {}, []
        self._in_bar = self._in_row_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "svg" and "chart" in classes:
            self.svg = attrs
        elif tag == "rect" and "chart-bar" in classes:
            self.bars.append((int(attrs["data-value"]), "is-live" in classes, float(attrs["height"])))
            self._in_bar = True
        elif tag == "td" and attrs.get("data-metric"):
            self.cells.setdefault(attrs["data-metric"], []).append(int(attrs["data-value"]))
        elif tag == "th" and attrs.get("scope") == "row":
            self._in_row_head = True

    def handle_endtag(self, tag):
        if tag == "rect":
            self._in_bar = False
        if tag == "th":
            self._in_row_head = False

    def handle_data(self, data):
        if self._in_bar and data.strip():
            self.titles.append(data.strip())
        if self._in_row_head and data.strip():
            self.rows.append(data.strip())


def _chart(client, url):
    response = client.get(url, headers=EN)
    assert response.status_code == 200, url
    parsed = _Chart()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def _first_days(count=6):
    today = datetime.date.today().replace(day=1)
    months = [today]
    while len(months) < count:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months


def _live_cost(account_id, month):
    start = datetime.datetime.combine(month, datetime.time())
    end = datetime.datetime.combine((month + datetime.timedelta(days=32)).replace(day=1), datetime.time())
    return (UsageRecord.select(fn.COALESCE(fn.SUM(UsageRecord.price), 0)).join(Subscription)
            .where(Subscription.account == account_id, UsageRecord.occurred_at >= start,
                   UsageRecord.occurred_at < end).scalar())


def _billed(account_id, month, field=UsageMonth.cost):
    return (UsageMonth.select(fn.COALESCE(fn.SUM(field), 0))
            .where(UsageMonth.account == account_id, UsageMonth.month == month).scalar())


def test_account_chart_has_a_bar_per_month_and_the_table_the_same_numbers(admin, ctx):
    account = Account.get(Account.number == "40120011")
    chart = _chart(admin, f"/accounts/{account.id}")
    months = _first_days()
    assert len(chart.bars) == 6 == len(chart.rows) == len(chart.cells["cost"])
    assert [value for value, _live, _h in chart.bars] == chart.cells["cost"]
    # invoiced months from the billing run's totals, this month live from the records
    expected = [_billed(account.id, m) for m in months[:-1]] + [_live_cost(account.id, months[-1])]
    assert chart.cells["cost"] == expected
    assert all(value > 0 for value in expected)
    assert [live for _v, live, _h in chart.bars] == [False] * 5 + [True]
    assert chart.rows[-1].endswith("(so far)")
    assert chart.svg["role"] == "img" and "Usage cost per month" in chart.svg["aria-label"]
    assert chart.svg["viewbox"].startswith("0 0 ") and chart.svg["width"] == "100%"
    # each bar's <title> names its month (as the table's row does) and its amount
    assert len(chart.titles) == 6
    assert all(title.startswith(row + ": DKK") for title, row in zip(chart.titles, chart.rows, strict=True))


@pytest.mark.parametrize("metric, field", [("data_kb", UsageMonth.data_kb), ("sms", UsageMonth.sms),
                                           ("roaming", UsageMonth.roaming)])
def test_every_measure_can_be_charted(admin, ctx, metric, field):
    account = Account.get(Account.number == "40345012")
    chart = _chart(admin, f"/accounts/{account.id}?metric={metric}")
    assert chart.svg["data-metric"] == metric
    assert [value for value, _live, _h in chart.bars] == chart.cells[metric]
    assert chart.cells[metric][:5] == [_billed(account.id, m, field) for m in _first_days()[:5]]


def test_bar_heights_follow_the_values(admin, ctx):
    account = Account.get(Account.number == "40120029")
    chart = _chart(admin, f"/accounts/{account.id}")
    (small_value, _, small), (big_value, _, big) = sorted((b for b in chart.bars), key=lambda b: b[0])[::5]
    assert small_value < big_value and small < big
    assert abs(small / big - small_value / big_value) < 0.02


def test_a_month_not_invoiced_yet_is_counted_live(admin, ctx):
    account = Account.get(Account.number == "40120011")
    last_month = _first_days()[-2]
    UsageMonth.delete().where(UsageMonth.account == account.id, UsageMonth.month == last_month).execute()
    chart = _chart(admin, f"/accounts/{account.id}")
    assert chart.cells["cost"][-2] == _live_cost(account.id, last_month) > 0
    assert [live for _v, live, _h in chart.bars][-2:] == [True, True]
    assert chart.rows[-2].endswith("(not invoiced yet)")


def test_subscription_page_charts_data_per_month_with_the_table(admin, ctx):
    subscription = Subscription.get(Subscription.number == "+4520000001")
    chart = _chart(admin, f"/subscriptions/{subscription.id}")
    assert chart.svg["data-metric"] == "data_kb" and len(chart.bars) == 6
    assert [value for value, _live, _h in chart.bars] == chart.cells["data_kb"]
    for month, kb in zip(_first_days(), chart.cells["data_kb"], strict=True):
        start = datetime.datetime.combine(month, datetime.time())
        end = datetime.datetime.combine((month + datetime.timedelta(days=32)).replace(day=1), datetime.time())
        assert kb == (UsageRecord.select(fn.COALESCE(fn.SUM(UsageRecord.volume_kb), 0))
                      .where(UsageRecord.subscription == subscription.id, UsageRecord.occurred_at >= start,
                             UsageRecord.occurred_at < end).scalar())
    assert "cost" in chart.cells and "minutes" in chart.cells


def test_no_chart_without_the_usage_right(limited, ctx):
    from models import Membership, User

    membership = Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk"))
    Membership.update(functions=" ".join(f for f in membership.functions.split() if f != "usage")).where(
        Membership.id == membership.id).execute()
    account = Account.get(Account.number == "40120011")
    assert _chart(limited, f"/accounts/{account.id}").svg is None


# -- the geometry, without a page -----------------------------------------------------------------

@pytest.mark.parametrize("value, top", [(0, 1), (1, 1), (7, 10), (12, 20), (21, 25), (26, 50), (51, 100),
                                        (1000, 1000), (1001, 2000), (0.4, 1)])
def test_nice_top(value, top):
    assert usage.nice_top(value) == top


def _rows(values, metric="cost"):
    months = [datetime.date(2026, m, 1) for m in range(6, 6 + len(values))]
    rows = usage.MonthSeries(usage.usage_month(m) for m in months)
    for row, value in zip(rows, values, strict=True):
        row[metric] = value
    rows[-1].update(live=True, current=True)
    return rows


def test_chart_geometry(app):
    with app.test_request_context(headers=EN):
        chart = _rows([0, 50_00, 123_535, 10]).chart("cost")
        heights = [bar.height for bar in chart.bars]
        assert heights[0] == 0 and heights[3] == 1  # a little is never drawn as nothing
        assert heights[2] > heights[1] > 0
        assert [text for _y, text in chart.ticks] == ["DKK\xa00", "DKK\xa01,000", "DKK\xa02,000"]
        assert chart.ticks[-1][0] == usage.PLOT_TOP and chart.ticks[0][0] == usage.PLOT_BOTTOM
        assert chart.bars[2].title == "August 2026: DKK\xa01,235.35"
        assert chart.bars[-1].live and chart.bars[-1].title.startswith("September 2026 (so far)")
        assert all(bar.x + bar.width <= usage.PLOT_RIGHT for bar in chart.bars)
        assert chart.summary == "Usage cost per month, June 2026 to September 2026"


def test_chart_of_nothing_and_of_counts(app):
    with app.test_request_context(headers=EN):
        empty = _rows([0, 0, 0]).chart("sms")
        assert [b.height for b in empty.bars] == [0, 0, 0] and [t for _y, t in empty.ticks] == ["0"]
        counts = _rows([1, 0], "sms").chart("sms")
        assert [t for _y, t in counts.ticks] == ["0", "1"]  # no half message on the axis
        data = _rows([3 * 1024 * 1024, 300 * 1024], "data_kb").chart("data_kb")
        assert [t for _y, t in data.ticks] == ["0 GB", "2.5 GB", "5 GB"]
        assert _rows([5]).chart("bogus").metric == "cost"
