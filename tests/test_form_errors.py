"""Every form shows all errors of a step at once, in one summary at its top (macros/forms.html
error_summary): each error a link to its field, the field marked aria-invalid and described by its
inline error, and the summary the element that gets focus. One representative form per area."""
import io

import lxml.html

from models import Account, Company, Invoice, Membership, PhoneSystem, PhoneUser, SupportTicket, User
from tests.conftest import demo_subscription, reauthenticate

EN = {"Accept-Language": "en"}


def summaries(html):
    doc = lxml.html.fromstring(html)
    return doc, doc.xpath("//*[contains(concat(' ', normalize-space(@class), ' '), ' error-summary ')]")


def check_summary(response, links, status=422):
    """The one summary of the page: focusable, announced, every link pointing at a field that is
    marked invalid and described by an error that exists. Returns the links' targets."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, html[:3000])
    doc, boxes = summaries(html)
    assert len(boxes) == 1, f"{len(boxes)} error summaries"
    box = boxes[0]
    assert box.get("role") == "alert" and box.get("tabindex") == "-1"
    assert box.get("data-autofocus") is not None and box.get("autofocus") is not None
    title = doc.get_element_by_id(box.get("aria-labelledby"))
    assert title.text_content().strip()
    hrefs = [a.get("href") for a in box.xpath(".//a")]
    assert len(hrefs) == links, hrefs
    assert len(box.xpath(".//li")) >= links
    targets = []
    for href in hrefs:
        assert href.startswith("#"), href
        target = doc.get_element_by_id(href[1:], None)
        assert target is not None, f"{href} is not on the page"
        fields = [target] if target.tag in ("input", "select", "textarea") else target.xpath(".//input | .//select | .//textarea")
        assert fields, f"{href} has no field"
        if target.get("type") in ("radio", "checkbox") and target.get("aria-invalid") != "true":
            # a choice among several: the group around it is described by the error
            groups = target.xpath("ancestor::fieldset | ancestor::*[@role='group']")
            assert groups, f"{href} is a choice outside a group"
            target = groups[-1]
        elif target.tag in ("input", "select", "textarea"):
            assert target.get("aria-invalid") == "true", href
        described = (target.get("aria-describedby") or "").split()
        errors = [doc.get_element_by_id(i, None) for i in described]
        assert any(e is not None and "error" in (e.get("class") or "").split() for e in errors), \
            f"{href} is not described by its error"
        targets.append(href[1:])
    # nothing before the summary takes the focus: on a page load (autofocus), or after an
    # HTMX swap of a fragment (app.js focuses the first [data-autofocus] of the target)
    order = list(doc.iter())
    for element in doc.xpath("//*[@autofocus]"):
        assert order.index(element) >= order.index(box), lxml.html.tostring(element)[:200]
    if "<html" not in html:
        assert doc.xpath("//*[@data-autofocus]")[0] is box
    return targets


def _user_id(email):
    return User.get(User.email == email).id


# -- before login -------------------------------------------------------------------------

def test_login_shows_both_missing_fields(client, ctx):
    response = client.post("/login", data={"email": "", "password": ""}, headers=EN)
    assert check_summary(response, 2, status=response.status_code) == ["email", "password"]
    assert response.status_code in (200, 400, 422)


def test_apply_lists_every_missing_field(client, ctx):
    response = client.post("/apply", data={"cvr": "123"}, headers=EN)
    assert check_summary(response, 6, status=response.status_code) == [
        "cvr", "company_name", "admin_name", "email", "mobile", "terms"]


def test_forgotten_password_form(client, ctx):
    assert check_summary(client.post("/login/forgot", data={"email": "not an address"}, headers=EN), 1) == ["email"]


# -- settings -------------------------------------------------------------------------------

def test_settings_profile_lists_every_error(admin, ctx):
    response = admin.post("/settings/profile", data={"name": "", "email": "nope", "mobile": "12"}, headers=EN)
    assert check_summary(response, 3, status=response.status_code) == ["name", "email", "mobile"]
    assert response.status_code in (400, 422)


def test_settings_password_form(admin, ctx):
    response = admin.post("/settings/password", data={"current": "", "new": "", "repeat": "x"}, headers=EN)
    assert check_summary(response, 3, status=response.status_code) == ["current", "new", "repeat"]


# -- users ------------------------------------------------------------------------------------

def test_user_wizard_details_lists_every_error_at_once(admin, ctx):
    response = admin.post("/users/new?step=details", data={"name": "", "email": "nope", "mobile": "12", "nav": "next"},
                          headers=EN)
    assert check_summary(response, 3, status=response.status_code) == ["u-name", "u-email", "u-mobile"]


def test_user_wizard_fragment_focuses_the_summary(admin, ctx):
    response = admin.post("/users/new?step=details", data={"name": "Lise", "email": "", "mobile": "", "nav": "next"},
                          headers={**EN, "HX-Request": "true", "HX-Target": "wizard"})
    assert "<html" not in response.get_data(as_text=True)
    assert check_summary(response, 2, status=response.status_code) == ["u-email", "u-mobile"]


def test_the_user_wizard_needs_the_users_right(limited, ctx):
    assert limited.post("/users/new?step=details", data={"name": ""}).status_code == 403


def test_user_rights_lists_functions_and_accounts(admin, ctx):
    user_id = _user_id("begraenset@demo.dk")
    membership = Membership.get(Membership.user == user_id)
    response = reauthenticate(admin).post(f"/users/{user_id}/rights", headers=EN, data={
        "membership_id": membership.id, "access": "limited", "nav": "save"})
    targets = check_summary(response, 2)
    assert targets == [f"m{membership.id}-functions", f"m{membership.id}-account_ids"]
    assert "Choose at least one function." in response.get_data(as_text=True)


def test_user_rights_of_another_customer_are_not_found(other_admin, ctx):
    user_id = _user_id("begraenset@demo.dk")
    membership = Membership.get(Membership.user == user_id)
    response = reauthenticate(other_admin).post(f"/users/{user_id}/rights", data={"membership_id": membership.id, "access": "limited"})
    assert response.status_code == 404


def test_user_rights_need_the_users_right(limited, ctx):
    user_id = _user_id("admin@demo.dk")
    response = reauthenticate(limited).post(f"/users/{user_id}/rights", data={"membership_id": "1", "access": "limited"})
    assert response.status_code == 403


# -- support and outages --------------------------------------------------------------------

def test_new_ticket_lists_every_error(admin, ctx):
    response = admin.post("/support/new", data={"subject": "", "body": ""}, headers=EN,
                          content_type="multipart/form-data")
    assert check_summary(response, 3) == ["f-category-fault_critical", "f-subject", "f-body"]


def test_reply_to_a_ticket(admin, ctx):
    ticket = (SupportTicket.select().join(Company).where(Company.cvr == "12345674", SupportTicket.status != "closed")
              .get())
    response = admin.post(f"/support/{ticket.id}", data={"body": "", "attachments": [(io.BytesIO(b"MZ\x90"), "x.exe")]},
                          headers=EN, content_type="multipart/form-data")
    assert check_summary(response, 2) == ["f-body", "f-attachments"]


def test_outage_alerts(admin, ctx):
    response = admin.post("/outages/alerts", data={"emails": "nope", "language": "xx"}, headers=EN)
    assert check_summary(response, 2) == ["f-emails", "f-language"]


def test_staff_outage_form(staff_client, ctx):
    response = staff_client.post("/staff/outages", data={"severity": "", "services": []}, headers=EN)
    assert check_summary(response, 3) == ["f-title_da", "f-title_en", "f-services-mobile"]


def test_staff_credit_note_fragment(staff_client, ctx):
    invoice = Invoice.select().order_by(Invoice.id).first()
    response = staff_client.post(f"/staff/invoices/{invoice.id}/credit", data={"what": "lines", "reason": "x" * 201},
                                 headers={**EN, "HX-Request": "true", "HX-Target": "credit"})
    assert check_summary(response, 2) == ["lines", "f-reason"]


def test_customers_cannot_credit(admin, ctx):
    invoice = Invoice.select().order_by(Invoice.id).first()
    assert admin.post(f"/staff/invoices/{invoice.id}/credit", data={"what": "lines"}).status_code in (403, 404)


def test_staff_credit_note_form(staff_client, ctx):
    invoice = Invoice.select().order_by(Invoice.id).first()
    response = staff_client.post(f"/staff/invoices/{invoice.id}/credit", data={"what": "lines", "reason": ""}, headers=EN)
    assert check_summary(response, 2) == ["lines", "f-reason"]


# -- subscriptions ----------------------------------------------------------------------------

def test_subscription_wizard_step(admin, ctx):
    response = admin.post("/subscriptions/new?step=kind", data={"nav": "next"}, headers=EN)
    assert check_summary(response, 1, status=response.status_code) == ["u-kind"]


def test_subscription_cancel_with_a_bad_date(admin, ctx):
    item = demo_subscription()
    response = reauthenticate(admin).post(f"/subscriptions/{item.id}/cancel", data={"end_date": "x", "reason": ""}, headers=EN)
    assert check_summary(response, 2) == ["f-end_date", "f-reason"]


def test_subscription_block_lists_every_error(admin, ctx):
    item = demo_subscription()
    response = admin.post(f"/subscriptions/{item.id}/block", data={"reason": ""}, headers=EN)
    assert check_summary(response, 2) == ["f-parts", "f-reason"]


def test_subscription_offboard_transfer_lists_every_error(admin, ctx):
    item = demo_subscription()
    response = reauthenticate(admin).post(f"/subscriptions/{item.id}/offboard", headers=EN, data={
        "choice": "transfer", "end_date": "", "name": "", "email": "not-an-email", "disable_login": "1"})
    assert check_summary(response, 3) == ["f-end_date", "f-name", "f-email"]


def test_subscription_plan_and_sim_list_every_error(admin, ctx):
    item = demo_subscription()
    plan = admin.post(f"/subscriptions/{item.id}/plan", data={"plan_code": "", "from_date": ""}, headers=EN)
    assert check_summary(plan, 2) == ["f-plan_code", "f-from_date"]
    sim = admin.post(f"/subscriptions/{item.id}/sim", data={"how": "physical", "address": "", "reason": ""},
                     headers=EN)
    assert check_summary(sim, 2) == ["f-address", "f-reason"]


def test_bulk_start_without_numbers(admin, ctx):
    response = admin.post("/subscriptions/bulk", data={"numbers": ""}, headers=EN, content_type="multipart/form-data")
    assert check_summary(response, 1) == ["bulk-numbers"]


def test_bulk_action_lists_every_parameter(admin, ctx):
    start = admin.post("/subscriptions/bulk", data={"numbers": "20000001\n50647429"}, headers=EN,
                       content_type="multipart/form-data")
    assert start.status_code in (200, 302)
    ids = ",".join(str(demo_subscription(n).id) for n in ("+4520000001", "+4550647429"))
    response = admin.post("/subscriptions/bulk/preview", data={"selection": ids, "action": "block"}, headers=EN)
    assert check_summary(response, 2) == ["f-block_parts", "bulk-block-reason"]


# -- numbers, call flow, products -----------------------------------------------------------

def test_port_in_lists_every_error(admin, ctx):
    response = admin.post("/numbers/port-in", data={"kind": "", "numbers": "", "owner_cvr": "1"}, headers=EN)
    assert check_summary(response, 9) == ["kind-0", "numbers", "account", "donor_operator", "owner_name", "owner_cvr",
                                          "date", "signer_name", "consent"]


def test_call_flow_editor(admin, ctx):
    from tests.test_call_flow import editor_form, post_edit

    data = {**editor_form(admin), "hours-mon-from": "17:00", "hours-mon-to": "08:00", "prompt": "", "closed-kind": "",
            "op": "preview"}
    admin.set_cookie("lang", "en")
    response = post_edit(admin, data)
    assert check_summary(response, 3) == ["f-hours-mon-to", "f-prompt", "f-closed-kind"]


def test_vacation_reply(admin, ctx):
    user = PhoneUser.select().join(PhoneSystem).join(Company).where(Company.cvr == "12345674").first()
    response = admin.post(f"/products/users/{user.id}/vacation", headers=EN, data={
        "active": "1", "message": "", "starts_on": "31-12-2026", "ends_on": ""})
    assert check_summary(response, 3) == ["f-message", "f-starts_on", "f-ends_on"]


# -- accounts and company ---------------------------------------------------------------------

def test_account_rename(admin, ctx):
    account = Account.get(Account.number == "40120011")
    response = admin.post(f"/accounts/{account.id}/name", data={"name": ""}, headers=EN)
    assert check_summary(response, 1) == ["name"]


def test_account_rename_fragment(admin, ctx):
    account = Account.get(Account.number == "40120011")
    response = admin.post(f"/accounts/{account.id}/name", data={"name": "x" * 61},
                          headers={**EN, "HX-Request": "true", "HX-Target": "naming"})
    assert check_summary(response, 1) == ["name"]


def test_another_customers_account_is_not_found(other_admin, ctx):
    account = Account.get(Account.number == "40120011")
    assert other_admin.post(f"/accounts/{account.id}/name", data={"name": ""}).status_code == 404


def test_account_invoicing(admin, ctx):
    account = Account.get(Account.number == "40120011")
    response = admin.post(f"/accounts/{account.id}/invoicing", headers=EN, data={
        "invoice_format": "ean", "ean": "123", "emails": "nope"})
    assert check_summary(response, 6) == ["emails", "ean", "reference", "address", "postal_code", "city"]


def test_company_master_data(admin, ctx):
    company = Company.get(Company.cvr == "12345674")
    response = admin.post(f"/accounts/companies/{company.id}", headers=EN, data={
        "name": "", "address": "", "postal_code": "12", "city": "", "default_invoice_format": "x"})
    assert check_summary(response, 5) == ["name", "address", "postal_code", "city", "default_invoice_format-pdf_email"]


# -- the employee's page ----------------------------------------------------------------------

def test_me_replacement_sim(employee_client, ctx):
    response = employee_client.post("/me/sim", data={"address": "", "reason": ""}, headers=EN)
    assert check_summary(response, 2) == ["f-address", "f-reason"]


def test_a_page_without_errors_has_no_summary(admin, ctx):
    for url in ("/support/new", "/users/new", "/settings/", "/subscriptions/bulk"):
        response = admin.get(url, headers=EN)
        assert response.status_code == 200 and not summaries(response.get_data(as_text=True))[1], url


def test_the_summary_speaks_danish(admin, ctx):
    response = admin.post("/support/new", data={"subject": "", "body": ""}, headers={"Accept-Language": "da"},
                          content_type="multipart/form-data")
    check_summary(response, 3)
    title = summaries(response.get_data(as_text=True))[1][0].xpath(".//h2")[0].text_content()
    assert title == "Der er 3 problemer"
