"""Billing accounts: search, details and changes; the company's master data."""
from flask import Blueprint, g, request

from services import subscriptions as subs

from .access import member
from .rendering import render

bp = Blueprint("accounts", __name__)


@bp.route("/accounts")
@member("accounts")
def index():
    page = subs.list_accounts(g.scope, q=request.args.get("q", ""), page=request.args.get("page", 1))
    return render("accounts/index.html", "rows", page=page, args=request.args)


@bp.route("/accounts/<int:account_id>")
@member("accounts")
def detail(account_id):
    item = subs.get_account(g.scope, account_id)
    return render("accounts/detail.html", item=item, subscription_count=subs.count_on_account(g.scope, item))
