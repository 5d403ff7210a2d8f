"""Self-service users of the company: the list, the create-user wizard, rights, audit trail."""
from flask import Blueprint, g

from models import Membership, User

from .access import member
from .rendering import render

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.route("")
@member("users")
def index():
    s = g.scope
    rows = (Membership.select(Membership, User).join(User)
            .where(Membership.company == s.company_id).order_by(User.name))
    return render("users/index.html", memberships=list(rows))


@bp.route("/new")
@member("users")
def new():
    return render("users/index.html", memberships=[])
