"""Accounts, invoices, numbers and products: read views until their own areas come."""
from flask import Blueprint, g, request

from models import (
    Account,
    Invoice,
)
from services import subscriptions as subs
from services import telephony
from services.listing import paginate

from .access import member
from .rendering import render

bp = Blueprint("areas", __name__)


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
