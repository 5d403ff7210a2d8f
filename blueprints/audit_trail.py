"""The company's audit trail for admins: filters, paging and a CSV export made by a job."""
from flask import Blueprint, g, redirect, request, url_for
from flask_login import current_user

from jobs import enqueue
from jobs.exports import export_audit_csv
from services import audit, exports
from services import audit_trail as trail

from .access import member
from .downloads import send_export
from .rendering import render

bp = Blueprint("audit_trail", __name__, url_prefix="/users/audit")


@bp.route("")
@member("users")
def index():
    filters = trail.parse_filters(request.args)
    page = trail.page_of(g.scope, filters, request.args.get("page", 1))
    return render("audit_trail/index.html", "rows", page=page, filters=filters, kinds=trail.KINDS,
                  users=trail.company_users(g.scope), args=request.args, details=trail.details_text)


@bp.route("/export", methods=["POST"])
@member("users")
def export():
    filters = trail.parse_filters(request.form)
    plain = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items()}
    audit.record_for_scope(g.scope, "user.audit_export", **{k: v for k, v in plain.items() if v})
    job_id = enqueue(export_audit_csv, g.scope.membership_id, plain, track=True, user_id=current_user.id,
                     company_id=g.scope.company_id)
    return redirect(url_for("audit_trail.export_status", job_id=job_id))


def _own_job(job_id):
    return exports.own_job(g.scope, job_id, export_audit_csv.__name__)


@bp.route("/export/<job_id>")
@member("users")
def export_status(job_id):
    """The page polls this (HTMX, every second) until the file is ready."""
    record = _own_job(job_id)
    return render("audit_trail/export.html", "status", job=record, file=exports.file_of(record))


@bp.route("/export/<job_id>/download")
@member("users")
def download(job_id):
    return send_export(_own_job(job_id), "audit-trail")
