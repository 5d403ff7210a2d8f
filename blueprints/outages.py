"""/outages: current, planned and recent outages (those touching the company's addresses first),
filtered by service; administrators subscribe the company to outage e-mails."""
from flask import Blueprint, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models.support import OUTAGE_SERVICES
from services import outages as svc
from services.errors import ServiceError

from .access import member
from .rendering import navigate, render

bp = Blueprint("outages", __name__, url_prefix="/outages")


def _page(status=200, errors=None, values=None):
    service = request.args.get("service", "")
    service = service if service in OUTAGE_SERVICES else ""
    alert = svc.get_alert(g.scope) if g.scope.is_admin else None
    if values is None:
        values = {"emails": ", ".join(alert.emails.split(",")) if alert else "",
                  "language": alert.language if alert else (current_user.locale or "da")}
    return render("outages/index.html", "list", status=status, groups=svc.customer_list(g.scope, service),
                  service=service, services=OUTAGE_SERVICES, alert=alert, errors=errors or {}, values=values)


@bp.route("")
@member()
def index():
    return _page()


@bp.route("/alerts", methods=["POST"])
@member()
def alerts():
    """:raise 403: for a member who is not an administrator (the service decides)."""
    try:
        emails = svc.save_alert(g.scope, request.form.get("emails", ""), request.form.get("language", ""))
    except ServiceError as error:
        return _page(422, error.errors, request.form)
    if emails:
        flash(_("Outage e-mails go to %(emails)s.", emails=", ".join(emails)), "success")
    else:
        flash(_("The company no longer receives outage e-mails."), "success")
    return navigate(url_for("outages.index") + "#alerts")
