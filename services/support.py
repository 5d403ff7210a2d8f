"""Support tickets: reading them within a scope, creating one, replying."""
from peewee import fn

from models import SupportTicket, TicketMessage, db, utcnow

from . import audit


def list_tickets(scope):
    return scope.tickets().order_by(SupportTicket.status == "closed", SupportTicket.updated_at.desc())


def get_ticket(scope, ticket_id):
    return scope.get(scope.tickets(), SupportTicket, ticket_id)


def messages_of(ticket):
    return list(TicketMessage.select().where(TicketMessage.ticket == ticket.id).order_by(TicketMessage.created_at))


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
