"""The company's audit trail for admins: sentences, filters, paging and a CSV export made by a job.

The export form sits in the rows block, so every swap of the rows re-renders it with the
filters of the rows on screen: the file always holds what the page shows.
"""
from flask import Blueprint, g, redirect, request, url_for

from jobs.exports import export_audit_csv
from services import audit_trail as trail
from services import exports
from services.errors import ServiceError

from .access import member
from .downloads import send_export
from .rendering import render

bp = Blueprint("audit_trail", __name__, url_prefix="/users/audit")


def _page(args, errors=None, status=200):
    filters = trail.parse_filters(args)
    page = trail.page_of(g.scope, filters, args.get("page", 1))
    return render("audit_trail/index.html", "rows", status=status, page=page, filters=filters, kinds=trail.kinds(),
                  users=trail.company_users(g.scope), export_values=trail.form_values(filters), errors=errors or {})


@bp.route("")
@member("users")
def index():
    return _page(request.args)


@bp.route("/export", methods=["POST"])
@member("users")
def export():
    """The filters come from the export form's hidden fields, which the rows block renders;
    a value the page cannot send answers 422 with the page and its errors."""
    try:
        job_id = trail.start_export(g.scope, request.form)
    except ServiceError as error:
        return _page(request.form, error.errors, status=422)
    return redirect(url_for("audit_trail.export_status", job_id=job_id))


def _own_job(job_id):
    return exports.own_job(g.scope, job_id, export_audit_csv.__name__)


@bp.route("/export/<job_id>")
@member("users")
def export_status(job_id):
    """The page polls this (HTMX, every second) until the file is ready."""
    record = _own_job(job_id)
    return render("audit_trail/export.html", "status", job=record, file=exports.has_file(record))


@bp.route("/export/<job_id>/download")
@member("users")
def download(job_id):
    return send_export(_own_job(job_id), {"da": "aktivitetslog", "en": "audit-trail"})
