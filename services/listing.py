"""Paging for scoped lists: a fixed number of queries per page, whatever the size."""
from dataclasses import dataclass

from .ids import parse_id

PER_PAGE = 50
MAX_PAGE = 1_000_000  # past the end is an empty page, never an integer overflow


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


def paginate(query, page, per_page=PER_PAGE, count_query=None):
    """One page of `query`; `count_query` (the same filters without display joins) counts faster."""
    page = min(parse_id(page) or 1, MAX_PAGE)
    total = (count_query if count_query is not None else query).order_by().count()
    items = list(query.paginate(page, per_page))
    return Page(items=items, number=page, per_page=per_page, total=total)
