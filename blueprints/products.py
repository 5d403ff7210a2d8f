"""Products: the phone system, its users' profiles and vacation replies, personal numbers."""
from flask import Blueprint, g

from services import telephony

from .access import member
from .rendering import render

bp = Blueprint("products", __name__)


@bp.route("/products")
@member("products")
def index():
    return render("products/index.html", systems=telephony.phone_systems_with_flow(g.scope),
                  personal=telephony.personal_numbers(g.scope))
