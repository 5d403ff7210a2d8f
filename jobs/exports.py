"""Exports produced as files by jobs; the page that started one polls its JobRecord.

A job gets the membership id and plain filter values, never company ids: it rebuilds the
membership's scope (services.scope.build_scope), so a limited user's export is limited
too, and a membership removed or narrowed in the meantime is honoured. Text in the file
(headers, labels) is in the user's language.

An export may run twice (it only writes its own file), so it is retried, and a failed one can
be started again from its page (RETRY_FORMS: the form that started it, filled in again). At most
services.exports.MAX_RUNNING are under way per user. The file becomes visible in one INSERT
(services.exports.keep) after it is complete.
"""
import datetime

from flask_babel import force_locale

from models import Company, Membership, User
from models.jobs import RETRY_FORMS
from services import audit_trail, subscriptions
from services.exports import MAX_RUNNING, discard_partial, export_path, keep
from services.locale import regional
from services.scope import build_scope

from . import current_job_id, job, report_progress, state

EXPORT_TIMEOUT = 1800  # seconds: 100,000 rows take well under a minute


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


@job(retry=3, timeout=EXPORT_TIMEOUT, per_user=MAX_RUNNING)
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
    keep(current_job_id(), export_path(current_job_id()))
    return str(rows)


@job(retry=3, timeout=EXPORT_TIMEOUT, per_user=MAX_RUNNING)
def export_subscriptions_csv(membership_id, filters_dict=None):
    """The subscriptions the membership sees, filtered like the overview (q, kind, status,
    account, company, sort)."""
    membership = _membership(membership_id)
    with force_locale(regional(membership.user.locale)):
        rows = subscriptions.export_csv(build_scope(membership), export_path(current_job_id()),
                                        subscriptions.parse_filters(filters_dict or {}),
                                        progress=_progress)
    keep(current_job_id(), export_path(current_job_id()))
    return str(rows)


def _given_up(record, reason):
    discard_partial(record.id)


for _fn in (export_audit_csv, export_subscriptions_csv):
    state.on_give_up(_fn.__name__)(_given_up)


def _subscription_form(membership_id, filters=None, *rest):
    return {key: value for key, value in (filters or {}).items() if value not in (None, "")}


def _audit_form(membership_id, filters=None, *rest):
    filters = filters or {}
    values = {"user": filters.get("user_id"), "kind": filters.get("kind"), "from": filters.get("date_from"),
              "to": filters.get("date_to")}
    return {key: value for key, value in values.items() if value not in (None, "")}


RETRY_FORMS[export_subscriptions_csv.__name__] = ("subscriptions.export", _subscription_form)
RETRY_FORMS[export_audit_csv.__name__] = ("audit_trail.export", _audit_form)
