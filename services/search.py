"""The top bar's search: subscriptions by name or number, accounts by number or name."""
from models import Account, Subscription

LIMIT = 8


def _digits(text):
    return "".join(ch for ch in text if ch.isdigit())


def search(scope, text, limit=LIMIT):
    """(subscriptions, accounts) within the scope; each list at most `limit` long."""
    text = (text or "").strip().lower()
    if len(text) < 2:
        return [], []
    subscriptions = []
    if scope.can("subscriptions"):
        subscriptions = list(scope.subscriptions()
                             .where(Subscription.search_key.contains(text))
                             .order_by(Subscription.holder_name).limit(limit))
    accounts = []
    if scope.can("accounts"):  # results link to the account page, which needs the right
        digits = _digits(text)
        condition = Account.name.contains(text)
        if digits:
            condition |= Account.number.startswith(digits)
        accounts = list(scope.accounts().where(condition).order_by(Account.number).limit(limit))
    return subscriptions, accounts
