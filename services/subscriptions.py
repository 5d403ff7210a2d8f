"""Reading subscriptions within a scope (the changes come with the subscription services)."""
from peewee import fn

from models import (
    Account,
    AddOn,
    SimCard,
    Subscription,
    SubscriptionAddOn,
    UsageRecord,
    utcnow,
)
from models.catalogue import KINDS
from models.subscriptions import STATUSES

from .listing import paginate

SORTS = {
    "name": (Subscription.holder_name, Subscription.id),
    # the id breaks ties, so paging never repeats or skips a row
    "kind": (Subscription.kind, Subscription.holder_name, Subscription.id),
    "email": (Subscription.holder_email, Subscription.holder_name, Subscription.id),
    "number": (Subscription.number, Subscription.id),
}


def list_subscriptions(scope, q="", kind="", status="", sort="name", page=1):
    def filtered(query):
        text = (q or "").strip().lower()
        if text:
            query = query.where(Subscription.search_key.contains(text))
        if kind in KINDS:
            query = query.where(Subscription.kind == kind)
        if status in STATUSES:
            query = query.where(Subscription.status == status)
        return query

    rows = filtered(scope.subscriptions()).order_by(*SORTS.get(sort, SORTS["name"]))
    return paginate(rows, page, count_query=filtered(scope.subscriptions(details=False)))


def get_subscription(scope, subscription_id):
    return scope.get(scope.subscriptions(), Subscription, subscription_id)


def subscription_details(subscription):
    """SIM cards, add-ons and this month's usage totals for the employee page."""
    sims = list(SimCard.select().where(SimCard.subscription == subscription.id)
                .order_by(SimCard.status, SimCard.created_at.desc()))
    addons = list(AddOn.select().join(SubscriptionAddOn)
                  .where(SubscriptionAddOn.subscription == subscription.id).order_by(AddOn.name))
    return {"sims": sims, "addons": addons, "usage": month_usage(subscription.id)}


def month_usage(subscription_id):
    start = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (UsageRecord.select(UsageRecord.kind, fn.COUNT(UsageRecord.id), fn.SUM(UsageRecord.duration_s),
                               fn.SUM(UsageRecord.volume_kb), fn.SUM(UsageRecord.price))
            .where(UsageRecord.subscription == subscription_id, UsageRecord.occurred_at >= start)
            .group_by(UsageRecord.kind).tuples())
    totals = {kind: {"count": c, "seconds": s or 0, "kb": kb or 0, "price": p or 0}
              for kind, c, s, kb, p in rows}
    return {"since": start, "totals": totals,
            "price": sum(t["price"] for t in totals.values())}


def recent_usage(subscription_id, limit=30):
    return list(UsageRecord.select().where(UsageRecord.subscription == subscription_id)
                .order_by(UsageRecord.occurred_at.desc()).limit(limit))


def list_accounts(scope, q="", page=1):
    query = scope.accounts()
    q = (q or "").strip()
    if q:
        query = query.where(Account.name.contains(q) | Account.number.startswith(q))
    return paginate(query.order_by(Account.number), page)


def get_account(scope, account_id):
    return scope.get(scope.accounts(), Account, account_id)


def count_on_account(scope, account):
    return scope.subscriptions(details=False).where(Subscription.account == account.id).count()
