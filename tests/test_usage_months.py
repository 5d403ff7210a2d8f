"""A subscription's months of usage on its page begin with the subscription (services/usage.py six_months)."""
import datetime

from models import Subscription
from services import usage


def test_no_empty_months_before_the_subscription_began(app, ctx):
    item = Subscription.get(Subscription.number == "+4520000001")
    now = datetime.datetime(2026, 11, 24, 12, 0)
    with app.app_context():
        months = lambda since: [row["month"] for row in usage.six_months(item.id, now=now, since=since)]  # noqa: E731
        assert months(None) == usage.months_back(now)  # six, as before
        assert months(datetime.date(2020, 1, 15)) == usage.months_back(now)  # older than six months
        assert months(datetime.date(2026, 9, 20)) == [datetime.date(2026, m, 1) for m in (9, 10, 11)]
        assert months(datetime.date(2026, 11, 24)) == [datetime.date(2026, 11, 1)]  # new this month
        assert months(datetime.date(2026, 12, 7)) == [datetime.date(2026, 11, 1)]  # starts later: this month only
