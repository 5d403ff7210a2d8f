"""What the front page shows: current outages and the company's support tickets."""
from models import Outage, SupportTicket, utcnow


def current_outages():
    now = utcnow()
    return list(Outage.select()
                .where(Outage.starts_at <= now, (Outage.ends_at.is_null()) | (Outage.ends_at > now))
                .order_by(Outage.starts_at.desc()))


def recent_tickets(scope, limit=5):
    return list(scope.tickets().where(SupportTicket.status != "closed")
                .order_by(SupportTicket.updated_at.desc()).limit(limit))
