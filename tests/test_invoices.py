"""The invoice pages: the list (filters, sort, paging, credit notes under their invoice, computed
overdue), one invoice (totals, details per user that add up to the net, usage behind them),
"why did my invoice change?" (groups that add up to the difference), credit notes, the PDF and
XML routes, scoping (404) and rights (403), and a fixed number of queries per page."""
import datetime
import re
import uuid
from types import SimpleNamespace

import pytest

from models import (
    Account,
    Company,
    CreditNote,
    Invoice,
    InvoiceLine,
    JobRecord,
    Membership,
    Subscription,
    User,
)
from services import billing
from services import invoices as svc
from services.scope import build_scope
from tests.conftest import count_queries

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", **EN}
LIMITED_ACCOUNT = "40120011"
EAN_ACCOUNT = "40120029"
TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def data_dir(app, tmp_path):
    """Documents made by a test go to its own folder."""
    app.config["DATA_DIR"] = str(tmp_path / "data")


def _companies():
    return Company.get(Company.cvr == "12345674"), Company.get(Company.cvr == "12345682")


def _demo_invoices():
    demo_a, service = _companies()
    return list(Invoice.select().join(Account).where(Account.company.in_([demo_a.id, service.id]))
                .order_by(Account.number, Invoice.period_start))


def _scope(email="admin@demo.dk", cvr="12345674"):
    user = User.get(User.email == email)
    membership = Membership.select().join(Company).where(Membership.user == user, Company.cvr == cvr).get()
    return build_scope(membership)


def _count(html):
    found = re.search(r"(\d+) invoices?\b", html)
    assert found, html[:500]
    return int(found.group(1))


def _listed(html):
    """Invoice ids in the list's order."""
    return [int(i) for i in re.findall(r'href="/invoices/(\d+)"', html)]


def _money(ore, signed=False):
    """An amount as the English pages write it: DKK 1,234.50, -DKK 1.00 (+DKK 1.00 for a difference)."""
    sign = "-" if ore < 0 else ("+" if signed and ore > 0 else "")
    return f"{sign}DKK\xa0{abs(ore) / 100:,.2f}"


def _get(client, url, headers=EN):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# -- the list ---------------------------------------------------------------------------------

def test_list_shows_six_months_of_both_demo_companies_with_the_credit_note(admin, ctx):
    html = _get(admin, "/invoices")
    invoices = _demo_invoices()
    assert len(invoices) == 30 and _count(html) == 30
    assert sorted(_listed(html)) == sorted(i.id for i in invoices)
    assert {i.period_start.month for i in invoices} == {5, 6, 7, 8, 9, 10}
    assert "Demo Service ApS" in html and "Company" in html  # a company tree: the company column
    note = CreditNote.get(CreditNote.number == "K10000001")
    invoice = Invoice.get_by_id(note.invoice_id)
    # the credit note is the row right under its invoice, with its amount and reason
    row_of_invoice = html.index(f'href="/invoices/{invoice.id}"')
    row_of_note = html.index(f'href="/invoices/credit-notes/{note.id}"')
    following = [m.start() for m in re.finditer(r'href="/invoices/\d+"', html) if m.start() > row_of_invoice]
    assert row_of_invoice < row_of_note < (following[0] if following else len(html))
    assert "Credit note K10000001" in html and _money(-18625) in html and note.reason in html


def test_filters_by_account_period_status_and_company_combine(admin, ctx):
    demo_a, service = _companies()
    invoices = _demo_invoices()

    def ids(query):
        return sorted(_listed(_get(admin, "/invoices?" + query, HX)))

    def expected(keep):
        return sorted(i.id for i in invoices if keep(i))

    assert ids(f"account={LIMITED_ACCOUNT}") == expected(lambda i: i.account.number == LIMITED_ACCOUNT)
    assert len(ids(f"account={LIMITED_ACCOUNT}")) == 6
    assert ids("period=2026-10") == expected(lambda i: i.period_start == datetime.date(2026, 10, 1))
    assert len(ids("period=2026-10")) == 5
    assert ids(f"company={service.id}") == expected(lambda i: i.account.company_id == service.id)
    assert len(ids(f"company={service.id}")) == 12
    overdue = ids("status=overdue")
    assert len(overdue) == 1 and Invoice.get_by_id(overdue[0]).account.number == "40345012"
    assert ids("status=paid") == expected(lambda i: i.status == "paid")
    assert ids("status=open") == expected(lambda i: i.status != "paid" and i.due_on >= TODAY)
    assert len(ids("status=open")) + len(ids("status=paid")) + len(overdue) == 30
    # combined
    assert ids(f"company={service.id}&status=overdue") == overdue
    assert ids(f"company={demo_a.id}&status=overdue") == []
    assert len(ids(f"account={LIMITED_ACCOUNT}&period=2026-10")) == 1
    assert ids(f"account={LIMITED_ACCOUNT}&period=2026-10&status=paid") == []


def test_bad_filter_values_are_ignored_and_no_match_offers_a_reset(admin, ctx):
    for query in ("period=2026-13", "period=abc", "status=nonsense", "company=x", "account=abc", "sort=drop",
                  "page=-1", "page=99999999999999999999", "company=99999999999999999999"):
        response = admin.get("/invoices?" + query, headers=HX)
        assert response.status_code == 200, query
    assert _count(_get(admin, "/invoices?status=nonsense", HX)) == 30
    html = _get(admin, "/invoices?period=2020-01", HX)
    assert _count(html) == 0
    assert "No invoices match your filters." in html and 'href="/invoices">Reset filters' in html


def test_sort_by_clickable_headers_both_ways(admin, ctx):
    invoices = {i.id: i for i in _demo_invoices()}
    for key, value in (("number", lambda i: i.number), ("amount", lambda i: i.total),
                       ("due", lambda i: i.due_on), ("period", lambda i: i.period_start)):
        up = [value(invoices[i]) for i in _listed(_get(admin, f"/invoices?sort={key}", HX))]
        down = [value(invoices[i]) for i in _listed(_get(admin, f"/invoices?sort=-{key}", HX))]
        assert up == sorted(up) and down == sorted(down, reverse=True) and len(up) == 30, key
    html = _get(admin, "/invoices?sort=amount", HX)
    # the active column says so, and its link flips the order; the sort travels with the filter form
    assert 'aria-sort="ascending"' in html and "sort=-amount" in html
    assert '<input type="hidden" name="sort" value="amount" form="inv-filters">' in html
    assert 'aria-sort="descending"' in _get(admin, "/invoices", HX)  # newest period first


def test_paging_covers_every_invoice_once(admin, ctx, monkeypatch):
    monkeypatch.setattr(svc, "PER_PAGE", 12)
    seen = []
    for page in (1, 2, 3):
        html = _get(admin, f"/invoices?sort=number&page={page}", HX)
        seen += _listed(html)
        assert f"Page {page} of 3" in html
    assert len(seen) == 30 and len(set(seen)) == 30
    past_end = _get(admin, "/invoices?sort=number&page=4", HX)  # past the end: the last page
    assert "Page 3 of 3" in past_end and _listed(past_end) == seen[24:]


def test_overdue_is_computed_from_the_due_date(admin, ctx):
    invoice = Invoice.get(Invoice.number == "F10000028")  # open, due in December
    assert svc.shown_status(invoice, TODAY) == "open"
    Invoice.update(due_on=TODAY - datetime.timedelta(days=1)).where(Invoice.id == invoice.id).execute()
    html = _get(admin, f"/invoices?account={LIMITED_ACCOUNT}&status=overdue", HX)
    assert _listed(html) == [invoice.id] and "Overdue" in html
    # an older row that stores "overdue" but is not due yet is open; paid stays paid after its due date
    assert svc.shown_status(SimpleNamespace(status="overdue", due_on=TODAY), TODAY) == "open"
    assert svc.shown_status(SimpleNamespace(status="overdue", due_on=TODAY - datetime.timedelta(days=3)),
                            TODAY) == "overdue"
    assert svc.shown_status(SimpleNamespace(status="paid", due_on=TODAY - datetime.timedelta(days=99)),
                            TODAY) == "paid"


def test_limited_user_sees_only_the_chosen_account(limited, ctx):
    html = _get(limited, "/invoices")
    mine = [i for i in _demo_invoices() if i.account.number == LIMITED_ACCOUNT]
    assert sorted(_listed(html)) == sorted(i.id for i in mine)
    assert "40120029" not in html and "Demo Service ApS" not in html
    other = next(i for i in _demo_invoices() if i.account.number != LIMITED_ACCOUNT)
    for url in (f"/invoices/{other.id}", f"/invoices/{other.id}/changes", f"/invoices/{other.id}.pdf",
                f"/invoices/{other.id}.xml"):
        assert limited.get(url).status_code == 404, url
    assert _count(_get(limited, "/invoices?account=40120029", HX)) == 0
    note = CreditNote.get(CreditNote.number == "K10000001")  # on 40120011
    assert limited.get(f"/invoices/credit-notes/{note.id}").status_code == 200


def test_other_customer_gets_404_for_every_demo_invoice_and_credit_note(other_admin, ctx):
    html = _get(other_admin, "/invoices")
    assert _count(html) == 4 and "Demo" not in html
    for invoice in _demo_invoices():
        for url in (f"/invoices/{invoice.id}", f"/invoices/{invoice.id}/changes", f"/invoices/{invoice.id}.pdf",
                    f"/invoices/{invoice.id}.xml",
                    f"/invoices/{invoice.id}/pdf/00000000-0000-0000-0000-000000000000"):
            assert other_admin.get(url).status_code == 404, url
    note = CreditNote.get(CreditNote.number == "K10000001")
    for url in (f"/invoices/credit-notes/{note.id}", f"/invoices/credit-notes/{note.id}.pdf",
                f"/invoices/credit-notes/{note.id}.xml"):
        assert other_admin.get(url).status_code == 404, url


@pytest.mark.parametrize("path", ["/invoices/abc", "/invoices/0", "/invoices/99999999999999999999",
                                  "/invoices/credit-notes/99999", "/invoices/99999.pdf"])
def test_bad_ids_answer_404(admin, path):
    assert admin.get(path).status_code == 404


def test_a_membership_without_the_invoices_right_gets_403(limited, ctx):
    user = User.get(User.email == "begraenset@demo.dk")
    membership = Membership.get(Membership.user == user)
    functions = " ".join(f for f in membership.function_set if f != "invoices")
    Membership.update(functions=functions).where(Membership.id == membership.id).execute()
    invoice = Invoice.select().join(Account).where(Account.number == LIMITED_ACCOUNT).first()
    note = CreditNote.get(CreditNote.number == "K10000001")
    for url in ("/invoices", f"/invoices/{invoice.id}", f"/invoices/{invoice.id}/changes",
                f"/invoices/{invoice.id}.pdf", f"/invoices/{invoice.id}.xml", f"/invoices/credit-notes/{note.id}",
                f"/invoices/credit-notes/{note.id}.pdf"):
        assert limited.get(url).status_code == 403, url
    # and the service refuses too (jobs and other callers)
    from werkzeug.exceptions import Forbidden

    with pytest.raises(Forbidden):
        svc.get_invoice(build_scope(Membership.get_by_id(membership.id)), invoice.id)


# -- one invoice ------------------------------------------------------------------------------

def test_invoice_page_has_header_totals_by_category_and_credit_notes(admin, ctx):
    note = CreditNote.get(CreditNote.number == "K10000001")
    invoice = Invoice.get_by_id(note.invoice_id)
    html = _get(admin, f"/invoices/{invoice.id}")
    for text in (invoice.number, "40120011 · Hovedkonto", "Demo A/S", "August 2026", invoice.payment_id,
                 "Subscriptions", "Add-ons", "Usage", "Total excl. VAT", "Total incl. VAT",
                 "Download PDF", "Credit note K10000001", "Why did my invoice change?", "Details per user"):
        assert text in html, text
    assert f'href="/invoices/{invoice.id}.pdf"' in html
    assert "Download e-invoice (XML)" not in html  # no EAN on the main account
    lines = list(invoice.lines)
    by_category = {}
    for line in lines:
        if line.vat_rate:
            by_category[svc.category_of(line.kind)] = by_category.get(svc.category_of(line.kind), 0) + line.amount
    summary = svc.summary(invoice)
    assert dict(summary.categories) == by_category
    assert sum(by_category.values()) + sum(a for _, a in summary.exempt) == invoice.net
    assert sum(v for _, _, v in summary.vat) == invoice.vat
    ean = Invoice.select().join(Account).where(Account.number == EAN_ACCOUNT).first()
    assert f'href="/invoices/{ean.id}.xml"' in _get(admin, f"/invoices/{ean.id}")


def test_exempt_reminder_fee_is_shown_apart(admin, ctx):
    invoice = (Invoice.select().join(InvoiceLine).where(InvoiceLine.kind == "fee_reminder").get())
    html = _get(admin, f"/invoices/{invoice.id}")
    assert "One-off fees (VAT exempt)" in html and _money(10000) in html
    assert "Charges on the account" in html and "Reminder fee" in html  # the account's own block
    assert svc.summary(invoice).exempt == [("fees", 10000)]


def test_details_per_user_add_up_to_the_net_over_all_pages(admin, ctx):
    for invoice in _demo_invoices():
        total, seen, page = sum(line.amount for line in svc.account_lines(invoice)), set(), 1
        while True:
            result = svc.details(invoice, page=page)
            for block in result.items:
                assert block.lines and block.subscription.id not in seen
                seen.add(block.subscription.id)
                total += block.subtotal
            if not result.has_next:
                break
            page += 1
        assert total == invoice.net, invoice.number
        totals = svc.detail_totals(invoice)
        assert totals.net == invoice.net and totals.subscriptions == len(seen)
    # on the page: 25 a page, and the sum of all pages at the bottom of each
    invoice = Invoice.get(Invoice.number == "F10000028")
    html = _get(admin, f"/invoices/{invoice.id}?page=2", HX)
    assert html.count('class="user-block"') == svc.DETAILS_PER_PAGE
    assert "Page 2 of 4" in html
    totals = svc.detail_totals(invoice)
    assert f"All {totals.subscriptions} subscriptions on all pages</th><td class=\"num\">{_money(totals.users_net)}" in html
    assert f"Total excl. VAT</th><td class=\"num\">{_money(invoice.net)}</td>" in html


def test_details_show_the_usage_behind_and_search_within_the_invoice(admin, ctx):
    mette = Subscription.get(Subscription.number == "+4520000001")
    invoice = Invoice.get(Invoice.number == "F10000028")
    html = _get(admin, f"/invoices/{invoice.id}?q=20 00 00 01", HX)
    assert "1 subscription matches" in html and "Mette Jensen" in html
    assert html.count('class="user-block"') == 1
    from models import UsageMonth

    usage = UsageMonth.get(UsageMonth.subscription == mette.id, UsageMonth.month == invoice.period_start)
    assert "Usage in October 2026" in html
    assert f"{usage.calls} calls" in html and f"{usage.sms} text messages" in html and "GB data" in html
    # the sum at the bottom is still the whole invoice's
    assert _money(invoice.net) in html
    none = _get(admin, f"/invoices/{invoice.id}?q=nobody-by-this-name", HX)
    assert "No subscription on this invoice matches your search." in none


# -- why did the invoice change? --------------------------------------------------------------

def test_why_changed_adds_up_for_every_consecutive_pair_of_demo_invoices(ctx):
    scopes = {cvr: _scope(cvr=cvr) for cvr in ("12345674", "12345682")}
    pairs = 0
    for invoice in _demo_invoices():
        scope = scopes[invoice.account.company.cvr]
        explanation = svc.explain(scope, invoice.id)
        if invoice.period_start.month == 5:
            assert explanation.previous is None
            continue
        pairs += 1
        previous = explanation.previous
        assert previous.account_id == invoice.account_id and previous.period_start.month == invoice.period_start.month - 1
        assert explanation.net_difference == invoice.net - previous.net, invoice.number
        assert explanation.total_difference == invoice.total - previous.total, invoice.number
        assert explanation.vat_difference == invoice.vat - previous.vat
        for group in explanation.groups:
            assert group.total == sum(item.amount for item in group.items)
            assert len(group.shown) <= svc.MAX_CHANGE_ITEMS and group.more == len(group.items) - len(group.shown)
    assert pairs == 25


def test_why_changed_on_the_page(admin, ctx):
    invoice = Invoice.get(Invoice.number == "F10000028")
    previous = svc.previous_invoice(invoice)
    html = _get(admin, f"/invoices/{invoice.id}/changes", HX)
    assert f"Compared with invoice {previous.number} for September 2026" in html
    assert f"a difference of <span class=\"nowrap\">{_money(invoice.total - previous.total, signed=True)}</span>" in html
    assert "Difference in VAT" in html and "Difference incl. VAT" in html
    page = _get(admin, f"/invoices/{invoice.id}/changes")  # without HTMX: a page of its own
    assert "<h1>Why did invoice F10000028 change?</h1>" in page
    first = Invoice.get(Invoice.account == invoice.account_id, Invoice.period_start == datetime.date(2026, 5, 1))
    assert "nothing to compare with" in _get(admin, f"/invoices/{first.id}/changes", HX)


def _fact(sub, kind, amount, description="", days=None):
    names = {1: ("Anna Berg", "+4520000011"), 2: ("Bo Dahl", "+4520000012"), 3: ("Carl Eg", "+4520000013"),
             4: ("Dorte Fog", "+4520000014"), None: ("", "")}
    return svc.Fact(sub, *names[sub], kind, description, amount, days)


def test_why_changed_explains_a_constructed_month_exactly():
    previous = [
        _fact(1, "plan", 9900, "Basis", 31), _fact(1, "addon", 4900, "Ekstra data", 31), _fact(1, "usage_voice", 1000),
        _fact(2, "plan", 14900, "Plus", 31),  # ended
        _fact(3, "plan", 9900, "Basis", 31), _fact(3, "addon", 1900, "Voicemail", 31),
        _fact(1, "fee_sim_change", 9900), _fact(None, "fee_reminder", 10000),
    ]
    current = [
        _fact(1, "plan", 9900, "Basis", 31), _fact(1, "addon", 4900, "Ekstra data", 31), _fact(1, "usage_voice", 2500),
        _fact(1, "usage_data", 3000),
        _fact(3, "plan", 3194, "Basis", 10), _fact(3, "plan", 10574, "Plus", 21),  # a plan change on the 11th
        _fact(3, "addon", 2500, "Hemmeligt nummer", 21),  # Voicemail removed, Hemmeligt nummer added
        _fact(4, "plan", 6387, "Basis", 20), _fact(4, "fee_porting", 14900),  # new, brought its number
    ]
    groups = {g.key: g for g in svc.explain_lines(current, previous)}
    assert list(groups) == ["new", "ended", "plan", "addon", "usage_voice", "usage_data", "fees"]

    def items(key):
        return [(i.holder, i.amount, i.what, i.name) for i in groups[key].items]

    assert items("new") == [("Dorte Fog", 6387, "new", "Basis")]
    assert items("ended") == [("Bo Dahl", -14900, "ended", "Plus")]
    assert [(i.holder, i.amount, i.what, i.before, i.after) for i in groups["plan"].items] == [
        ("Carl Eg", 3868, "plan", "Basis", "Basis + Plus")]
    assert items("addon") == [("Carl Eg", 2500, "added", "Hemmeligt nummer"), ("Carl Eg", -1900, "removed", "Voicemail")]
    assert groups["addon"].total == 600
    assert [(i.amount, i.before, i.after) for i in groups["usage_voice"].items] == [(1500, 1000, 2500)]
    assert groups["usage_data"].total == 3000
    assert items("fees") == [("Dorte Fog", 14900, "fee_now", "fee_porting"), ("", -10000, "fee_before", "fee_reminder"),
                             ("Anna Berg", -9900, "fee_before", "fee_sim_change")]
    assert groups["fees"].total == -5000
    net = sum(g.total for g in groups.values())
    assert net == -4545 == sum(f.amount for f in current) - sum(f.amount for f in previous)
    # with VAT per rate as the billing run computes it: the groups and the VAT difference add up
    rates = {"fee_reminder": 0}
    now = billing.totals((f.amount, rates.get(f.kind, 25)) for f in current)
    before = billing.totals((f.amount, rates.get(f.kind, 25)) for f in previous)
    explanation = svc.Explanation(SimpleNamespace(net=now[0], vat=now[1], total=now[2]),
                                  SimpleNamespace(net=before[0], vat=before[1], total=before[2]),
                                  list(groups.values()))
    assert explanation.vat_difference == now[1] - before[1] == 1364
    assert explanation.total_difference == now[2] - before[2] == -3181


def test_same_plan_other_days_and_long_groups_are_cut_at_twenty():
    previous = [_fact(1, "plan", 3194, "Basis", 10)] + [
        svc.Fact(100 + n, f"Person {n:02d}", f"+45300000{n:02d}", "usage_sms", "", 50) for n in range(25)]
    current = [_fact(1, "plan", 9900, "Basis", 31)] + [
        svc.Fact(100 + n, f"Person {n:02d}", f"+45300000{n:02d}", "usage_sms", "", 100 + n) for n in range(25)]
    groups = {g.key: g for g in svc.explain_lines(current, previous)}
    plan = groups["plan"].items[0]
    assert (plan.what, plan.name, plan.before, plan.after, plan.amount) == ("days", "Basis", 10, 31, 6706)
    sms = groups["usage_sms"]
    assert len(sms.items) == 25 and len(sms.shown) == 20 and sms.more == 5
    assert sms.total == sum(50 + n for n in range(25))
    assert sms.shown[0].amount == 74  # the largest changes first


# -- credit notes -----------------------------------------------------------------------------

def test_credit_note_page(admin, ctx):
    note = CreditNote.get(CreditNote.number == "K10000001")
    invoice = Invoice.get_by_id(note.invoice_id)
    html = _get(admin, f"/invoices/credit-notes/{note.id}")
    for text in ("Credit note K10000001", note.reason, f'href="/invoices/{invoice.id}"', invoice.number,
                 "Credited lines", _money(-14900), _money(-3725), _money(-18625),
                 f'href="/invoices/credit-notes/{note.id}.pdf"'):
        assert text in html, text
    assert "Download e-invoice (XML)" not in html
    assert svc.credit_note_lines(note)[1] == [(25, 14900, 3725)]


# -- documents --------------------------------------------------------------------------------

def test_pdf_is_made_by_a_job_then_served_inline(admin, ctx):
    invoice = Invoice.get(Invoice.number == "F10000028")
    first = admin.get(f"/invoices/{invoice.id}.pdf", headers=EN)
    # not made yet: a job makes it (inline in tests) and a page waits for it
    assert first.status_code == 200 and first.mimetype == "text/html"
    assert "The PDF is ready." in first.get_data(as_text=True)
    job = JobRecord.select().where(JobRecord.name == "render_document").order_by(JobRecord.created_at.desc()).get()
    assert job.status == "finished" and job.user_id == User.get(User.email == "admin@demo.dk").id
    # the waiting page's poll sends the browser on to the PDF once it is there
    status = admin.get(f"/invoices/{invoice.id}/pdf/{job.id}", headers=HX)
    assert status.headers["HX-Redirect"] == f"/invoices/{invoice.id}.pdf"
    assert admin.get(f"/invoices/{invoice.id}/pdf/{job.id}", headers=EN).status_code == 302
    response = admin.get(f"/invoices/{invoice.id}.pdf", headers=EN)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and response.headers["Content-Length"] == str(len(response.data))
    assert response.headers["Cache-Control"] == "no-store"  # never kept by any cache (app.py)
    assert response.headers["Content-Disposition"] == "inline; filename=invoice-F10000028.pdf"
    # a credit note likewise
    note = CreditNote.get(CreditNote.number == "K10000001")
    assert "The PDF is ready." in _get(admin, f"/invoices/credit-notes/{note.id}.pdf")
    assert admin.get(f"/invoices/credit-notes/{note.id}.pdf", headers=EN).mimetype == "application/pdf"


def test_pdf_waiting_page_polls_while_the_job_runs_and_says_when_it_failed(admin, ctx):
    invoice = Invoice.get(Invoice.number == "F10000028")
    admin_user = User.get(User.email == "admin@demo.dk")
    company = Company.get(Company.cvr == "12345674")
    job = JobRecord.create(id=str(uuid.uuid4()), name="render_document", user=admin_user.id, company=company.id)
    html = _get(admin, f"/invoices/{invoice.id}/pdf/{job.id}", HX)
    assert f'hx-get="/invoices/{invoice.id}/pdf/{job.id}"' in html and 'hx-trigger="every 1s"' in html
    JobRecord.update(status="failed").where(JobRecord.id == job.id).execute()
    html = _get(admin, f"/invoices/{invoice.id}/pdf/{job.id}", HX)
    assert "The PDF could not be made." in html and "every 1s" not in html
    # another user's job, another kind of job: 404
    other = JobRecord.create(id=str(uuid.uuid4()), name="export_subscriptions_csv", user=admin_user.id,
                             company=company.id)
    assert admin.get(f"/invoices/{invoice.id}/pdf/{other.id}").status_code == 404


def test_xml_only_for_ean_accounts(admin, ctx):
    ean = Invoice.select().join(Account).where(Account.number == EAN_ACCOUNT).first()
    response = admin.get(f"/invoices/{ean.id}.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert b"<Invoice" in response.data and ean.number.encode() in response.data
    assert response.headers["Content-Disposition"].startswith("attachment")
    plain = Invoice.select().join(Account).where(Account.number == LIMITED_ACCOUNT).first()
    assert admin.get(f"/invoices/{plain.id}.xml").status_code == 404
    note = CreditNote.get(CreditNote.number == "K10000001")
    assert admin.get(f"/invoices/credit-notes/{note.id}.xml").status_code == 404


def test_pdf_status_of_another_users_job_is_404(admin, ctx):
    invoice = Invoice.get(Invoice.number == "F10000028")
    assert admin.get(f"/invoices/{invoice.id}/pdf/not-a-uuid").status_code == 404
    assert admin.get(f"/invoices/{invoice.id}/pdf/00000000-0000-0000-0000-000000000000").status_code == 404


# -- queries ----------------------------------------------------------------------------------

def test_list_costs_a_fixed_number_of_queries(admin, ctx):
    _, service = _companies()
    admin.get("/invoices", headers=EN)  # the session's first write (its CSRF token) is not the page's
    plain = count_queries(admin, "/invoices", HX)
    filtered = count_queries(admin, f"/invoices?company={service.id}&status=paid&period=2026-07&sort=-amount", HX)
    assert plain == filtered
    assert count_queries(admin, "/invoices?period=2020-01", HX) == plain - 1  # no rows: no credit-note query
    # the whole page adds the filter choices: companies, accounts, periods
    assert count_queries(admin, "/invoices", EN) == plain + 3


def test_invoice_details_cost_a_fixed_number_of_queries(admin, ctx):
    big = Invoice.get(Invoice.number == "F10000028")  # 87 subscriptions
    small = Invoice.get(Invoice.number == "F10000032")  # 23 subscriptions
    admin.get(f"/invoices/{big.id}", headers=EN)  # the session's first write is not the page's
    page_two = count_queries(admin, f"/invoices/{big.id}?page=2", HX)
    assert page_two == count_queries(admin, f"/invoices/{big.id}?page=4", HX)
    assert page_two == count_queries(admin, f"/invoices/{big.id}?q=a", HX)
    # the first page also reads the account's own lines
    assert count_queries(admin, f"/invoices/{big.id}", HX) == page_two + 1 == count_queries(admin, f"/invoices/{small.id}", HX)
    full = count_queries(admin, f"/invoices/{big.id}", EN)
    assert full == count_queries(admin, f"/invoices/{small.id}", EN) and full <= page_two + 4
    assert count_queries(admin, f"/invoices/{big.id}/changes", HX) == count_queries(admin, f"/invoices/{small.id}/changes", HX)


def test_the_vat_rate_is_written_as_the_language_writes_a_percentage(admin, ctx):
    invoice = Invoice.select().join(Account).where(Account.number == "40120011").order_by(Invoice.id.desc()).first()
    english = admin.get(f"/invoices/{invoice.id}", headers=EN).get_data(as_text=True)
    danish = admin.get(f"/invoices/{invoice.id}", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "VAT 25% of DKK" in english and "25 %" not in english
    assert "Moms 25\xa0% af" in danish


def test_calls_to_other_countries_are_not_confused_with_use_while_abroad(admin, ctx):
    """"Calls abroad" read as calls made while abroad, next to "0 events abroad": the line is calls
    *to* other countries (and special numbers), the box counts use *while* abroad."""
    invoice = Invoice.select().join(Account).where(Account.number == "40120011").order_by(Invoice.id.desc()).first()
    page = admin.get(f"/invoices/{invoice.id}", headers=EN).get_data(as_text=True)
    assert "Calls abroad" not in page and "events abroad" not in page
    assert re.search(r"\d+ uses? while abroad", page)
