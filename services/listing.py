"""Paging for scoped lists: a fixed number of queries per page, whatever the size."""
from dataclasses import dataclass

from .ids import parse_id

PER_PAGE = 50
MAX_PAGE = 1_000_000  # a forged page number is clamped before any arithmetic with it


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages


def page_number(value):
    """A page number from the request: "abc", "-1", "0" and "" are page 1; huge values are clamped."""
    return min(parse_id(value) or 1, MAX_PAGE)


def last_page(total, per_page):
    return max(1, -(-total // per_page))


def paginate(query, page, per_page=PER_PAGE, count_query=None):
    """One page of `query`; `count_query` (the same filters without display joins) counts faster.

    A page past the end shows the last page (a bookmark after rows were removed, a forged number),
    so the list never looks empty while it has rows."""
    total = (count_query if count_query is not None else query).order_by().count()
    number = min(page_number(page), last_page(total, per_page))
    items = list(query.paginate(number, per_page))
    return Page(items=items, number=number, per_page=per_page, total=total)


# Keyset paging for lists that grow with the customer (the subscription overview) -------------------

COUNT_CAP = 10_000  # counts stop here: above it the list says "more than 10,000"
CURSOR_SALT = "listing-cursor"


@dataclass
class KeysetPage:
    """One page of a keyset-paged list.

    `total` is exact when `more` is False, else the list has more than `total` rows (COUNT_CAP).
    `number` is the page's number when it is known (numbered pages, or carried by the cursor),
    None for the last page of a list too long to count. `next_cursor`/`prev_cursor` are signed
    tokens for the rows after the last / before the first row shown, None at either end.
    """

    items: list
    number: int | None
    per_page: int
    total: int
    more: bool
    next_key: tuple | None  # (kind, values, number) of the next page's cursor; made into a token when asked
    prev_key: tuple | None
    cap: int = COUNT_CAP  # where the count stopped
    keyset = True

    @property
    def next_cursor(self):
        return make_cursor(self.next_key[0], "after", *self.next_key[1:]) if self.next_key else None

    @property
    def prev_cursor(self):
        return make_cursor(self.prev_key[0], "before", *self.prev_key[1:]) if self.prev_key else None

    @property
    def pages(self):
        """The number of pages when the total is known, else None."""
        return None if self.more else last_page(self.total, self.per_page)

    @property
    def max_numbered(self):
        """Pages up to this one can be asked for by number (OFFSET over at most COUNT_CAP rows)."""
        return self.pages or self.cap // self.per_page

    @property
    def has_prev(self):
        return self.prev_key is not None

    @property
    def has_next(self):
        return self.next_key is not None

    @property
    def is_last(self):
        return self.next_key is None


def capped_count(query, cap=COUNT_CAP):
    """(rows, more): counts at most cap + 1 rows, so the cost stops growing with the data."""
    inner = query.select(query.model.id).order_by().limit(cap + 1)
    n = inner.count()
    return min(n, cap), n > cap


_SERIALIZERS = {}  # one per secret key, made once instead of for every cursor of a page


def _serializer():
    from flask import current_app
    from itsdangerous import URLSafeSerializer

    key = current_app.secret_key
    serializer = _SERIALIZERS.get(key)
    if serializer is None:
        serializer = _SERIALIZERS[key] = URLSafeSerializer(key, salt=CURSOR_SALT)
    return serializer


def make_cursor(kind, direction, values, number):
    """A signed token: which list and order (`kind`), "after"/"before" the row with these key values."""
    return _serializer().dumps([kind, direction, list(values), number])


def read_cursor(token, kind, types):
    """(direction, values, number) of a cursor made for `kind` whose values have `types`, or None.

    A forged, altered or foreign token (another list, another sort) is None: the caller shows
    the first page. The values only narrow the caller's scoped query, so even a valid token of
    another user reveals nothing."""
    from itsdangerous import BadData

    if not token or len(token) > 2000:
        return None
    try:
        kind_of, direction, values, number = _serializer().loads(str(token))
    except (BadData, ValueError, TypeError):
        return None
    if kind_of != kind or direction not in ("after", "before") or not isinstance(values, list):
        return None
    if len(values) != len(types) or not all(type(v) is t for v, t in zip(values, types, strict=True)):
        return None
    number = number if type(number) is int and 1 <= number <= MAX_PAGE else None
    return direction, values, number


def keyset_paginate(query, keys, kind, page=None, cursor=None, per_page=PER_PAGE, count_query=None,
                    key_of=None, cap=COUNT_CAP, *, counted=None, walk=None):
    """A page of `query` ordered by `keys` (columns; the last one unique, e.g. the id).

    Two queries whatever the page: the capped count and the rows (a `walk` may take up to three for
    the rows, services/subscriptions.py `_search_pages`). A cursor (from the pager's
    previous/next links) is a range on the keys, never an OFFSET; a page number is honoured while
    it lies within the counted rows (an OFFSET over at most `cap` rows); a number past the end —
    or past the counted rows of a list too long to count — shows the last page, read in reverse
    order. `key_of(row)` gives a row's key values (default: the keys' attributes of the row).
    `counted` is (total, more) when the caller counted already (it chose how to read the rows by it).
    `walk(condition, order, limit, offset)`, when given, reads the rows of a page itself (a search's
    bounded walk, services/subscriptions.py); `condition` is the cursor's range or None.
    """
    from peewee import Tuple

    key_of = key_of or (lambda row: [getattr(row, k.name) for k in keys])
    total, more = counted or capped_count(count_query if count_query is not None else query, cap)
    pages = None if more else last_page(total, per_page)
    types = [_python_type(k) for k in keys]
    parsed = read_cursor(cursor, kind, types) if cursor else None
    ascending = [k.asc() for k in keys]
    descending = [k.desc() for k in keys]

    def fetch(condition, order, limit, offset=0):
        if walk is not None:
            return walk(condition, order, limit, offset)
        rows = (query if condition is None else query.where(condition)).order_by(*order).limit(limit)
        return list(rows.offset(offset) if offset else rows)

    def page_of(rows, number, before_more, after_more):
        prev = (kind, key_of(rows[0]), number - 1 if number and number > 1 else None) if rows and before_more else None
        nxt = (kind, key_of(rows[-1]), number + 1 if number else None) if rows and after_more else None
        return KeysetPage(rows, number, per_page, total, more, nxt, prev, cap)

    def last():
        rows = fetch(None, descending, per_page + 1)
        has_prev = len(rows) > per_page
        rows = rows[:per_page][::-1]
        return page_of(rows, pages, has_prev, False)

    def first_page():
        rows = fetch(None, ascending, per_page + 1)
        return page_of(rows[:per_page], 1, False, len(rows) > per_page)

    if parsed:
        direction, values, number = parsed
        if direction == "after":
            rows = fetch(Tuple(*keys) > Tuple(*values), ascending, per_page + 1)
            if not rows:  # the rows after it were removed: the last page
                return last()
            return page_of(rows[:per_page], number, True, len(rows) > per_page)
        rows = fetch(Tuple(*keys) < Tuple(*values), descending, per_page + 1)
        if len(rows) <= per_page:  # at the start
            return first_page()
        return page_of(rows[:per_page][::-1], number, True, True)

    if page == "last":
        return last()
    number = page_number(page)
    if number == 1:
        return first_page()
    if pages is not None and number >= pages or pages is None and number > cap // per_page:
        return last()
    rows = fetch(None, ascending, per_page + 1, (number - 1) * per_page)
    if not rows:
        return last()
    return page_of(rows[:per_page], number, True, len(rows) > per_page)


def _python_type(field):
    from peewee import AutoField, ForeignKeyField, IntegerField

    return int if isinstance(field, (AutoField, IntegerField, ForeignKeyField)) else str
