"""Staff credit notes: finding any customer's invoice, crediting it whole or line by line
through form -> confirmation -> credit note, and everything that must be refused."""
import datetime
import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from werkzeug.exceptions import Forbidden

from models import Account, AuditEvent, CreditNote, CreditNoteLine, Invoice, InvoiceLine, NumberSeries, User, db
from services import credit_notes
from services.errors import ServiceError
from tests.conftest import count_queries, make_app, sign_in

HX = {"HX-Request": "true"}


@pytest.fixture
def staff(staff_client):
    staff_client.set_cookie("lang", "en")
    return staff_client


def invoice_of(account_number, period="2026-10"):
    first = datetime.date.fromisoformat(f"{period}-01")
    return (Invoice.select().join(Account)
            .where(Account.number == account_number, Invoice.period_start == first).get())


def lines_of(invoice, kind=None):
    query = InvoiceLine.select().where(InvoiceLine.invoice == invoice.id).order_by(InvoiceLine.id)
    return list(query.where(InvoiceLine.kind == kind) if kind else query)


def vat_25(net):
    return int((Decimal(net) * 25 / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def post_credit(client, invoice, reason="Fejlagtigt faktureret", what="lines", line_ids=(), **extra):
    data = {"what": what, "reason": reason, "line_ids": [str(i) for i in line_ids], **extra}
    return client.post(f"/staff/invoices/{invoice.id}/credit", data=data)


def credit_through_confirmation(client, invoice, reason="Fejlagtigt faktureret", what="lines", line_ids=()):
    """The form, then the confirmation's own hidden values posted back: what a person does."""
    preview = post_credit(client, invoice, reason, what, line_ids)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    page = preview.get_data(as_text=True)
    expect = re.search(r'name="expect" value="([^"]+)"', page).group(1)
    return post_credit(client, invoice, reason, what, line_ids, confirm="1", expect=expect), page


def notes():
    return CreditNote.select().count()


# -- crediting -------------------------------------------------------------------------------

def test_staff_credit_two_lines_with_the_next_number(staff, ctx):
    invoice = invoice_of("40120011")
    chosen = lines_of(invoice, "plan")[:2]
    response, preview = credit_through_confirmation(staff, invoice, "Abonnementerne var opsagt",
                                                     line_ids=[line.id for line in chosen])
    # the confirmation showed what the note holds before anything was written
    net = sum(line.amount for line in chosen)
    assert "will credit these 2 lines" in preview and chosen[0].description in preview
    assert "DKK\xa0{:,.2f}".format((net + vat_25(net)) / 100) in preview
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/invoices/{invoice.id}")

    note = CreditNote.get(CreditNote.number == "K10000002")  # the demo holds K10000001
    assert note.invoice_id == invoice.id and note.reason == "Abonnementerne var opsagt"
    assert sorted(cl.invoice_line_id for cl in note.lines) == sorted(line.id for line in chosen)
    assert (note.net, note.vat, note.total) == (net, vat_25(net), net + vat_25(net))
    assert note.buyer_name == invoice.buyer_name and note.buyer_cvr == invoice.buyer_cvr
    assert note.created_by_id == User.get(User.email == "staff@operator.dk").id

    event = AuditEvent.get(AuditEvent.action == "invoice.credited", AuditEvent.object_id == str(note.id))
    details = json.loads(event.details)
    assert details["invoice"] == invoice.number and details["lines"] == 2 and details["total"] == note.total
    assert event.customer_id == invoice.customer_id

    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Credit note K10000002 is created." in page
    assert page.count("Credited in K10000002") == 2 and "Abonnementerne var opsagt" in page


def test_exempt_reminder_fee_is_credited_without_vat(staff, ctx):
    invoice = invoice_of("40345012")  # Demo Service ApS, Hovedkonto: October carries the reminder fee
    (fee,) = lines_of(invoice, "fee_reminder")
    plan = lines_of(invoice, "plan")[0]
    assert fee.vat_rate == 0 and fee.subscription_id is None
    response, preview = credit_through_confirmation(staff, invoice, "Rykkeren var sendt ved en fejl",
                                                     line_ids=[fee.id, plan.id])
    assert "VAT exempt" in preview and "Reminder fee" in preview
    note = CreditNote.get(CreditNote.invoice == invoice.id)
    assert note.net == fee.amount + plan.amount
    assert note.vat == vat_25(plan.amount)  # nothing on the fee
    assert note.total == fee.amount + plan.amount + vat_25(plan.amount)
    rates = {cl.invoice_line_id: cl.vat_rate for cl in note.lines}
    assert rates == {fee.id: 0, plan.id: 25}


def test_crediting_the_rest_covers_exactly_the_remaining_lines(staff, ctx):
    invoice = invoice_of("40120037")
    every = lines_of(invoice)
    first = every[:2]
    credit_through_confirmation(staff, invoice, line_ids=[line.id for line in first])
    response, preview = credit_through_confirmation(staff, invoice, "Aftalen er ophævet", what="all")
    assert response.status_code == 302
    assert f"will credit these {len(every) - 2} lines" in preview
    rest = CreditNote.get(CreditNote.number == "K10000003")
    credited = [cl.invoice_line_id for cl in rest.lines]
    assert sorted(credited) == sorted(line.id for line in every[2:])
    assert rest.net == sum(line.amount for line in every[2:])
    # every line credited once: the two notes' nets add up to the invoice's
    assert sum(n.net for n in CreditNote.select().where(CreditNote.invoice == invoice.id)) == invoice.net
    page = staff.get(f"/staff/invoices/{invoice.id}").get_data(as_text=True)
    assert "Every line of this invoice has been credited." in page and 'name="line_ids"' not in page
    again = post_credit(staff, invoice, what="all")
    assert again.status_code == 422
    assert "Every line of this invoice has been credited already." in again.get_data(as_text=True)


def test_crediting_a_line_again_is_refused(staff, ctx):
    credited = CreditNoteLine.select().join(CreditNote).where(CreditNote.number == "K10000001").get()
    invoice = Invoice.get_by_id(credited.credit_note.invoice_id)
    other = next(line for line in lines_of(invoice) if line.id != credited.invoice_line_id)
    before = notes()
    for ids in ([credited.invoice_line_id], [other.id, credited.invoice_line_id]):
        response = post_credit(staff, invoice, line_ids=ids)
        assert response.status_code == 422
        assert "have been credited already" in response.get_data(as_text=True)
    # the confirmation is checked as well, not only the form
    assert post_credit(staff, invoice, line_ids=[credited.invoice_line_id], confirm="1",
                       expect="1:1").status_code == 422
    assert notes() == before


@pytest.mark.parametrize("reason, message", [
    ("", "Write why the invoice is credited."),
    ("   ", "Write why the invoice is credited."),
    ("x" * 201, "Write at most 200 characters."),
])
def test_a_reason_is_required_and_short(staff, ctx, reason, message):
    invoice = invoice_of("40120011")
    before = notes()
    for extra in ({}, {"confirm": "1", "expect": "1:1"}):
        response = post_credit(staff, invoice, reason, line_ids=[lines_of(invoice)[0].id], **extra)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert notes() == before


def test_lines_must_be_chosen_and_on_the_invoice(staff, ctx):
    invoice = invoice_of("40120011")
    foreign = lines_of(invoice_of("51230018"))[0]  # Anden Kunde ApS's invoice
    own = lines_of(invoice)[0]
    before = notes()
    nothing = post_credit(staff, invoice, line_ids=[])
    assert nothing.status_code == 422 and "Choose the lines to credit." in nothing.get_data(as_text=True)
    for ids in ([foreign.id], [own.id, foreign.id], [own.id, "abc"], [own.id, 999999999]):
        response = post_credit(staff, invoice, line_ids=ids)
        assert response.status_code == 422, ids
        assert "Some of the chosen lines are not on this invoice." in response.get_data(as_text=True)
    assert notes() == before and not CreditNoteLine.select().where(CreditNoteLine.invoice_line == foreign.id).exists()


def test_errors_come_back_in_the_form_with_the_choice_kept(staff, ctx):
    invoice = invoice_of("40120011")
    chosen = lines_of(invoice, "plan")[:2]
    response = staff.post(f"/staff/invoices/{invoice.id}/credit", headers=HX,
                          data={"what": "lines", "reason": "", "line_ids": [str(line.id) for line in chosen]})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body and "HX-Request" in response.headers["Vary"]
    assert 'role="alert"' in body and 'aria-invalid="true"' in body
    for line in chosen:
        assert re.search(rf'value="{line.id}" checked', body)


def test_confirmation_of_lines_that_changed_is_refused_and_takes_no_number(staff, ctx):
    invoice = invoice_of("40120029")
    every = lines_of(invoice)
    preview = post_credit(staff, invoice, what="all").get_data(as_text=True)
    stale = re.search(r'name="expect" value="([^"]+)"', preview).group(1)
    credit_through_confirmation(staff, invoice, line_ids=[every[0].id])  # a colleague, meanwhile: K10000002
    refused = post_credit(staff, invoice, what="all", confirm="1", expect=stale)
    assert refused.status_code == 422 and "has changed since you looked" in refused.get_data(as_text=True)
    assert post_credit(staff, invoice, what="all", confirm="1").status_code == 422  # no fingerprint, no note
    response, _ = credit_through_confirmation(staff, invoice, what="all")
    assert response.status_code == 302
    assert CreditNote.get(CreditNote.invoice == invoice.id, CreditNote.number == "K10000003").lines.count() == len(every) - 1


def test_numbers_have_no_gaps_after_refused_attempts(staff, ctx):
    invoice = invoice_of("40345020")
    every = lines_of(invoice)
    assert post_credit(staff, invoice, "", line_ids=[every[0].id], confirm="1", expect="x").status_code == 422
    credit_through_confirmation(staff, invoice, line_ids=[every[0].id])
    assert post_credit(staff, invoice, line_ids=[every[0].id], confirm="1", expect="1:1").status_code == 422
    credit_through_confirmation(staff, invoice, line_ids=[every[1].id])
    numbers = [n.number for n in CreditNote.select().order_by(CreditNote.id)]
    assert numbers == ["K10000001", "K10000002", "K10000003"]
    assert NumberSeries.get_by_id("credit_note").next_value == 10000004


def test_a_line_credited_after_the_check_is_refused_in_the_transaction(app, ctx):
    """Two staff members at once: the second one's checked proposal meets a line credited since;
    the check under the series' lock refuses it, and the attempt gives its number back."""
    staff_user = User.get(User.email == "staff@operator.dk")
    invoice = invoice_of("40120011")
    line = lines_of(invoice)[0]
    with app.test_request_context():
        second = credit_notes.preview(staff_user, invoice.id, "Dobbelt", [line.id])
        credit_notes.credit(staff_user, invoice.id, "Først", [line.id])
        with pytest.raises(ServiceError) as refused:
            credit_notes.issue(staff_user, second)
        assert "allerede krediteret" in str(refused.value.message)
    assert [n.number for n in CreditNote.select().order_by(CreditNote.id)] == ["K10000001", "K10000002"]
    assert NumberSeries.get_by_id("credit_note").next_value == 10000003
    assert CreditNoteLine.select().where(CreditNoteLine.invoice_line == line.id).count() == 1


def test_confirm_with_htmx_redirects_to_the_invoice(staff, ctx):
    invoice = invoice_of("40120011")
    line = lines_of(invoice)[0]
    preview = staff.post(f"/staff/invoices/{invoice.id}/credit", headers=HX,
                         data={"what": "lines", "reason": "Fejl", "line_ids": [str(line.id)]})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<html" not in body and "Confirm the credit note" in body
    expect = re.search(r'name="expect" value="([^"]+)"', body).group(1)
    done = staff.post(f"/staff/invoices/{invoice.id}/credit", headers=HX,
                      data={"what": "lines", "reason": "Fejl", "line_ids": [str(line.id)], "confirm": "1",
                            "expect": expect})
    assert done.headers["HX-Redirect"] == f"/staff/invoices/{invoice.id}"


def test_change_goes_back_to_the_form_with_the_choice(staff, ctx):
    invoice = invoice_of("40120011")
    line = lines_of(invoice)[0]
    response = post_credit(staff, invoice, "Min grund", line_ids=[line.id], confirm="1", expect="1:1", back="1")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Credit the chosen lines" in body
    assert re.search(rf'value="{line.id}" checked', body) and ">Min grund</textarea>" in body
    assert notes() == 1


def test_csrf_is_required(demo_db_file, tmp_path):
    import shutil

    shutil.copy(demo_db_file, tmp_path / "csrf.db")
    app = make_app(tmp_path / "csrf.db", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    sign_in(client, "staff@operator.dk")
    try:
        invoice = invoice_of("40120011")
        response = post_credit(client, invoice, what="all", confirm="1", expect="1:1")
        assert response.status_code == 400 and notes() == 1
    finally:
        db.close()


# -- who may ---------------------------------------------------------------------------------

def _staff_urls():
    invoice = invoice_of("40120011")
    return [("GET", "/staff/invoices"), ("GET", "/staff/invoices?q=12345674"), ("GET", f"/staff/invoices/{invoice.id}"),
            ("POST", f"/staff/invoices/{invoice.id}/credit")]


@pytest.mark.parametrize("who", ["admin", "other_admin", "limited", "employee_client"])
def test_customers_get_403_on_every_staff_invoice_url(request, ctx, who):
    client = request.getfixturevalue(who)
    invoice = invoice_of("40120011")
    for method, url in _staff_urls():
        assert client.open(url, method=method, data={"what": "all", "reason": "x", "confirm": "1",
                                                     "expect": "1:1"}).status_code == 403, (who, url)
    assert notes() == 1 and invoice.id


def test_the_service_is_staff_only(app, ctx):
    admin = User.get(User.email == "admin@demo.dk")
    invoice = invoice_of("40120011")
    with app.test_request_context():
        for call in (lambda: credit_notes.credit(admin, invoice.id, "x"),
                     lambda: credit_notes.preview(admin, invoice.id, "x"),
                     lambda: credit_notes.search_invoices(admin, ""),
                     lambda: credit_notes.invoice_page(admin, invoice.id)):
            with pytest.raises(Forbidden):
                call()
    assert notes() == 1


def test_an_invoice_that_does_not_exist_answers_404(staff, ctx):
    for url in ("/staff/invoices/999999999", "/staff/invoices/999999999?page=2"):
        assert staff.get(url).status_code == 404
    assert staff.post("/staff/invoices/999999999/credit", data={"what": "all", "reason": "x"}).status_code == 404
    assert staff.post("/staff/invoices/999999999/credit",
                      data={"what": "all", "reason": "x", "confirm": "1", "expect": "1:1"}).status_code == 404
    assert notes() == 1


# -- finding invoices ------------------------------------------------------------------------

def _numbers(client, query):
    body = client.get("/staff/invoices", query_string={"q": query}, headers=HX).get_data(as_text=True)
    return re.findall(r">([FK]\d{8})</a>", body)


def test_search_by_number_cvr_account_and_name(staff, ctx):
    assert _numbers(staff, "F10000005") == ["F10000005"]
    assert _numbers(staff, "f10000005") == ["F10000005"]
    credited = CreditNote.get(CreditNote.number == "K10000001").invoice
    assert _numbers(staff, "K10000001") == [credited.number]  # a credit note's number finds its invoice
    service = set(_numbers(staff, "12345682"))  # Demo Service ApS's CVR
    expected = {i.number for i in Invoice.select().where(Invoice.buyer_cvr == "12345682")}
    assert service == expected and len(service) == 12
    assert set(_numbers(staff, "Anden Kunde")) == {i.number for i in Invoice.select().where(
        Invoice.buyer_cvr == "31313139")}
    assert len(_numbers(staff, "40120011")) == 6  # an account number
    assert _numbers(staff, "ingen-saadan-kunde") == []
    assert "No invoices match." in staff.get("/staff/invoices?q=ingen").get_data(as_text=True)


def test_list_shows_the_credited_amount_and_pages(staff, ctx):
    credited = CreditNote.get(CreditNote.number == "K10000001")
    body = staff.get("/staff/invoices?q=K10000001").get_data(as_text=True)
    assert "DKK\xa0{:,.2f}".format(credited.total / 100) in body and "1 credit note" in body
    first = staff.get("/staff/invoices", headers=HX).get_data(as_text=True)
    assert "34 invoices" in first and "<html" not in first and "Page 1 of 2" in first
    second = _numbers(staff, "") + re.findall(r">([F]\d{8})</a>",
                                             staff.get("/staff/invoices?page=2").get_data(as_text=True))
    assert len(set(second)) == 34  # newest first, every invoice once across the pages


def test_invoice_page_groups_lines_and_marks_credited_ones(staff, ctx):
    note = CreditNote.get(CreditNote.number == "K10000001")
    invoice = Invoice.get_by_id(note.invoice_id)
    credited = note.lines.get()
    body = staff.get(f"/staff/invoices/{invoice.id}").get_data(as_text=True)
    assert "Credited in K10000001" in body and f'value="{credited.invoice_line_id}"' not in body
    assert note.reason in body and invoice.buyer_name in body and "Page 1 of" in body
    holder = credited.subscription.holder_name
    found = staff.get(f"/staff/invoices/{invoice.id}", query_string={"q": holder}, headers=HX).get_data(as_text=True)
    assert "<html" not in found and holder in found and "Credited in K10000001" in found
    assert "The account" not in found  # the account's own lines stay on the unfiltered first page


# -- cost ------------------------------------------------------------------------------------

def _queries(client, url):
    return count_queries(client, url, HX)


def test_pages_cost_a_fixed_number_of_queries(staff, ctx):
    staff.get("/staff/invoices", headers=HX)  # the session's first write is not the page's
    assert _queries(staff, "/staff/invoices") == _queries(staff, "/staff/invoices?q=F10000005")
    big, small = invoice_of("40120011"), invoice_of("40120037")  # 87 and 49 subscriptions
    assert _queries(staff, f"/staff/invoices/{big.id}?page=2") == _queries(staff, f"/staff/invoices/{small.id}?page=2")
    assert _queries(staff, f"/staff/invoices/{big.id}") == _queries(staff, f"/staff/invoices/{small.id}")
