"""Support tickets: reading them within a scope, creating one, replying."""
from flask_babel import gettext as _
from peewee import JOIN, fn

from models import Company, SupportTicket, TicketMessage, User, db, utcnow

from . import audit
from .messages import in_locale, queue_message


def list_tickets(scope):
    return scope.tickets().order_by(SupportTicket.status == "closed", SupportTicket.updated_at.desc())


def get_ticket(scope, ticket_id):
    return scope.get(scope.tickets(), SupportTicket, ticket_id)


def messages_of(ticket):
    """The ticket's messages with their authors, in one query."""
    return list(TicketMessage.select(TicketMessage, User).join(User, JOIN.LEFT_OUTER)
                .where(TicketMessage.ticket == ticket.id).order_by(TicketMessage.created_at))


def _next_number():
    last = SupportTicket.select(fn.MAX(SupportTicket.id)).scalar() or 0
    return f"S-{200001 + last}"


def create_ticket(scope, subject, body, category="other"):
    scope.require("support")
    with db.atomic():
        ticket = SupportTicket.create(customer=scope.customer_id, company=scope.company_id,
                                      created_by=scope.user_id, number=_next_number(),
                                      subject=subject.strip(), category=category)
        TicketMessage.create(ticket=ticket, author=scope.user_id, body=body.strip())
        audit.record_for_scope(scope, "ticket.create", obj=ticket, number=ticket.number)
    return ticket


def reply(scope, ticket, body):
    scope.require("support")
    with db.atomic():
        TicketMessage.create(ticket=ticket, author=scope.user_id, body=body.strip())
        ticket.status = "open"
        ticket.updated_at = utcnow()
        ticket.save()
        audit.record_for_scope(scope, "ticket.reply", obj=ticket)


def staff_answer(staff_user, ticket_id, body, status):
    """Operator support answers a ticket and sets its status; the customer is told by e-mail."""
    if status not in ("open", "waiting", "closed"):
        raise ValueError("status")
    with db.atomic():
        ticket = SupportTicket.get_or_none(SupportTicket.id == ticket_id)
        if ticket is None:
            return None
        if body.strip():
            TicketMessage.create(ticket=ticket, author=staff_user.id, from_staff=True, body=body.strip())
        ticket.status = status
        ticket.updated_at = utcnow()
        ticket.save()
        audit.record("ticket.staff_answer", user=staff_user.id, customer=ticket.customer_id,
                     company=ticket.company_id, obj=ticket, status=status, answered=bool(body.strip()))
    creator = User.get_or_none(User.id == ticket.created_by_id) if ticket.created_by_id else None
    if creator is not None and body.strip():
        subject = in_locale(creator.locale, lambda: _("Answer on support ticket %(number)s", number=ticket.number))
        text = in_locale(creator.locale, lambda: _(
            "Operator support has answered your support ticket %(number)s “%(subject)s”. "
            "Read the answer in Selvbetjening under Support.", number=ticket.number, subject=ticket.subject))
        queue_message("email", creator.email, text, subject=subject, user=creator.id, company=ticket.company_id)
    return ticket


def staff_ticket(ticket_id):
    """Any customer's ticket, for operator staff only (the route is staff-only)."""
    return (SupportTicket.select(SupportTicket, Company).join(Company)
            .where(SupportTicket.id == ticket_id).first())
