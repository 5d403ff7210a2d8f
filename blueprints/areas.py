"""Numbers and products: read views until their own areas come."""
from flask import Blueprint, g

from services import telephony

from .access import member
from .rendering import render

bp = Blueprint("areas", __name__)


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
