"""Search over the scope: the top bar's suggestions and the full result page.

Subscriptions match by name, number or e-mail; accounts by number or name. Both follow
the membership's scope (customer, companies, chosen accounts) and rights. Counts never
read more than CAP + 1 rows: above CAP the page says "more than 100", so a keystroke
costs the same at 300 subscriptions as at 1,000,000.
"""
from dataclasses import dataclass

from peewee import SQL, NodeList, PostgresqlDatabase, Table, fn

from models import Account, Company, Subscription, db
from models.database import related

from .ids import parse_id

LIMIT = 8  # suggestions per kind in the top bar
CAP = 100  # counts stop here
PER_PAGE = 25  # rows per page of the full result page
MAX_PAGE = 400  # OFFSET paging: deep pages are refused (shown as the last allowed page)
MAX_QUERY = 100  # characters; longer text is cut, never an error
KINDS = ("subscriptions", "accounts")


@dataclass(frozen=True)
class Count:
    """A count that stops at CAP: `more` says there are more than `value`."""

    value: int
    more: bool = False

    def __add__(self, other):
        total = self.value + other.value
        return Count(min(total, CAP), self.more or other.more or total > CAP)


@dataclass
class Suggestions:
    query: str
    subscriptions: list
    accounts: list
    total: Count

    @property
    def empty(self):
        return not self.subscriptions and not self.accounts


@dataclass
class ResultList:
    kind: str
    items: list
    count: Count
    page: int
    has_next: bool

    @property
    def has_prev(self):
        return self.page > 1


@dataclass
class ResultPage:
    query: str
    kind: str  # "" for the overview of every kind, else the one kind being paged
    lists: list  # ResultList per kind the membership may search

    @property
    def empty(self):
        return all(not r.items for r in self.lists)


def clean_query(text):
    """Lower-case, trimmed, at most MAX_QUERY characters, no control characters (PostgreSQL refuses NUL)."""
    text = "".join(ch for ch in str(text or "")[:MAX_QUERY * 2] if ch.isprintable())
    return " ".join(text.split())[:MAX_QUERY].lower()


def _digits(text):
    return "".join(ch for ch in text if ch.isdigit())


MIN_INDEXED = 3  # the trigram indexes need three characters; shorter text is a prefix search


def _uses_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def _prefix(field, text):
    """`field` starts with `text`: a range on the field's index (LIKE 'x%' can't use it in SQLite)."""
    return (field >= text) & (field < text + "\uffff")


FTS = Table("subscription_fts", ("rowid",))


def _phrase(text):
    return '"' + text.replace('"', '""') + '"'


def _like_substring(text):
    """search_key LIKE '%text%', the wildcards in the text taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return NodeList((Subscription.search_key, SQL("LIKE"), "%" + escaped + "%", SQL("ESCAPE '\\'")))


def subscription_match(text, walk=False):
    """The condition "a subscription matches the search text", for the overview and the top search.

    `text` is clean_query's (lower case). Three characters or more: a substring of the search key
    (name, number with and without +45, e-mail) through the trigram index — SQLite's FTS5 table
    subscription_fts, PostgreSQL's pg_trgm GIN index (migration 0020). Shorter: the name, e-mail
    or number starts with it, each served by a sort index.

    `walk` checks each row's search key (instr / strpos, which no index serves): for a text that
    matches many rows ("hansen": 4.5 % of them), where the hit list would be read and sorted whole
    for one page while walking the sort index finds a page after about per_page / share rows (the
    overview's pages walk for a bounded number of rows first, services/subscriptions.py
    `_search_pages`; the top search and pages by number on SQLite decide by the capped count); and
    for a scope of few rows (see scan_scope). Otherwise PostgreSQL's planner chooses, from the
    statistics of search_key: the LIKE (not ILIKE: key and text are lower case already) may use
    the trigram index or not.
    """
    if len(text) >= MIN_INDEXED:
        if walk:
            return (fn.strpos if _uses_postgres() else fn.instr)(Subscription.search_key, text) > 0
        if _uses_postgres():
            return _like_substring(text)
        return Subscription.id.in_(SQL("(SELECT rowid FROM subscription_fts WHERE subscription_fts MATCH ?)", [_phrase(text)]))
    condition = None
    for variant in {text, text.capitalize(), text.upper(), text.title()}:
        part = _prefix(Subscription.holder_name, variant)
        condition = part if condition is None else condition | part
    condition |= _prefix(Subscription.holder_email, text)
    digits = _digits(text)
    if digits:
        condition |= _prefix(Subscription.number, "+45" + digits) | _prefix(Subscription.number, digits)
    return condition


def match_for_count(query, text):
    """`query` (of subscriptions) narrowed to `text`, shaped for a capped count: on SQLite the FTS hits
    drive a join, so the count's LIMIT stops reading them (`id IN (hits)` would build the whole list)."""
    if len(text) >= MIN_INDEXED and not _uses_postgres():
        return (query.switch(Subscription).join(FTS, on=(FTS.rowid == Subscription.id))
                .where(SQL("subscription_fts MATCH ?", [_phrase(text)])))
    return query.where(subscription_match(text))


SMALL_SCOPE = 2_000  # a limited scope with at most this many subscriptions is searched row by row


def scan_scope(scope, text):
    """True when `text` is best found by checking each subscription of the scope: a user limited to
    accounts with few subscriptions. The trigram hits are every customer's ("hansen": 4,500 at 100k),
    each looked up to see whether it is in scope; the scope's own rows are fewer. One capped count
    decides (PostgreSQL's planner would AND the two indexes, reading every hit all the same)."""
    if len(text) < MIN_INDEXED or not scope.limited:
        return False
    in_scope = scope.subscriptions(details=False).select(Subscription.id).order_by().limit(SMALL_SCOPE + 1).count()
    return in_scope <= SMALL_SCOPE


def hits_cap(default):
    """How far a search counts its hits (the top search and the overview): `default` on SQLite (its
    FTS count stops reading there, and passing it decides the walk); CAP on PostgreSQL, whose planner
    stops a scan at a LIMIT of 101 (1.4 ms for "hansen" at 1,000,000) but for 1,001 built the whole
    trigram bitmap of its 45,000 hits first (39 ms)."""
    return CAP if _uses_postgres() else default


def many_matches(text, count_more):
    """Whether the rows of a search should walk the sort index (`subscription_match(walk=True)`):
    the top search, and the overview's pages by number (its other pages: `bounded_walk`)."""
    return count_more and len(text) >= MIN_INDEXED and not _uses_postgres()


def page_by_ids(text):
    """Whether the top search finds its first subscriptions on ids alone, then reads their rows by
    id (the overview always does: services/subscriptions.py `_search_pages`). On PostgreSQL: when the planner walks the
    (customer, name, id, company, search key) index for a common text, only an index-only scan tests
    the search key in the index; a plain one reads each passed row from the table first. SQLite's
    walk tests index columns before reading the row already."""
    return len(text) >= MIN_INDEXED and _uses_postgres()


WALK_BOUND = 20_000  # rows a search's walk passes before the hits are gathered instead (services/subscriptions.py)
WALK_BOUND_READ = 8_000  # the same where each passed row is read from the table


def walk_bound(order, filtered):
    """How many rows a search's walk in `order` passes (`bounded_walk`): WALK_BOUND where an index
    holds every column it tests — name order, the (customer, name, id, company, search key) index,
    unless a filter on kind, status or account or a limited user's accounts (`filtered`) needs the
    row — else WALK_BOUND_READ, as each row passed is then read from the table (20,000 of them:
    50 ms on SQLite at 1,000,000)."""
    return WALK_BOUND if order[0].node is Subscription.holder_name and not filtered else WALK_BOUND_READ


def rows_past(query, order, bound):
    """Whether `query` has more than `bound` rows in `order`: did a bounded walk stop at its bound,
    or reach the end of the list? Reads the sort index alone, up to the bound."""
    return bool(list(query.select(Subscription.id).order_by(*order).limit(1).offset(bound)))


def bounded_walk(query, text, order, limit, bound):
    """The ids of the first `limit` rows of `query` in `order` that match `text`, looked for among
    its first `bound` rows only: a subquery of the walked rows' sort keys and search key, the
    search key tested on each (services/subscriptions.py `_search_pages` says when).

    SQLite reads such a subquery as a co-routine, row by row in its order, and stops at the outer
    LIMIT; but an ORDER BY on the outer query would have it read and sort all `bound` rows first
    (20 ms at 100,000 for 51 rows found in the first thousand). So on SQLite the outer query
    takes the rows in the order the walk yields them; PostgreSQL knows the subquery's order and
    needs no sort either way. The caller sorts the page's rows again."""
    walked = query.select(Subscription.id, Subscription.search_key, *_key_columns(order)).order_by(*order)
    walked = walked.limit(bound).alias("walked")
    found = (fn.strpos if _uses_postgres() else fn.instr)(walked.c.search_key, text) > 0
    ids = walked.select_from(walked.c.id).where(found).limit(limit)
    return ids.order_by(*_ordered_by(walked, order)) if _uses_postgres() else ids


def gathered(query, text, order, limit, offset=0):
    """The ids of `query`'s rows that match `text`, `limit` from `offset` in `order`: every hit read
    through the trigram index (FTS5 on SQLite) first, then sorted — as many rows as the text has
    hits, whatever order the rows are kept in. A materialized table expression, so that neither
    planner turns it back into a walk of the sort index (PostgreSQL estimates every text alike)."""
    hits = query.select(Subscription.id, *_key_columns(order)).where(subscription_match(text))
    hits = hits.cte("hits", materialized=True)
    ordered = hits.select_from(hits.c.id).order_by(*_ordered_by(hits, order)).limit(limit).offset(offset or None)
    return ordered.with_cte(hits)


def _key_columns(order):
    """The sort keys of `order` besides the id (selected with it already)."""
    return [o.node for o in order if o.node is not Subscription.id]


def _ordered_by(source, order):
    """`order` (of subscription columns) on the same columns of a subquery or table expression."""
    return [source.c[o.node.column_name].desc() if o.direction == "DESC" else source.c[o.node.column_name].asc()
            for o in order]


def _kinds(scope):
    """Accounts are searched only with the right to open them (the result links to the account page)."""
    return [k for k in KINDS if scope.can(k)]


class _Named:
    """`.name` / `.number` of a hit's account or company, as the templates read them."""

    __slots__ = ("name", "number")

    def __init__(self, name=None, number=None):
        self.name, self.number = name, number


class SubscriptionHit:
    """A found subscription: the columns the suggestions and the result page show, nothing more
    (selecting every column of three models cost more to compile and to build than the query)."""

    __slots__ = ("id", "customer_id", "holder_name", "number", "status", "account", "company")

    def __init__(self, id, customer, holder_name, number, status, account_number, company_name):
        self.id, self.customer_id, self.holder_name, self.number, self.status = id, customer, holder_name, number, status
        self.account, self.company = _Named(number=account_number), _Named(company_name)


class AccountHit:
    __slots__ = ("id", "customer_id", "number", "name", "company")

    def __init__(self, id, customer, number, name, company_name):
        self.id, self.customer_id, self.number, self.name, self.company = id, customer, number, name, _Named(company_name)


def _subscription_rows(scope):
    """Subscriptions with their account number and company name (one query, no per-row lookups)."""
    return (scope.subscriptions(details=False)
            .select(Subscription.id, Subscription.customer, Subscription.holder_name, Subscription.number, Subscription.status,
                    related(Account, Account.number, Subscription.account).alias("account_number"),
                    related(Company, Company.name, Subscription.company).alias("company_name"))
            .order_by(Subscription.holder_name, Subscription.id)
            .objects(SubscriptionHit))


def _subscriptions(scope, text, walk=False):
    """The matching subscriptions of _subscription_rows, by name."""
    return _subscription_rows(scope).where(subscription_match(text, walk))


def _first_subscriptions(scope, text, walk, limit):
    """The first `limit` matches by name; on PostgreSQL found on ids first (see page_by_ids)."""
    query = _subscriptions(scope, text, walk).limit(limit)
    if page_by_ids(text):
        query = _subscription_rows(scope).where(Subscription.id.in_(query.select(Subscription.id)))
    return list(query)


# From this many hits, walking the name index finds the few rows shown sooner than reading and
# sorting every hit: the walk reads about rows-shown × scope / hits rows ("2000" at 1,000,000: 310
# hits, a walk of 26,000 rows; "hansen": 44,840 hits, a walk of 180), the hit list at most this many.
WALK_FROM = 1_000


def _subscription_count(scope, text, scan=False):
    """(the capped count, whether to walk the sort index for the rows): on SQLite one count over at
    most WALK_FROM + 1 hits, so the decision costs no query of its own. PostgreSQL's planner makes
    that choice itself (it estimates the hits from the column's statistics); see hits_cap."""
    query = scope.subscriptions(details=False)
    query = query.where(subscription_match(text, walk=True)) if scan else match_for_count(query, text)
    n = query.select(Subscription.id).order_by().limit(hits_cap(WALK_FROM) + 1).count()
    return Count(min(n, CAP), n > CAP), scan or (n > WALK_FROM and many_matches(text, True))


def _accounts(scope, text):
    digits = _digits(text)
    condition = Account.name.contains(text)
    if digits:
        condition |= Account.number.startswith(digits)
    return (scope.accounts().select(Account.id, Account.customer, Account.number, Account.name,
                                    Company.name.alias("company_name"))
            .join(Company, on=(Account.company == Company.id))
            .where(condition).order_by(Account.number).objects(AccountHit))


def _query(scope, kind, text):
    return _subscriptions(scope, text) if kind == "subscriptions" else _accounts(scope, text)


def _capped_count(query):
    """COUNT over at most CAP + 1 rows."""
    n = query.select(query.model.id).order_by().limit(CAP + 1).count()
    return Count(min(n, CAP), n > CAP)


def suggestions(scope, text, limit=LIMIT):
    """The top bar: up to `limit` of each kind and the capped number of all results."""
    text = clean_query(text)
    found = {k: [] for k in KINDS}
    total = Count(0)
    if len(text) >= 2:
        for kind in _kinds(scope):
            if kind == "subscriptions" and len(text) >= MIN_INDEXED:
                # the capped count first: it says how to read the few rows shown (see subscription_match)
                count, walk = _subscription_count(scope, text, scan_scope(scope, text))
                found[kind] = _first_subscriptions(scope, text, walk, limit)
                total += count
                continue
            query = _query(scope, kind, text)
            found[kind] = list(query.limit(limit))
            # a short list is the whole count; a full one asks the capped count
            total += Count(len(found[kind])) if len(found[kind]) < limit else _capped_count(query)
    return Suggestions(text, found["subscriptions"], found["accounts"], total)


def search(scope, text, limit=LIMIT):
    """(subscriptions, accounts) within the scope; each list at most `limit` long."""
    found = suggestions(scope, text, limit)
    return found.subscriptions, found.accounts


def result_page(scope, text, kind="", page=1):
    """The full result page: without `kind` the first page of every kind; with it, page `page` of that kind."""
    text = clean_query(text)
    kinds = _kinds(scope)
    kind = kind if kind in kinds else ""
    page = min(parse_id(page) or 1, MAX_PAGE) if kind else 1
    lists = []
    if len(text) >= 2:
        for k in ([kind] if kind else kinds):
            query = _query(scope, k, text)
            if k == "subscriptions" and len(text) >= MIN_INDEXED:
                count, walk = _subscription_count(scope, text, scan_scope(scope, text))
                if walk:
                    query = _subscriptions(scope, text, walk=True)
            else:
                count = _capped_count(query)
            if not count.more and count.value:  # past the end: the last page
                page_of_k = min(page, -(-count.value // PER_PAGE))
            else:
                page_of_k = page if k == kind else 1
            rows = list(query.offset((page_of_k - 1) * PER_PAGE).limit(PER_PAGE + 1))
            lists.append(ResultList(k, rows[:PER_PAGE], count, page_of_k,
                                    len(rows) > PER_PAGE and page_of_k < MAX_PAGE))
    return ResultPage(text, kind, lists)
