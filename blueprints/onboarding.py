"""Getting access: the application by CVR number."""
from flask import Blueprint

from .access import public
from .rendering import render

bp = Blueprint("onboarding", __name__)


@bp.route("/apply")
@public
def apply():
    return render("onboarding/apply.html")
