"""The link a new holder gets by e-mail to accept (or decline) taking over a subscription."""
import datetime

from flask import Blueprint, abort, request

from services import orders as svc
from services.errors import ServiceError

from .access import public
from .rendering import render

bp = Blueprint("transfers", __name__, url_prefix="/transfer")


@bp.route("/<token>", methods=["GET", "POST"])
@public
def answer(token):
    """GET shows what is offered; POST accepts or declines. A used or expired link says so."""
    if request.method == "GET":
        order = svc.order_for_acceptance(token)
        if order is None:
            return render("transfers/answer.html", status=404, order=None, done=None)
        return render("transfers/answer.html", order=order, details=svc.order_details(order), done=None,
                      end_date=_end_date(order))
    accepted = request.form.get("answer") == "accept"
    if request.form.get("answer") not in ("accept", "decline"):
        abort(400)
    try:
        order = svc.accept_transfer(token, accepted)
    except ServiceError as error:
        return render("transfers/answer.html", status=410, order=None, done=None, error=error.message)
    return render("transfers/answer.html", order=order, details=svc.order_details(order),
                  done="accepted" if accepted else "declined")


def _end_date(order):
    value = svc.order_details(order).get("end_date")
    return datetime.date.fromisoformat(value) if value else None
