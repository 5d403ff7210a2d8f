"""Paging for scoped lists: a fixed number of queries per page, whatever the size."""
from dataclasses import dataclass

PER_PAGE = 50


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
    try:
        page = max(1, int(page))
    except (TypeError, ValueError):
        page = 1
    total = (count_query if count_query is not None else query).order_by().count()
    items = list(query.paginate(page, per_page))
    return Page(items=items, number=page, per_page=per_page, total=total)
