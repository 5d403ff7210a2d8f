"""The company's audit trail for admins: filters, paging and a CSV export made by a job."""
from flask import Blueprint, g, redirect, request, send_file, url_for
from flask_login import current_user
from werkzeug.exceptions import NotFound

from jobs import enqueue
from jobs.exports import export_audit_csv, export_path
from models import JobRecord, utcnow
from services import audit
from services import audit_trail as trail

from .access import member
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
    job_id = enqueue(export_audit_csv, list(g.scope.company_ids), track=True, user_id=current_user.id,
                     company_id=g.scope.company_id, by_user=plain["user_id"], kind=plain["kind"],
                     date_from=plain["date_from"], date_to=plain["date_to"])
    return redirect(url_for("audit_trail.export_status", job_id=job_id))


def _own_job(job_id):
    """A job started by this user in this company, or 404."""
    record = JobRecord.get_or_none(JobRecord.id == job_id, JobRecord.user == current_user.id,
                                   JobRecord.company == g.scope.company_id)
    if record is None or record.name != export_audit_csv.__name__:
        raise NotFound()
    return record


@bp.route("/export/<job_id>")
@member("users")
def export_status(job_id):
    """The page polls this (HTMX, every second) until the file is ready."""
    return render("audit_trail/export.html", "status", job=_own_job(job_id))


@bp.route("/export/<job_id>/download")
@member("users")
def download(job_id):
    record = _own_job(job_id)
    path = export_path(record.id)
    if record.status != "finished" or not path.exists():
        raise NotFound()
    filename = f"audit-trail-{utcnow():%Y-%m-%d}.csv"  # built here, never from input
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=filename)
