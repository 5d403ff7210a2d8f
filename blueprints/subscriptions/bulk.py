"""Bulk update (`/subscriptions/bulk`): choose subscriptions, choose one change, preview it
for every subscription, confirm once, and follow the job's per-row result.

The chosen subscriptions travel between the steps as ids in one hidden field and are
resolved through the scope again at every step (services/bulk.py), so a forged id is
only ever a "not found" row. The preview is kept as a BulkRequest; its page
(`/subscriptions/bulk/<id>`) shows the preview, the progress and the result.
"""
from flask import Response, g, request, url_for
from flask_babel import gettext as _

from models.catalogue import KINDS
from services import bulk as svc
from services.errors import ServiceError
from services.order_text import BLOCK_PART_LABELS, REASON_LABELS

from ..access import member
from ..downloads import in_language
from ..rendering import navigate, render
from ..step_up import go_verify, is_fresh
from . import bp

TEMPLATE = "subscriptions/bulk.html"


def _choose(errors=None, not_found=(), status=200):
    return render(TEMPLATE, "bulk", status=status, step="choose", errors=errors or {},
                  not_found=list(not_found), numbers=request.form.get("numbers", ""),
                  recent=svc.recent(g.scope), labels=svc.ACTION_LABELS)


def _action_form(selection, values=None, errors=None, status=200):
    kinds = svc.selection_summary(g.scope, selection.ids)
    return render(TEMPLATE, "bulk", status=status, step="action", selection=selection, kinds=kinds,
                  choices=svc.choices(g.scope, kinds), values=values or {}, errors=errors or {},
                  actions=svc.ACTIONS, labels=svc.ACTION_LABELS, fresh=is_fresh(),
                  part_labels=BLOCK_PART_LABELS, reason_labels=REASON_LABELS)


@bp.route("/bulk")
@member("manage")
def bulk():
    """Choose subscriptions by number: pasted, or a CSV file."""
    return _choose()


@bp.route("/bulk", methods=["POST"])
@member("manage")
def bulk_start():
    """The selection: `ids` from the overview, `all_matching=1` with its filters, or numbers."""
    form = request.form
    try:
        if form.get("all_matching") == "1":
            selection = svc.select_matching(g.scope, form)
        elif form.getlist("ids"):
            selection = svc.select_ids(g.scope, form.getlist("ids"))
        else:
            texts = [form.get("numbers", "")]
            upload = request.files.get("numbers_file")
            if upload is not None and upload.filename:
                texts.append(svc.read_upload(upload.read(svc.MAX_FILE_BYTES + 1)))
            selection = svc.select_numbers(g.scope, *texts)
    except ServiceError as error:
        return _choose(errors=error.errors, status=422)
    if not selection.ids:
        return _choose(errors={"form": _("None of the subscriptions were found.")},
                       not_found=selection.not_found, status=422)
    return _action_form(selection)


def _action_values(form):
    values = {key: form.get(key, "") for key in ("action", "end_date", "cancel_reason", "block_reason", "account")}
    values["block_parts"] = form.getlist("block_parts")
    values["unblock_parts"] = form.getlist("unblock_parts")
    for field in ("plans", "add_addons", "remove_addons"):
        values[field] = {kind: form.get(f"{field}_{kind}", "") for kind in KINDS}
    return values


@bp.route("/bulk/preview", methods=["POST"])
@member("manage")
def bulk_preview():
    """Check the change for every chosen subscription and keep it as a preview."""
    form = request.form
    try:
        selection = svc.select_ids(g.scope, form.get("selection", "").split(","))
    except ServiceError as error:
        return _choose(errors=error.errors, status=422)
    earlier = [line.strip() for line in form.get("not_found", "").splitlines() if line.strip()]
    selection.not_found = earlier[:svc.NOT_FOUND_KEPT] + selection.not_found
    if not selection.ids:
        return _choose(errors={"form": _("None of the subscriptions were found.")},
                       not_found=selection.not_found, status=422)
    values = _action_values(form)
    try:
        action, params = svc.clean_action(g.scope, values, svc.selection_summary(g.scope, selection.ids))
        request_ = svc.create_preview(g.scope, selection, action, params)
    except ServiceError as error:
        return _action_form(selection, values, error.errors, status=422)
    return navigate(url_for("subscriptions.bulk_detail", bulk_id=request_.id), code=303)


@bp.route("/bulk/<int:bulk_id>")
@member("manage")
def bulk_detail(bulk_id):
    """The preview, the progress (polled while the job runs) or the result.

    :raise 404: a request of another membership, company or customer."""
    bulk_request = svc.get_bulk(g.scope, bulk_id)
    page = svc.item_page(bulk_request, request.args.get("page", 1), request.args.get("outcome", ""))
    block = "items" if request.headers.get("HX-Target") == "items" else "request"
    return render(TEMPLATE, block, step="request", bulk=bulk_request, page=page, counts=svc.counts(bulk_request),
                  summary=svc.params_text(bulk_request), labels=svc.ACTION_LABELS,
                  outcomes=svc.OUTCOME_LABELS, fresh=is_fresh(), outcome=request.args.get("outcome", ""),
                  can_see_orders=g.scope.can("orders"))


@bp.route("/bulk/confirm", methods=["POST"])
@member("manage")
def bulk_confirm():
    """Run a previewed request. The form's token finds it; a second submit starts nothing.
    A cancellation first asks for a fresh second factor, then comes back to the preview."""
    bulk_request = svc.by_token(g.scope, request.form.get("token", ""))
    detail = url_for("subscriptions.bulk_detail", bulk_id=bulk_request.id)
    try:
        svc.confirm(g.scope, request.form.get("token", ""), stepped_up=is_fresh())
    except ServiceError:  # the only refusal: a cancellation without a fresh second factor
        return go_verify(detail)
    return navigate(detail, code=303)


@bp.route("/bulk/<int:bulk_id>/discard", methods=["POST"])
@member("manage")
def bulk_discard(bulk_id):
    svc.discard(g.scope, bulk_id)
    return navigate(url_for("subscriptions.bulk"), code=303)


@bp.route("/bulk/<int:bulk_id>/result.csv")
@member("manage")
def bulk_result(bulk_id):
    """The per-row result for Excel; the file name is built here, never from input."""
    bulk_request = svc.get_bulk(g.scope, bulk_id)
    response = Response(svc.result_csv(bulk_request), mimetype="text/csv")
    name = in_language({"da": "masseopdatering", "en": "bulk-update"})
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{bulk_request.id}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
