"""Demo mode only: read every message that would have left the system."""
from flask import Blueprint, request

from models import OutboxMessage
from services.listing import paginate

from .access import public
from .rendering import render

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.route("/outbox")
@public
def outbox():
    """Registered only in demo mode (see create_app), so it cannot exist in production."""
    query = OutboxMessage.select().order_by(OutboxMessage.id.desc())
    to = request.args.get("to", "").strip()
    if to:  # one recipient's messages (a bulk job's SMS can push a letter off the first page)
        query = query.where(OutboxMessage.recipient == to)
    page = paginate(query, request.args.get("page", 1), 25)
    return render("dev/outbox.html", page=page)
