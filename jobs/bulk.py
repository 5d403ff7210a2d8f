"""Bulk update: carry out a confirmed BulkRequest with the rights of the membership that made it."""
from flask_babel import force_locale
from flask_babel import gettext as _

from models import BulkRequest, Membership, User

from . import job, report_progress


@job
def run_bulk(bulk_id):
    """The scope is built again from the membership, so today's rights and accounts apply;
    a disabled login or a removed membership orders nothing."""
    # Imported here: the service imports this module to enqueue the job.
    from services import bulk
    from services.locale import regional
    from services.scope import build_scope

    request = BulkRequest.get_or_none(BulkRequest.id == bulk_id)
    if request is None:
        return ""
    membership = Membership.get_or_none(Membership.id == request.membership_id)
    user = User.get_or_none(User.id == request.requested_by_id)
    with force_locale(regional(user.locale if user else None)):
        if membership is None or user is None or user.status != "active":
            bulk.fail_run(bulk_id, _("The login no longer has access to the company."))
            return ""
        try:
            result = bulk.run(build_scope(membership), bulk_id,
                              progress=lambda pct: report_progress(pct, "subscriptions"))
        except Exception:
            bulk.fail_run(bulk_id, _("The bulk update stopped because of an error; nothing was ordered "
                                     "for this subscription."))
            raise
    return str(result.get("ordered", 0))
