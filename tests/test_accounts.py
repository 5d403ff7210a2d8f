"""Accounts: the list with its filters, counts and last invoices in a fixed number of queries;
an account's page and its changes (rename, invoice settings) with their audit events; the
company's master data; and who may do what: a limited user, the other customer, a member
without the right, a member who is not an administrator."""
import datetime
import re

import pytest

from models import (
    Account,
    AuditEvent,
    Company,
    Invoice,
    Membership,
    Plan,
    Subscription,
    User,
)
from models.subscriptions import ENDED
from tests.conftest import count_queries

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", **EN}
VALID_GLN = "5790000436248"  # a real-looking Danish GLN with a right check digit
BAD_GLN = "5790012345966"  # the demo EAN with its last digit changed


def _account(number):
    return Account.get(Account.number == number)


def _companies():
    return Company.get(Company.cvr == "12345674"), Company.get(Company.cvr == "12345682")


def _numbers(html):
    """Account numbers listed in the table, in order."""
    return re.findall(r'href="/accounts/\d+">(\d{8})</a>', html)


def _get(client, url, headers=EN):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _settings(account, **changes):
    """The invoicing form as the page fills it, with `changes`."""
    data = {"invoice_format": account.invoice_format, "emails": account.invoice_emails, "ean": account.ean or "",
            "reference": account.reference, "address": account.address, "postal_code": account.postal_code,
            "city": account.city}
    data.update(changes)
    return data


# -- the list -------------------------------------------------------------------------------------

def test_list_shows_the_scopes_accounts_sorted_by_number(admin, ctx):
    html = _get(admin, "/accounts")
    assert _numbers(html) == ["40120011", "40120029", "40120037", "40345012", "40345020"]
    assert "5 accounts" in html
    assert "51230018" not in html  # the other customer's


@pytest.mark.parametrize("query, expected", [
    ("q=salg", ["40120029"]),
    ("q=SALG", ["40120029"]),
    ("q=40345", ["40345012", "40345020"]),
    ("q=4012 0029", ["40120029"]),
    ("format=ean", ["40120029"]),
    ("format=portal", ["40120037"]),
    ("ean=yes", ["40120029"]),
    ("ean=no", ["40120011", "40120037", "40345012", "40345020"]),
    ("format=pdf_email&q=hovedkonto", ["40120011", "40345012"]),
    ("format=ean&ean=no", []),
    ("format=bogus&ean=maybe", ["40120011", "40120029", "40120037", "40345012", "40345020"]),
    ("sort=name", ["40120011", "40345012", "40120037", "40120029", "40345020"]),
])
def test_search_and_filters(admin, ctx, query, expected):
    assert _numbers(_get(admin, f"/accounts?{query}", HX)) == expected


def test_company_filter_and_its_combinations(admin, ctx):
    demo_a, service = _companies()
    assert _numbers(_get(admin, f"/accounts?company={service.id}", HX)) == ["40345012", "40345020"]
    assert _numbers(_get(admin, f"/accounts?company={demo_a.id}&format=pdf_email", HX)) == ["40120011"]
    assert _numbers(_get(admin, f"/accounts?company={service.id}&q=service", HX)) == ["40345020"]
    other = Company.get(Company.cvr == "31313139")
    html = _get(admin, f"/accounts?company={other.id}", HX)
    assert _numbers(html) == [] and "No accounts match" in html and "Reset filters" in html


def test_the_page_has_filters_and_the_fragment_only_rows(admin, ctx):
    page = _get(admin, "/accounts")
    for name in ('name="q"', 'name="format"', 'name="ean"', 'name="company"', 'name="sort"', 'hx-push-url="true"',
                 "htmx-indicator"):
        assert name in page, name
    fragment = admin.get("/accounts?format=ean", headers=HX)
    assert "<html" not in fragment.get_data(as_text=True) and "HX-Request" in fragment.headers["Vary"]


def test_one_company_has_no_company_filter(limited, ctx):
    """Limited to an account of Demo A/S: the subsidiary holds none of its accounts."""
    page = _get(limited, "/accounts")
    assert 'name="company"' not in page and "Demo Service ApS" not in page
    assert _numbers(page) == ["40120011"]


def test_counts_and_last_invoice_per_account(admin, ctx):
    html = _get(admin, "/accounts")
    for account in Account.select().where(Account.number.startswith("4")):
        count = Subscription.select().where(Subscription.account == account, Subscription.status.not_in(ENDED)).count()
        last = Invoice.select().where(Invoice.account == account).order_by(Invoice.period_start.desc()).first()
        row = html[html.index(f">{account.number}</a>"):]
        row = row[:row.index("</tr>")]
        assert f">{count}</td>" in row, (account.number, count)
        assert f'href="/invoices/{last.id}">{last.number}</a>' in row
    ended = Subscription.select().join(Account).where(Account.number == "40120011").first()
    Subscription.update(status="cancelled").where(Subscription.id == ended.id).execute()
    html = _get(admin, "/accounts?q=40120011", HX)
    assert f">{count_of('40120011')}</td>" in html


def count_of(number):
    return (Subscription.select().join(Account)
            .where(Account.number == number, Subscription.status.not_in(ENDED)).count())


def test_last_invoice_is_not_shown_without_the_invoices_right(limited, ctx):
    membership = Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk"))
    Membership.update(functions=membership.functions.replace("invoices", "")).where(
        Membership.id == membership.id).execute()
    html = _get(limited, "/accounts")
    assert "/invoices/" not in html and "Last invoice" not in html


def _queries(client, url, headers=HX):
    return count_queries(client, url, headers)


def _many_accounts(count, subscriptions_each=3):
    """`count` more accounts in Demo A/S, each with subscriptions and an invoice."""
    demo_a, _ = _companies()
    plan = Plan.select().where(Plan.kind == "mobile").first()
    for i in range(count):
        account = Account.create(customer=demo_a.customer_id, company=demo_a, number=f"4019{i:04d}",
                                 name=f"Afdeling {i}", invoice_format="portal", address="Vej 1", postal_code="1000",
                                 city="København K")
        for j in range(subscriptions_each):
            Subscription.create(customer=demo_a.customer_id, company=demo_a, account=account, kind="mobile",
                                number=f"+4529{i:03d}{j:03d}", holder_name=f"Person {i} {j}", plan=plan,
                                start_date=datetime.date(2026, 1, 1))
        Invoice.create(customer=demo_a.customer_id, account=account, number=f"T{i:08d}",
                       period_start=datetime.date(2026, 10, 1), period_end=datetime.date(2026, 10, 31),
                       issued_on=datetime.date(2026, 11, 1), due_on=datetime.date(2026, 12, 1),
                       net=1000, vat=250, total=1250)


def test_a_page_costs_a_fixed_number_of_queries(admin, ctx):
    _, service = _companies()
    admin.get("/accounts", headers=HX)  # the session's first write is not the page's
    small = _queries(admin, "/accounts")
    filtered = _queries(admin, f"/accounts?company={service.id}&format=pdf_email&ean=no&q=h")
    _many_accounts(70)
    full = _queries(admin, "/accounts")  # 50 rows with counts and invoices
    second = _queries(admin, "/accounts?page=2&sort=name")
    assert small == filtered == full == second
    html = _get(admin, "/accounts?q=4019", HX)
    assert "70 accounts" in html and len(_numbers(html)) == 50 and ">3</td>" in html


# -- one account ----------------------------------------------------------------------------------

def test_account_page_shows_facts_usage_invoices_and_wizard_links(admin, ctx):
    account = _account("40120011")
    html = _get(admin, f"/accounts/{account.id}")
    assert "Hovedkonto" in html and "faktura@demo.dk" in html and "Demo A/S" in html
    assert f"/subscriptions/new?account={account.id}&amp;kind=mobile" in html
    assert f"/subscriptions/new?account={account.id}&amp;kind=internet" in html
    latest = Invoice.select().where(Invoice.account == account).order_by(Invoice.period_start.desc()).limit(6)
    for invoice in latest:
        assert f'href="/invoices/{invoice.id}"' in html
    assert "/invoices?account=40120011" in html
    assert 'role="img"' in html and "usage-table" in html
    assert f">{count_of('40120011')}</p>" in html
    # the link's list holds the ended ones too: the page says how many
    ended = Subscription.select().where(Subscription.account == account, Subscription.status.in_(ENDED)).count()
    assert ended > 1 and f"Their list also shows the {ended} that have ended." in html
    Subscription.update(status="active").where(Subscription.account == account, Subscription.id.not_in(
        Subscription.select(Subscription.id).where(Subscription.account == account, Subscription.status.in_(ENDED))
        .limit(1))).where(Subscription.status.in_(ENDED)).execute()
    assert "Their list also shows the one that has ended." in _get(admin, f"/accounts/{account.id}")


def test_wizard_links_need_the_order_right(limited, ctx):
    account = _account("40120011")
    assert "kind=mobile" in _get(limited, f"/accounts/{account.id}")
    membership = Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk"))
    Membership.update(functions=membership.functions.replace("order", "")).where(
        Membership.id == membership.id).execute()
    assert "kind=mobile" not in _get(limited, f"/accounts/{account.id}")


def test_edit_sections_open_in_place(admin, ctx):
    account = _account("40120011")
    page = _get(admin, f"/accounts/{account.id}?edit=invoicing")
    assert 'name="invoice_format"' in page and 'name="emails"' in page
    fragment = admin.get(f"/accounts/{account.id}?edit=name", headers={**HX, "HX-Target": "naming"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'name="name"' in body
    assert 'name="emails"' not in body


def test_rename_is_audited_and_shown_in_the_audit_trail(admin, ctx):
    account = _account("40120011")
    response = admin.post(f"/accounts/{account.id}/name", data={"name": "  Hovedkonto   Nord "}, headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == f"/accounts/{account.id}"
    assert _account("40120011").name == "Hovedkonto Nord"
    event = AuditEvent.get(AuditEvent.action == "account.renamed")
    assert event.object_id == str(account.id) and event.company_id == account.company_id
    assert "Hovedkonto → Hovedkonto Nord" in event.details
    assert event.user_id == User.get(User.email == "admin@demo.dk").id
    page = _get(admin, f"/accounts/{account.id}")
    assert "Hovedkonto Nord" in page and "is now called" in page
    trail = _get(admin, "/users/audit")
    assert "Anne Admin renamed account 40120011 from “Hovedkonto” to “Hovedkonto Nord”" in trail
    assert "renamed account 40120011" in _get(admin, "/users/audit?kind=account", HX)


def test_the_same_name_changes_nothing(admin, ctx):
    account = _account("40120011")
    response = admin.post(f"/accounts/{account.id}/name", data={"name": "Hovedkonto"}, headers=EN)
    assert response.status_code == 302
    assert not AuditEvent.select().where(AuditEvent.action == "account.renamed").exists()


@pytest.mark.parametrize("name, message", [("", "Give the account a name."), ("x" * 61, "at most 60 characters")])
def test_bad_names_are_refused(admin, ctx, name, message):
    account = _account("40120011")
    response = admin.post(f"/accounts/{account.id}/name", data={"name": name}, headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _account("40120011").name == "Hovedkonto"
    assert not AuditEvent.select().where(AuditEvent.action.startswith("account.")).exists()


def test_switch_to_email_invoices_is_audited_and_applies_from_the_next_invoice(admin, ctx):
    account = _account("40120037")  # portal only
    data = _settings(account, invoice_format="pdf_email", emails="Lager@Demo.dk; bogholder@demo.dk\nlager@demo.dk")
    response = admin.post(f"/accounts/{account.id}/invoicing", data=data, headers=EN)
    assert response.status_code == 302
    saved = _account("40120037")
    assert saved.invoice_format == "pdf_email"
    assert saved.invoice_emails == "lager@demo.dk,bogholder@demo.dk"
    event = AuditEvent.get(AuditEvent.action == "account.invoice_settings_changed")
    assert "portal → pdf_email" in event.details and "lager@demo.dk,bogholder@demo.dk" in event.details
    assert "address" not in event.details  # only what changed
    page = _get(admin, f"/accounts/{account.id}")
    assert "applies from the next invoice" in page
    trail = _get(admin, "/users/audit")
    assert ("Anne Admin changed the invoice settings of account 40120037: invoice format from “Portal only” to "
            "“PDF by e-mail” and invoice e-mails set to “lager@demo.dk, bogholder@demo.dk”") in trail


def test_switch_to_ean_with_a_valid_gln(admin, ctx):
    account = _account("40120011")
    data = _settings(account, invoice_format="ean", ean=f"{VALID_GLN[:4]} {VALID_GLN[4:]}", reference="Indkøb 42")
    assert admin.post(f"/accounts/{account.id}/invoicing", data=data, headers=EN).status_code == 302
    saved = _account("40120011")
    assert (saved.invoice_format, saved.ean, saved.reference) == ("ean", VALID_GLN, "Indkøb 42")


@pytest.mark.parametrize("changes, messages", [
    ({"emails": "faktura@demo.dk, not-an-address@"}, ["“not-an-address@” is not a valid e-mail address."]),
    ({"invoice_format": "ean", "ean": BAD_GLN, "reference": ""},
     ["check digit", "EAN e-invoices need a reference"]),
    ({"invoice_format": "ean", "ean": "", "reference": "Ref"}, ["e-invoices need the account"]),
    ({"invoice_format": "ean", "ean": "57900", "reference": "Ref"}, ["13 digits"]),
    ({"invoice_format": "pdf_email", "emails": " , "}, ["needs at least one e-mail address"]),
    ({"emails": ",".join(f"a{i}@demo.dk" for i in range(11))}, ["at most 10 e-mail addresses"]),
    ({"invoice_format": "fax"}, ["Choose how the account receives its invoices."]),
    ({"reference": "r" * 61, "postal_code": "12", "city": "", "address": ""},
     ["The reference can be at most 60 characters.", "postal code with 4 digits", "Enter the city.",
      "Enter the street and number."]),
])
def test_bad_invoice_settings_answer_422_with_every_error_and_change_nothing(admin, ctx, changes, messages):
    account = _account("40120011")
    before = Account.select().where(Account.id == account.id).dicts().get()
    response = admin.post(f"/accounts/{account.id}/invoicing", data=_settings(account, **changes), headers=EN)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for message in messages:
        assert message in body, message
    assert body.count('class="error"') >= len(messages)
    assert Account.select().where(Account.id == account.id).dicts().get() == before
    assert not AuditEvent.select().where(AuditEvent.action.startswith("account.")).exists()


def test_bad_input_through_htmx_gets_the_section_back(admin, ctx):
    account = _account("40120011")
    response = admin.post(f"/accounts/{account.id}/invoicing", headers={**HX, "HX-Target": "invoicing"},
                          data=_settings(account, invoice_format="pdf_email", emails=""))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body and "needs at least one e-mail address" in body


def test_usage_metric_switch_is_a_fragment(admin, ctx):
    account = _account("40120011")
    response = admin.get(f"/accounts/{account.id}?metric=data_kb", headers={**HX, "HX-Target": "usage"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'data-metric="data_kb"' in body
    assert 'data-metric="cost"' in _get(admin, f"/accounts/{account.id}?metric=bogus")


# -- who may --------------------------------------------------------------------------------------

def test_limited_user_sees_only_its_account(limited, ctx):
    assert _numbers(_get(limited, "/accounts")) == ["40120011"]
    assert _numbers(_get(limited, "/accounts?q=40120029", HX)) == []
    other = _account("40120029")
    assert limited.get(f"/accounts/{other.id}").status_code == 404
    assert limited.get(f"/accounts/{other.id}?edit=invoicing").status_code == 404
    assert limited.post(f"/accounts/{other.id}/name", data={"name": "X"}).status_code == 404
    assert limited.post(f"/accounts/{other.id}/invoicing", data=_settings(other)).status_code == 404
    assert _account("40120029").name == "Salg"
    mine = _account("40120011")
    assert limited.get(f"/accounts/{mine.id}").status_code == 200


def test_other_customer_gets_404_for_every_demo_account_and_company(other_admin, ctx):
    for account in list(Account.select().join(Company).where(Company.customer == _companies()[0].customer_id)):
        assert other_admin.get(f"/accounts/{account.id}").status_code == 404
        assert other_admin.get(f"/accounts/{account.id}?edit=name").status_code == 404
        assert other_admin.post(f"/accounts/{account.id}/name", data={"name": "Hacked"}).status_code == 404
        assert other_admin.post(f"/accounts/{account.id}/invoicing", data=_settings(account)).status_code == 404
    for company in _companies():
        assert other_admin.get(f"/accounts/companies/{company.id}").status_code == 404
        assert other_admin.post(f"/accounts/companies/{company.id}", data={"name": "Hacked"}).status_code == 404
    assert not Account.select().where(Account.name == "Hacked").exists()
    assert not Company.select().where(Company.name == "Hacked").exists()
    assert not AuditEvent.select().where(AuditEvent.action.startswith("account.")).exists()
    html = _get(other_admin, "/accounts")
    assert "40120011" not in html and "Demo" not in html


def test_without_the_accounts_right_everything_answers_403(limited, ctx):
    membership = Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk"))
    Membership.update(functions=" ".join(f for f in membership.functions.split() if f != "accounts")).where(
        Membership.id == membership.id).execute()
    mine = _account("40120011")
    demo_a, _ = _companies()
    assert limited.get("/accounts").status_code == 403
    assert limited.get(f"/accounts/{mine.id}").status_code == 403
    assert limited.post(f"/accounts/{mine.id}/name", data={"name": "X"}).status_code == 403
    assert limited.post(f"/accounts/{mine.id}/invoicing", data=_settings(mine)).status_code == 403
    assert limited.get(f"/accounts/companies/{demo_a.id}").status_code == 403
    assert _account("40120011").name == "Hovedkonto"


def test_limited_user_with_the_right_may_change_its_own_account(limited, ctx):
    mine = _account("40120011")
    response = limited.post(f"/accounts/{mine.id}/name", data={"name": "Begrænset konto"}, headers=EN)
    assert response.status_code == 302 and _account("40120011").name == "Begrænset konto"


# -- company master data --------------------------------------------------------------------------

def _company_form(company, **changes):
    data = {"name": company.name, "address": company.address, "postal_code": company.postal_code,
            "city": company.city, "default_invoice_format": company.default_invoice_format}
    data.update(changes)
    return data


def test_the_list_links_to_the_companies(admin, ctx):
    html = _get(admin, "/accounts")
    for company in _companies():
        assert f'href="/accounts/companies/{company.id}"' in html


def test_admin_edits_company_master_data(admin, ctx):
    _, service = _companies()
    page = _get(admin, f"/accounts/companies/{service.id}")
    assert "12345682" in page and "Change master data" in page
    assert 'name="default_invoice_format"' in _get(admin, f"/accounts/companies/{service.id}?edit=1")
    data = _company_form(service, name="Demo Service ApS", address="Banegårdsgade 2", postal_code="8000",
                         city="Aarhus C", default_invoice_format="ean", cvr="99999999")
    response = admin.post(f"/accounts/companies/{service.id}", data=data, headers=EN)
    assert response.status_code == 302
    saved = Company.get_by_id(service.id)
    assert (saved.address, saved.default_invoice_format, saved.cvr) == ("Banegårdsgade 2", "ean", "12345682")
    event = AuditEvent.get(AuditEvent.action == "company.master_data_changed")
    assert event.company_id == service.id and "Søndergade 12 → Banegårdsgade 2" in event.details
    assert "pdf_email → ean" in event.details and "name" not in event.details.replace('"cvr"', "")
    assert "Anne Admin changed the master data of Demo Service ApS (CVR 12345682): address from “Søndergade 12” to " \
        "“Banegårdsgade 2”" in _get(admin, "/users/audit")


def test_bad_company_data_answers_422_and_changes_nothing(admin, ctx):
    demo_a, _ = _companies()
    data = _company_form(demo_a, name="", postal_code="abcd", default_invoice_format="telex")
    response = admin.post(f"/accounts/companies/{demo_a.id}", data=data, headers=EN)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Enter the company's name.", "postal code with 4 digits", "Choose how new accounts"):
        assert message.replace("'", "&#39;") in body, message
    assert Company.get_by_id(demo_a.id).name == "Demo A/S"
    assert not AuditEvent.select().where(AuditEvent.action == "company.master_data_changed").exists()


def test_member_who_is_not_admin_may_view_but_not_edit(limited, ctx):
    demo_a, service = _companies()
    page = _get(limited, f"/accounts/companies/{demo_a.id}")
    assert "12345674" in page and "Only administrators" in page
    assert 'name="default_invoice_format"' not in _get(limited, f"/accounts/companies/{demo_a.id}?edit=1")
    response = limited.post(f"/accounts/companies/{demo_a.id}", data=_company_form(demo_a, name="Nyt navn"))
    assert response.status_code == 403
    assert Company.get_by_id(demo_a.id).name == "Demo A/S"
    assert limited.post(f"/accounts/companies/{service.id}", data=_company_form(service)).status_code == 403


def test_company_outside_the_scope_answers_404(admin, ctx):
    other = Company.get(Company.cvr == "31313139")
    assert admin.get(f"/accounts/companies/{other.id}").status_code == 404
    assert admin.post(f"/accounts/companies/{other.id}", data=_company_form(other, name="X")).status_code == 404
    assert admin.get("/accounts/companies/999999999").status_code == 404


def test_changes_need_the_csrf_token(app, admin, ctx):
    app.config["WTF_CSRF_ENABLED"] = True
    account = _account("40120011")
    assert admin.post(f"/accounts/{account.id}/name", data={"name": "Uden token"}).status_code == 400
    assert admin.post(f"/accounts/{account.id}/invoicing", data=_settings(account)).status_code == 400
    assert _account("40120011").name == "Hovedkonto"


def test_an_accounts_minutes_are_its_subscriptions_started_minutes(ctx):
    """As each subscription's invoice counts them: two subscriptions with 61 seconds each are 2 + 2
    started minutes, not 122 seconds rounded up once (3), in billed months and the live one."""
    from models import UsageMonth, UsageRecord, utcnow
    from services import usage

    _many_accounts(1, subscriptions_each=2)
    account = _account("40190000")
    subs = list(Subscription.select().where(Subscription.account == account))
    months = usage.months_back()
    for sub in subs:
        UsageMonth.create(subscription=sub, account=account, month=months[-2], calls=1, call_seconds=61)
        for seconds in (30, 31):  # one started minute each, 61 seconds together
            UsageRecord.create(subscription=sub, occurred_at=utcnow(), kind="call", duration_s=seconds)
    series = usage.account_months(account.id)
    billed, live = series[-2], series[-1]
    assert (billed["call_seconds"], billed["minutes"]) == (122, 4)
    assert live["live"] and (live["calls"], live["call_seconds"], live["minutes"]) == (4, 122, 4)
