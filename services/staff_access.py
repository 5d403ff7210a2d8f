"""Staff work on access: find a company's admins, disable an orphaned admin login,
approve or reject applications (recovery requests above all).

Every change is one transaction with its audit event; messages are queued after it.
"""
from flask_babel import gettext as _
from peewee import JOIN
from werkzeug.exceptions import NotFound

from models import Application, AuditEvent, Company, Customer, Membership, User, db

from . import audit
from .activation import issue_activation
from .applications import (
    RECOVERED,
    REJECTED_BY_STAFF,
    ApplicationError,
    create_pending_admin,
    decide,
    lock_company,
)
from .audit_text import describe_all
from .messages import in_locale, public_url, queue_message
from .sessions import end_user_sessions


def find_company(cvr):
    """(company, customer) by CVR number, or (None, None)."""
    company = (Company.select(Company, Customer).join(Customer)
               .where(Company.cvr == cvr).first())
    return (company, company.customer) if company else (None, None)


def company_logins(company):
    """Memberships in the company with their users: admins first, then by name."""
    return list(Membership.select(Membership, User).join(User)
                .where(Membership.company == company.id)
                .order_by(Membership.is_admin.desc(), User.name))


def applications_for_cvr(cvr, limit=20):
    return list(Application.select().where(Application.cvr == cvr)
                .order_by(Application.created_at.desc()).limit(limit))


def history(application):
    """The audit events about one application, oldest first, each with its sentence (as the audit
    trail words it): [(event, sentence)]."""
    events = list(AuditEvent.select(AuditEvent, User).join(User, JOIN.LEFT_OUTER)
                  .where(AuditEvent.object_type == "application",
                         AuditEvent.object_id == str(application.id))
                  .order_by(AuditEvent.created_at, AuditEvent.id))
    return list(zip(events, describe_all(events), strict=True))


def get_application(application_id):
    application = Application.get_or_none(Application.id == application_id)
    if application is None:
        raise NotFound()
    return application


def _disable(staff_user, user, company, reason, application=None):
    """Disable one login and end its sessions; inside the caller's transaction."""
    User.update(status="disabled", disabled_reason=reason[:255]).where(User.id == user.id).execute()
    ended = end_user_sessions(user.id)
    audit.record("staff.disable_admin", user=staff_user.id, customer=company.customer_id,
                 company=company.id, obj=user, reason=reason, sessions_ended=ended,
                 application=application.id if application else None)


def _notify_disabled(user, company, reason):
    """An e-mail to the person whose login was disabled, a letter to the company."""
    subject, body = in_locale(user.locale, lambda: (
        _("Your login to Selvbetjening has been disabled"),
        _("Hello %(name)s\n\nOur support has disabled your login to Selvbetjening for %(company)s.\n"
          "Reason: %(reason)s\n\nIf this is a mistake, contact your company or our support.",
          name=user.name, company=company.name, reason=reason)))
    queue_message("email", user.email, body, subject=subject, user=user.id, company=company.id)
    subject, body = in_locale(None, lambda: (
        _("A login to Selvbetjening has been disabled"),
        _("To %(company)s, CVR %(cvr)s\n\nOur support has disabled the login of %(name)s (%(email)s) "
          "to Selvbetjening.\nReason: %(reason)s\n\nA new administrator can apply for access at %(link)s.",
          company=company.name, cvr=company.cvr, name=user.name, email=user.email, reason=reason,
          link=public_url("onboarding.apply"))))
    queue_message("digital_post", company.cvr, body, subject=subject, company=company.id)


def disable_admin(staff_user, company_id, user_id, reason):
    """Disable an admin login of the company (e.g. one who has left), with a reason.

    404 when the user is no admin of that company; False when already disabled.
    """
    with db.atomic():
        company = Company.get_or_none(Company.id == company_id)
        membership = (Membership.select(Membership, User).join(User)
                      .where(Membership.company == company_id, Membership.user == user_id,
                             Membership.is_admin == True, User.kind == "customer")  # noqa: E712
                      .first()) if company else None
        if membership is None:
            raise NotFound()
        user = membership.user
        if user.status == "disabled":
            return False
        _disable(staff_user, user, company, reason)
    _notify_disabled(user, company, reason)
    return True


def approve_recovery(staff_user, application_id, note=""):
    """Approve a recovery request: the company's admin logins are disabled, a new pending
    admin is created from the request and the activation letter goes to the company's e-Boks."""
    with db.atomic():
        application = get_application(application_id)
        if application.status != "received" or application.kind != "recovery":
            raise ApplicationError("processed")
        company = Company.get_or_none(Company.cvr == application.cvr)
        if company is None:
            raise ApplicationError("not_customer")
        lock_company(company)
        if User.select().where(User.email == application.email).exists():
            raise ApplicationError("email_in_use")
        reason = _("Replaced after recovery request no. %(id)s", id=application.id)
        old = [m.user for m in Membership.select(Membership, User).join(User)
               .where(Membership.company == company.id, Membership.is_admin == True,  # noqa: E712
                      User.status.in_(("active", "pending")))]
        for user in old:
            _disable(staff_user, user, company, reason, application)
        new_user = create_pending_admin(company, application.admin_name, application.email,
                                        application.mobile)
        audit.record("user.created", user=staff_user.id, obj=new_user, customer=company.customer_id,
                     company=company.id, admin=True, via="recovery", application=application.id)
        decide(application, "approved", RECOVERED, company, processed_by=staff_user.id,
                note=note, disabled=[u.id for u in old], new_user=new_user.id)
        audit.record("staff.approve_application", user=staff_user.id, obj=application,
                     customer=company.customer_id, company=company.id, note=note)
    for user in old:
        _notify_disabled(user, company, reason)
    issue_activation(new_user.id, "digital_post", company.id, actor_id=staff_user.id)
    subject, body = in_locale(None, lambda: (
        _("Your request for a new administrator is approved"),
        _("Hello %(name)s\n\nWe have approved the request for a new administrator login for %(company)s. "
          "The username and an activation code are on their way to the company's digital mailbox "
          "(e-Boks) and arrive within 2 hours.", name=application.admin_name, company=company.name)))
    queue_message("email", application.email, body, subject=subject, company=company.id)
    return new_user


def reject_application(staff_user, application_id, note):
    """Reject an application that is still waiting, with the reason; the applicant is told by e-mail."""
    with db.atomic():
        application = get_application(application_id)
        if application.status != "received":
            raise ApplicationError("processed")
        company = Company.get_or_none(Company.cvr == application.cvr)
        decide(application, "rejected", REJECTED_BY_STAFF, company, processed_by=staff_user.id,
                note=note)
        audit.record("staff.reject_application", user=staff_user.id, obj=application,
                     customer=company.customer_id if company else None,
                     company=company.id if company else None, note=note)
    subject, body = in_locale(None, lambda: (
        _("Your application for Selvbetjening"),
        _("Hello %(name)s\n\nWe could not approve your application for %(company)s, CVR %(cvr)s.\n"
          "Reason: %(note)s\n\nYou are welcome to contact our support.",
          name=application.admin_name, company=application.company_name, cvr=application.cvr,
          note=note)))
    queue_message("email", application.email, body, subject=subject,
                  company=company.id if company else None)
    return application

