"""Applications for self-service access, and recovery when a company's only admin has left.

An access application is checked by a job (`jobs.applications.process_application`)
against the operator's customer records; a recovery request waits for staff
(see services.staff_access). Both end, when approved, in a pending admin and an
activation letter to the company's digital mailbox (e-Boks).
"""
import datetime

from jobs import enqueue
from jobs.applications import process_application
from models import Application, Company, Membership, OneTimeCode, User, db, utcnow

from . import audit
from .activation import issue_activation
from .rights import FUNCTIONS

RESEND_AFTER = datetime.timedelta(hours=1)  # a lost letter can be sent again, at most this often
LIVE_ADMIN = ("active", "pending")

# Result codes (translated by blueprints.labels "application_result")
LETTER_SENT = "letter_sent"
LETTER_RESENT = "letter_resent"
ALREADY_SENT = "already_sent"
HAS_ADMIN = "has_admin"
NOT_CUSTOMER = "not_customer"
EMAIL_IN_USE = "email_in_use"
RECOVERED = "recovered"
REJECTED_BY_STAFF = "rejected_by_staff"


class ApplicationError(Exception):
    """`reason`: not_found, processed, not_customer, email_in_use."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def submit(kind, cvr, company_name, admin_name, email, mobile, reason=""):
    """Record an application (kind access or recovery) and, for access, queue its check."""
    company = Company.get_or_none(Company.cvr == cvr)
    with db.atomic():
        application = Application.create(
            kind=kind, cvr=cvr, company_name=company_name.strip(), admin_name=admin_name.strip(),
            email=email, mobile=mobile, reason=(reason or "").strip(), ip=audit.client_ip(),
            company=company.id if company else None)
        audit.record("application.received", obj=application, kind=kind, cvr=cvr,
                     customer=company.customer_id if company else None,
                     company=company.id if company else None)
    if kind == "access":
        enqueue(process_application, application.id)  # after the commit: the job reads the row
    return application


def lineage(company):
    """The company and its parents: an admin of a parent company also manages its subsidiaries."""
    ids, seen = [], set()
    while company is not None and company.id not in seen:
        seen.add(company.id)
        ids.append(company.id)
        company = Company.get_or_none(Company.id == company.parent_id) if company.parent_id else None
    return ids


def live_admins(company_ids):
    """Admin memberships of these companies whose login is active or pending, with the user."""
    return list(Membership.select(Membership, User).join(User)
                .where(Membership.company.in_(company_ids), Membership.is_admin == True,  # noqa: E712
                       User.status.in_(LIVE_ADMIN))
                .order_by(User.name))


def create_pending_admin(company, name, email, mobile):
    """A pending customer login with an admin membership holding every function. Call in a transaction."""
    user = User.create(email=email, name=name, mobile=mobile, kind="customer", status="pending")
    Membership.create(user=user.id, company=company.id, is_admin=True, full_access=True,
                      functions=" ".join(FUNCTIONS))
    return user


def lock_company(company):
    """Serialise decisions about one company: a no-op UPDATE takes the write lock
    (SQLite: the database, PostgreSQL: the row) until the transaction ends."""
    Company.update(name=Company.name).where(Company.id == company.id).execute()


def decide(application, status, result, company=None, processed_by=None, **details):
    application.status = status
    application.result = result
    application.processed_at = utcnow()
    application.processed_by = processed_by
    if company is not None:
        application.company = company.id
    application.save()
    audit.record(f"application.{status}", user=processed_by, obj=application, result=result,
                 customer=company.customer_id if company else None,
                 company=company.id if company else None, **details)


def _last_letter_at(user_id):
    row = (OneTimeCode.select(OneTimeCode.created_at)
           .where(OneTimeCode.user == user_id, OneTimeCode.purpose == "activation")
           .order_by(OneTimeCode.created_at.desc()).first())
    return row.created_at if row else None


def process_access_application(application_id):
    """The automatic check of an access application (run by the job). Returns the result code.

    Not a customer, or an admin already there: rejected, nothing created. A pending
    admin there (an earlier application): no second user; the letter is sent again
    when the last one is more than an hour old. Otherwise a pending admin and a letter.
    """
    send_to = None
    with db.atomic():
        application = Application.get_or_none(Application.id == application_id)
        if application is None or application.status != "received" or application.kind != "access":
            return "skipped"
        company = Company.get_or_none(Company.cvr == application.cvr)
        if company is None:
            decide(application, "rejected", NOT_CUSTOMER)
            return NOT_CUSTOMER
        lock_company(company)
        admins = live_admins(lineage(company))
        pending = [m for m in admins if m.user.status == "pending" and m.company_id == company.id]
        if any(m.user.status == "active" for m in admins):
            decide(application, "rejected", HAS_ADMIN, company)
            return HAS_ADMIN
        if pending:
            user = pending[0].user
            last = _last_letter_at(user.id)
            if last is not None and utcnow() - last < RESEND_AFTER:
                decide(application, "rejected", ALREADY_SENT, company, pending_user=user.id)
                return ALREADY_SENT
            decide(application, "approved", LETTER_RESENT, company, pending_user=user.id)
            send_to, result = user.id, LETTER_RESENT
        elif User.select().where(User.email == application.email).exists():
            decide(application, "rejected", EMAIL_IN_USE, company)
            return EMAIL_IN_USE
        else:
            user = create_pending_admin(company, application.admin_name, application.email,
                                        application.mobile)
            audit.record("user.created", obj=user, customer=company.customer_id, company=company.id,
                         admin=True, via="application", application=application.id)
            decide(application, "approved", LETTER_SENT, company, new_user=user.id)
            send_to, result = user.id, LETTER_SENT
    issue_activation(send_to, "digital_post", company.id)
    return result


def status_of(application_id):
    return Application.get_or_none(Application.id == application_id)


def list_applications(status=None, kind=None):
    """Newest first, optionally filtered (for staff)."""
    query = Application.select().order_by(Application.created_at.desc(), Application.id.desc())
    if status:
        query = query.where(Application.status == status)
    if kind:
        query = query.where(Application.kind == kind)
    return query

