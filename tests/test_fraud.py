"""The fraud guard (services/fraud.py): notices before SIM/eSIM changes, transfers, cancellations and
port requests are carried out; "This wasn't us"; port-outs after a SIM change held for staff review;
bursts of SIM changes and PUK reveals that ask for a new code and alert the admins; the port lock."""
import datetime
import json
import re

import pytest

from models import (
    AuditEvent,
    Membership,
    Order,
    OrderStep,
    OutboxMessage,
    PortingRequest,
    SimCard,
    Subscription,
    User,
    utcnow,
)
from services import fraud
from services import numbers as numbers_service
from tests.conftest import demo_subscription

STAFF_EMAIL = "staff@operator.dk"


@pytest.fixture(autouse=True)
def english(request, app):
    """The clients and the readers of the notices in English: the Danish texts of this part are merged
    from locales/pending later (a reader without a language gets Danish, see the test below)."""
    User.update(locale="en").where(User.email.in_(("admin@demo.dk", STAFF_EMAIL))).execute()
    for name in ("admin", "limited", "other_admin", "staff_client", "employee_client"):
        if name in request.fixturenames:
            request.getfixturevalue(name).environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def notice(app):
    app.config["FRAUD_NOTICE_MINUTES"] = 10
    return app


def stepped_up(client):
    with client.session_transaction() as session:
        session["second_factor_at"] = utcnow().isoformat()
    return client


def confirm(client, sub_id, action, data):
    preview = client.post(f"/subscriptions/{sub_id}/{action}", data=data)
    assert preview.status_code == 200, re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", preview.get_data(as_text=True)))[-1500:]
    return client.post(f"/subscriptions/{sub_id}/{action}", data={**data, "confirm": "1"})


def last_order(sub_id, kind):
    return Order.select().where(Order.subscription == sub_id, Order.kind == kind).order_by(Order.id.desc()).get()


def steps(order):
    return [s.step for s in OrderStep.select().where(OrderStep.order == order.id).order_by(OrderStep.id)]


def outbox(channel, recipient):
    return list(OutboxMessage.select().where(OutboxMessage.channel == channel, OutboxMessage.recipient == recipient)
                .order_by(OutboxMessage.id))


def release_later(app, minutes=11):
    with app.app_context():
        return fraud.release_due(now=utcnow() + datetime.timedelta(minutes=minutes))


def mobile_subscriptions(company_name="Demo A/S", count=4):
    from models import Company

    company = Company.get(Company.name == company_name)
    return list(Subscription.select().where(Subscription.company == company.id, Subscription.kind == "mobile",
                                            Subscription.status == "active", Subscription.number != "+4520000001",
                                            Subscription.port_locked == False,  # noqa: E712
                                            Subscription.id.not_in(Order.select(Order.subscription).where(
                                                Order.status.in_(("received", "in_progress")),
                                                Order.subscription.is_null(False))))
                .order_by(Subscription.id).limit(count))


# -- notice before the order is carried out ------------------------------------------------------------

def test_sim_change_notifies_the_number_and_admins_before_it_is_carried_out(admin, notice, ctx):
    sub = demo_subscription()
    old_sim = SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active")
    response = confirm(admin, sub.id, "sim", {"how": "esim", "reason": "esim"})
    assert response.status_code == 302
    order = last_order(sub.id, "sim_change")
    # told, but not carried out: the order waits its notice period
    assert order.status == "received" and "notice" in steps(order)
    (sms,) = outbox("sms", sub.number)
    assert "nyt simkort" in sms.body  # Danish: the number's holder has no language of their own
    (mail,) = [m for m in outbox("email", "admin@demo.dk") if m.subject == "SIM change ordered"]
    assert f"/orders/{order.id}" in mail.body and "10 minutes" in mail.body and "This wasn't us" in mail.body
    assert SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active").id == old_sim.id
    page = admin.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "This wasn't us: stop the order" in page and "Notice sent to the number" in page
    # nothing happens before the notice is over ...
    assert release_later(notice, minutes=5) == 0 and Order.get_by_id(order.id).status == "received"
    # ... and after it the order is carried out
    assert release_later(notice) == 1
    done = Order.get_by_id(order.id)
    assert done.status == "completed" and steps(done)[-3:] == ["notice_over", "in_progress", "completed"]
    assert SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active").form == "esim"
    assert release_later(notice) == 0  # released once


def test_cancel_and_transfer_notify_before_they_are_carried_out(admin, notice, ctx):
    first, second = mobile_subscriptions(count=2)
    stepped_up(admin)
    day = (utcnow().date() + datetime.timedelta(days=30)).isoformat()
    assert confirm(admin, first.id, "cancel", {"end_date": day, "reason": "not_needed"}).status_code == 302
    cancel = last_order(first.id, "cancel")
    assert cancel.status == "received" and "notice" in steps(cancel)
    assert "opsigelse" in outbox("sms", first.number)[0].body
    assert any(m.subject == "Cancellation ordered" for m in outbox("email", "admin@demo.dk"))
    response = confirm(admin, second.id, "transfer", {"name": "Ny Ejer", "email": "ny.ejer@example.com",
                                                       "end_date": day})
    assert response.status_code == 302
    transfer = last_order(second.id, "transfer")
    assert "overdraget" in outbox("sms", second.number)[0].body
    assert any(m.subject == "Transfer ordered" for m in outbox("email", "admin@demo.dk"))
    assert outbox("email", "ny.ejer@example.com")  # the new holder's link still goes out
    assert Subscription.get_by_id(first.id).end_date is None and transfer.status == "received"


def test_each_admin_gets_the_notice_in_their_own_language(admin, notice, ctx):
    User.update(locale=None).where(User.email == "admin@demo.dk").execute()
    sub = demo_subscription()
    confirm(admin, sub.id, "sim", {"how": "esim", "reason": "esim"})  # the admin's own screen is in English
    order = last_order(sub.id, "sim_change")
    (mail,) = [m for m in outbox("email", "admin@demo.dk") if f"/orders/{order.id}" in m.body]
    assert mail.subject == "Simkortskift bestilt"  # Danish: the default


def test_a_port_request_notifies_and_waits(admin, notice, ctx):
    values = {"kind": "mobile", "numbers": "+45 61 23 45 67", "account": "40120011", "donor_operator": "telia",
              "owner_name": "Demo A/S", "owner_cvr": "12345674",
              "date": numbers_service.earliest_port_date().isoformat(), "signer_name": "Anne Admin", "consent": "y"}
    placed = admin.post("/numbers/port-in", data={**values, "confirm": "1"})
    assert placed.status_code == 303, placed.data[:800]
    request = PortingRequest.select().order_by(PortingRequest.id.desc()).get()
    assert request.status == "received"  # not sent to the current operator during the notice
    assert outbox("sms", "+4561234567") and any(m.subject == "Port request placed"
                                                 for m in outbox("email", "admin@demo.dk"))
    assert release_later(notice) == 1
    assert PortingRequest.get_by_id(request.id).status == "completed"


# -- "This wasn't us" -----------------------------------------------------------------------------------

def test_this_wasnt_us_stops_the_order_and_alerts_staff(admin, notice, ctx):
    sub = demo_subscription()
    old_sim = SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active")
    confirm(admin, sub.id, "sim", {"how": "esim", "reason": "lost"})
    order = last_order(sub.id, "sim_change")
    response = admin.post(f"/orders/{order.id}/stop")
    assert response.status_code == 302
    stopped = Order.get_by_id(order.id)
    assert stopped.status == "failed" and stopped.failure_reason == "fraud_stopped"
    assert "fraud_stopped" in steps(stopped)
    event = AuditEvent.get(AuditEvent.action == "order.fraud_stopped")
    assert event.object_id == str(order.id) and json.loads(event.details)["kind"] == "sim_change"
    (alert,) = outbox("email", STAFF_EMAIL)
    assert "stopped order" in alert.body and alert.subject.startswith("Possible fraud")
    assert release_later(notice) == 0  # never carried out
    assert SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active").id == old_sim.id
    assert "stopped the order" in admin.get(f"/orders/{order.id}").get_data(as_text=True)
    again = admin.post(f"/orders/{order.id}/stop")
    assert again.status_code == 422 and "can no longer be stopped" in again.get_data(as_text=True)


def test_an_order_carried_out_can_no_longer_be_stopped(admin, ctx):
    sub = demo_subscription()  # tests have no notice period: carried out at once
    confirm(admin, sub.id, "sim", {"how": "esim", "reason": "esim"})
    order = last_order(sub.id, "sim_change")
    assert order.status == "completed"
    assert "stop the order" not in admin.get(f"/orders/{order.id}").get_data(as_text=True)
    response = admin.post(f"/orders/{order.id}/stop")
    assert response.status_code == 422 and Order.get_by_id(order.id).status == "completed"


def test_other_customer_non_admin_and_employee_cannot_stop(admin, other_admin, employee_client, app, notice, ctx):
    sub = demo_subscription()
    confirm(admin, sub.id, "sim", {"how": "esim", "reason": "lost"})
    order = last_order(sub.id, "sim_change")
    assert other_admin.post(f"/orders/{order.id}/stop").status_code == 404
    assert employee_client.post(f"/orders/{order.id}/stop").status_code in (302, 403)
    # a colleague with every right but not an admin
    membership = Membership.get(Membership.user == User.get(User.email == "admin@demo.dk").id,
                                Membership.company == sub.company_id)
    Membership.update(is_admin=False).where(Membership.id == membership.id).execute()
    response = admin.post(f"/orders/{order.id}/stop")
    assert response.status_code == 403
    assert Order.get_by_id(order.id).status == "received"
    assert not AuditEvent.select().where(AuditEvent.action == "order.fraud_stopped").exists()


# -- port-out within 7 days of a SIM change: staff review ------------------------------------------------

def port_out(admin, sub):
    stepped_up(admin)
    day = (utcnow().date() + datetime.timedelta(days=30)).isoformat()
    return confirm(admin, sub.id, "cancel", {"end_date": day, "reason": "moving_operator"})


def test_port_out_within_7_days_of_a_sim_change_is_held_until_staff_approve(admin, staff_client, app, ctx):
    sub = demo_subscription()
    confirm(admin, sub.id, "sim", {"how": "esim", "reason": "esim"})  # carried out at once (no notice in tests)
    assert port_out(admin, sub).status_code == 302
    order = last_order(sub.id, "cancel")
    assert order.status == "received" and "review_held" in steps(order)
    assert AuditEvent.select().where(AuditEvent.action == "order.held_for_review").exists()
    assert "our staff check the order" in admin.get(f"/orders/{order.id}").get_data(as_text=True)
    assert release_later(app, minutes=60) == 0 and Order.get_by_id(order.id).status == "received"
    # only staff decide
    assert admin.post(f"/staff/fraud/{order.id}", data={"decision": "approve"}).status_code in (302, 403)
    assert Order.get_by_id(order.id).status == "received"
    listing = staff_client.get("/staff/fraud").get_data(as_text=True)
    assert f"Order {order.id}" in listing and "Approve the port-out" in listing
    bad = staff_client.post(f"/staff/fraud/{order.id}", data={"decision": "maybe"})
    assert bad.status_code == 422 and "Choose approve or reject" in bad.get_data(as_text=True)
    assert staff_client.post(f"/staff/fraud/{order.id}", data={"decision": "approve"}).status_code == 302
    done = Order.get_by_id(order.id)
    assert done.status == "completed" and "review_approved" in steps(done)
    event = AuditEvent.get(AuditEvent.action == "order.review_approved")
    assert event.user_id == User.get(User.email == STAFF_EMAIL).id
    assert f"Order {order.id}" not in staff_client.get("/staff/fraud").get_data(as_text=True)
    again = staff_client.post(f"/staff/fraud/{order.id}", data={"decision": "reject"})
    assert again.status_code == 422


def test_staff_reject_a_held_port_out(admin, staff_client, ctx):
    sub = demo_subscription()
    confirm(admin, sub.id, "sim", {"how": "esim", "reason": "esim"})
    port_out(admin, sub)
    order = last_order(sub.id, "cancel")
    assert staff_client.post(f"/staff/fraud/{order.id}", data={"decision": "reject"}).status_code == 302
    rejected = Order.get_by_id(order.id)
    assert rejected.status == "failed" and rejected.failure_reason == "review_rejected"
    assert Subscription.get_by_id(sub.id).end_date is None
    assert AuditEvent.select().where(AuditEvent.action == "order.review_rejected").exists()
    assert staff_client.post("/staff/fraud/999999", data={"decision": "reject"}).status_code == 404


def test_port_out_without_a_recent_sim_change_is_not_held(admin, ctx):
    (sub,) = mobile_subscriptions(count=1)
    assert port_out(admin, sub).status_code == 302
    order = last_order(sub.id, "cancel")
    assert "review_held" not in steps(order) and order.status == "completed"


def test_the_port_lock_refuses_a_port_out(admin, ctx):
    sub = Subscription.get(Subscription.port_locked == True)  # noqa: E712
    before = Order.select().where(Order.subscription == sub.id).count()
    stepped_up(admin)
    day = (utcnow().date() + datetime.timedelta(days=30)).isoformat()
    response = admin.post(f"/subscriptions/{sub.id}/cancel", data={"end_date": day, "reason": "moving_operator",
                                                                    "confirm": "1"})
    assert response.status_code == 422 and "port lock" in response.get_data(as_text=True)
    assert Order.select().where(Order.subscription == sub.id).count() == before


# -- bursts ---------------------------------------------------------------------------------------------

def test_many_sim_changes_ask_for_a_new_code_and_alert_the_admins(admin, ctx):
    subs = mobile_subscriptions(count=4)
    for sub in subs[:2]:
        assert confirm(admin, sub.id, "sim", {"how": "esim", "reason": "esim"}).status_code == 302
    third = admin.post(f"/subscriptions/{subs[2].id}/sim", data={"how": "esim", "reason": "esim", "confirm": "1"})
    # sent for a new code, and back to the form afterwards (the POST is not replayed)
    assert third.status_code == 302 and "/verify" in third.headers["Location"]
    assert not Order.select().where(Order.subscription == subs[2].id, Order.kind == "sim_change").exists()
    alerts = [m for m in outbox("email", "admin@demo.dk") if m.subject == "Many SIM changes in your company"]
    assert len(alerts) == 1 and AuditEvent.select().where(AuditEvent.action == "fraud.sim_burst").exists()
    # a code given before the last SIM change does not count; a new one does
    stepped_up(admin)
    assert confirm(admin, subs[2].id, "sim", {"how": "esim", "reason": "esim"}).status_code == 302
    fourth = admin.post(f"/subscriptions/{subs[3].id}/sim", data={"how": "esim", "reason": "esim", "confirm": "1"})
    assert fourth.status_code == 302 and "/verify" in fourth.headers["Location"]  # each further one: another code
    assert len([m for m in outbox("email", "admin@demo.dk") if m.subject == "Many SIM changes in your company"]) == 1


def test_many_puk_reveals_ask_for_a_new_code_and_alert_the_admins(admin, ctx):
    sub = demo_subscription()
    for _ in range(fraud.PUK_REVEALS_PER_HOUR - 1):
        stepped_up(admin)
        assert admin.post(f"/subscriptions/{sub.id}/codes").status_code == 200
    # the code given just now is spent: the next reveal asks for a new one even within STEP_UP_MINUTES
    with admin.session_transaction() as session:
        assert "second_factor_at" not in session
    response = admin.post(f"/subscriptions/{sub.id}/codes")
    assert response.status_code == 302 and "/verify" in response.headers["Location"]
    assert not [m for m in outbox("email", "admin@demo.dk") if m.subject == "Many PUK look-ups in your company"]
    stepped_up(admin)
    assert admin.post(f"/subscriptions/{sub.id}/codes").status_code == 200
    alerts = [m for m in outbox("email", "admin@demo.dk") if m.subject == "Many PUK look-ups in your company"]
    assert len(alerts) == 1 and "5 times" in alerts[0].body
    assert AuditEvent.select().where(AuditEvent.action == "fraud.puk_burst").exists()


def test_staff_review_page_is_staff_only(admin, employee_client, staff_client, ctx):
    assert staff_client.get("/staff/fraud").status_code == 200
    assert admin.get("/staff/fraud").status_code in (302, 403)
    assert employee_client.get("/staff/fraud").status_code in (302, 403)
