"""The subscription overview: filters by account and company, the company column, the empty
state, bulk selection, the CSV export of the current filters, and scoping of both."""
import csv
import io
import re

import pytest

from jobs import enqueue
from jobs.exports import export_subscriptions_csv
from models import Account, AuditEvent, Company, JobRecord, Membership, Subscription, User
from tests.conftest import count_queries

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", **EN}
LIMITED_ACCOUNT = "40120011"


@pytest.fixture(autouse=True)
def data_dir(app, tmp_path):
    """Export files of a test go to its own folder."""
    app.config["DATA_DIR"] = str(tmp_path / "data")



def _demo_companies():
    return Company.get(Company.cvr == "12345674"), Company.get(Company.cvr == "12345682")


def _row_ids(html):
    return [int(i) for i in re.findall(r'name="ids" value="(\d+)"', html)]


def _latest_job():
    return JobRecord.select().order_by(JobRecord.created_at.desc()).first()


def _download(client, filters=None):
    response = client.post("/subscriptions/export", data=filters or {})
    assert response.status_code == 302, response.status_code
    job = _latest_job()
    assert response.headers["Location"] == f"/subscriptions/export/{job.id}"
    assert job.status == "finished", job.message
    download = client.get(f"/subscriptions/export/{job.id}/download")
    assert download.status_code == 200
    return job, download


def _rows(download):
    assert download.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")), delimiter=";"))


# the list ---------------------------------------------------------------------------------

def test_filter_by_account(admin, ctx):
    account = Account.get(Account.number == LIMITED_ACCOUNT)
    page = admin.get(f"/subscriptions?account={LIMITED_ACCOUNT}", headers=HX).get_data(as_text=True)
    expected = Subscription.select().where(Subscription.account == account).count()
    assert f"{expected} subscriptions" in page
    ids = _row_ids(page)
    assert ids and all(Subscription.get_by_id(i).account_id == account.id for i in ids)


def test_filter_by_company(admin, ctx):
    _, service = _demo_companies()
    page = admin.get(f"/subscriptions?company={service.id}", headers=HX).get_data(as_text=True)
    expected = Subscription.select().where(Subscription.company == service).count()
    assert expected and f"{expected} subscriptions" in page
    assert all(Subscription.get_by_id(i).company_id == service.id for i in _row_ids(page))


def test_account_and_company_selects_offer_only_the_scope(admin, other_admin, ctx):
    page = admin.get("/subscriptions", headers=EN).get_data(as_text=True)
    demo_a, service = _demo_companies()
    assert 'id="sub-company"' in page
    assert f'<option value="{service.id}"' in page and f'<option value="{demo_a.id}"' in page
    assert f'<option value="{LIMITED_ACCOUNT}"' in page
    anden_account = Account.select().join(Company).where(Company.cvr == "31313139").first()
    assert f'value="{anden_account.number}"' not in page
    # one company: no company filter and no company column
    anden = other_admin.get("/subscriptions", headers=EN).get_data(as_text=True)
    assert 'id="sub-company"' not in anden and '<th scope="col">Company</th>' not in anden
    assert f'<option value="{anden_account.number}"' in anden


def test_company_column_is_shown_for_a_company_tree(admin, ctx):
    page = admin.get("/subscriptions", headers=EN).get_data(as_text=True)
    assert '<th scope="col">Company</th>' in page
    assert re.search(r'data-label="Company"[^>]*>(Demo Service ApS|Demo A/S)</td>', page)


def test_the_filters_of_another_customer_match_nothing(admin, ctx):
    anden = Company.get(Company.cvr == "31313139")
    anden_account = Account.select().where(Account.company == anden).first()
    for query in (f"company={anden.id}", f"account={anden_account.number}"):
        page = admin.get(f"/subscriptions?{query}", headers=HX).get_data(as_text=True)
        assert "0 subscriptions" in page and _row_ids(page) == []


def test_bad_filter_values_are_ignored(admin, ctx):
    for query in ("status=nope", "kind=x", "account=abc", "company=-1", "company=999999999999999999999",
                  "sort=evil", "page=0"):
        assert admin.get(f"/subscriptions?{query}").status_code == 200, query


def test_status_filter(admin, ctx):
    page = admin.get("/subscriptions?status=blocked", headers=HX).get_data(as_text=True)
    assert all(Subscription.get_by_id(i).status == "blocked" for i in _row_ids(page))
    full = admin.get("/subscriptions", headers=EN).get_data(as_text=True)
    for status in ("pending", "active", "blocked", "cancelled", "transferred"):
        assert f'<option value="{status}"' in full


def test_empty_state_offers_to_reset_the_filters(admin, ctx):
    page = admin.get("/subscriptions?q=zzzz-nobody", headers=HX).get_data(as_text=True)
    assert "No subscriptions match your search and filters." in page
    assert 'href="/subscriptions">Reset filters</a>' in page
    assert "<table" not in page and "<html" not in page


def test_the_list_is_a_fragment_for_htmx_with_a_loading_indicator(admin, ctx):
    fragment = admin.get("/subscriptions?kind=mobile", headers=HX)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    page = admin.get("/subscriptions").get_data(as_text=True)
    assert 'hx-indicator="#rows-loading"' in page and 'id="rows-loading"' in page
    assert 'id="rows"' in page and "data-focus-after-swap" in page and 'tabindex="-1"' in page
    assert re.search(r"js/selection[.\w]*\.js", page)


def test_bulk_selection_form_carries_ids_and_the_filters(admin, ctx, app):
    if "subscriptions.bulk_start" not in app.view_functions:
        pytest.skip("bulk update is not there yet")
    page = admin.get(f"/subscriptions?account={LIMITED_ACCOUNT}&q=a", headers=EN).get_data(as_text=True)
    form = page[page.index('<form id="bulk-form"'):]
    assert 'method="post"' in form[:200] and 'action="/subscriptions/bulk"' in form[:200]
    assert 'name="csrf_token"' in form and 'name="ids"' in form and "data-select-page" in form
    assert f'<input type="hidden" name="account" value="{LIMITED_ACCOUNT}">' in form
    assert '<input type="hidden" name="q" value="a">' in form
    many = admin.get("/subscriptions", headers=EN).get_data(as_text=True)
    assert 'name="all_matching" value="1"' in many and "Select all 300 that match" in many.replace("\u00a0", " ")


def test_create_button_needs_the_order_right(admin, limited, app, ctx):
    if "subscriptions.new" not in app.view_functions:
        pytest.skip("the wizard is not there yet")
    assert 'href="/subscriptions/new"' in admin.get("/subscriptions").get_data(as_text=True)
    membership = Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk"))
    functions = set(membership.functions.split()) - {"order"}
    Membership.update(functions=" ".join(sorted(functions))).where(Membership.id == membership.id).execute()
    assert 'href="/subscriptions/new"' not in limited.get("/subscriptions").get_data(as_text=True)


def test_limited_user_sees_only_the_chosen_account(limited, ctx):
    page = limited.get("/subscriptions", headers=HX).get_data(as_text=True)
    account = Account.get(Account.number == LIMITED_ACCOUNT)
    expected = Subscription.select().where(Subscription.account == account).count()
    assert f"{expected} subscriptions" in page
    other = Account.select().join(Company).where(Company.cvr == "12345674", Account.number != LIMITED_ACCOUNT).first()
    page = limited.get(f"/subscriptions?account={other.number}", headers=HX).get_data(as_text=True)
    assert "0 subscriptions" in page
    full = limited.get("/subscriptions", headers=EN).get_data(as_text=True)
    assert f'<option value="{other.number}"' not in full


def test_a_limited_user_is_offered_only_the_companies_of_their_accounts(limited, ctx):
    """begraenset@ is a member of Demo A/S, whose tree holds Demo Service ApS, but is limited to an
    account of Demo A/S: no Company column or filter that could only show nothing. Given an account
    of the subsidiary as well, both companies are offered, and no other."""
    from models import MembershipAccount

    for path in ("/subscriptions", "/invoices"):
        page = limited.get(path, headers=EN).get_data(as_text=True)
        assert '<th scope="col">Company</th>' not in page and 'name="company"' not in page, path
    _, service = _demo_companies()
    membership = MembershipAccount.get(MembershipAccount.account == _account_of(LIMITED_ACCOUNT)).membership
    MembershipAccount.create(membership=membership, account=Account.get(Account.company == service))
    for path in ("/subscriptions", "/invoices"):
        page = limited.get(path, headers=EN).get_data(as_text=True)
        assert '<th scope="col">Company</th>' in page, path
        assert set(re.findall(r'<option value="(\d+)"[^>]*>(Demo[^<]*)</option>', page)) == {
            (str(c.id), c.name) for c in _demo_companies()}, path


def _account_of(number):
    return Account.get(Account.number == number)


def test_a_page_costs_a_fixed_number_of_queries(admin, ctx):
    _, service = _demo_companies()
    admin.get("/subscriptions", headers=HX)  # the session's first write is not the page's
    plain = count_queries(admin, "/subscriptions", HX)
    filtered = count_queries(admin, f"/subscriptions?account={LIMITED_ACCOUNT}&company={service.id}&status=active", HX)
    deep = count_queries(admin, "/subscriptions?page=5&sort=number", HX)
    assert plain == filtered == deep
    # the whole page adds one query per filter select (companies, accounts)
    assert count_queries(admin, "/subscriptions", EN) == plain + 2


# the export -------------------------------------------------------------------------------

def test_export_writes_danish_excel_csv_of_the_filters(admin, ctx):
    account = Account.get(Account.number == LIMITED_ACCOUNT)
    job, download = _download(admin, {"account": LIMITED_ACCOUNT, "sort": "number"})
    assert download.headers["Content-Disposition"].startswith("attachment; filename=abonnementer-")
    assert re.search(r"filename=abonnementer-\d{4}-\d{2}-\d{2}\.csv", download.headers["Content-Disposition"])
    english = admin.get(f"/subscriptions/export/{job.id}/download", headers={"Accept-Language": "en"})
    assert re.search(r"filename=subscriptions-\d{4}-\d{2}-\d{2}\.csv", english.headers["Content-Disposition"])
    text = download.data.decode("utf-8-sig")
    assert text.splitlines()[0].count(";") == 11  # twelve columns, separated by ;
    rows = _rows(download)
    body = rows[1:]
    assert len(body) == Subscription.select().where(Subscription.account == account).count() == int(job.result)
    assert all(r[5] == LIMITED_ACCOUNT and r[6] == "Demo A/S" for r in body)
    assert all(re.fullmatch(r"\d{2}-\d{2}-\d{4}", r[8]) for r in body)  # start date dd-mm-yyyy
    event = AuditEvent.select().where(AuditEvent.action == "subscription.export").get()
    assert LIMITED_ACCOUNT in event.details


def test_export_neutralises_formulas_in_holder_names(admin, ctx):
    mette = Subscription.get(Subscription.number == "+4520000001")
    evil = '=HYPERLINK("http://evil.example","x")'
    Subscription.update(holder_name=evil, invoice_note="@SUM(A1)").where(Subscription.id == mette.id).execute()
    _, download = _download(admin, {})
    cells = [cell for row in _rows(download) for cell in row]
    assert "'" + evil in cells and "'@SUM(A1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


def test_limited_user_exports_only_the_chosen_account(limited, ctx):
    _, download = _download(limited, {})
    body = _rows(download)[1:]
    account = Account.get(Account.number == LIMITED_ACCOUNT)
    assert len(body) == Subscription.select().where(Subscription.account == account).count()
    assert body and all(r[5] == LIMITED_ACCOUNT for r in body)


def test_the_job_rebuilds_the_scope_from_the_membership(app, ctx):
    """Even a filter naming another account cannot widen a limited membership's export."""
    user = User.get(User.email == "begraenset@demo.dk")
    membership = Membership.get(Membership.user == user)
    other = Account.select().join(Company).where(Company.cvr == "12345674", Account.number != LIMITED_ACCOUNT).first()
    with app.app_context():
        job_id = enqueue(export_subscriptions_csv, membership.id, {"account": other.number}, track=True,
                         user_id=user.id, company_id=membership.company_id)
    record = JobRecord.get_by_id(job_id)
    assert record.status == "finished" and record.result == "0"


def test_other_customers_admin_gets_404_for_a_demo_export(admin, other_admin, ctx):
    job, _ = _download(admin, {})
    assert other_admin.get(f"/subscriptions/export/{job.id}").status_code == 404
    assert other_admin.get(f"/subscriptions/export/{job.id}/download").status_code == 404


def test_a_colleagues_export_is_404(admin, limited, ctx):
    job, _ = _download(admin, {})
    assert limited.get(f"/subscriptions/export/{job.id}").status_code == 404
    assert limited.get(f"/subscriptions/export/{job.id}/download").status_code == 404
    # nor can the audit trail's pages open it, or it theirs
    assert admin.get(f"/users/audit/export/{job.id}").status_code == 404


def test_export_requires_the_subscriptions_right(limited, ctx):
    membership = Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk"))
    Membership.update(functions="usage invoices").where(Membership.id == membership.id).execute()
    before = JobRecord.select().count()
    assert limited.post("/subscriptions/export", data={}).status_code == 403
    assert limited.get("/subscriptions").status_code == 403
    assert JobRecord.select().count() == before


def test_export_job_fails_when_the_right_was_taken_away(app, ctx):
    user = User.get(User.email == "begraenset@demo.dk")
    membership = Membership.get(Membership.user == user)
    Membership.update(functions="usage").where(Membership.id == membership.id).execute()
    with app.app_context():
        job_id = enqueue(export_subscriptions_csv, membership.id, {}, track=True, user_id=user.id,
                         company_id=membership.company_id)
    assert JobRecord.get_by_id(job_id).status == "failed"


def test_status_page_polls_while_the_job_runs(admin, app, ctx):
    admin_user = User.get(User.email == "admin@demo.dk")
    demo_a, _ = _demo_companies()
    JobRecord.create(id="6f1c2a3b-0000-4000-8000-000000000001", name="export_subscriptions_csv",
                     status="running", progress=40, user=admin_user.id, company=demo_a.id)
    page = admin.get("/subscriptions/export/6f1c2a3b-0000-4000-8000-000000000001", headers=EN).get_data(as_text=True)
    assert 'hx-get="/subscriptions/export/6f1c2a3b-0000-4000-8000-000000000001"' in page
    assert 'hx-trigger="every 1s"' in page and 'value="40"' in page
    assert admin.get("/subscriptions/export/6f1c2a3b-0000-4000-8000-000000000001/download").status_code == 404
    JobRecord.update(status="failed").where(JobRecord.id == "6f1c2a3b-0000-4000-8000-000000000001").execute()
    fragment = admin.get("/subscriptions/export/6f1c2a3b-0000-4000-8000-000000000001", headers=HX)
    text = fragment.get_data(as_text=True)
    assert "The export failed" in text and "every 1s" not in text and "<html" not in text


def test_unknown_or_malformed_job_ids_are_404(admin, ctx):
    for job_id in ("00000000-0000-0000-0000-000000000000", "..%2F..%2Fapp.py", "x" * 300):
        assert admin.get(f"/subscriptions/export/{job_id}").status_code == 404
        assert admin.get(f"/subscriptions/export/{job_id}/download").status_code == 404


def test_many_accounts_get_a_text_field_instead_of_a_select(admin, monkeypatch, ctx):
    from services import subscriptions

    monkeypatch.setattr(subscriptions, "MAX_ACCOUNT_OPTIONS", 1)
    page = admin.get(f"/subscriptions?account={LIMITED_ACCOUNT}", headers=EN).get_data(as_text=True)
    assert 'id="sub-account"' not in page
    assert f'id="sub-account-number" type="text" name="account" inputmode="numeric" autocomplete="off" value="{LIMITED_ACCOUNT}"' in page
    assert "from:#sub-account-number" in page


# speed: capped counts, keyset paging, the trigram search (issue 10) ----------------------------

def _admin_scope():
    from services.scope import build_scope

    membership = Membership.select().join(User).where(User.email == "admin@demo.dk").get()
    return build_scope(membership)


def _grow_demo(n):
    """Add `n` subscriptions to Demo A/S (names with Danish letters and shared prefixes, so sorts tie)."""
    from datetime import date

    template = Subscription.select().join(Company).where(Company.cvr == "12345674").order_by(Subscription.id).first()
    rows = []
    for i in range(n):
        name = ("Åse Ørsted", "Æble Hansen", "Bo Jensen", "bo jensen")[i % 4]
        number = f"+4571{i:06d}"
        email = f"grow{i % 7}@demo.dk"
        rows.append({"customer": template.customer_id, "company": template.company_id, "account": template.account_id,
                     "kind": ("mobile", "landline")[i % 2], "number": number, "holder_name": name, "holder_email": email,
                     "search_key": Subscription.make_search_key(name, number, email), "plan": template.plan_id,
                     "status": ("active", "blocked")[i % 3 == 0], "start_date": date(2024, 1, 1)})
    Subscription.insert_many(rows).execute()


def _walk(scope, **filters):
    """Every row of the overview by following the next cursors from page 1."""
    from services.subscriptions import list_subscriptions

    seen, page = [], list_subscriptions(scope, page=1, **filters)
    while True:
        seen.extend(s.id for s in page.items)
        if not page.has_next:
            return seen, page
        page = list_subscriptions(scope, cursor=page.next_cursor, **filters)


@pytest.mark.parametrize("filters", [{}, {"kind": "mobile"}, {"status": "blocked"}, {"q": "jensen"}, {"q": "bo"}])
def test_keyset_paging_never_repeats_or_skips_a_row(app, ctx, filters):
    from services.subscriptions import SORTS, list_subscriptions, matching

    with app.test_request_context():
        _grow_demo(220)  # Demo then has more than 500 rows
        scope = _admin_scope()
        for sort, keys in SORTS.items():
            expected = [s.id for s in matching(scope, **filters).order_by(*keys)]
            seen, last = _walk(scope, sort=sort, **filters)
            assert seen == expected, (sort, filters)
            # and back again with the previous cursors, from the last page
            back = list(reversed([s.id for s in last.items]))
            while last.has_prev:
                last = list_subscriptions(scope, sort=sort, cursor=last.prev_cursor, **filters)
                back.extend(reversed([s.id for s in last.items]))
            assert back == expected[::-1], (sort, filters)
        assert len(matching(scope)) > 500


def test_the_pager_carries_cursors_and_the_last_page_is_read_backwards(admin, app, ctx):
    body = admin.get("/subscriptions?sort=number", headers=HX).get_data(as_text=True)
    cursor = re.search(r'href="/subscriptions\?sort=number&amp;cursor=([^"&]+)"', body).group(1)
    second = admin.get(f"/subscriptions?sort=number&cursor={cursor}", headers=HX).get_data(as_text=True)
    assert 'aria-current="page"' in second and ">2</span>" in second
    with app.test_request_context():
        from services.subscriptions import SORTS, matching

        last_id = matching(_admin_scope()).order_by(*SORTS["number"]).tuples()[-1][0]
    last = admin.get("/subscriptions?sort=number&page=last", headers=HX).get_data(as_text=True)
    assert f'value="{last_id}"' in last or f"/subscriptions/{last_id}\"" in last


@pytest.mark.parametrize("cursor", ["x", "a.b.c", "W1tdXQ", "%00", "é" * 50, "1" * 3000])
def test_a_forged_cursor_shows_the_first_page(admin, cursor):
    first = admin.get("/subscriptions", headers=HX).get_data(as_text=True)
    response = admin.get("/subscriptions", query_string={"cursor": cursor}, headers=HX)
    assert response.status_code == 200
    ids = re.findall(r'name="ids" value="(\d+)"', response.get_data(as_text=True))
    assert ids == re.findall(r'name="ids" value="(\d+)"', first)


def test_a_cursor_of_another_sort_or_list_is_ignored(app, ctx):
    from services.listing import make_cursor
    from services.subscriptions import list_subscriptions

    with app.test_request_context():
        scope = _admin_scope()
        first = list_subscriptions(scope, sort="name")
        by_number = list_subscriptions(scope, sort="number").next_cursor
        assert [s.id for s in list_subscriptions(scope, sort="name", cursor=by_number).items] == [s.id for s in first.items]
        wrong_types = make_cursor("subscriptions:name", "after", [1, "x"], 2)
        assert [s.id for s in list_subscriptions(scope, sort="name", cursor=wrong_types).items] == [s.id for s in first.items]


def test_another_customers_rows_never_come_through_a_cursor(other_admin, app, ctx):
    """A valid cursor made in Demo's list only narrows Anden's own scoped list."""
    from services.listing import make_cursor

    with app.test_request_context():
        token = make_cursor("subscriptions:name", "after", ["", 0], 2)
    body = other_admin.get("/subscriptions", query_string={"cursor": token}, headers=HX).get_data(as_text=True)
    ids = {int(i) for i in re.findall(r'name="ids" value="(\d+)"', body)}
    demo = {s.id for s in Subscription.select().join(Company).where(Company.customer == _demo_companies()[0].customer)}
    assert ids and not ids & demo


def test_the_count_stops_at_the_cap(admin, app, ctx, monkeypatch):
    from services import listing

    monkeypatch.setattr(listing, "COUNT_CAP", 100)
    monkeypatch.setattr(listing.keyset_paginate, "__defaults__",
                        (None, None, listing.PER_PAGE, None, None, 100))
    body = admin.get("/subscriptions", headers=HX).get_data(as_text=True)
    assert "More than 100 subscriptions" in body
    assert ">Last</a>" in body and "Page 1 of more than" in body
    last = admin.get("/subscriptions?page=999", headers=HX).get_data(as_text=True)
    assert "Last page" in last and "Next" not in re.search(r'<nav class="pager".*?</nav>', last, re.S).group(0)


QUERIES = ["jensen", "mette", "ørsted", "æble", "åse", "20 00 00", "200000", "4520", "@demo.dk", "mette.j", "demo.d",
           "sen ", "zzz", "ø", "al", "20"]


@pytest.mark.parametrize("text", QUERIES)
def test_trigram_search_finds_what_like_finds(app, ctx, text):
    """FTS5 (three characters or more) and the prefix search (shorter) against the plain LIKE scan."""
    from services.search import clean_query, subscription_match

    with app.test_request_context():
        _grow_demo(40)
        text = clean_query(text)
        found = {s.id for s in Subscription.select(Subscription.id).where(subscription_match(text))}
        if len(text) >= 3:
            like = {s.id for s in Subscription.select(Subscription.id).where(Subscription.search_key.contains(text))}
            assert found == like, text
        else:  # a prefix of the name (any case), the e-mail or the number
            digits = "".join(ch for ch in text if ch.isdigit())
            expected = {s.id for s in Subscription.select() if s.holder_name.lower().startswith(text)
                        or s.holder_email.startswith(text) or (digits and s.number.startswith(("+45" + digits, digits)))}
            assert found == expected, text


def test_the_search_index_follows_changes(app, ctx):
    from services.search import subscription_match

    with app.test_request_context():
        sub = Subscription.select().order_by(Subscription.id).first()
        sub.holder_name, sub.search_key = "Zyxåøæ Quux", Subscription.make_search_key("Zyxåøæ Quux", sub.number, sub.holder_email)
        sub.save()
        assert [s.id for s in Subscription.select().where(subscription_match("xåøæ"))] == [sub.id]
        sub.delete_instance(recursive=True)
        assert not Subscription.select().where(subscription_match("xåøæ")).exists()


def test_queries_per_page_are_the_same_on_page_one_and_deep_pages(admin, ctx):
    admin.get("/subscriptions", headers=HX)
    first = count_queries(admin, "/subscriptions?sort=email", HX)
    body = admin.get("/subscriptions?sort=email", headers=HX).get_data(as_text=True)
    cursor = re.search(r'cursor=([^"&]+)"', body).group(1)
    assert count_queries(admin, f"/subscriptions?sort=email&cursor={cursor}", HX) == first
    assert count_queries(admin, "/subscriptions?sort=email&page=last", HX) == first
    assert count_queries(admin, "/subscriptions?sort=email&page=4&q=demo", HX) == first


@pytest.mark.parametrize("path", ["/subscriptions", "/subscriptions?task=sim", "/subscriptions?task=puk&sort=number"])
def test_markup_in_any_column_is_shown_as_text(admin, ctx, path):
    """The rows escape their data by hand (the template's autoescape is off inside them, for speed):
    markup in each column that comes from data is shown as text, on the page and in the fragment."""
    mette = Subscription.get(Subscription.number == "+4520000001")
    Subscription.update(holder_name='<b>Mette</b> & "Co"').where(Subscription.id == mette.id).execute()
    mette = Subscription.get_by_id(mette.id)
    mette.plan.name = "<i>Plan</i>"
    mette.plan.save()
    mette.account.number = "<s>4012</s>"
    mette.account.save()
    mette.company.name = "<u>Demo</u> A/S"
    mette.company.save()
    for headers in (EN, HX):
        page = admin.get(path, headers=headers).get_data(as_text=True)
        for raw in ("<b>Mette</b>", "<i>Plan</i>", "<s>4012</s>", "<u>Demo</u>"):
            assert raw not in page
        assert "&lt;b&gt;Mette&lt;/b&gt; &amp; &#34;Co&#34;" in page  # the link's text
        assert 'aria-label="Select &lt;b&gt;Mette&lt;/b&gt; &amp; &#34;Co&#34;"' in page  # the row's checkbox
        for text in ("&lt;i&gt;Plan&lt;/i&gt;", "&lt;s&gt;4012&lt;/s&gt;", "&lt;u&gt;Demo&lt;/u&gt; A/S"):
            assert text in page
