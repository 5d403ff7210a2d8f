"""Numbers: the company's numbers, port-in requests and port locks."""
from flask import Blueprint, g

from services import telephony

from .access import member
from .rendering import render

bp = Blueprint("numbers", __name__)


@bp.route("/numbers")
@member("numbers")
def index():
    return render("numbers/index.html", porting=telephony.porting_requests(g.scope),
                  systems=telephony.phone_systems_with_flow(g.scope))
