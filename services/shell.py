"""The frame around every page: which company a user is working in."""
from flask import g, session
from flask_login import current_user
from werkzeug.exceptions import NotFound

from . import audit
from .scope import build_scope, user_memberships
from .sessions import memberships_of


def load_membership():
    """Pick the membership of the company chosen in the switcher (or the first) and its scope.

    Read on every request, so changed rights take effect on the next one.
    """
    memberships, links = memberships_of(session, current_user.id) or user_memberships(current_user.id)
    chosen = session.get("company_id")
    membership = next((m for m in memberships if m.company_id == chosen),
                      memberships[0] if memberships else None)
    g.memberships = memberships
    g.membership = membership
    g.scope = build_scope(membership, links.get(membership.company.customer_id)) if membership else None


def switch_company(company_id):
    """Make another of the user's companies the current one; 404 for any other company."""
    membership = next((m for m in g.get("memberships") or () if str(m.company_id) == str(company_id)), None)
    if membership is None:
        raise NotFound()
    session["company_id"] = membership.company_id
    audit.record("session.switch_company", user=current_user.id, customer=membership.company.customer_id,
                 company=membership.company_id, obj=membership.company)
    return membership
