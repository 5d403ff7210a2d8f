"""Invoices and credit notes: the list, details per user, "why did it change", PDF and e-invoice XML."""
from flask import Blueprint, g, request

from models import Account, Invoice
from services.listing import paginate

from .access import member
from .rendering import render

bp = Blueprint("invoices", __name__)


@bp.route("/invoices")
@member("invoices")
def index():
    query = g.scope.invoices().order_by(Invoice.issued_on.desc(), Account.number)
    return render("invoices/index.html", "rows", page=paginate(query, request.args.get("page", 1)))
