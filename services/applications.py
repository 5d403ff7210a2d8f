"""Applications for self-service access, and recovery when a company's only admin has left.

An access application is checked by a job (`jobs.applications.process_application`)
against the operator's customer records; a recovery request waits for staff
(see services.staff_access). Both end, when approved, in a pending admin and an
activation letter to the company's digital mailbox (e-Boks).

The applicant is never told what the records say (customer or not, an admin or not): the
answer is the same for every CVR number. Nothing the applicant typed is trusted: the pending
login of an access application has no e-mail or mobile of its own (a placeholder address) until
whoever activates it with the letter's code confirms or replaces the details. Several
applications may wait for one company, each with its own letter; the first whose code is used
wins, and the others are closed (their logins disabled, their codes spent), each with an audit
event. So an early or false application cannot block the company's real one.
"""
import datetime

from jobs import enqueue
from jobs.applications import process_application
from models import Application, Company, Membership, OneTimeCode, User, db, utcnow
from services.auth import normalise_email

from . import audit
from .activation import issue_activation
from .rights import FUNCTIONS

RESEND_AFTER = datetime.timedelta(hours=1)  # a lost letter can be sent again, at most this often
LIVE_ADMIN = ("active", "pending")

# Result codes (translated by services.labels "application_result")
LETTER_SENT = "letter_sent"
LETTER_RESENT = "letter_resent"
ALREADY_SENT = "already_sent"
HAS_ADMIN = "has_admin"
NOT_CUSTOMER = "not_customer"
EMAIL_IN_USE = "email_in_use"
RECOVERED = "recovered"
REJECTED_BY_STAFF = "rejected_by_staff"
SUPERSEDED = "superseded"  # another letter for the company was used first
ACTIVATED = "activated"  # this application's letter was used

PLACEHOLDER_DOMAIN = "pending.invalid"  # the e-mail of a login whose details are not confirmed yet


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


def _last_letter_at(company):
    """When the company's digital mailbox last got an activation letter of an access application."""
    row = (OneTimeCode.select(OneTimeCode.created_at)
           .join(Application, on=(Application.login == OneTimeCode.user))
           .where(Application.company == company.id, Application.kind == "access",
                  OneTimeCode.purpose == "activation", OneTimeCode.channel == "digital_post")
           .order_by(OneTimeCode.created_at.desc()).first())
    return row.created_at if row else None


def placeholder_email(application_id):
    return f"application-{application_id}@{PLACEHOLDER_DOMAIN}"


def needs_details(user):
    """True while the login's e-mail and mobile are not confirmed by whoever holds the letter."""
    return user.email.endswith("@" + PLACEHOLDER_DOMAIN)


def process_access_application(application_id):
    """The automatic check of an access application (run by the job). Returns the result code.

    Not a customer, or an active admin already there: rejected, nothing created, nothing said to
    the applicant. A letter to the company less than an hour ago: no new letter (the one in the
    mailbox works, and its holder sets the details). Otherwise a pending admin of its own, without
    the typed e-mail and mobile, and a letter to the company's digital mailbox."""
    with db.atomic():
        application = Application.get_or_none(Application.id == application_id)
        if application is None or application.status != "received" or application.kind != "access":
            return "skipped"
        company = Company.get_or_none(Company.cvr == application.cvr)
        if company is None:
            decide(application, "rejected", NOT_CUSTOMER)
            return NOT_CUSTOMER
        lock_company(company)
        if any(m.user.status == "active" for m in live_admins(lineage(company))):
            decide(application, "rejected", HAS_ADMIN, company)
            return HAS_ADMIN
        last = _last_letter_at(company)
        if last is not None and utcnow() - last < RESEND_AFTER:
            decide(application, "rejected", ALREADY_SENT, company)
            return ALREADY_SENT
        user = create_pending_admin(company, application.admin_name, placeholder_email(application.id), "")
        application.login = user.id
        audit.record("user.created", obj=user, customer=company.customer_id, company=company.id,
                     admin=True, via="application", application=application.id)
        decide(application, "approved", LETTER_SENT, company, new_user=user.id)
    issue_activation(user.id, "digital_post", company.id)
    return LETTER_SENT


def application_of(user):
    """The access application whose letter activates this pending login, or None."""
    return Application.get_or_none(Application.login == user.id, Application.kind == "access")


def claim(user):
    """The letter of `user`'s application was used: it wins. Every other application of the company
    still waiting for activation is closed, its pending login disabled and its code spent.
    Call in the transaction that spends the code."""
    application = application_of(user)
    if application is None or application.company_id is None:
        return
    company = Company.get_by_id(application.company_id)
    lock_company(company)
    now = utcnow()
    others = (Application.select()
              .join(User, on=(Application.login == User.id))
              .where(Application.company == company.id, Application.kind == "access",
                     Application.id != application.id, User.status == "pending"))
    for other in others:
        (User.update(status="disabled", disabled_reason="superseded")
         .where(User.id == other.login_id, User.status == "pending").execute())
        (OneTimeCode.update(used_at=now)
         .where(OneTimeCode.user == other.login_id, OneTimeCode.used_at.is_null()).execute())
        decide(other, "closed", SUPERSEDED, company, winner=application.id)
    application.result = ACTIVATED
    application.save()
    audit.record("application.letter_used", user=user.id, obj=application, customer=company.customer_id,
                 company=company.id)


class DetailsError(Exception):
    """`errors`: {field: reason} with reasons email_unavailable."""

    def __init__(self, errors):
        super().__init__(", ".join(errors))
        self.errors = errors


def confirm_details(user, name, email, mobile):
    """Whoever activates with the letter confirms or replaces the name, e-mail and mobile the
    application gave; from now on they are the login's second-factor channels."""
    email = normalise_email(email)
    with db.atomic():
        taken = User.select().where(User.email == email, User.id != user.id).exists()
        if taken or email.endswith("@" + PLACEHOLDER_DOMAIN):
            raise DetailsError({"email": "email_unavailable"})
        (User.update(name=name.strip(), email=email, mobile=mobile)
         .where(User.id == user.id, User.status == "pending").execute())
        audit.record("user.details_confirmed", user=user.id, obj=user)
    user.name, user.email, user.mobile = name.strip(), email, mobile
    return user


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

