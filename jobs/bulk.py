"""Bulk update: carry out a confirmed BulkRequest with the rights of the membership that made it.

The job may run more than once (a retry, a worker killed in the middle): services/bulk.py
applies each item exactly once, so a new run only does the items still pending. When the job
gives up for good, the hook below marks those items failed, in the requester's language, and
the request's page offers to continue.
"""
import json

from flask_babel import force_locale
from flask_babel import gettext as _

from models import BulkRequest, Membership, User

from . import job, report_progress, state

BULK_TIMEOUT = 3600  # seconds: 5,000 orders take a few minutes


@job(retry=3, timeout=BULK_TIMEOUT)
def run_bulk(bulk_id, language=None):
    """The scope is built again from the membership, so today's rights and accounts apply;
    a disabled login or a removed membership orders nothing. The rows' texts are written in the
    user's chosen language, else in `language`, the one of the page that confirmed it."""
    # Imported here: the service imports this module to enqueue the job.
    from services import bulk
    from services.locale import regional
    from services.scope import build_scope

    request = BulkRequest.get_or_none(BulkRequest.id == bulk_id)
    if request is None:
        return ""
    membership = Membership.get_or_none(Membership.id == request.membership_id)
    user = User.get_or_none(User.id == request.requested_by_id)
    with force_locale(regional((user.locale if user else None) or language)):
        if membership is None or user is None or user.status != "active":
            bulk.fail_run(bulk_id, _("The login no longer has access to the company."), resumable=False)
            return ""
        result = bulk.run(build_scope(membership), bulk_id, progress=lambda pct: report_progress(pct, "subscriptions"))
    return str(result.get("ordered", 0))


@state.on_give_up(run_bulk.__name__)
def _given_up(record, reason):
    """The job failed for good (an error, a timeout, its worker gone and no attempts left)."""
    from services import bulk
    from services.locale import regional

    bulk_id, language = ((json.loads(record.payload or "{}").get("args") or []) + [None, None])[:2]
    request = BulkRequest.get_or_none(BulkRequest.id == bulk_id) if bulk_id else None
    if request is None:
        return
    user = User.get_or_none(User.id == request.requested_by_id)
    with force_locale(regional((user.locale if user else None) or language)):
        bulk.fail_run(request.id, str(bulk.INTERRUPTED))
