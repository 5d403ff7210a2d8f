"""Subscriptions: the overview, the employee page with its actions, the create wizard,
bulk update and CSV export. One module per part; all share this blueprint."""
from flask import Blueprint

bp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")

# The modules register their routes on `bp` when imported.
from . import (  # noqa: E402,F401
    bulk,  # noqa: E402,F401
    employee,
    overview,
    wizard,  # noqa: E402,F401
)
