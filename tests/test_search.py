"""The top search's suggestions and the full result page: scoped to the customer, the
company tree and the chosen accounts; counts capped; paging; bad input never a 500."""
import re

import pytest

from models import Account, Company, Subscription
from services import search as searching

from .conftest import count_queries

HX = {"HX-Request": "true"}


def _subscription_ids(html):
    return set(map(int, re.findall(r'href="/subscriptions/(\d+)"', html)))


def _other_customer_subscription():
    anden = Company.get(Company.cvr == "31313139")
    return Subscription.select().where(Subscription.company == anden).first()


def test_suggestions_show_number_user_account_and_company(admin, ctx):
    mette = Subscription.get(Subscription.number == "+4520000001")
    html = admin.get("/search/suggestions?q=mette jensen", headers=HX).get_data(as_text=True)
    assert "<html" not in html
    option = re.search(r'<a role="option"[^>]*href="/subscriptions/%d".*?</a>' % mette.id, html, re.S).group(0)
    assert "Mette Jensen" in option and "20 00 00 01" in option
    assert mette.account.number in option and mette.company.name in option
    # the last option leads to the full result page
    options = re.findall(r'<a role="option"[^>]*href="([^"]+)"', html)
    assert options[-1].startswith("/search?q=mette")
    assert 'role="listbox"' in html


def test_suggestions_cap_the_count_instead_of_counting_everything(admin, ctx):
    """Nearly every demo subscription has an @demo address: far more than the cap."""
    html = admin.get("/search/suggestions?q=@demo", headers={**HX, "Accept-Language": "en"}).get_data(as_text=True)
    assert "Show all results (more than 100)" in html
    few = admin.get("/search/suggestions?q=mette jensen", headers={**HX, "Accept-Language": "en"})
    assert re.search(r"Show all results \(\d\)", few.get_data(as_text=True))


def test_capped_count_reads_at_most_cap_plus_one_rows(app, ctx):
    query = Subscription.select()
    assert query.count() > searching.CAP
    count = searching._capped_count(query)
    assert count == searching.Count(searching.CAP, more=True)
    assert (searching.Count(60) + searching.Count(50)) == searching.Count(100, more=True)
    assert (searching.Count(60) + searching.Count(40)) == searching.Count(100, more=False)


def test_the_rows_come_from_the_hit_list_until_hits_are_many_then_from_the_name_index(admin, ctx, monkeypatch):
    """A rare text in a large scope ("2000" at 1,000,000: 310 hits) reads its hits; walking the name
    index for it read 26,000 rows. Only from WALK_FROM hits does the walk find the rows sooner."""
    from models import Membership, User
    from services.scope import build_scope

    scope = build_scope(Membership.get(Membership.user == User.get(User.email == "admin@demo.dk")))
    hits = Subscription.select().where(searching.subscription_match("@demo")).count()
    assert hits > searching.CAP
    shown = {}
    for walk_from, walks in ((hits + 1, False), (hits - 1, True)):
        monkeypatch.setattr(searching, "WALK_FROM", walk_from)
        count, walk = searching._subscription_count(scope, "@demo")
        assert count == searching.Count(searching.CAP, more=True) and walk is walks
        shown[walks] = [s.id for s in searching.suggestions(scope, "@demo").subscriptions]
    assert shown[False] == shown[True] and len(shown[True]) == searching.LIMIT  # either way the same rows


def test_other_customers_subscriptions_never_appear(admin, other_admin, ctx):
    foreign = _other_customer_subscription()
    for url in (f"/search/suggestions?q={foreign.holder_name}", f"/search?q={foreign.holder_name}",
                f"/search?q={foreign.number[3:]}&kind=subscriptions"):
        assert foreign.id not in _subscription_ids(admin.get(url).get_data(as_text=True)), url
    # and the other customer's admin finds it, but nothing of Demo
    assert foreign.id in _subscription_ids(other_admin.get(f"/search?q={foreign.holder_name}").get_data(as_text=True))
    demo = Subscription.get(Subscription.number == "+4520000001")
    assert demo.id not in _subscription_ids(other_admin.get("/search?q=mette jensen").get_data(as_text=True))
    assert "40120011" not in other_admin.get("/search?q=4012").get_data(as_text=True)


def test_limited_user_sees_only_their_account(limited, admin, ctx):
    account = Account.get(Account.number == "40120011")
    admin_ids = _subscription_ids(admin.get("/search?q=@demo&kind=subscriptions").get_data(as_text=True))
    limited_html = limited.get("/search?q=@demo&kind=subscriptions").get_data(as_text=True)
    limited_ids = _subscription_ids(limited_html)
    assert limited_ids, "the limited user has subscriptions on their account"
    owners = {s.account_id for s in Subscription.select().where(Subscription.id.in_(limited_ids))}
    assert owners == {account.id}
    assert admin_ids - limited_ids
    suggestions = limited.get("/search/suggestions?q=@demo", headers=HX).get_data(as_text=True)
    owners = {s.account_id for s in Subscription.select().where(Subscription.id.in_(_subscription_ids(suggestions)))}
    assert owners == {account.id}


def test_accounts_need_the_accounts_right(app, ctx):
    from .conftest import sign_in

    client = app.test_client()
    user = sign_in(client, "begraenset@demo.dk")
    from models import Membership

    membership = Membership.get(Membership.user == user)
    assert "/accounts/" in client.get("/search?q=4012").get_data(as_text=True)
    functions = [f for f in membership.functions.split() if f != "accounts"]
    Membership.update(functions=" ".join(functions)).where(Membership.id == membership.id).execute()
    assert "/accounts/" not in client.get("/search?q=4012").get_data(as_text=True)


def test_full_page_pages_through_one_kind(admin, ctx):
    first = admin.get("/search?q=@demo", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<html" in first
    assert "Subscriptions <span class=\"muted\">(more than 100)</span>" in first
    page1 = _subscription_ids(admin.get("/search?q=@demo&kind=subscriptions&page=1").get_data(as_text=True))
    page2_html = admin.get("/search?q=@demo&kind=subscriptions&page=2", headers={"Accept-Language": "en"}).get_data(as_text=True)
    page2 = _subscription_ids(page2_html)
    assert len(page1) == len(page2) == searching.PER_PAGE
    assert not page1 & page2
    assert "Previous" in page2_html and "Page 2" in page2_html
    # an HTMX request gets the results only
    fragment = admin.get("/search?q=@demo&kind=subscriptions&page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and _subscription_ids(fragment) == page2


def test_a_page_past_the_end_shows_the_last_page(admin, ctx):
    html = admin.get("/search?q=mette jensen&kind=subscriptions&page=99").get_data(as_text=True)
    assert _subscription_ids(html)


def test_no_results_state(admin):
    html = admin.get("/search?q=zzzqqqxxx", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Nothing found for “zzzqqqxxx”." in html
    html = admin.get("/search/suggestions?q=zzzqqqxxx", headers={**HX, "Accept-Language": "en"}).get_data(as_text=True)
    assert "Nothing found" in html and 'role="option"' not in html


@pytest.mark.parametrize("q", ["x" * 60_000, "%", "_", "\\", "'; drop table subscription; --", "\x00abc", "😀😀", "a\u202eb",
                               "  ", "<script>alert(1)</script>"])
def test_bad_or_long_queries_never_fail(admin, q):
    for url in ("/search", "/search/suggestions"):
        for extra in ({}, {"kind": "subscriptions", "page": "-3"}, {"kind": "nonsense", "page": "x" * 50}):
            response = admin.get(url, query_string={"q": q, **extra}, headers=HX)
            assert response.status_code == 200, (url, q[:20], extra)
            assert "<script>alert" not in response.get_data(as_text=True)


def test_long_query_is_cut(ctx):
    assert len(searching.clean_query("a" * 5000)) == searching.MAX_QUERY
    assert searching.clean_query(" Mette\x00  Jensen ") == "mette jensen"


def test_wildcards_are_literal(admin):
    """A % is searched for, not a wildcard that matches everything."""
    html = admin.get("/search/suggestions?q=%25%25", headers=HX).get_data(as_text=True)
    assert 'role="option"' not in html


def test_employee_and_anonymous_cannot_search(app, employee_client):
    assert employee_client.get("/search?q=mette").status_code in (403, 404)
    assert app.test_client().get("/search/suggestions?q=mette").status_code == 302


def test_suggestions_cost_a_fixed_number_of_queries(admin, ctx):
    few = count_queries(admin, "/search/suggestions?q=mette jensen", HX)
    many = count_queries(admin, "/search/suggestions?q=@demo", HX)
    assert many <= few + 2  # at most the two capped counts more, however many match


# --- dates: one English shape everywhere -------------------------------------------------

OTHER_DATE_SHAPES = [
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}",  # Nov 22, 2026 (Babel's English medium/long)
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",  # 11/22/26
    r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b",  # 22.11.2026
    r"\b\d{1,2}-\d{1,2}-\d{4}\b",  # 22-11-2026
    r"\b\d{4}-\d{2}-\d{2}\b",  # 2026-11-22 shown as text
    r"(?<![\d.,:])\b\d{1,2} (January|February|March|April|June|July|August|September|October|November|December) \d{4}",
    r"\d{1,2}:\d{2}\s?(AM|PM)",
]
ENGLISH_PAGES = ["/", "/orders", "/invoices", "/users", "/support/", "/settings", "/outages", "/numbers", "/products",
                 "/users/audit", "/subscriptions/{mette}", "/invoices/{invoice}"]


def _visible_text(html):
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_english_pages_use_one_date_shape(admin, ctx):
    from models import Invoice

    mette = Subscription.get(Subscription.number == "+4520000001")
    invoice = Invoice.select().where(Invoice.account == mette.account).first()
    admin.post("/settings/language", data={"language": "en"})
    seen_one = False
    for path in ENGLISH_PAGES:
        response = admin.get(path.format(mette=mette.id, invoice=invoice.id), follow_redirects=True)
        assert response.status_code == 200, path
        text = _visible_text(response.get_data(as_text=True))
        for shape in OTHER_DATE_SHAPES:
            found = re.search(shape, text)
            assert not found, f"{path}: {found.group(0)!r} is not the English date shape"
        seen_one = seen_one or bool(re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b", text))
    assert seen_one, "no date in the English shape on any page: the test looked at nothing"


def test_date_formats_per_language(app):
    import datetime

    from flask_babel import force_locale, format_date, format_datetime

    from services.formatting import template_filters

    filters = template_filters()
    moment = datetime.datetime(2026, 11, 22, 13, 5)  # UTC; the portal shows Copenhagen time
    day = datetime.date(2026, 11, 22)
    with app.test_request_context():
        with force_locale("en"):
            assert filters["date"](day) == format_date(day, "long") == format_date(day, "short") == "22 Nov 2026"
            assert filters["datetime"](moment, "short") == format_datetime(moment) == "22 Nov 2026, 14:05"
            assert filters["date"](day, "MMMM y") == "November 2026"  # a month is its own kind
        with force_locale("da"):
            assert filters["date"](day) == format_date(day, "long") == "22. nov. 2026"
            assert filters["datetime"](moment, "short") == "22. nov. 2026 kl. 14.05"
