"""Exports produced as files by jobs; the page that started one polls its JobRecord.

A job gets the membership id and plain filter values, never company ids: it rebuilds the
membership's scope (services.scope.build_scope), so a limited user's export is limited
too, and a membership removed or narrowed in the meantime is honoured. Text in the file
(headers, labels) is in the user's language.
"""
import datetime

from flask_babel import force_locale

from models import Company, Membership, User
from services import audit_trail, subscriptions
from services.exports import export_path
from services.locale import regional
from services.scope import build_scope

from . import current_job_id, job, report_progress


class MembershipGone(LookupError):
    """The membership (or its user) no longer exists or is disabled: nothing is exported."""


def _membership(membership_id):
    membership = (Membership.select(Membership, Company, User).join(Company).switch(Membership).join(User)
                  .where(Membership.id == membership_id).first())
    if membership is None or not membership.user.is_active:
        raise MembershipGone(membership_id)
    return membership


def _progress(percent):
    report_progress(percent, "rows")


@job
def export_audit_csv(membership_id, filters=None, language=None):
    """The audit trail of the membership's companies, filtered like the page, in the language
    the page was shown in (`language`; else the user's own), times in local time."""
    membership = _membership(membership_id)
    filters = dict(filters or {})
    for key in ("date_from", "date_to"):
        filters[key] = datetime.date.fromisoformat(filters[key]) if filters.get(key) else None
    plain = {key: filters.get(key) for key in ("user_id", "kind", "date_from", "date_to")}
    with force_locale(regional(language or membership.user.locale)):
        rows = audit_trail.export_csv(build_scope(membership), export_path(current_job_id()), plain,
                                      progress=_progress)
    return str(rows)


@job
def export_subscriptions_csv(membership_id, filters_dict=None):
    """The subscriptions the membership sees, filtered like the overview (q, kind, status,
    account, company, sort)."""
    membership = _membership(membership_id)
    with force_locale(regional(membership.user.locale)):
        rows = subscriptions.export_csv(build_scope(membership), export_path(current_job_id()),
                                        subscriptions.parse_filters(filters_dict or {}),
                                        progress=_progress)
    return str(rows)
