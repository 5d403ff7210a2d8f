"""The functions (rights) a membership can be granted, and what each opens."""
from flask_babel import lazy_gettext as _l

# In menu order. `users` is for admins only.
FUNCTIONS = (
    "subscriptions", "order", "manage", "sim", "usage", "invoices", "accounts",
    "orders", "products", "numbers", "support", "users",
)

FUNCTION_LABELS = {
    "subscriptions": _l("See subscriptions"),
    "order": _l("Order subscriptions and takeovers"),
    "manage": _l("Change, cancel, transfer and block subscriptions"),
    "sim": _l("SIM cards, PIN and PUK codes"),
    "usage": _l("Usage"),
    "invoices": _l("Invoices"),
    "accounts": _l("Accounts"),
    "orders": _l("Order status"),
    "products": _l("Telephony products"),
    "numbers": _l("Numbers and porting"),
    "support": _l("Support tickets"),
    "users": _l("Self-service users"),
}

ADMIN_ONLY = frozenset({"users"})


def effective_functions(membership):
    """Admins hold every function; others what they were granted, never admin-only ones."""
    if membership is None:
        return frozenset()
    if membership.is_admin:
        return frozenset(FUNCTIONS)
    return membership.function_set & (frozenset(FUNCTIONS) - ADMIN_ONLY)
