"""What the front page shows: current outages (those touching the company's addresses first) and
the support tickets the membership may see."""

from . import outages, support


def current_outages(scope):
    """Current outages, those touching the company's own addresses first."""
    return outages.front_page(scope)


def recent_tickets(scope, limit=5):
    return support.recent_tickets(scope, limit)
