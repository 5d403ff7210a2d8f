"""What the front page shows: current outages (those touching the company's addresses first) and
the support tickets the membership may see.

Both are read with a fixed number of queries that don't grow with the customer (issue 10): the
outages in services/outages.py (`front_page`), the tickets here.
"""
from models import Account, Subscription, SupportTicket, db
from models.database import execute_prepared, instance_of

from . import outages

_TICKET_FIELDS = tuple(SupportTicket._meta.sorted_fields)
_CONCERN_FIELDS = ((Subscription, ("id", "number", "holder_name", "kind")), (Account, ("id", "number", "name")))
_TICKET_SQL = {}  # (db.param, companies, accounts or None) -> SQL


def current_outages(scope):
    """Current outages, those touching the company's own addresses first."""
    return outages.front_page(scope)


def recent_tickets(scope, limit=5):
    """The tickets the scope sees that are not closed, the latest change first, each with the
    subscription and account it concerns (as services/support.recent_tickets, which
    tests/test_frontpage_cost.py compares it with). One query of fixed SQL:

    - per company of the scope, the newest `limit` open tickets by the (company, updated_at)
      index, then the newest `limit` of those: never every ticket of the customer, however many
      closed ones years of support have left;
    - a user limited to accounts sees a subscription's ticket when the subscription is in one of
      their accounts now (the joined subscription row, one primary-key lookup per ticket, not
      a list of every subscription of their accounts), an account's ticket when it is their
      account, and the company's general tickets (neither set), as services/scope.py `tickets`;
    - the SQL text is made once per shape: building it from peewee's expression tree cost more
      than running it; on PostgreSQL it is a prepared statement, whose planning (three tables,
      one with many indexes) cost more than running it too."""
    companies = list(scope.company_ids)
    accounts = None if scope.account_ids is None else list(scope.account_ids)
    if not companies:
        return []
    key = (db.param, len(companies), None if accounts is None else len(accounts))
    sql = _TICKET_SQL.get(key)
    if sql is None:
        sql = _TICKET_SQL[key] = _ticket_sql(db.param, len(companies), key[2])
    params = []
    accounts_params = [] if accounts is None else accounts + accounts
    for company_id in companies:
        params += [company_id, scope.customer_id, "closed", *accounts_params, limit]
    params += [scope.customer_id, limit]
    return [_ticket(row) for row in execute_prepared(sql, params).fetchall()]


def _ticket_sql(p, companies, accounts):
    def listed(n):
        return ", ".join([p] * n)

    limited = ""
    if accounts is not None:
        limited = (f" AND ((t.subscription_id IS NULL AND (t.account_id IS NULL OR t.account_id IN ({listed(accounts)})))"
                   f" OR s.account_id IN ({listed(accounts)}))") if accounts else " AND 1 = 0"
    newest = " UNION ALL ".join(
        f"SELECT id FROM (SELECT t.id FROM support_ticket t LEFT JOIN subscription s ON s.id = t.subscription_id "  # nosec B608  # placeholders and column names only, no values
        f"WHERE t.company_id = {p} AND t.customer_id = {p} AND t.status != {p}{limited} "
        f"ORDER BY t.updated_at DESC LIMIT {p}) AS c{i}" for i in range(companies))
    columns = [f't."{f.column_name}"' for f in _TICKET_FIELDS]
    columns += [f'{alias}."{model._meta.fields[name].column_name}"'
                for alias, (model, names) in zip("sa", _CONCERN_FIELDS, strict=True) for name in names]
    return (f"SELECT {', '.join(columns)} FROM support_ticket t "  # nosec B608  # placeholders and column names only, no values
            "LEFT JOIN subscription s ON s.id = t.subscription_id LEFT JOIN account a ON a.id = t.account_id "
            f"WHERE t.id IN ({newest}) AND t.customer_id = {p} ORDER BY t.updated_at DESC, t.id DESC LIMIT {p}")


def _ticket(row):
    """A SupportTicket with its subscription and account attached (no query when the page uses them)."""
    ticket = instance_of(SupportTicket, _TICKET_FIELDS, row[:len(_TICKET_FIELDS)])
    at = len(_TICKET_FIELDS)
    for model, names in _CONCERN_FIELDS:
        fields = [model._meta.fields[name] for name in names]
        values = row[at:at + len(names)]
        at += len(names)
        if values[0] is not None:
            related = instance_of(model, fields, values)
            if model is Subscription:
                ticket.subscription = related
            else:
                ticket.account = related
    ticket._dirty.clear()
    return ticket
