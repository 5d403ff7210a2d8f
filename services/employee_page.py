"""Everything the employee page shows of one subscription, read through the scope.

A fixed number of queries whatever the subscription's history: the subscription with its
account and plan, SIM cards, add-ons, orders, and (with `usage`) three usage queries."""
import base64
import io

import segno

from models import Account, Company, Plan, SimCard, Subscription
from models.orders import OPEN_STATUSES

from . import orders, usage
from . import subscription_changes as changes
from .subscriptions import month_usage

ACCOUNT_CHOICES_LIMIT = 200


def employee_page(scope, subscription_id, usage_page=1):
    scope.require("subscriptions")
    item = scope.get(scope.subscriptions().switch(Subscription).join(Company), Subscription, subscription_id)
    sims = list(SimCard.select().where(SimCard.subscription == item.id)
                .order_by(SimCard.status, SimCard.created_at.desc()))
    have, others = changes.addons_for(item)
    latest = orders.subscription_orders(scope, item.id)
    data = {
        "item": item, "sims": sims, "addons": have, "other_addons": others, "orders": latest,
        "open_orders": [o for o in latest if o.status in OPEN_STATUSES],
        "has_other_accounts": scope.accounts().where(Account.id != item.account_id).exists(),
    }
    if scope.can("usage"):
        current = month_usage(item.id)
        data.update(usage=current, gauge=usage.gauge(item.plan_id, current["totals"]),
                    history=usage.six_months(item.id, since=item.start_date), records=usage.itemised(item.id, usage_page))
    return data


def open_orders(scope, subscription_id):
    """The part the page polls while orders are on their way: cheap, no usage."""
    item = visible(scope, subscription_id)
    return {"item": item, "open_orders": orders.open_orders(item.id)}


def usage_records(scope, subscription_id, page):
    """One page of itemised usage (the page's "Older"/"Newer" links)."""
    scope.require("usage")
    item = visible(scope, subscription_id)
    return {"item": item, "records": usage.itemised(item.id, page)}


def visible(scope, subscription_id):
    """The subscription in scope, or 404."""
    scope.require("subscriptions")
    return scope.get(scope.subscriptions(details=False), Subscription, subscription_id)


def action_choices(scope, item):
    """What the action forms offer: plans of the kind, accounts in scope, the add-on catalogue."""
    have, others = changes.addons_for(item)
    accounts = list(scope.accounts().where(Account.id != item.account_id).order_by(Account.number)
                    .limit(ACCOUNT_CHOICES_LIMIT))
    return {"plans": Plan.for_kind(item.kind), "accounts": accounts, "addons": have, "other_addons": others}


def esim_qr(sim):
    """The eSIM activation code as an SVG QR code (data: URI; the CSP forbids inline SVG styles)."""
    out = io.BytesIO()
    segno.make(sim.activation_code, error="m").save(out, kind="svg", scale=4, border=2, svgclass=None,
                                                   lineclass=None, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()
