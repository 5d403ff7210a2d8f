"""The create-subscription wizard: a mobile port-in and an internet line end to end, the
draft kept over a reload, every step's refusals shown at once, and the access rules
(the `order` right, limited users' accounts, the other customer's ids)."""
import html
import json
import re

import pytest

from models import (
    Account,
    Company,
    Membership,
    Order,
    PortingRequest,
    SimCard,
    Subscription,
    User,
)
from services.errors import ServiceError
from services.subscription_create import create_subscription, next_working_day

PORT_NUMBER = "29 99 88 71"
OWNER_CVR = "25313763"


@pytest.fixture
def admin(admin):
    """admin@demo.dk, reading English (the messages asserted are the source strings)."""
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin


@pytest.fixture
def limited(limited):
    limited.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return limited


def _account(number):
    return Account.get(Account.number == number)


def _step(client, step, data=None, nav="next", htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/subscriptions/new?step={step}", data={**(data or {}), "nav": nav}, headers=headers)


def _ok(response, next_step):
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert response.headers["Location"].endswith(f"step={next_step}"), response.headers["Location"]


def _port_in(date=None):
    return {"number_source": "port_in", "port_number": PORT_NUMBER, "port_operator": "telia",
            "port_owner_name": "Fjerde Handel ApS", "port_owner_cvr": OWNER_CVR, "port_consent": "1",
            "port_signer": "Jens Tidligere", "port_date": (date or next_working_day()).isoformat()}


def _mobile_until_number(client):
    _ok(_step(client, "kind", {"kind": "mobile"}), "plan")
    _ok(_step(client, "plan", {"plan": "MOB-PLUS-50"}), "number")


def _errors(response):
    body = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary.*?</div>', body, re.DOTALL)
    return body, html.unescape(summary.group(0)) if summary else ""


# -- whole wizards ----------------------------------------------------------------------

def test_mobile_port_in_creates_a_pending_subscription_that_the_order_activates(admin, ctx):
    account = _account("40120011")
    _mobile_until_number(admin)
    _ok(_step(admin, "number", _port_in()), "sim")
    _ok(_step(admin, "sim", {"sim_form": "physical", "delivery_address": "Vestergade 1, 8000 Aarhus C"}), "employee")
    _ok(_step(admin, "employee", {"holder_name": "Nina Ny", "holder_email": "Nina.Ny@demo.dk"}), "account")
    choices = admin.get("/subscriptions/new?step=account").get_data(as_text=True)
    assert "· Demo Service ApS" in choices  # the subsidiary's accounts say whose they are
    _ok(_step(admin, "account", {"account_id": account.id}), "summary")
    summary = admin.get("/subscriptions/new?step=summary").get_data(as_text=True)
    assert "Mobil Plus 50 GB" in summary and "149.00" in summary and "Telia" in summary
    assert "What happens next" in summary
    response = _step(admin, "summary", nav="create", htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    sub = Subscription.get(Subscription.number == "+4529998871")
    assert response.headers["HX-Redirect"] == f"/subscriptions/{sub.id}"
    order = Order.get(Order.subscription == sub.id)
    assert order.kind == "port_in" and order.status == "completed"  # the job ran inline
    details = json.loads(order.details)
    assert details["plan"] == "MOB-PLUS-50" and details["sim_form"] == "physical"
    assert details["owner_cvr"] == OWNER_CVR and details["donor_operator"] == "telia"
    assert details["consent_signer"] == "Jens Tidligere" and details["delivery_address"].startswith("Vestergade")
    assert sub.status == "active" and sub.holder_email == "nina.ny@demo.dk"
    assert sub.account_id == account.id and sub.company_id == account.company_id
    assert sub.start_date == next_working_day() and "nina ny" in sub.search_key and "29998871" in sub.search_key
    assert SimCard.select().where(SimCard.subscription == sub.id, SimCard.status == "active").count() == 1
    porting = PortingRequest.get(PortingRequest.number == "+4529998871")
    assert porting.donor_operator == "telia" and porting.account_id == account.id
    page = admin.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert f"order {order.id}" in page  # the flash names the order
    # the draft is gone: the wizard starts over
    assert 'name="kind"' in admin.get("/subscriptions/new").get_data(as_text=True)
    assert admin.get("/subscriptions/new?step=summary").status_code == 302


def test_pending_until_the_order_completes(app, admin, ctx):
    """Without the job (queued, not run), the subscription is created pending."""
    from services import orders

    submitted = []
    original = orders.submit
    orders.submit = lambda *o: submitted.extend(o)
    try:
        _mobile_until_number(admin)
        new_page = admin.get("/subscriptions/new?step=number").get_data(as_text=True)
        offered = re.findall(r'name="new_number" value="(\+45\d{8})"', new_page)
        assert 3 <= len(offered) <= 5 and all(n.startswith("+4591") for n in offered)
        assert not Subscription.select().where(Subscription.number.in_(offered)).exists()
        _ok(_step(admin, "number", {"number_source": "new", "new_number": offered[1]}), "sim")
        _ok(_step(admin, "sim", {"sim_form": "esim"}), "employee")
        _ok(_step(admin, "employee", {"holder_name": "Ole Ny"}), "account")
        _ok(_step(admin, "account", {"account_id": _account("40120011").id}), "summary")
        assert _step(admin, "summary", nav="create").status_code == 302
    finally:
        orders.submit = original
    sub = Subscription.get(Subscription.number == offered[1])
    assert sub.status == "pending" and sub.holder_email == ""
    order = submitted[0]
    assert order.kind == "new_subscription" and json.loads(order.details)["sim_form"] == "esim"


def test_internet_with_an_installation_address(admin, ctx):
    _ok(_step(admin, "kind", {"kind": "internet"}), "plan")
    page = admin.get("/subscriptions/new?step=plan").get_data(as_text=True)
    assert "Erhvervsfiber 500/500 Mbit/s" in page and "Mobil Plus" not in page and "Step 2 of 6" in page
    _ok(_step(admin, "plan", {"plan": "NET-FIBER-500"}), "address")
    r = _step(admin, "address", {"address": "Havnegade 4", "postcode": "800", "city": ""})
    body, summary = _errors(r)
    assert "A postcode has 4 digits." in summary and "Enter the city." in summary
    _ok(_step(admin, "address", {"address": "Havnegade 4", "postcode": "8000", "city": "Aarhus C"}), "employee")
    _ok(_step(admin, "employee", {"holder_name": "Kontoret Aarhus"}), "account")
    _ok(_step(admin, "account", {"account_id": _account("40120011").id}), "summary")
    assert _step(admin, "summary", nav="create").status_code == 302
    sub = Subscription.get(Subscription.holder_name == "Kontoret Aarhus")
    assert sub.kind == "internet" and sub.number.startswith("DSL-") and sub.address == "Havnegade 4, 8000 Aarhus C"
    order = Order.get(Order.subscription == sub.id)
    assert order.kind == "new_subscription" and json.loads(order.details)["address"] == "Havnegade 4, 8000 Aarhus C"
    assert sub.status == "active"


# -- the draft --------------------------------------------------------------------------

def test_the_draft_survives_a_reload_and_steps_are_fragments(admin, ctx):
    r = _step(admin, "kind", {"kind": "mobile"}, htmx=True)
    assert r.status_code == 200 and r.headers["HX-Push-Url"] == "/subscriptions/new?step=plan"
    assert "<html" not in r.get_data(as_text=True) and "HX-Request" in r.headers["Vary"]
    _ok(_step(admin, "plan", {"plan": "MOB-FRI-100"}), "number")
    first = admin.get("/subscriptions/new?step=number").get_data(as_text=True)
    offered = re.findall(r'name="new_number" value="(\+45\d{8})"', first)
    # Back keeps the step's input; a reload shows the same numbers and the values entered.
    r = _step(admin, "number", {**_port_in(), "port_owner_name": "Halvt Udfyldt"}, nav="back", htmx=True)
    assert r.headers["HX-Push-Url"] == "/subscriptions/new?step=plan"
    assert re.search(r'value="MOB-FRI-100"[^>]*checked', r.get_data(as_text=True))
    page = admin.get("/subscriptions/new?step=number").get_data(as_text=True)
    assert "<html" in page and 'value="Halvt Udfyldt"' in page
    assert re.findall(r'name="new_number" value="(\+45\d{8})"', page) == offered
    assert re.search(r'value="port_in"[^>]*checked', page)
    # later steps cannot be skipped to
    r = admin.get("/subscriptions/new?step=account")
    assert r.status_code == 302 and r.headers["Location"].endswith("step=number")


def test_changing_the_kind_asks_for_the_plan_again(admin, ctx):
    _mobile_until_number(admin)
    _ok(_step(admin, "kind", {"kind": "landline"}), "plan")
    r = admin.get("/subscriptions/new?step=number")
    assert r.status_code == 302 and r.headers["Location"].endswith("step=plan")


def test_the_account_page_opens_the_wizard_with_the_account_chosen(admin, ctx):
    account = Account.select().join(Company).where(Company.cvr == "12345682").first()
    page = admin.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert f'/subscriptions/new?account={account.id}' in page
    admin.get(f"/subscriptions/new?account={account.id}")
    _ok(_step(admin, "kind", {"kind": "circuit"}), "plan")
    _ok(_step(admin, "plan", {"plan": "KRB-1000"}), "address")
    _ok(_step(admin, "address", {"address": "Industrivej 9", "postcode": "5000", "city": "Odense C"}), "employee")
    _ok(_step(admin, "employee", {"holder_name": "Serverrum"}), "account")
    page = admin.get("/subscriptions/new?step=account").get_data(as_text=True)
    assert re.search(rf'value="{account.id}" id="u-account_id" checked', page)


# -- refusals ---------------------------------------------------------------------------

def test_port_in_errors_are_shown_together_with_a_summary(admin, ctx):
    _mobile_until_number(admin)
    data = {**_port_in(), "port_owner_cvr": "12345678", "port_consent": "", "port_date": "2000-01-01"}
    r = _step(admin, "number", data, htmx=True)
    body, summary = _errors(r)
    assert r.status_code == 200 and "HX-Push-Url" not in r.headers
    assert "The CVR number is not valid" in summary and "consent is needed" in summary
    assert "The date cannot be before" in summary
    assert not __import__("re").search(r"before \d{4}-\d\d-\d\d", summary)  # the date as people write it
    assert 'href="#u-port_owner_cvr"' in summary and 'id="u-port_owner_cvr"' in body
    assert "data-autofocus" in summary
    assert 'value="12345678"' in body  # what was typed stays


def test_a_number_already_in_our_network_is_refused(admin, ctx):
    _mobile_until_number(admin)
    r = _step(admin, "number", {**_port_in(), "port_number": "20 00 00 01"})
    assert "is already a subscription in our network" in _errors(r)[1]
    r = _step(admin, "number", {"number_source": "takeover", "takeover_number": "20000001",
                                "takeover_owner_type": "private", "takeover_owner_name": "Privat Person",
                                "takeover_consent": "1"})
    assert "is already a subscription in our network" in _errors(r)[1]


def test_takeover_from_a_company_needs_cvr_and_consent(admin, ctx):
    _mobile_until_number(admin)
    r = _step(admin, "number", {"number_source": "takeover", "takeover_number": PORT_NUMBER,
                                "takeover_owner_type": "company", "takeover_owner_name": "Firma ApS"})
    summary = _errors(r)[1]
    assert "Enter the owner's CVR number." in summary and "consent is needed" in summary
    _ok(_step(admin, "number", {"number_source": "takeover", "takeover_number": PORT_NUMBER,
                                "takeover_owner_type": "private", "takeover_owner_name": "Privat Person",
                                "takeover_consent": "1"}), "sim")


def test_a_forged_new_number_outside_the_pool_is_refused(admin, ctx):
    _mobile_until_number(admin)
    r = _step(admin, "number", {"number_source": "new", "new_number": "+4520000001"})
    assert "Choose one of the numbers offered." in _errors(r)[1]


def test_bad_email_and_missing_name(admin, ctx):
    _mobile_until_number(admin)
    _ok(_step(admin, "number", _port_in()), "sim")
    r = _step(admin, "sim", {"sim_form": "physical", "delivery_address": ""})
    assert "Enter the address the SIM card is sent to." in _errors(r)[1]
    _ok(_step(admin, "sim", {"sim_form": "esim"}), "employee")
    r = _step(admin, "employee", {"holder_name": "", "holder_email": "not-an-address"})
    summary = _errors(r)[1]
    assert "Enter the employee's name." in summary and "Enter a valid e-mail address." in summary


def test_forged_account_outside_the_scope_is_refused(admin, ctx):
    anden = Account.select().join(Company).where(Company.cvr != "12345674", Company.cvr != "12345682").first()
    assert anden.company.customer_id != _account("40120011").company.customer_id
    _mobile_until_number(admin)
    _ok(_step(admin, "number", _port_in()), "sim")
    _ok(_step(admin, "sim", {"sim_form": "esim"}), "employee")
    _ok(_step(admin, "employee", {"holder_name": "Nina Ny"}), "account")
    for forged in (anden.id, "abc", ""):
        r = _step(admin, "account", {"account_id": forged})
        assert r.status_code == 200 and "Choose one of your accounts." in _errors(r)[1]
    assert admin.get("/subscriptions/new?step=summary").status_code == 302


def test_limited_user_sees_and_can_choose_only_their_account(limited, ctx):
    mine = _account("40120011")
    other = Account.select().where(Account.company == mine.company, Account.id != mine.id).first()
    _mobile_until_number(limited)
    _ok(_step(limited, "number", _port_in()), "sim")
    _ok(_step(limited, "sim", {"sim_form": "esim"}), "employee")
    _ok(_step(limited, "employee", {"holder_name": "Nina Ny"}), "account")
    page = limited.get("/subscriptions/new?step=account").get_data(as_text=True)
    assert mine.number in page and other.number not in page
    r = _step(limited, "account", {"account_id": other.id})
    assert "Choose one of your accounts." in _errors(r)[1]
    # ?account= of another account is ignored
    limited.get(f"/subscriptions/new?account={other.id}")
    page = limited.get("/subscriptions/new?step=account").get_data(as_text=True)
    assert other.number not in page
    _ok(_step(limited, "account", {"account_id": mine.id}), "summary")
    assert _step(limited, "summary", nav="create").status_code == 302
    assert Subscription.get(Subscription.number == "+4529998871").account_id == mine.id


def test_user_without_the_order_right_gets_403(limited, ctx):
    membership = Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk"))
    functions = [f for f in membership.functions.split() if f != "order"]
    Membership.update(functions=" ".join(functions)).where(Membership.id == membership.id).execute()
    assert limited.get("/subscriptions/new").status_code == 403
    assert _step(limited, "kind", {"kind": "mobile"}).status_code == 403
    account = _account("40120011")
    page = limited.get(f"/accounts/{account.id}")
    if page.status_code == 200:
        assert "/subscriptions/new" not in page.get_data(as_text=True)


def test_other_customers_admin_cannot_use_a_demo_account(app, other_admin, ctx):
    demo = _account("40120011")
    other_admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = other_admin.get(f"/subscriptions/new?account={demo.id}")
    assert page.status_code == 200 and "40120011" not in page.get_data(as_text=True)
    _mobile_until_number(other_admin)
    _ok(_step(other_admin, "number", _port_in()), "sim")
    _ok(_step(other_admin, "sim", {"sim_form": "esim"}), "employee")
    _ok(_step(other_admin, "employee", {"holder_name": "Nina Ny"}), "account")
    page = other_admin.get("/subscriptions/new?step=account").get_data(as_text=True)
    assert "40120011" not in page
    r = _step(other_admin, "account", {"account_id": demo.id})
    assert "Choose one of your accounts." in _errors(r)[1]
    assert not Subscription.select().where(Subscription.number == "+4529998871").exists()


def test_the_service_checks_everything_again(app, ctx):
    """create_subscription is the last line: a forged draft that skipped the wizard is refused."""
    from services.scope import build_scope

    admin_user = User.get(User.email == "admin@demo.dk")
    membership = Membership.select().join(Company).where(
        Membership.user == admin_user, Company.cvr == "12345674").get()
    anden = Account.select().join(Company).where(Company.customer != membership.company.customer).first()
    good = {"kind": "mobile", "plan": "MOB-PLUS-50", **_port_in(), "sim_form": "esim",
            "holder_name": "Nina Ny", "account_id": _account("40120011").id}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        scope = build_scope(membership)
        for forged, field in (({"account_id": anden.id}, "account_id"), ({"plan": "NET-FIBER-500"}, "plan"),
                              ({"port_consent": False}, "port_consent"), ({"kind": "fax"}, "kind"),
                              ({"port_number": "20000001"}, "port_number")):
            with pytest.raises(ServiceError) as raised:
                create_subscription(scope, {**good, **forged})
            assert raised.value.field == field
        assert not Subscription.select().where(Subscription.number == "+4529998871").exists()


def test_landline_offers_landline_numbers_and_needs_no_address(admin, ctx):
    _ok(_step(admin, "kind", {"kind": "landline"}), "plan")
    _ok(_step(admin, "plan", {"plan": "FAST-ERHVERV"}), "number")
    page = admin.get("/subscriptions/new?step=number").get_data(as_text=True)
    offered = re.findall(r'name="new_number" value="(\+45\d{8})"', page)
    assert offered and all(n.startswith("+4572") for n in offered) and "Step 3 of 6" in page
    _ok(_step(admin, "number", {"number_source": "new", "new_number": offered[0]}), "employee")
    _ok(_step(admin, "employee", {"holder_name": "Receptionen"}), "account")
    _ok(_step(admin, "account", {"account_id": _account("40120011").id}), "summary")
    assert _step(admin, "summary", nav="create").status_code == 302
    sub = Subscription.get(Subscription.number == offered[0])
    assert sub.kind == "landline" and sub.status == "active" and sub.address == ""
