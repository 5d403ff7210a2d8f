"""Numbers and porting: the numbers list with search and filters, the port-in form (checked
before anything is sent, the owner's CVR against the company's), the request's way to
completed or rejected, correcting and cancelling until it is sent, port locks; the other
customer's ids, a missing right and a limited membership."""
import datetime
import html
import json
import re
import shutil

import pytest

from models import (
    Account,
    AuditEvent,
    Charge,
    Membership,
    NumberRange,
    Order,
    OrderStep,
    PortingNumber,
    PortingRequest,
    Subscription,
    User,
    db,
)
from models.numbers import OPEN_PORTING
from services import numbers
from services.errors import ServiceError
from tests.conftest import count_queries, make_app, sign_in

SERVICE_CVR = "12345682"  # Demo Service ApS, the subsidiary
DEMO_CVR = "12345674"  # Demo A/S
THREE = "33 55 21 10\n33 55 21 11\n33 55 21 12"  # three landline numbers nobody has


@pytest.fixture
def admin(admin):
    """The clients of conftest, in English: the Danish catalogue is merged separately."""
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin


@pytest.fixture
def limited(limited):
    limited.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return limited


@pytest.fixture
def other_admin(other_admin):
    other_admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other_admin


def port_form(**overrides):
    values = {"kind": "landline", "numbers": THREE, "account": "40120011", "donor_operator": "telia",
              "owner_name": "Demo A/S", "owner_cvr": DEMO_CVR,
              "date": numbers.earliest_port_date().isoformat(), "signer_name": "Anne Admin", "consent": "y"}
    values.update(overrides)
    return values


def requests_by_status():
    return {r.status: r for r in PortingRequest.select().where(PortingRequest.order.is_null(False))}


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


# -- working days and the numbers people type ------------------------------------------

@pytest.mark.parametrize("today,earliest", [
    (datetime.date(2026, 3, 2), datetime.date(2026, 3, 10)),  # Monday: deadline Monday, port Tuesday
    (datetime.date(2026, 4, 1), datetime.date(2026, 4, 14)),  # Easter: Thu, Fri and Monday are closed
    (datetime.date(2026, 12, 18), datetime.date(2026, 12, 30)),  # Christmas Eve to Boxing Day
    (datetime.date(2027, 5, 5), datetime.date(2027, 5, 14)),  # Ascension Day 6 May 2027
])
def test_earliest_date_is_the_working_day_after_five_working_days(app, today, earliest):
    with app.app_context():
        assert numbers.earliest_port_date(today) == earliest


def test_numbers_are_read_as_one_a_range_or_a_list(app):
    with app.test_request_context():
        found, problems = numbers.parse_numbers("33 12 34 00 – 33 12 34 02\n+45 33123401; 44556677")
        assert problems == []
        assert found == ["+4533123400", "+4533123401", "+4533123402", "+4544556677"]  # the repeat is dropped
        assert numbers.runs(found) == [("+4533123400", "+4533123402"), ("+4544556677", "+4544556677")]
        _found, problems = numbers.parse_numbers("33123499-33123400")
        assert "laveste nummer først" in problems[0]  # Danish: the default language
        _found, problems = numbers.parse_numbers("33000000-33001000")  # 1,001 numbers
        assert "højst rumme 1000" in problems[0]
        found, problems = numbers.parse_numbers("1234, 55 66 77 88, abc")
        assert found == ["+4555667788"] and "“1234”, “abc”" in problems[0]
        assert numbers.parse_numbers("")[1] == ["Skriv de numre, der skal flyttes hertil."]  # Danish: the default language
        many = "\n".join(f"33{n:06d}" for n in range(1001))
        assert "Del dem op" in numbers.parse_numbers(many)[1][-1]


def test_landline_numbers_cannot_be_ported_to_mobile(app):
    with app.test_request_context():
        assert numbers.number_kind("+4533123456") == "landline"
        assert numbers.number_kind("+4520123456") == "mobile"
        assert numbers.number_kind("+4570101010") == "service"
        (problem,) = numbers.kind_problems("mobile", ["+4520123456", "+4533123456"])
        assert "33 12 34 56 er et fastnetnummer" in problem  # Danish: the default language
        (problem,) = numbers.kind_problems("landline", ["+4520123456"])
        assert "mobilnumre kan ikke flyttes til fastnet" in problem
        assert numbers.kind_problems("landline", ["+4533123456"]) == []


# -- the numbers list ------------------------------------------------------------------

def test_numbers_page_is_about_numbers(admin, ctx):
    body = page(admin, "/numbers")
    series = NumberRange.get(NumberRange.porting_request.is_null())
    assert series.count == 100 and series.account_id is None
    for text in ("70 10 10 10", "70 20 30 40", "20 00 00 01", numbers.phone(series.first), "Main number",
                 "Number series", "Personal number", "Port-in requests"):
        assert text in body, text
    assert "Velkomst" not in body  # the call flow lives on its own page now
    assert "/numbers/call-flow" in body  # … and the numbers page links to it


def test_the_port_in_card_shows_the_open_requests_first_by_the_day_they_move(app, ctx):
    from services.scope import build_scope

    user = User.get(User.email == "admin@demo.dk")
    membership = Membership.select().where(Membership.user == user).first()
    template = PortingRequest.select().first()
    base = {"customer": template.customer_id, "company": template.company_id, "account": template.account_id,
            "donor_operator": template.donor_operator}
    today = datetime.date.today()
    PortingRequest.update(status="completed").execute()  # only these open, so the card fills up with closed ones
    for n, (status, days) in enumerate([("completed", 1), ("received", 30), ("cancelled", 2), ("sent", 20),
                                        ("rejected", 3), ("date_confirmed", 10)]):
        PortingRequest.create(number=f"+452990000{n}", status=status, requested_date=today + datetime.timedelta(days),
                              **base)
    with app.test_request_context():
        shown, open_count = numbers.recent_port_requests(build_scope(membership))
    opened = [p for p in shown if p.status in OPEN_PORTING]
    assert open_count == PortingRequest.select().where(PortingRequest.status.in_(OPEN_PORTING)).count()
    assert open_count == 3 and [p.status for p in shown[:3]] == ["date_confirmed", "sent", "received"]  # next to move first
    assert len(shown) == 5 and opened == shown[:3]
    assert [p.status for p in shown[3:]] == ["rejected", "cancelled"]  # then the newest of the rest


@pytest.mark.parametrize("query,present,absent", [
    ("type=series", ["Omstillingsserie"], ["20 00 00 01", "70 10 10 10"]),
    ("type=main", ["70 10 10 10"], ["20 00 00 01", "Omstillingsserie"]),
    ("type=personal", ["70 20 30 40", "Kundeservice"], ["70 10 10 10"]),
    ("q=20+00+00+01", ["Mette Jensen"], ["70 10 10 10"]),
    ("q=mette+jensen", ["20 00 00 01"], ["Omstillingsserie"]),
    ("q=kundeservice", ["70 20 30 40"], ["20 00 00 01"]),
    ("account=40120029&type=mobile", [], ["Mette Jensen", "70 10 10 10"]),
    ("q=zzzz-nobody", ["No numbers match"], ["20 00 00 01"]),
])
def test_search_and_type_filter(admin, ctx, query, present, absent):
    body = page(admin, f"/numbers?{query}")
    for text in present:
        assert text in body, (query, text)
    for text in absent:
        assert text not in body, (query, text)


def test_a_series_is_found_by_a_number_inside_it(admin, ctx):
    series = NumberRange.get(NumberRange.porting_request.is_null())
    inside = f"+{int(series.first[1:]) + 42}"
    assert "Omstillingsserie" in page(admin, f"/numbers?q={inside[3:]}")


def test_mobile_filter_shows_only_mobile_numbers(admin, ctx):
    body = page(admin, "/numbers?type=mobile")
    landline = Subscription.get(Subscription.kind == "landline", Subscription.status == "active",
                                Subscription.company == Account.get(Account.number == "40120011").company)
    assert numbers.phone(landline.number) not in body
    assert "20 00 00 01" in body


def test_the_list_pages_with_a_bounded_number_of_queries(admin, ctx):
    count_queries(admin, "/numbers")  # the first request of a session also saves the session
    first = count_queries(admin, "/numbers")
    assert first <= 12
    assert count_queries(admin, "/numbers?q=jensen") == first
    assert count_queries(admin, "/numbers?page=2") == first - 3  # the company's numbers are on page 1
    rows = count_queries(admin, "/numbers?page=2", headers={"HX-Request": "true"})
    assert rows < first
    body = page(admin, "/numbers?page=2")
    assert "Page 2 of" in body


def test_counting_stops_at_the_cap(admin, ctx, monkeypatch):
    monkeypatch.setattr(numbers, "COUNT_CAP", 120)
    body = page(admin, "/numbers")
    assert "More than 120 numbers" in body and "<span>Page 1</span>" in body
    assert "<span>Page 2</span>" in page(admin, "/numbers?page=2")
    assert "<span>Page 2</span>" in page(admin, "/numbers?page=9999")  # past the cap: the last page


def _numbers_on(body):
    return re.findall(r'data-label="Number"><a class="nowrap" href="/subscriptions/\d+">([\d ]+)</a>', body)


@pytest.mark.parametrize("cap", [10_000, 120])
def test_search_results_page_in_number_order(admin, ctx, monkeypatch, cap):
    monkeypatch.setattr(numbers, "COUNT_CAP", cap)  # under the cap the search's one scan pages; over it the index
    body = page(admin, "/numbers?q=2")
    assert ("More than 120 numbers" in body) == (cap == 120)
    first, second = _numbers_on(body), _numbers_on(page(admin, "/numbers?q=2&page=2"))
    assert len(first) == 50 and second and not set(first) & set(second)
    assert first + second == sorted(first + second)


def test_limited_user_sees_only_the_numbers_of_their_account(limited, ctx):
    body = page(limited, "/numbers")
    own = Account.get(Account.number == "40120011")
    others = Subscription.select().join(Account).where(Account.number == "40120029", Subscription.kind == "mobile",
                                                       Subscription.status == "active")
    assert "20 00 00 01" in body
    for sub in others:
        assert numbers.phone(sub.number) not in body
    # company-wide numbers concern the whole company; the numbers ported to 40120011 are theirs
    for text in ("70 10 10 10", "70 20 30 40", "Omstillingsserie"):
        assert text not in body
    ported = NumberRange.get(NumberRange.porting_request.is_null(False))
    assert ported.account_id == own.id and numbers.phone(ported.first) in body


def test_limited_user_sees_only_port_requests_of_their_account(limited, ctx):
    own = Account.get(Account.number == "40120011")
    body = page(limited, "/numbers/porting")
    for request in list(PortingRequest.select()):
        url = f"/numbers/port-in/{request.id}"
        if request.account_id == own.id:
            assert url in body and limited.get(url).status_code == 200
        else:
            assert url not in body and limited.get(url).status_code == 404
            assert limited.post(f"{url}/cancel").status_code == 404


def test_other_customer_gets_404_for_every_demo_port_request(other_admin, ctx):
    for request in list(PortingRequest.select()):
        for method, path in (("get", ""), ("get", "/correct"), ("post", "/correct"), ("post", "/cancel")):
            response = getattr(other_admin, method)(f"/numbers/port-in/{request.id}{path}", data=port_form())
            assert response.status_code == 404, (request.id, path, response.status_code)
    body = page(other_admin, "/numbers/porting")
    assert "/numbers/port-in/" not in body
    assert "20 00 00 01" not in page(other_admin, "/numbers?q=20000001")


def test_without_the_numbers_right_everything_is_403(app, ctx):
    client = app.test_client()
    user = sign_in(client, "begraenset@demo.dk")
    membership = Membership.get(Membership.user == user)
    Membership.update(functions=" ".join(f for f in membership.function_set if f != "numbers")).where(
        Membership.id == membership.id).execute()
    request = requests_by_status()["received"]
    for method, url in (("get", "/numbers"), ("get", "/numbers/port-in"), ("post", "/numbers/port-in"),
                        ("get", "/numbers/porting"), ("get", f"/numbers/port-in/{request.id}"),
                        ("post", f"/numbers/port-in/{request.id}/cancel")):
        assert getattr(client, method)(url).status_code == 403, url


# -- port-in: the form, the check, the refusal, the way to completed --------------------

def test_wrong_owner_cvr_is_refused_before_anything_is_sent_then_the_port_completes(admin, ctx):
    before = PortingRequest.select().count(), Order.select().count()
    refused = admin.post("/numbers/port-in", data=port_form(owner_cvr=SERVICE_CVR))
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "The owner's CVR is not the company's: the current operator will reject it." in html.unescape(body)
    refused = admin.post("/numbers/port-in", data=port_form(owner_cvr=SERVICE_CVR, confirm="1"))
    assert refused.status_code == 422
    assert (PortingRequest.select().count(), Order.select().count()) == before  # nothing was written or sent

    preview = admin.post("/numbers/port-in", data=port_form())
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "What will happen" in text and "3 numbers" in text and "Telia" in text
    assert 'name="confirm"' in text and PortingRequest.select().count() == before[0]

    placed = admin.post("/numbers/port-in", data=port_form(confirm="1"))
    assert placed.status_code == 303
    request = PortingRequest.select().order_by(PortingRequest.id.desc()).first()
    assert placed.headers["Location"] == f"/numbers/port-in/{request.id}"
    assert request.owner_cvr == DEMO_CVR and request.number_count == 3 and request.kind == "landline"
    assert [n.number for n in request.numbers.order_by(PortingNumber.position)] == [
        "+4533552110", "+4533552111", "+4533552112"]
    # the simulated operator: sent, date confirmed, and (test mode) completed at once
    assert request.status == "completed" and request.confirmed_date == request.requested_date
    order = Order.get_by_id(request.order_id)
    assert order.kind == "port_request" and order.status == "completed" and order.subscription_id is None
    assert [s.step for s in OrderStep.select().where(OrderStep.order == order.id).order_by(OrderStep.id)] == [
        "received", "port_sent", "port_date_confirmed", "completed"]
    (added,) = NumberRange.select().where(NumberRange.porting_request == request.id)
    assert (added.first, added.last, added.kind, added.account_id) == (
        "+4533552110", "+4533552112", "landline", request.account_id)
    assert Charge.select().where(Charge.kind == "fee_porting", Charge.account == request.account_id,
                                 Charge.subscription.is_null()).exists()
    audit = AuditEvent.get(AuditEvent.action == "order.port_request")
    assert json.loads(audit.details)["owner_cvr"] == DEMO_CVR

    tracker = page(admin, f"/numbers/port-in/{request.id}")
    for text in ("Completed", "Sent to the current operator", "Date confirmed", "33 55 21 10 – 33 55 21 12"):
        assert text in tracker, text
    assert "hx-trigger=\"every" not in tracker  # no polling once it is done
    assert "33 55 21 10 – 33 55 21 12" in page(admin, "/numbers?q=33552111")
    assert "3 numbers (33 55 21 10–33 55 21 12) are ported in from Telia" in page(admin, f"/orders/{order.id}")


def test_a_range_of_a_subsidiary_with_its_own_cvr(admin, ctx):
    form = port_form(numbers="86 12 30 00 - 86 12 30 09", account="40345012", owner_cvr=SERVICE_CVR,
                     owner_name="Demo Service ApS", confirm="1")
    assert admin.post("/numbers/port-in", data=form).status_code == 303
    request = PortingRequest.select().order_by(PortingRequest.id.desc()).first()
    assert request.number_count == 10 and request.company.cvr == SERVICE_CVR and request.status == "completed"


def test_a_range_of_a_thousand_numbers_becomes_one_series(admin, ctx):
    form = port_form(numbers="45 71 00 00 - 45 71 09 99", confirm="1")
    assert admin.post("/numbers/port-in", data=form).status_code == 303
    request = PortingRequest.select().order_by(PortingRequest.id.desc()).first()
    assert request.number_count == 1000 and request.numbers.count() == 1000 and request.status == "completed"
    (series,) = NumberRange.select().where(NumberRange.porting_request == request.id)
    assert (series.first, series.last, series.count) == ("+4545710000", "+4545710999", 1000)
    assert "45 71 00 00 – 45 71 09 99" in page(admin, "/numbers?type=series")


def test_open_request_is_polled_on_its_tracker(admin, ctx):
    request = requests_by_status()["sent"]
    body = page(admin, f"/numbers/port-in/{request.id}")
    assert f'hx-get="/numbers/port-in/{request.id}"' in body and "Sent to the current operator" in body
    fragment = admin.get(f"/numbers/port-in/{request.id}", headers={"HX-Request": "true", "HX-Target": "tracker"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


@pytest.mark.parametrize("overrides,field_text", [
    ({"kind": "mobile"}, "landline numbers cannot be ported to mobile"),
    ({"numbers": "20 12 34 56"}, "mobile numbers cannot be ported to landline"),
    ({"numbers": "70 10 20 30"}, "cannot be ported here"),
    ({"numbers": "20 00 00 01", "kind": "mobile"}, "already with us"),  # Mette Jensen's own number
    ({"numbers": "1234"}, "is not a Danish number"),
    ({"numbers": ""}, "Enter the numbers to port in."),
    ({"owner_cvr": "12345678"}, "not a valid CVR number"),
    ({"owner_name": ""}, "Enter the registered owner's name."),
    ({"donor_operator": "nobody"}, "Choose the current operator."),
    ({"date": "2020-01-01"}, "The earliest date is"),
    ({"date": "not a date"}, "Enter a date"),
    ({"signer_name": ""}, "Enter the name of the person who signed"),
    ({"consent": ""}, "Confirm that the owner has given power of attorney."),
    ({"account": "51230018"}, "Choose one of your accounts."),  # Anden Kunde's account
])
def test_bad_input_is_refused_with_the_form(admin, ctx, overrides, field_text):
    response = admin.post("/numbers/port-in", data=port_form(confirm="1", **overrides))
    assert response.status_code == 422
    assert field_text in html.unescape(response.get_data(as_text=True))
    assert not PortingRequest.select().where(PortingRequest.owner_name == "Demo A/S",
                                             PortingRequest.number.startswith("+45335521")).exists()


def test_every_error_of_the_form_at_once(app, ctx):
    from services.scope import build_scope

    user = User.get(User.email == "admin@demo.dk")
    membership = Membership.select().where(Membership.user == user).first()
    with app.test_request_context():
        with pytest.raises(ServiceError) as refused:
            numbers.request_port_in(build_scope(membership), {})
    assert set(refused.value.errors) == {"kind", "numbers", "account", "donor_operator", "owner_name", "owner_cvr",
                                         "date", "signer_name", "consent"}


def test_a_weekend_date_is_refused(admin, ctx):
    day = numbers.earliest_port_date() + datetime.timedelta(days=7)
    while day.weekday() != 5:
        day += datetime.timedelta(days=1)
    response = admin.post("/numbers/port-in", data=port_form(date=day.isoformat()))
    assert response.status_code == 422 and "Choose a working day" in response.get_data(as_text=True)


def test_the_form_checks_the_numbers_while_they_are_typed(admin, ctx):
    hx = {"HX-Request": "true"}
    said = admin.post("/numbers/port-in/check", data={"kind": "mobile", "numbers": "33 12 34 56"}, headers=hx)
    assert said.status_code == 200
    assert "33 12 34 56 is a landline number: landline numbers cannot be ported to mobile" in said.get_data(
        as_text=True)
    fine = admin.post("/numbers/port-in/check", data={"kind": "landline", "numbers": THREE}, headers=hx)
    assert "3 numbers" in fine.get_data(as_text=True)
    assert admin.post("/numbers/port-in/check", data={"kind": "mobile", "numbers": "1"}).status_code == 302
    form = page(admin, "/numbers/port-in")
    assert 'hx-post="/numbers/port-in/check"' in form and "I confirm that the owner has given power of attorney" in form
    assert f'min="{numbers.earliest_port_date().isoformat()}"' in form


def test_the_current_operator_rejects_an_owner_it_does_not_know(admin, ctx):
    assert admin.post("/numbers/port-in", data=port_form(owner_name="Test-reject ApS", confirm="1")).status_code == 303
    request = PortingRequest.select().order_by(PortingRequest.id.desc()).first()
    assert request.status == "rejected" and request.rejection_reason == "owner_mismatch"
    order = Order.get_by_id(request.order_id)
    assert order.status == "failed" and order.failure_reason == "owner_mismatch"
    assert not NumberRange.select().where(NumberRange.porting_request == request.id).exists()
    body = page(admin, f"/numbers/port-in/{request.id}")
    assert "Rejected" in body and "does not match the current operator's records" in body


def test_a_network_rejection_rejects_the_request(demo_db_file, tmp_path):
    path = tmp_path / "failing.db"
    shutil.copy(demo_db_file, path)
    app = make_app(path, NETWORK_FAILURE_RATE=1.0)
    client = app.test_client()
    sign_in(client, "admin@demo.dk")
    assert client.post("/numbers/port-in", data=port_form(confirm="1")).status_code == 303
    request = PortingRequest.select().order_by(PortingRequest.id.desc()).first()
    assert request.status == "rejected" and request.rejection_reason == "network_unavailable"
    assert Order.get_by_id(request.order_id).status == "failed"
    if not db.is_closed():
        db.close()


def test_a_confirmed_port_completes_on_its_date(app, ctx):
    request = requests_by_status()["date_confirmed"]
    with app.app_context():
        assert numbers.complete_due(today=request.confirmed_date - datetime.timedelta(days=1)) == 0
        assert numbers.complete_due(today=request.confirmed_date) == 1
    request = PortingRequest.get_by_id(request.id)
    assert request.status == "completed" and Order.get_by_id(request.order_id).status == "completed"
    assert NumberRange.select().where(NumberRange.porting_request == request.id).count() == 1


# -- correcting and cancelling until it is sent -----------------------------------------

def test_an_unsent_request_can_be_corrected(admin, ctx):
    request = requests_by_status()["received"]
    form = page(admin, f"/numbers/port-in/{request.id}/correct")
    assert numbers.phone(request.number) in form and request.owner_name in form
    values = port_form(kind="mobile", numbers="20 55 21 10, 20 55 21 11", donor_operator="telenor",
                       owner_name="Demo A/S (rettet)", signer_name="Bent Begrænset")
    preview = admin.post(f"/numbers/port-in/{request.id}/correct", data=values)
    assert preview.status_code == 200 and "2 numbers" in preview.get_data(as_text=True)
    done = admin.post(f"/numbers/port-in/{request.id}/correct", data={**values, "confirm": "1"})
    assert done.status_code == 303
    request = PortingRequest.get_by_id(request.id)
    assert (request.owner_name, request.signer_name, request.number_count, request.donor_operator) == (
        "Demo A/S (rettet)", "Bent Begrænset", 2, "telenor")
    assert [n.number for n in request.numbers.order_by(PortingNumber.position)] == ["+4520552110", "+4520552111"]
    order = Order.get_by_id(request.order_id)
    assert json.loads(order.details)["owner_name"] == "Demo A/S (rettet)"
    assert OrderStep.select().where(OrderStep.order == order.id, OrderStep.step == "port_corrected").exists()
    assert AuditEvent.select().where(AuditEvent.action == "order.port_request_corrected").exists()
    assert request.status == "completed"  # the corrected request went on to the operator


def test_an_unsent_request_can_be_cancelled(limited, ctx):
    request = requests_by_status()["received"]  # on 40120011: the limited user's own account
    response = limited.post(f"/numbers/port-in/{request.id}/cancel")
    assert response.status_code == 303
    request = PortingRequest.get_by_id(request.id)
    assert request.status == "cancelled"
    order = Order.get_by_id(request.order_id)
    assert order.status == "failed" and order.failure_reason == "cancelled"
    assert AuditEvent.select().where(AuditEvent.action == "order.port_request_cancelled").exists()
    assert "You cancelled the request" in page(limited, f"/numbers/port-in/{request.id}")


def test_a_sent_request_can_no_longer_be_changed(admin, ctx):
    request = requests_by_status()["sent"]
    refused = admin.post(f"/numbers/port-in/{request.id}/cancel")
    assert refused.status_code == 422 and "can no longer be changed" in refused.get_data(as_text=True)
    refused = admin.post(f"/numbers/port-in/{request.id}/correct", data=port_form(confirm="1"))
    assert refused.status_code == 422
    assert admin.get(f"/numbers/port-in/{request.id}/correct").status_code == 302
    assert PortingRequest.get_by_id(request.id).status == "sent"
    assert "Correct the request" not in page(admin, f"/numbers/port-in/{request.id}")


# -- port lock -------------------------------------------------------------------------

def locked_subscription():
    return Subscription.get(Subscription.port_locked == True)  # noqa: E712


def test_admin_sets_and_lifts_a_port_lock(admin, ctx):
    sub = Subscription.get(Subscription.number == "+4520000001")
    response = admin.post(f"/numbers/{sub.id}/port-lock", data={"locked": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Lift lock" in response.get_data(as_text=True)
    assert Subscription.get_by_id(sub.id).port_locked
    event = AuditEvent.select().where(AuditEvent.action == "subscription.port_lock").order_by(AuditEvent.id.desc()).get()
    assert json.loads(event.details)["locked"] is True
    response = admin.post(f"/numbers/{sub.id}/port-lock", data={"locked": "0"})
    assert response.status_code == 302 and not Subscription.get_by_id(sub.id).port_locked
    assert "Locked" in page(admin, "/numbers?q=" + locked_subscription().number[3:])


def test_a_locked_number_refuses_a_port_out(app, ctx):
    sub = locked_subscription()
    assert sub.account.number == "40120011"
    with app.test_request_context():
        with pytest.raises(ServiceError) as refused:
            numbers.refuse_port_out(sub)
        assert "flyttespærring" in refused.value.message  # Danish: the default language
        numbers.refuse_port_out(Subscription.get(Subscription.number == "+4520000001"))  # not locked: fine


def test_only_admins_set_port_locks(limited, other_admin, admin, ctx):
    sub = locked_subscription()
    assert limited.post(f"/numbers/{sub.id}/port-lock", data={"locked": "0"}).status_code == 403
    assert other_admin.post(f"/numbers/{sub.id}/port-lock", data={"locked": "0"}).status_code == 404
    assert "lock-button" not in page(limited, "/numbers")
    ended = Subscription.get(Subscription.status == "cancelled", Subscription.kind == "mobile",
                             Subscription.customer == sub.customer)
    refused = admin.post(f"/numbers/{ended.id}/port-lock", data={"locked": "1"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and not Subscription.get_by_id(ended.id).port_locked
    refused = admin.post(f"/numbers/{ended.id}/port-lock", data={"locked": "1"})  # without JavaScript
    assert refused.status_code == 422 and "Only the numbers of running" in refused.get_data(as_text=True)
    assert Subscription.get_by_id(sub.id).port_locked


# -- demo data -------------------------------------------------------------------------

def test_demo_has_a_request_per_status_with_its_order(ctx):
    requests = list(PortingRequest.select())
    assert sorted(r.status for r in requests) == sorted(
        ("received", "sent", "date_confirmed", "completed", "rejected", "cancelled"))
    for r in requests:
        assert r.order_id and r.owner_name and r.owner_cvr == DEMO_CVR and r.signer_name
        assert r.numbers.count() == r.number_count
        assert Order.get_by_id(r.order_id).kind == "port_request"
    (ranged,) = [r for r in requests if r.number_count == 3]
    assert ranged.status == "completed"
    assert {r.account.number for r in requests} >= {"40120011", "40120029"}
    assert Subscription.select().where(Subscription.port_locked == True).count() == 1  # noqa: E712
