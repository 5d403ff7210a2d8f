"""/me, the employee's own page: usage against the quota, records with masked numbers, PIN and
PUK after a fresh SMS code, the actions the company allows (a travel add-on, a replacement SIM)
as orders the company's admins see, and nothing of anyone else's."""
import datetime
import json
import re

import pytest
from werkzeug.exceptions import Forbidden, NotFound

from models import (
    AuditEvent,
    Order,
    OutboxMessage,
    SimCard,
    Subscription,
    SubscriptionAddOn,
    UsageRecord,
    User,
    utcnow,
)
from services import me as me_service
from services import usage
from tests.conftest import count_queries, demo_subscription, make_app, sign_in

MOBILE = "+4520000001"


@pytest.fixture
def employee(employee_client, ctx):
    """Mette Jensen on /me, in English (the Danish of the new texts is in locales/pending/me.po)."""
    User.update(locale="en").where(User.email == "mette.jensen@demo.dk").execute()
    return stepped_up(employee_client)


def stepped_up(client, minutes_ago=0):
    with client.session_transaction() as session:
        session["second_factor_at"] = (utcnow() - datetime.timedelta(minutes=minutes_ago)).isoformat()
    return client


def mette_user():
    return User.get(User.email == "mette.jensen@demo.dk")


def confirm(client, path, data):
    preview = client.post(path, data=data)
    assert preview.status_code == 200, preview.data[:600]
    assert 'name="confirm"' in preview.get_data(as_text=True)
    return client.post(path, data={**data, "confirm": "1"})


def body(response):
    return response.get_data(as_text=True)


# -- what the page shows ---------------------------------------------------------------

def test_usage_this_period_against_the_quota(employee):
    sub = demo_subscription()
    start = usage.period_start()
    used_kb = sum(r.volume_kb for r in UsageRecord.select().where(
        UsageRecord.subscription == sub.id, UsageRecord.occurred_at >= start, UsageRecord.kind == "data"))
    page = body(employee.get("/me"))
    gb = f"{used_kb / 1024 / 1024:.1f}"
    assert f"{gb} of 50 GB" in page  # Mette's plan is Mobil Plus 50 GB
    meter = re.search(r"<meter [^>]*>", page).group(0)
    assert f'max="{50 * 1024 * 1024}"' in meter and f'value="{used_kb}"' in meter
    assert 'aria-labelledby="meter-data"' in meter and f'aria-valuetext="{gb} of 50 GB"' in meter
    for text in ("Calls", "SMS", "Abroad", "Your employer can see the usage on this subscription.",
                 "Mobil Plus 50 GB", "The last six months", 'role="img"', "Itemised usage"):
        assert text in page, text


def test_meters_say_what_the_plan_gives_and_what_was_charged(app):
    from models import AddOn, Plan

    period = {"minutes": 61, "calls": 7, "call_cost": 0, "sms": 1, "sms_cost": 300, "data_kb": 13 * 1024 * 1024,
              "abroad_calls": 2, "abroad_sms": 1, "abroad_kb": 2048, "abroad_cost": 2700}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        limited = Plan(code="X", kind="mobile", name="X", monthly_price=0, data_gb=10)
        data, calls, sms, abroad = usage.meters(limited, period, [AddOn(code="ADD-VERDEN", name="Verden")])
        assert data.text == "13.0 of 10 GB" and data.percent == 100 and data.maximum == 10 * 1024 * 1024
        assert data.notes[1] == "0.0 MB left"
        assert calls.text == "61 minutes" and calls.notes == ["7 calls", "No charge"]
        assert sms.text == "1 message" and sms.notes == ["DKK\xa03.00 charged"]
        assert abroad.text == "2.0 MB data" and abroad.notes == ["3 calls and SMS", "DKK\xa027.00 charged",
                                                                 "Verden is on your subscription"]
        unlimited = Plan(code="Y", kind="mobile", name="Y", monthly_price=0, data_gb=None)
        data = usage.meters(unlimited, {**period, "abroad_calls": 0, "abroad_sms": 0, "abroad_kb": 0}, [])[0]
        assert data.maximum is None and data.percent is None and data.notes == ["No data limit in your plan"]


def test_period_usage_counts_this_month_only(app, ctx):
    sub = demo_subscription()
    period = usage.period_usage(sub.id)
    rows = list(UsageRecord.select().where(UsageRecord.subscription == sub.id,
                                           UsageRecord.occurred_at >= usage.period_start()))
    assert period["calls"] == sum(1 for r in rows if r.kind == "call")
    assert period["sms"] == sum(1 for r in rows if r.kind == "sms")
    assert period["data_kb"] == sum(r.volume_kb for r in rows if r.kind == "data")
    assert period["cost"] == sum(r.price for r in rows)
    assert period["abroad_cost"] == sum(r.price for r in rows if r.country != "DK")


def test_itemised_records_are_paged_with_called_numbers_masked(employee):
    sub = demo_subscription()
    newest = list(UsageRecord.select().where(UsageRecord.subscription == sub.id)
                  .order_by(UsageRecord.occurred_at.desc(), UsageRecord.id.desc())
                  .paginate(2, me_service.RECORDS_PER_PAGE))
    called = [r.destination for r in newest if r.destination]
    assert called
    response = employee.get("/me?page=2", headers={"HX-Request": "true", "HX-Target": "records"})
    fragment = body(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" not in fragment and "Page 2 of" in fragment
    assert fragment.count("<tr>") == len(newest) + 1  # and the head
    assert "•" in fragment
    for number in called:
        assert number[-8:] not in fragment.replace(" ", ""), "a called number in full"
    assert "Page 2 of" in body(employee.get("/me?page=2"))  # the same page as a link
    last = body(employee.get("/me?page=999999"))  # past the end: the last page
    assert re.search(r"Page (\d+) of \1\b", last) and "<tr>" in last
    assert employee.get("/me?page=abc").status_code == 200


def test_the_page_costs_a_fixed_number_of_queries(employee):
    assert count_queries(employee, "/me") <= 16


# -- nothing of anyone else ------------------------------------------------------------

def test_the_employee_scope_sees_one_subscription_and_nothing_of_the_company(app, ctx):
    user = mette_user()
    scope = me_service.scope_for(user)
    own = demo_subscription()
    assert [s.id for s in scope.subscriptions()] == [own.id]
    colleague = Subscription.select().where(Subscription.account == own.account_id, Subscription.id != own.id).first()
    with pytest.raises(NotFound):
        scope.get(scope.subscriptions(), Subscription, colleague.id)
    assert all(o.subscription_id == own.id for o in scope.orders())
    for query in (scope.invoices, scope.tickets, scope.companies, scope.phone_systems, scope.number_ranges):
        with pytest.raises(Forbidden):
            query()
    admin = User.get(User.email == "admin@demo.dk")
    with pytest.raises(NotFound):
        me_service.scope_for(admin)  # not an employee


def test_me_shows_only_the_employees_own_subscription(employee):
    own = demo_subscription()
    colleague = Subscription.select().where(Subscription.account == own.account_id, Subscription.id != own.id,
                                            Subscription.kind == "mobile").first()
    for url in ("/me", f"/me?subscription_id={colleague.id}", f"/me?subscription={colleague.id}"):
        page = body(employee.get(url))
        assert "20 00 00 01" in page and colleague.holder_name not in page
    assert employee.get(f"/me/{colleague.id}").status_code == 404
    for url in (f"/subscriptions/{colleague.id}", f"/subscriptions/{own.id}", "/orders", "/invoices", "/subscriptions"):
        assert employee.get(url).status_code == 403, url
    assert employee.post(f"/subscriptions/{own.id}/codes").status_code == 403


def test_other_users_cannot_use_me(admin, staff_client, other_admin, client):
    for who in (admin, staff_client, other_admin):
        for method, url in (("GET", "/me"), ("POST", "/me/codes"), ("GET", "/me/roaming"), ("POST", "/me/sim")):
            assert who.open(url, method=method).status_code == 403, (method, url)
    response = client.get("/me/roaming")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# -- PIN and PUK -----------------------------------------------------------------------

def test_pin_and_puk_after_a_fresh_sms_code(employee_client, ctx):
    sub = demo_subscription()
    sim = SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active")
    client = stepped_up(employee_client, minutes_ago=6)  # the login's code is too old now
    response = client.post("/me/codes")
    assert response.status_code == 302
    verify = response.headers["Location"]
    assert verify.startswith("/verify?next=/me?show%3Dcodes%23codes") and "back=/me%23codes" in verify
    assert not AuditEvent.select().where(AuditEvent.action == "subscription.codes_revealed").exists()
    assert 'hx-trigger="submit, load"' not in body(client.get("/me?show=codes"))  # not fresh: the marker does nothing
    sms = OutboxMessage.select().where(OutboxMessage.recipient == MOBILE).order_by(OutboxMessage.id.desc()).first()
    assert sms is not None and sms.channel == "sms"
    assert client.post(verify, data={"code": "000000", "method": "sms"}).status_code == 422
    code = re.search(r"\d{6}", sms.body).group(0)
    verified = client.post(verify, data={"code": code, "method": "sms"})
    assert verified.status_code == 302 and verified.headers["Location"] == "/me?show=codes#codes"
    # back on the page, its form asks for the codes by itself (a POST, audited): one step for her
    back = body(client.get("/me?show=codes"))
    assert 'hx-trigger="submit, load"' in back and sim.puk not in back
    assert not AuditEvent.select().where(AuditEvent.action == "subscription.codes_revealed").exists()
    shown = client.post("/me/codes", headers={"HX-Request": "true", "HX-Target": "codes"})
    assert shown.status_code == 200 and sim.puk in body(shown) and sim.pin in body(shown)
    assert "<html" not in body(shown) and "no-store" in shown.headers["Cache-Control"]
    event = AuditEvent.get(AuditEvent.action == "subscription.codes_revealed")
    assert event.user_id == mette_user().id and event.object_id == str(sub.id)
    assert sim.puk not in event.details and sim.pin not in event.details
    # without JavaScript: the whole page with the codes in it
    page = body(client.post("/me/codes"))
    assert sim.puk in page and "card me-usage" in page


def test_codes_on_the_page_need_a_post(employee):
    sim = SimCard.get(SimCard.subscription == demo_subscription().id, SimCard.status == "active")
    page = body(employee.get("/me"))
    assert sim.puk not in page and "Show PIN and PUK" in page
    asked = employee.get("/me/codes")  # a GET shows no codes: it goes back to the page
    assert asked.status_code == 303 and asked.headers["Location"] == "/me"


# -- the actions the company allows ----------------------------------------------------

def test_a_travel_addon_becomes_an_order_the_admins_see(employee, admin):
    sub = demo_subscription()
    preview = employee.post("/me/roaming", data={"code": "ADD-VERDEN"})
    assert preview.status_code == 200 and "Udlandspakke Verden is added" in body(preview)
    assert not Order.select().where(Order.subscription == sub.id, Order.kind == "addon").exists()
    placed = employee.post("/me/roaming", data={"code": "ADD-VERDEN", "confirm": "1"})
    assert placed.status_code == 302 and placed.headers["Location"] == "/me"
    order = Order.get(Order.subscription == sub.id, Order.kind == "addon")
    assert order.requested_by_id == mette_user().id and json.loads(order.details)["addon"] == "ADD-VERDEN"
    assert order.customer_id == sub.customer_id and order.company_id == sub.company_id
    assert order.status == "completed"  # jobs run inline in the tests
    assert SubscriptionAddOn.select().where(SubscriptionAddOn.subscription == sub.id).count() == 1
    event = AuditEvent.get(AuditEvent.action == "order.addon")
    assert event.user_id == mette_user().id and event.company_id == sub.company_id
    page = body(employee.get("/me"))
    assert f"#{order.id}" in page and "Udlandspakke Verden is on your subscription" in page
    listing = body(admin.get("/orders?which=done&kind=addon"))
    assert f"#{order.id}</a>" in listing and "Mette Jensen" in listing
    # bought once: not offered again, and refused when asked for
    assert "ADD-VERDEN" not in body(employee.get("/me/roaming"))
    again = employee.post("/me/roaming", data={"code": "ADD-VERDEN"})
    assert again.status_code == 422 and "already has" in body(again)


@pytest.mark.parametrize("code", ["", "ADD-DATADELING", "ADD-FAST-IP", "nonsense" * 20])
def test_only_travel_addons_can_be_bought(employee, code):
    response = employee.post("/me/roaming", data={"code": code, "confirm": "1"})
    assert response.status_code == 422
    assert "Choose one of the travel add-ons." in body(response) and 'role="alert"' in body(response)
    assert not Order.select().where(Order.kind == "addon", Order.requested_by == mette_user().id).exists()


def test_a_replacement_sim_is_sent_to_the_delivery_address(employee):
    sub = demo_subscription()
    data = {"address": "  Vestergade 12,   8000 Aarhus C ", "reason": "damaged"}
    preview = employee.post("/me/sim", data=data)
    assert "Vestergade 12, 8000 Aarhus C" in body(preview)
    OutboxMessage.delete().execute()
    placed = confirm(employee, "/me/sim", data)
    assert placed.status_code == 302
    order = Order.get(Order.subscription == sub.id, Order.kind == "sim_change")
    details = json.loads(order.details)
    assert details["delivery_address"] == "Vestergade 12, 8000 Aarhus C" and details["reason"] == "damaged"
    assert details["how"] == "physical" and order.requested_by_id == mette_user().id
    # the number gets an SMS and the company's admins an e-mail, as when an admin orders it
    assert OutboxMessage.select().where(OutboxMessage.channel == "sms", OutboxMessage.recipient == MOBILE).exists()
    assert OutboxMessage.select().where(OutboxMessage.channel == "email",
                                        OutboxMessage.recipient == "admin@demo.dk").exists()


def test_the_sim_form_shows_every_error_at_once(employee):
    response = employee.post("/me/sim", data={"address": "x", "reason": "stolen"})
    page = body(response)
    assert response.status_code == 422
    assert 'href="#f-address"' in page and 'href="#f-reason"' in page
    assert "Enter the address the SIM card is sent to." in page and "Choose a reason." in page
    assert 'aria-invalid="true"' in page and "data-autofocus" in page
    assert not Order.select().where(Order.kind == "sim_change", Order.requested_by == mette_user().id).exists()
    fragment = employee.post("/me/sim", data={}, headers={"HX-Request": "true", "HX-Target": "action"})
    assert fragment.status_code == 422 and "<html" not in body(fragment)


def test_actions_the_company_does_not_allow_are_refused(employee, monkeypatch):
    monkeypatch.setattr(me_service, "ALLOWED_ACTIONS", ("sim",))
    assert employee.get("/me/roaming").status_code == 403
    assert employee.post("/me/roaming", data={"code": "ADD-VERDEN", "confirm": "1"}).status_code == 403
    page = body(employee.get("/me"))
    assert "/me/roaming" not in page and "/me/sim" in page
    assert not Order.select().where(Order.kind == "addon", Order.requested_by == mette_user().id).exists()


def test_an_ended_subscription_offers_no_actions(employee):
    sub = demo_subscription()
    Subscription.update(status="cancelled", end_date=utcnow().date()).where(Subscription.id == sub.id).execute()
    page = body(employee.get("/me"))
    assert "/me/roaming" not in page and "/me/sim" not in page
    response = employee.post("/me/roaming", data={"code": "ADD-VERDEN", "confirm": "1"})
    assert response.status_code == 422 and "has ended" in body(response)


def test_the_order_list_polls_while_orders_are_open(employee):
    sub = demo_subscription()
    Order.create(customer=sub.customer_id, company=sub.company_id, account=sub.account_id, subscription=sub.id,
                 kind="addon", details="{}", requested_by=mette_user().id)
    fragment = employee.get("/me", headers={"HX-Request": "true", "HX-Target": "my-orders"})
    assert fragment.status_code == 200 and 'hx-trigger="every 3s"' in body(fragment)
    assert "<html" not in body(fragment)
    Order.update(status="completed").where(Order.subscription == sub.id).execute()
    done = body(employee.get("/me", headers={"HX-Request": "true", "HX-Target": "my-orders"}))
    assert "every 3s" not in done and "Your orders are done." in done


def test_posts_need_the_csrf_token(tmp_path, demo_db_file):
    import shutil

    path = tmp_path / "csrf.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    sign_in(client, "mette.jensen@demo.dk")
    stepped_up(client)
    for url, data in (("/me/roaming", {"code": "ADD-VERDEN", "confirm": "1"}), ("/me/codes", {}),
                      ("/me/sim", {"address": "Vestergade 12, 8000 Aarhus C", "reason": "lost", "confirm": "1"})):
        assert client.post(url, data=data).status_code == 400, url
    assert not Order.select().where(Order.requested_by == mette_user().id).exists()
    assert not AuditEvent.select().where(AuditEvent.action == "subscription.codes_revealed").exists()
