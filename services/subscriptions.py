"""Reading subscriptions within a scope: the overview, its filters and the CSV export
(the changes come with the subscription services)."""
from flask_babel import gettext as _
from peewee import fn

from models import (
    Account,
    AddOn,
    Company,
    Plan,
    SimCard,
    Subscription,
    SubscriptionAddOn,
    UsageRecord,
    utcnow,
)
from models.catalogue import KINDS
from models.database import batches, related
from models.subscriptions import STATUSES, SubscriptionTally

from . import audit, exports, listing
from .formatting import phone
from .ids import parse_id
from .labels import label
from .listing import capped_count, keyset_paginate
from .search import (
    MIN_INDEXED,
    bounded_walk,
    clean_query,
    gathered,
    hits_cap,
    many_matches,
    match_for_count,
    rows_past,
    scan_scope,
    subscription_match,
    walk_bound,
)

SORTS = {
    "name": (Subscription.holder_name, Subscription.id),
    # the id breaks ties, so paging never repeats or skips a row
    "kind": (Subscription.kind, Subscription.holder_name, Subscription.id),
    "email": (Subscription.holder_email, Subscription.holder_name, Subscription.id),
    "number": (Subscription.number, Subscription.id),
}


SEARCH_COUNT_CAP = 1_000
FILTERS = ("q", "kind", "status", "account", "company")  # what the overview, bulk and export share
MAX_ACCOUNT_OPTIONS = 200  # more accounts than this: a text field for the account number


def parse_filters(args):
    """Plain, validated filter values from query or form arguments; bad values are dropped.

    `account` is an account number (digits), `company` a company id; both only narrow
    the scope, so an id of another customer simply matches nothing.
    """
    def text(name, limit=100):
        return str(args.get(name) or "").strip()[:limit]

    account = text("account", 20).replace(" ", "")
    return {
        "q": text("q"),
        "kind": text("kind") if text("kind") in KINDS else "",
        "status": text("status") if text("status") in STATUSES else "",
        "account": account if account.isdigit() else "",
        "company": parse_id(args.get("company")),
        "sort": text("sort") if text("sort") in SORTS else "name",
    }


def _narrowed(query, q="", kind="", status="", account="", company=None, how=None, model=Subscription):
    """`how` of the search text: None (the FTS hit list), "walk" (many matches: see subscription_match)
    or "count" (shaped for a capped count). `model`: another with kind, status and company (the tallies)."""
    text = clean_query(q)
    if text:
        query = match_for_count(query, text) if how == "count" else query.where(subscription_match(text, how == "walk"))
    if kind in KINDS:
        query = query.where(model.kind == kind)
    if status in STATUSES:
        query = query.where(model.status == status)
    if account:
        # a scalar subquery on the unique account number: the (account, holder_name) index serves the rest
        by_number = Account.alias("by_number")
        query = query.where(Subscription.account == by_number.select(by_number.id)
                            .where(by_number.number == account))
    if company:
        query = query.where(model.company == company)
    return query


def matching(scope, q="", kind="", status="", account="", company=None, sort=None, details=False):
    """The subscriptions in scope that match the overview's filters.

    Without details it is the cheap query to count or to select ids from (bulk "all that
    match"); with details the account, plan and (for a company tree) company come along.
    """
    scope.require("subscriptions")
    query = scope.subscriptions(details=details)
    if details and scope.spans_companies:
        query = query.select_extend(Company).switch(Subscription).join(Company)
    query = _narrowed(query, q, kind, status, account, company)
    if sort is not None:
        query = query.order_by(*SORTS.get(sort, SORTS["name"]))
    return query


class _Named:
    """`.name` / `.number` of a row's plan, account or company, as the template reads them."""

    __slots__ = ("name", "number")

    def __init__(self, name=None, number=None):
        self.name, self.number = name, number


class OverviewRow:
    """One row of the overview: the columns it shows and nothing more. Building a model instance per
    joined table (subscription, account, plan, company) with every column cost more than the query."""

    __slots__ = ("id", "holder_name", "number", "kind", "status", "holder_email", "search_key", "plan", "account",
                 "company")

    def __init__(self, id, holder_name, number, kind, status, holder_email, search_key, plan_name, account_number,
                 company_name=None):
        self.id, self.holder_name, self.number, self.kind = id, holder_name, number, kind
        self.status, self.holder_email, self.search_key = status, holder_email, search_key
        self.plan, self.account, self.company = _Named(plan_name), _Named(number=account_number), _Named(company_name)


def _overview_rows(scope):
    """The overview's rows: only the shown columns (and the sort keys), as OverviewRow."""
    columns = [Subscription.id, Subscription.holder_name, Subscription.number, Subscription.kind, Subscription.status,
               Subscription.holder_email, Subscription.search_key,
               related(Plan, Plan.name, Subscription.plan).alias("plan_name"),
               related(Account, Account.number, Subscription.account).alias("account_number")]
    if scope.spans_companies:
        columns.append(related(Company, Company.name, Subscription.company).alias("company_name"))
    return scope.subscriptions(details=False).select(*columns).objects(OverviewRow)


def _kept_count(scope, kind, status, company, cap):
    """(total, more) as capped_count gives it, summed from the counts the database keeps per company,
    kind and status (migration 0026): a few dozen rows, where counting read up to cap + 1."""
    tallies = scope.subscription_tallies().select(fn.SUM(SubscriptionTally.subscriptions))
    total = _narrowed(tallies, kind=kind, status=status, company=company, model=SubscriptionTally).scalar() or 0
    return min(total, cap), total > cap


def list_subscriptions(scope, q="", kind="", status="", sort="name", page=1, account="", company=None, cursor=None):
    """One page of the overview: two queries (a count capped at 10,000 and the rows; a search's rows
    may take three, `_search_pages`), whatever the filters, the size and the page. Previous/next
    follow a cursor (keyset), never an OFFSET."""
    scope.require("subscriptions")
    filters = {"q": q, "kind": kind, "status": status, "account": account, "company": company}
    sort = sort if sort in SORTS else "name"
    text = clean_query(q)
    # a search counts to SEARCH_COUNT_CAP (PostgreSQL: search.CAP): each match found costs a row
    # lookup, and the page says "more than 1,000" as well as "more than 10,000"
    cap = hits_cap(min(SEARCH_COUNT_CAP, listing.COUNT_CAP)) if len(text) >= MIN_INDEXED else listing.COUNT_CAP
    scan = scan_scope(scope, text)  # a small limited scope: check its rows rather than every customer's hits
    if text or account or scope.limited:
        counted = capped_count(_narrowed(scope.subscriptions(details=False), how="walk" if scan else "count",
                                         **filters), cap)
    else:  # the same count as every visit asks: the database keeps it
        counted = _kept_count(scope, kind, status, company, cap)
    walk = None if scan or len(text) < MIN_INDEXED else _search_pages(scope, filters, text, counted[1])
    query = _narrowed(_overview_rows(scope), how="walk" if scan else None, **filters)
    return keyset_paginate(query, SORTS[sort], f"subscriptions:{sort}", page=page, cursor=cursor, counted=counted,
                           cap=cap, walk=walk)


def _search_pages(scope, filters, text, many):
    """How a search's page is read (keyset_paginate's `walk`): its ids first, then its rows by id.

    Two ways to find a page of hits, each slow where the other is fast: walking the sort order and
    testing each row's search key costs the rows passed, gathering every hit (the trigram or FTS
    index) and sorting them costs the hits. A surname ("hansen", 4.5 % of the rows) is spread
    through name order, so a walk fills a page within some thousand rows where 45,000 hits would
    be gathered at 1,000,000 (60 ms); a first name ("mette") sits together, after most of the
    customer's rows in name order (an unbounded walk: 95 ms at 1,000,000 on SQLite, 134 ms on
    PostgreSQL). So:

    - a text with at most the count's cap of hits (`many` false) is gathered (`gathered`);
    - otherwise the sort order is walked for a bounded number of rows (`bounded_walk`,
      `walk_bound`), and the hits are gathered when that stopped at its bound without filling
      the page (a short page from a walk that reached the end of the list is the whole rest of
      it). Surnames spread through name and e-mail order fill a page within 12,000 rows at
      1,000,000 ("olsen", "nielsen"; "hansen" 4,200), through number order within 3,000; "mette"
      at 1,000,000 gathers 17,000 hits in about 25 ms;
    - a page asked for by number (an OFFSET within the counted rows) is read as before: SQLite
      walks without bound, PostgreSQL's planner chooses (the pager offers no numbers to a list
      it could not count, so only a typed address asks).

    The ids come from the sort keys and the search key alone: on PostgreSQL an index-only scan then
    tests the search key in the (customer, name, id, company, search key) index, where a plain
    index scan reads each passed row from the table first ("hansen" at 1,000,000: 4,232 rows read
    for 51 shown, 19 ms; ids first, 1.7 ms)."""
    unsearched = _narrowed(scope.subscriptions(details=False), **dict(filters, q=""))
    # a filter or a limited user's accounts that the name index does not hold: each passed row is read
    filtered = scope.account_ids is not None or any(filters[name] for name in ("kind", "status", "account"))

    def rows(ids, order):
        return list(_overview_rows(scope).where(Subscription.id.in_(ids)).order_by(*order))

    def walk(condition, order, limit, offset):
        query = unsearched if condition is None else unsearched.where(condition)
        if many and offset:  # as before: SQLite walks, PostgreSQL's planner chooses
            found = query.where(subscription_match(text, walk=many_matches(text, True)))
            return rows(found.select(Subscription.id).order_by(*order).limit(limit).offset(offset), order)
        if many:
            bound = walk_bound(order, filtered)
            found = rows(bounded_walk(query, text, order, limit, bound), order)
            # a short page is the whole rest of the list unless the walk stopped at its bound
            if len(found) == limit or not rows_past(query, order, bound):
                return found
        return rows(gathered(query, text, order, limit, offset), order)

    return walk


def filter_options(scope):
    """The choices of the overview's filters: one query for companies (only for a company
    tree) and one for accounts; `accounts` is None when there are too many for a select."""
    scope.require("subscriptions")
    # the shown columns as named tuples (.id, .name, .number): model instances cost more than the queries
    companies = (list(scope.shown_companies().select(Company.id, Company.name).namedtuples())
                 if scope.spans_companies else [])
    accounts = list(scope.accounts().select(Account.id, Account.number, Account.name)
                    .order_by(Account.number).limit(MAX_ACCOUNT_OPTIONS + 1).namedtuples())
    return {"companies": companies,
            "accounts": accounts if len(accounts) <= MAX_ACCOUNT_OPTIONS else None}


def start_export(scope, filters):
    """Audit and enqueue the CSV export of the matching subscriptions; returns the job id.

    The job gets the membership id, not the scope: it rebuilds the scope itself.
    """
    from jobs import enqueue  # jobs import this module
    from jobs.exports import export_subscriptions_csv

    scope.require("subscriptions")
    audit.record_for_scope(scope, "subscription.export", filters={k: v for k, v in filters.items() if v})
    return enqueue(export_subscriptions_csv, scope.membership_id, dict(filters), track=True,
                   user_id=scope.user_id, company_id=scope.company_id)


EXPORT_BATCH = 1000  # rows per add-on lookup while streaming the export


def export_csv(scope, path, filters, progress=None):
    """Write the matching subscriptions to `path` as CSV; returns the row count.

    Streams rows from the database (`batches`, a server-side cursor on PostgreSQL) and loads
    add-ons per batch, so memory stays flat at 1,000,000 subscriptions. Headers and labels are in the current
    locale (the job sets the user's).
    """
    scope.require("subscriptions")
    sort = filters.get("sort") or "name"
    filters = {k: filters.get(k) for k in FILTERS}
    count = matching(scope, **filters).count()
    query = (_narrowed(scope.subscriptions(details=False), **filters)
             .select(Subscription.id, Subscription.holder_name, Subscription.number, Subscription.kind,
                     Plan.name, Subscription.status, Account.number, Company.name, Subscription.holder_email,
                     Subscription.start_date, Subscription.end_date, Subscription.invoice_note)
             .join(Account, on=(Subscription.account == Account.id))
             .switch(Subscription).join(Plan, on=(Subscription.plan == Plan.id))
             .switch(Subscription).join(Company, on=(Subscription.company == Company.id))
             .order_by(*SORTS.get(sort, SORTS["name"]))
             .tuples())
    header = (_("Name"), _("Number"), _("Type"), _("Plan"), _("Status"), _("Account number"), _("Company"),
              _("E-mail"), _("Start date"), _("End date"), _("Invoice note"), _("Add-ons"))

    def with_addons(batch):
        names = {}
        for sub_id, name in (SubscriptionAddOn.select(SubscriptionAddOn.subscription, AddOn.name).join(AddOn)
                             .where(SubscriptionAddOn.subscription.in_([row[0] for row in batch]))
                             .order_by(AddOn.name).tuples()):
            names.setdefault(sub_id, []).append(name)
        for (sub_id, name, number, kind, plan, status, account, company, email, start, end, note) in batch:
            yield (name, phone(number), str(label("kind", kind)), plan, str(label("subscription_status", status)),
                   account, company, email, start, end, note, ", ".join(names.get(sub_id, ())))

    def rows():
        for batch in batches(query, EXPORT_BATCH):
            yield from with_addons(batch)

    return exports.write_csv(path, header, rows(), total=count, progress=progress)


def get_subscription(scope, subscription_id):
    return scope.get(scope.subscriptions(), Subscription, subscription_id)


def subscription_details(subscription):
    """SIM cards, add-ons and this month's usage totals for the employee page."""
    sims = list(SimCard.select().where(SimCard.subscription == subscription.id)
                .order_by(SimCard.status, SimCard.created_at.desc()))
    addons = list(AddOn.select().join(SubscriptionAddOn)
                  .where(SubscriptionAddOn.subscription == subscription.id).order_by(AddOn.name))
    return {"sims": sims, "addons": addons, "usage": month_usage(subscription.id)}


def month_usage(subscription_id):
    start = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (UsageRecord.select(UsageRecord.kind, fn.COUNT(UsageRecord.id), fn.SUM(UsageRecord.duration_s),
                               fn.SUM(UsageRecord.volume_kb), fn.SUM(UsageRecord.price))
            .where(UsageRecord.subscription == subscription_id, UsageRecord.occurred_at >= start)
            .group_by(UsageRecord.kind).tuples())
    totals = {kind: {"count": c, "seconds": s or 0, "kb": kb or 0, "price": p or 0}
              for kind, c, s, kb, p in rows}
    return {"since": start, "totals": totals,
            "price": sum(t["price"] for t in totals.values())}


def recent_usage(subscription_id, limit=30):
    return list(UsageRecord.select().where(UsageRecord.subscription == subscription_id)
                .order_by(UsageRecord.occurred_at.desc()).limit(limit))
