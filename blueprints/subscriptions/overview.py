"""The overview: search, filters, sort, paging, bulk selection and the CSV export."""
from flask import current_app, g, redirect, request, url_for

from jobs.exports import export_subscriptions_csv
from services import exports
from services import subscriptions as subs

from ..access import member, policy_of
from ..downloads import send_export
from ..rendering import render, wants_fragment
from . import bp


def _link_to(endpoint):
    """The URL of another part of the area when it exists and this membership may use it, else None.

    The wizard and bulk update are separate modules: the overview must not break while
    one of them is missing, and must not show a button that answers 403.
    """
    if endpoint not in current_app.view_functions:
        return None
    policy = policy_of(endpoint)
    if policy is None or (policy.function and not g.scope.can(policy.function)):
        return None
    return url_for(endpoint)


@bp.route("")
@member("subscriptions")
def index():
    args = request.args
    filters = subs.parse_filters(args)
    page = subs.list_subscriptions(g.scope, page=args.get("page", 1), cursor=args.get("cursor"), **filters)
    # the filter choices are in the page only, not in the swapped list
    options = None if wants_fragment() else subs.filter_options(g.scope)
    new_url = _link_to("subscriptions.new") if g.scope.can("order") else None
    return render("subscriptions/index.html", "rows", page=page, args=args, filters=filters, options=options,
                  task=args.get("task", ""), show_company=g.scope.spans_companies,
                  new_url=new_url, bulk_url=_link_to("subscriptions.bulk_start"))


@bp.route("/export", methods=["POST"])
@member("subscriptions")
def export():
    """Start the CSV export of the current filters; the file is made by a job."""
    job_id = subs.start_export(g.scope, subs.parse_filters(request.form))
    return redirect(url_for("subscriptions.export_status", job_id=job_id))


def _own_job(job_id):
    return exports.own_job(g.scope, job_id, export_subscriptions_csv.__name__)


@bp.route("/export/<job_id>")
@member("subscriptions")
def export_status(job_id):
    """The page polls this (HTMX, every second) until the file is ready."""
    record = _own_job(job_id)
    return render("subscriptions/export.html", "status", job=record, file=exports.has_file(record))


@bp.route("/export/<job_id>/download")
@member("subscriptions")
def export_download(job_id):
    return send_export(_own_job(job_id), {"da": "abonnementer", "en": "subscriptions"})
