"""Support tickets: reading them within a scope, creating one about a subscription, an account or
the company, replying with attachments, closing and reopening; the response-time target (SLA) in
Danish working hours; and the operator staff's side (the queue, answering, e-mail to the customer).

A ticket about a subscription or an account follows that account's scope (Scope.tickets); a
general ticket is seen by everyone in the company with the `support` right.
"""
import datetime
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import JOIN, Case, fn
from werkzeug.exceptions import NotFound

from models import Account, Company, Subscription, SupportTicket, TicketAttachment, TicketMessage, User, db, utcnow
from models.support import TICKET_CATEGORIES, TICKET_STATUSES

from . import audit, ticket_files
from .errors import ServiceError
from .ids import parse_id
from .listing import paginate
from .messages import in_locale, public_url, queue_message
from .search import clean_query
from .working_hours import HOURS_PER_DAY, add_working_hours, working_time_between

SUBJECT_MAX = 120
BODY_MAX = 5000
# working hours until the first answer is due, by category
TARGET_HOURS = {"fault_critical": 3, "fault": 8, "invoice": 16, "order": 16, "question": 16}
DEFAULT_TARGET = 16
PICKER_LIMIT = 8
STAFF_SORTS = ("updated", "due")


# -- the response-time target -------------------------------------------------------------------

@dataclass(frozen=True)
class Sla:
    """state: met / missed (answered in time or not), due / overdue (not answered yet), or
    stopped (closed before an answer). `left`: working time left while due; `late`: working time
    past the target (overdue, or missed by)."""

    hours: int
    due_at: datetime.datetime
    state: str
    answered_at: datetime.datetime | None = None
    left: datetime.timedelta | None = None
    late: datetime.timedelta | None = None

    @property
    def target(self):
        return response_time(self.hours)


def target_hours(category):
    return TARGET_HOURS.get(category, DEFAULT_TARGET)


def response_time(hours):
    """A target as people say it, the same on the form, the message and the ticket: "3 working
    hours", "2 working days" (two or more whole working days are said in days)."""
    days, rest = divmod(hours, HOURS_PER_DAY)
    if days >= 2 and not rest:
        return ngettext("%(num)d working day", "%(num)d working days", days)
    return ngettext("%(num)d working hour", "%(num)d working hours", hours)


def response_times():
    """{category: its target as response_time says it}, for the form's choices."""
    return {category: response_time(hours) for category, hours in TARGET_HOURS.items()}


def due_at(created_at, category):
    return add_working_hours(created_at, target_hours(category))


def sla_of(ticket, now=None):
    """The ticket's response-time target and where it stands, counted in working hours."""
    now = now or utcnow()
    hours = target_hours(ticket.category)
    due = ticket.response_due_at or due_at(ticket.created_at, ticket.category)
    answered = ticket.first_response_at
    if answered is not None:
        if answered <= due:
            return Sla(hours, due, "met", answered_at=answered)
        return Sla(hours, due, "missed", answered_at=answered, late=working_time_between(due, answered))
    if ticket.status == "closed":
        return Sla(hours, due, "stopped")
    if now <= due:
        return Sla(hours, due, "due", left=working_time_between(now, due))
    return Sla(hours, due, "overdue", late=working_time_between(due, now))


# -- reading ------------------------------------------------------------------------------------

def _with_concern(query):
    """The concerned subscription and account come along (for display), in the same query."""
    return (query.select_extend(Subscription.id, Subscription.number, Subscription.holder_name, Subscription.kind,
                                Account.id, Account.number, Account.name)
            .join(Subscription, JOIN.LEFT_OUTER, on=(SupportTicket.subscription == Subscription.id))
            .switch(SupportTicket)
            .join(Account, JOIN.LEFT_OUTER, on=(SupportTicket.account == Account.id))
            .switch(SupportTicket))


def list_tickets(scope, page=1):
    """The scope's tickets: open ones first, the latest change first. One page, a fixed number of queries."""
    scope.require("support")
    query = _with_concern(scope.tickets()).order_by(SupportTicket.status == "closed", SupportTicket.updated_at.desc(),
                                                    SupportTicket.id.desc())
    return paginate(query, page, count_query=scope.tickets())


def get_ticket(scope, ticket_id):
    """One ticket of the scope.

    :raise 403: without the `support` right.
    :raise 404: another customer's ticket, one about an account outside a limited scope, or no id.
    """
    scope.require("support")
    return scope.get(_with_concern(scope.tickets()), SupportTicket, ticket_id)


def messages_of(ticket):
    """The ticket's messages with their authors (one query) and attachments (one more), oldest first."""
    messages = list(TicketMessage.select(TicketMessage, User).join(User, JOIN.LEFT_OUTER)
                    .where(TicketMessage.ticket == ticket.id).order_by(TicketMessage.created_at, TicketMessage.id))
    files = {}
    for item in (TicketAttachment.select().where(TicketAttachment.ticket == ticket.id)
                 .order_by(TicketAttachment.id)):
        files.setdefault(item.message_id, []).append(item)
    for message in messages:
        message.files = files.get(message.id, [])
    return messages


def recent_tickets(scope, limit=5):
    """The front page's tickets: not closed, the latest change first."""
    return list(_with_concern(scope.tickets()).where(SupportTicket.status != "closed")
                .order_by(SupportTicket.updated_at.desc()).limit(limit))


def find_concerns(scope, text):
    """(subscriptions, accounts) of the scope matching `text` (name, number), for the ticket form's picker."""
    scope.require("support")
    text = clean_query(text)  # the picker's text comes in the ticket form: capped as a search, not a form value
    if len(text) < 2:
        return [], []
    digits = "".join(ch for ch in text if ch.isdigit())
    subscriptions = list(scope.subscriptions(details=False)
                         .where(Subscription.search_key.contains(digits if len(digits) >= 4 else text))
                         .order_by(Subscription.holder_name).limit(PICKER_LIMIT))
    condition = fn.LOWER(Account.name).contains(text)
    if digits:
        condition |= Account.number.startswith(digits)
    accounts = list(scope.accounts().where(condition).order_by(Account.number).limit(PICKER_LIMIT))
    return subscriptions, accounts


def concern_of(scope, value):
    """(subscription, account) for the picker's value: "subscription:<id>", "account:<id>", or ""
    for a general ticket. None for a value outside the scope."""
    kind, _sep, raw_id = (value or "").partition(":")
    if kind in ("", "general"):
        return None, None
    object_id = parse_id(raw_id)
    if object_id is None:
        return None
    if kind == "subscription":
        found = scope.subscriptions().where(Subscription.id == object_id).first()
        return (found, found.account) if found else None
    if kind == "account":
        found = scope.account(object_id)
        return (None, found) if found else None
    return None


# -- changes by the customer --------------------------------------------------------------------

def _text_errors(errors, subject, body):
    if subject is not None:
        if not subject:
            errors["subject"] = _("Write a subject.")
        elif len(subject) > SUBJECT_MAX:
            errors["subject"] = _("Use at most %(max)d characters.", max=SUBJECT_MAX)
    if not body:
        errors["body"] = _("Write your message.")
    elif len(body) > BODY_MAX:
        errors["body"] = _("Use at most %(max)d characters.", max=BODY_MAX)


def _check_files(errors, uploads):
    files, problem = ticket_files.check_uploads(uploads)
    if problem:
        errors["attachments"] = problem
    elif files and errors:  # the browser cannot show a chosen file again
        errors["attachments"] = _("Choose the files again: they are not kept when the form has errors.")
    return files


def _add_message(ticket, author_id, body, files, from_staff=False):
    """The message and its attachments, in one transaction: no half-made message stays behind."""
    with db.atomic():
        message = TicketMessage.create(ticket=ticket.id, author=author_id, from_staff=from_staff, body=body)
        for item, key in zip(files, ticket_files.store(files), strict=True):
            TicketAttachment.create(ticket=ticket.id, message=message.id, uploaded_by=author_id, key=key,
                                    name=item.name, mime_type=item.mime_type, size=len(item.data))
    return message


def _number(ticket_id):
    """S-100012: from the ticket's own id, so two tickets made at once never draw the same number
    (the demo's tickets are S-100001 onwards, made first)."""
    return f"S-{100000 + ticket_id}"


def create_ticket(scope, category, concern, subject, body, uploads=()):
    """A new ticket with its first message and attachments. `concern` is the picker's value.

    :raise ServiceError: with every problem of the form at once.
    """
    scope.require("support")
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    errors = {}
    if category not in TICKET_CATEGORIES:
        errors["category"] = _("Choose what the ticket is about.")
    found = concern_of(scope, concern)
    if found is None:
        errors["concern"] = _("Choose a subscription or an account from the list, or a general ticket.")
    _text_errors(errors, subject, body)
    files = _check_files(errors, uploads)
    if errors:
        raise ServiceError.of(errors)
    subscription, account = found
    company_id = account.company_id if account is not None else scope.company_id
    now = utcnow()
    with db.atomic():
        ticket = SupportTicket.create(
            customer=scope.customer_id, company=company_id, created_by=scope.user_id, number=uuid.uuid4().hex[:12],
            subject=subject, category=category, account=account.id if account else None,
            subscription=subscription.id if subscription else None, created_at=now, updated_at=now,
            response_due_at=due_at(now, category))
        ticket.number = _number(ticket.id)  # the id is known once the row is written
        SupportTicket.update(number=ticket.number).where(SupportTicket.id == ticket.id).execute()
        _add_message(ticket, scope.user_id, body, files)
        audit.record("ticket.create", user=scope.user_id, customer=scope.customer_id, company=company_id, obj=ticket,
                     number=ticket.number, category=category, concerns=_concern_text(subscription, account),
                     attachments=len(files))
    return ticket


def _concern_text(subscription, account):
    if subscription is not None:
        return subscription.number
    return account.number if account is not None else ""


def _record(scope, ticket, action, **details):
    """The event under the ticket's own company, so the subsidiary's admins see it too."""
    audit.record(action, user=scope.user_id, customer=scope.customer_id, company=ticket.company_id, obj=ticket,
                 number=ticket.number, **details)


def reply(scope, ticket_id, body, uploads=()):
    """The customer writes again: the ticket is the operator's turn (open).

    :raise ServiceError: empty or too long, bad files, or a closed ticket.
    """
    ticket = get_ticket(scope, ticket_id)
    body = (body or "").strip()
    errors = {}
    if ticket.status == "closed":
        errors["form"] = _("The ticket is closed. Reopen it to write again.")
    _text_errors(errors, None, body)
    files = _check_files(errors, uploads)
    if errors:
        raise ServiceError.of(errors)
    with db.atomic():
        _add_message(ticket, scope.user_id, body, files)
        SupportTicket.update(status="open", updated_at=utcnow()).where(SupportTicket.id == ticket.id).execute()
        _record(scope, ticket, "ticket.reply", attachments=len(files))
    return ticket


def close_ticket(scope, ticket_id):
    """Close the ticket (the customer needs no more help). False when it was closed already."""
    ticket = get_ticket(scope, ticket_id)
    if ticket.status == "closed":
        return False
    now = utcnow()
    with db.atomic():
        SupportTicket.update(status="closed", closed_at=now, updated_at=now).where(SupportTicket.id == ticket.id).execute()
        _record(scope, ticket, "ticket.close")
    return True


def reopen_ticket(scope, ticket_id):
    """Open a closed ticket again; it is the operator's turn. False when it was not closed."""
    ticket = get_ticket(scope, ticket_id)
    if ticket.status != "closed":
        return False
    with db.atomic():
        SupportTicket.update(status="open", closed_at=None, updated_at=utcnow()).where(SupportTicket.id == ticket.id).execute()
        _record(scope, ticket, "ticket.reopen")
    return True


def attachment_file(scope, ticket_id, attachment_id):
    """(attachment, its kept file as stored_files.parts gives it) of a file on one of the scope's tickets.

    :raise 404: the ticket is outside the scope, the file is not on it, or it is gone.
    """
    ticket = get_ticket(scope, ticket_id)
    return _attachment(ticket.id, attachment_id)


def _attachment(ticket_id, attachment_id):
    attachment_id = parse_id(attachment_id)
    item = attachment_id and TicketAttachment.get_or_none(TicketAttachment.id == attachment_id,
                                                          TicketAttachment.ticket == ticket_id)
    found = ticket_files.file_of(item.key) if item else None
    if found is None:
        raise NotFound()
    return item, found


# -- operator staff -----------------------------------------------------------------------------

def staff_queue(status="", sort="updated", page=1):
    """Every customer's tickets for operator staff (the routes are staff-only). sort="due": the
    unanswered ones first by time left, then the answered by their latest change."""
    query = _with_concern(SupportTicket.select(SupportTicket, Company).join(Company).switch(SupportTicket))
    count = SupportTicket.select()
    if status in TICKET_STATUSES:
        query = query.where(SupportTicket.status == status)
        count = count.where(SupportTicket.status == status)
    if sort == "due":
        waiting = Case(None, [((SupportTicket.first_response_at.is_null() & (SupportTicket.status != "closed")), 0)], 1)
        query = query.order_by(waiting, SupportTicket.response_due_at, SupportTicket.updated_at.desc())
    else:
        query = query.order_by(SupportTicket.status == "closed", SupportTicket.updated_at.desc(), SupportTicket.id.desc())
    return paginate(query, page, count_query=count)


def staff_ticket(ticket_id):
    """Any customer's ticket, for operator staff only (the route is staff-only); None if there is none."""
    ticket_id = parse_id(ticket_id)
    if ticket_id is None:
        return None
    return (_with_concern(SupportTicket.select(SupportTicket, Company).join(Company).switch(SupportTicket))
            .where(SupportTicket.id == ticket_id).first())


def staff_attachment(ticket_id, attachment_id):
    ticket = staff_ticket(ticket_id)
    if ticket is None:
        raise NotFound()
    return _attachment(ticket.id, attachment_id)


def staff_answer(staff_user, ticket_id, body, status, uploads=()):
    """Operator support answers a ticket and/or sets its status; the ticket's creator is told by
    e-mail (subject and link only). The first answer is what the response-time target measures.

    :raise ServiceError: a bad status, too long a text, bad files, or nothing to save.
    """
    ticket = staff_ticket(ticket_id)
    if ticket is None:
        raise NotFound()
    body = (body or "").strip()
    errors = {}
    if status not in TICKET_STATUSES:
        errors["status"] = _("Choose a status.")
    if len(body) > BODY_MAX:
        errors["body"] = _("Use at most %(max)d characters.", max=BODY_MAX)
    files = _check_files(errors, uploads)
    if files and not body and "body" not in errors:
        errors["body"] = _("Write a message to go with the files.")
    elif not body and status == ticket.status:
        errors["body"] = _("Write an answer, or choose another status.")
    elif not body and status == "waiting" and ticket.first_response_at is None:
        # the form suggests "waiting" for an unanswered ticket; without an answer it would wait for nothing
        errors["body"] = _("Write the answer first: the customer cannot act on a ticket nobody has answered.")
    if errors:
        raise ServiceError.of(errors)
    now = utcnow()
    changes = {"status": status, "updated_at": now, "closed_at": now if status == "closed" else None}
    if status == "closed" and ticket.status == "closed":
        changes["closed_at"] = ticket.closed_at
    if body and ticket.first_response_at is None:
        changes["first_response_at"] = now
    with db.atomic():
        if body:
            _add_message(ticket, staff_user.id, body, files, from_staff=True)
        SupportTicket.update(**changes).where(SupportTicket.id == ticket.id).execute()
        audit.record("ticket.staff_answer", user=staff_user.id, customer=ticket.customer_id,
                     company=ticket.company_id, obj=ticket, number=ticket.number, status=status,
                     answered=bool(body), attachments=len(files))
    if body:
        _tell_creator(ticket)
    return ticket


def _tell_creator(ticket):
    """E-mail the ticket's creator in their language: the subject and a link, nothing of the answer."""
    creator = User.get_or_none(User.id == ticket.created_by_id) if ticket.created_by_id else None
    if creator is None or not creator.email or not creator.is_active:
        return
    link = public_url("support.detail", ticket_id=ticket.id)
    subject = in_locale(creator.locale, lambda: _("Answer on support ticket %(number)s", number=ticket.number))
    text = in_locale(creator.locale, lambda: _(
        "Operator support has answered your support ticket %(number)s “%(subject)s”.\n\n"
        "Read the answer in Selvbetjening: %(link)s", number=ticket.number, subject=ticket.subject, link=link))
    queue_message("email", creator.email, text, subject=subject, user=creator.id, company=ticket.company_id)
