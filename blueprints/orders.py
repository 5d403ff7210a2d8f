"""Order status: ongoing and completed orders with filters, and one order's steps."""
from flask import Blueprint, flash, g, request, url_for
from flask_babel import gettext as _

from models.orders import ORDER_STATUSES
from services import fraud
from services import orders as svc
from services.errors import ServiceError

from .access import member
from .rendering import navigate, render

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.route("")
@member("orders")
def index():
    args = request.args
    which = "done" if args.get("which") == "done" else "open"
    page = svc.list_orders(g.scope, which=which, kind=args.get("kind", ""), status=args.get("status", ""),
                           subscription_id=args.get("subscription"), requested_by=args.get("by"),
                           batch=args.get("batch"), page=args.get("page", 1))
    return render("orders/index.html", "rows", page=page, which=which, args=args, kinds=svc.kinds(),
                  statuses=ORDER_STATUSES, requesters=svc.requesters(g.scope), describe=svc.describe)


@bp.route("/<int:order_id>")
@member("orders")
def detail(order_id):
    """One order with each step's time; 404 outside the scope."""
    order = svc.get_order(g.scope, order_id)
    return render("orders/detail.html", "order", order=order, describe=svc.describe)


@bp.app_template_global("fraud_state")
def fraud_state(order):
    return fraud.state(order)


@bp.route("/<int:order_id>/stop", methods=["POST"])
@member("orders")
def stop(order_id):
    """"This wasn't us": an admin stops an order under the fraud guard's notice (services/fraud.py)."""
    try:
        fraud.stop(g.scope, order_id)
    except ServiceError as error:
        order = svc.get_order(g.scope, order_id)
        return render("orders/detail.html", "order", status=422, order=order, describe=svc.describe,
                      stop_error=error.message)
    flash(_("The order is stopped and our staff are told. Change the passwords of your company's logins "
            "if someone else placed it."), "success")
    return navigate(url_for("orders.detail", order_id=order_id))
