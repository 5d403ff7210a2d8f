"""The left menu: each entry is shown only where the membership holds its function."""
from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

MEMBER_MENU = (
    ("home.index", _l("Front page"), None),
    ("subscriptions.index", _l("Subscriptions"), "subscriptions"),
    ("numbers.index", _l("Numbers"), "numbers"),
    ("invoices.index", _l("Invoices"), "invoices"),
    ("orders.index", _l("Order status"), "orders"),
    ("accounts.index", _l("Accounts"), "accounts"),
    ("products.index", _l("Products"), "products"),
    ("users.index", _l("Self-service users"), "users"),
    ("support.index", _l("Support"), "support"),
    ("outages.index", _l("Service status"), None),
)
STAFF_MENU = (
    ("staff.index", _l("Staff overview"), None),
    ("staff.applications", _l("Applications"), None),
    ("staff.companies", _l("Find company"), None),
    ("staff.invoices", _l("Invoices and credit notes"), None),
    ("staff.outages", _l("Outages"), None),
    ("staff.tickets", _l("Support tickets"), None),
    ("staff.fraud_reviews", _l("Port-outs held for review"), None),
)
EMPLOYEE_MENU = (("me.index", _l("My subscription"), None),)


def menu():
    """(endpoint, label) pairs for the signed-in user."""
    if not current_user.is_authenticated:
        return []
    if current_user.kind == "staff":
        entries = STAFF_MENU
    elif current_user.kind == "employee":
        entries = EMPLOYEE_MENU
    elif g.get("scope") is None:
        return []
    else:
        entries = [e for e in MEMBER_MENU if e[2] is None or g.scope.can(e[2])]
    return [(endpoint, label) for endpoint, label, _fn in entries]
