"""Order status: ongoing and completed orders with filters, and one order's steps."""
from flask import Blueprint, g, request

from models.orders import ORDER_STATUSES
from services import orders as svc

from .access import member
from .rendering import render

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
