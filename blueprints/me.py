"""An employee's own subscription and usage, made for a phone."""
from flask import Blueprint
from flask_login import current_user
from werkzeug.exceptions import NotFound

from models import Account, Plan, Subscription
from services import subscriptions as subs

from .access import employee
from .rendering import render

bp = Blueprint("me", __name__)


@bp.route("/me")
@employee
def index():
    item = (Subscription.select(Subscription, Account, Plan).join(Account).switch(Subscription).join(Plan)
            .where(Subscription.id == current_user.subscription_id).first())
    if item is None:
        raise NotFound()
    details = subs.subscription_details(item)
    return render("me/index.html", item=item, recent=subs.recent_usage(item.id, limit=20), **details)
