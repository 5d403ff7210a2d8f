"""Which page numbers a pager shows (services/formatting.py pager_numbers, templates/macros/pager.html)."""
import pytest

from services.formatting import pager_numbers


@pytest.mark.parametrize("current, pages, shown", [
    (1, 1, [1]),
    (1, 4, [1, 2, 3, 4]),  # one page between 2 and 4 is shown, not "…"
    (4, 4, [1, 2, 3, 4]),
    (1, 5, [1, 2, 5]),
    (3, 5, [1, 2, 3, 4, 5]),
    (4, 9, [1, 2, 3, 4, 5, 9]),
    (5, 9, [1, 4, 5, 6, 9]),
    (0, 3, [1, 2, 3]),  # a keyset page without a number
    (0, 9, [1, 9]),
])
def test_the_first_the_last_and_the_neighbours_and_never_a_gap_of_one(current, pages, shown):
    assert pager_numbers(current, pages) == shown

