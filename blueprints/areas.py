"""The customer areas of the left menu: subscriptions, accounts, invoices, orders,
numbers and products. Read views for now; the actions come with their services."""
from flask import Blueprint, g, request

from models import (
    Account,
    Invoice,
    Order,
)
from services import subscriptions as subs
from services import telephony
from services.listing import paginate

from .access import member
from .rendering import render

bp = Blueprint("areas", __name__)


@bp.route("/subscriptions")
@member("subscriptions")
def subscriptions():
    args = request.args
    page = subs.list_subscriptions(g.scope, q=args.get("q", ""), kind=args.get("kind", ""),
                                   status=args.get("status", ""), sort=args.get("sort", "name"),
                                   page=args.get("page", 1))
    return render("areas/subscriptions.html", "rows", page=page, args=args,
                  task=args.get("task", ""))


@bp.route("/subscriptions/<int:subscription_id>")
@member("subscriptions")
def subscription(subscription_id):
    item = subs.get_subscription(g.scope, subscription_id)
    details = subs.subscription_details(item)
    usage = subs.recent_usage(item.id) if g.scope.can("usage") else []
    return render("areas/subscription.html", item=item, recent=usage, **details)


@bp.route("/accounts")
@member("accounts")
def accounts():
    page = subs.list_accounts(g.scope, q=request.args.get("q", ""), page=request.args.get("page", 1))
    return render("areas/accounts.html", "rows", page=page, args=request.args)


@bp.route("/accounts/<int:account_id>")
@member("accounts")
def account(account_id):
    item = subs.get_account(g.scope, account_id)
    return render("areas/account.html", item=item, subscription_count=subs.count_on_account(g.scope, item))


@bp.route("/invoices")
@member("invoices")
def invoices():
    query = g.scope.invoices().order_by(Invoice.issued_on.desc(), Account.number)
    return render("areas/invoices.html", "rows", page=paginate(query, request.args.get("page", 1)))


@bp.route("/orders")
@member("orders")
def orders():
    status = request.args.get("status", "open")
    query = g.scope.orders()
    if status == "done":
        query = query.where(Order.status.in_(("completed", "failed")))
    else:
        status = "open"
        query = query.where(Order.status.in_(("received", "in_progress")))
    page = paginate(query.order_by(Order.created_at.desc()), request.args.get("page", 1))
    return render("areas/orders.html", "rows", page=page, which=status)


@bp.route("/numbers")
@member("numbers")
def numbers():
    return render("areas/numbers.html", porting=telephony.porting_requests(g.scope),
                  systems=telephony.phone_systems_with_flow(g.scope))


@bp.route("/products")
@member("products")
def products():
    return render("areas/products.html", systems=telephony.phone_systems_with_flow(g.scope),
                  personal=telephony.personal_numbers(g.scope))
