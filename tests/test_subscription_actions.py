"""The employee page's actions: each one's preview, order, completion, bad input, missing
right and foreign ids; the order pipeline's at-most-once and failure behaviour."""
import datetime
import html
import json

import pytest

from integrations.network import network
from models import (
    AuditEvent,
    Membership,
    Order,
    OrderStep,
    OutboxMessage,
    SimCard,
    Subscription,
    SubscriptionAddOn,
    User,
    utcnow,
)
from tests.conftest import demo_subscription

ICCID_OK = "89451012345678901" + "28"  # 19 digits, Luhn-valid (checked below)


def stepped_up(client):
    with client.session_transaction() as session:
        session["second_factor_at"] = utcnow().isoformat()
    return client


def mette(ctx):
    return demo_subscription()


def outside_limited_account(ctx):
    """A Demo A/S subscription on another account than the limited user's 40120011."""
    from models import Account

    return (Subscription.select().join(Account)
            .where(Account.number != "40120011", Subscription.status == "active",
                   Subscription.kind == "mobile").first())


def orders_of(sub_id, kind):
    return list(Order.select().where(Order.subscription == sub_id, Order.kind == kind).order_by(Order.id))


def confirm(client, sub_id, action, data):
    preview = client.post(f"/subscriptions/{sub_id}/{action}", data=data)
    assert preview.status_code == 200, preview.data[:400]
    assert 'name="confirm"' in preview.get_data(as_text=True)
    return client.post(f"/subscriptions/{sub_id}/{action}", data={**data, "confirm": "1"})


def test_employee_page_shows_actions_and_usage(admin, ctx):
    sub = mette(ctx)
    page = admin.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    for text in ("Skift abonnement", "Skift simkort", "Vis PIN og PUK", "Spær", "Medarbejder stopper"):
        assert text in page, text
    assert "• ••" in page or "Intet forbrug" in page  # called numbers are masked


def test_change_plan_previews_then_orders_and_completes(admin, ctx):
    sub = mette(ctx)
    today = utcnow().date().isoformat()
    preview = admin.post(f"/subscriptions/{sub.id}/plan", data={"plan_code": "MOB-FRI-100", "from_date": today})
    assert "Mobil Fri 100 GB" in preview.get_data(as_text=True)
    assert orders_of(sub.id, "plan_change") == []  # a preview places nothing
    response = admin.post(f"/subscriptions/{sub.id}/plan", data={"plan_code": "MOB-FRI-100", "from_date": today,
                                                                  "confirm": "1"})
    assert response.status_code == 302
    (order,) = orders_of(sub.id, "plan_change")
    assert order.status == "completed" and order.applied_at is not None
    assert [s.step for s in OrderStep.select().where(OrderStep.order == order.id)] == \
        ["received", "in_progress", "completed"]
    assert Subscription.get_by_id(sub.id).plan.code == "MOB-FRI-100"
    assert AuditEvent.select().where(AuditEvent.action == "order.plan_change").exists()


@pytest.mark.parametrize("data,field_text", [
    ({"plan_code": "NOPE"}, "Vælg et abonnement"),
    ({"plan_code": "INT-FIBER-1000"}, "Vælg et abonnement"),  # another kind's plan
    ({"plan_code": "MOB-FRI-100", "from_date": "2020-01-01"}, "Datoen kan ikke"),
    ({"plan_code": "MOB-FRI-100", "from_date": "not a date"}, "Skriv en dato"),
])
def test_change_plan_refuses_bad_input(admin, ctx, data, field_text):
    sub = mette(ctx)
    response = admin.post(f"/subscriptions/{sub.id}/plan", data={**data, "confirm": "1"})
    assert response.status_code == 422
    assert field_text in response.get_data(as_text=True)
    assert orders_of(sub.id, "plan_change") == []


def test_sim_change_in_hand_checks_luhn_and_warns_before(admin, ctx):
    sub = mette(ctx)
    bad = admin.post(f"/subscriptions/{sub.id}/sim", data={"how": "in_hand", "iccid": "8945101234567890123",
                                                           "reason": "lost", "confirm": "1"})
    assert bad.status_code == 422 and "ICCID" in bad.get_data(as_text=True)
    from stdnum import luhn

    body = "894510123456789012"
    iccid = body + luhn.calc_check_digit(body)
    response = confirm(admin, sub.id, "sim", {"how": "in_hand", "iccid": iccid, "reason": "lost"})
    assert response.status_code == 302
    active = SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active")
    assert active.iccid == iccid
    assert OutboxMessage.select().where(OutboxMessage.channel == "sms", OutboxMessage.recipient == sub.number).exists()
    assert OutboxMessage.select().where(OutboxMessage.channel == "email",
                                        OutboxMessage.recipient == "admin@demo.dk").exists()


def test_only_one_open_sim_order(admin, ctx, app):
    sub = mette(ctx)
    app.config["JOBS_INLINE"] = False
    app.config["NETWORK_DELAY_SECONDS"] = 0
    Order.create(customer=sub.customer_id, company=sub.company_id, account=sub.account_id, subscription=sub.id,
                 kind="sim_change", status="received")
    response = admin.post(f"/subscriptions/{sub.id}/sim", data={"how": "esim", "reason": "esim"})
    assert response.status_code == 422
    assert "allerede" in response.get_data(as_text=True)


def test_esim_change_shows_qr_once_completed(admin, ctx):
    sub = mette(ctx)
    confirm(admin, sub.id, "sim", {"how": "esim", "reason": "esim"})
    sim = SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active")
    assert sim.form == "esim" and sim.activation_code.startswith("LPA:")
    assert "QR-kode" in admin.get(f"/subscriptions/{sub.id}").get_data(as_text=True)


def test_pin_puk_need_sim_right_and_fresh_second_factor(admin, limited, ctx):
    sub = mette(ctx)
    with admin.session_transaction() as session:
        session.pop("second_factor_at", None)
    response = admin.post(f"/subscriptions/{sub.id}/codes")
    assert response.status_code == 302 and "/verify" in response.headers["Location"]
    assert f"next=/subscriptions/{sub.id}?show%3Dcodes%23sim" in response.headers["Location"]
    assert 'hx-trigger="submit, load"' not in admin.get(f"/subscriptions/{sub.id}?show=codes").get_data(as_text=True)
    stepped_up(admin)
    resumed = admin.get(f"/subscriptions/{sub.id}?show=codes").get_data(as_text=True)
    assert 'hx-trigger="submit, load"' in resumed  # after /verify the form asks for the codes by itself
    assert 'hx-trigger="submit, load"' not in admin.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    sim = SimCard.get(SimCard.subscription == sub.id, SimCard.status == "active")
    shown = admin.post(f"/subscriptions/{sub.id}/codes")
    assert sim.puk in shown.get_data(as_text=True)
    assert "no-store" in shown.headers["Cache-Control"]
    event = AuditEvent.get(AuditEvent.action == "subscription.codes_revealed")
    assert sim.puk not in event.details and sim.pin not in event.details
    # the limited user has no `sim` right: neither the codes nor the button
    own = Subscription.select().join(__import__("models").Account).where(
        __import__("models").Account.number == "40120011", Subscription.kind == "mobile").first()
    assert stepped_up(limited).post(f"/subscriptions/{own.id}/codes").status_code == 403
    assert "Vis PIN og PUK" not in limited.get(f"/subscriptions/{own.id}").get_data(as_text=True)


def test_step_up_is_stale_after_five_minutes(admin, ctx):
    sub = mette(ctx)
    with admin.session_transaction() as session:
        session["second_factor_at"] = (utcnow() - datetime.timedelta(minutes=6)).isoformat()
    response = admin.get(f"/subscriptions/{sub.id}/cancel")
    assert response.status_code == 302 and "/verify" in response.headers["Location"]


def test_cancel_on_a_future_date_ends_the_subscription_on_that_date(admin, ctx):
    from services.orders import end_due

    sub = mette(ctx)
    day = utcnow().date() + datetime.timedelta(days=10)
    preview = stepped_up(admin).post(f"/subscriptions/{sub.id}/cancel", data={"end_date": day.isoformat(),
                                                                               "reason": "not_needed"})
    assert "træder i kraft på datoen ovenfor" in preview.get_data(as_text=True)  # not "within minutes"
    assert "inden for få minutter" not in preview.get_data(as_text=True)
    response = confirm(stepped_up(admin), sub.id, "cancel", {"end_date": day.isoformat(), "reason": "not_needed"})
    assert response.status_code == 302
    after = Subscription.get_by_id(sub.id)
    assert after.status == "active" and after.end_date == day
    page = admin.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "ophøret er bestilt" in page and "Opsig abonnement" not in page  # no second cancellation offered
    assert end_due(day) == 1
    assert Subscription.get_by_id(sub.id).status == "cancelled"
    assert SimCard.select().where(SimCard.subscription == sub.id, SimCard.status == "active").count() == 0


def test_transfer_waits_for_the_new_holder_and_accepts_by_link(admin, ctx, client):
    sub = mette(ctx)
    today = utcnow().date().isoformat()
    confirm(stepped_up(admin), sub.id, "transfer", {"name": "Mette Jensen", "email": "mette@privat.dk",
                                                     "end_date": today})
    (order,) = orders_of(sub.id, "transfer")
    assert order.status == "received" and order.acceptance_hash
    mail = OutboxMessage.get(OutboxMessage.recipient == "mette@privat.dk")
    token = mail.body.split("/transfer/")[1].split()[0]
    # the number and the date as the portal writes them, not +4520000001 and an ISO date
    from flask_babel import format_date
    with admin.application.test_request_context(headers={"Accept-Language": "da"}):
        assert "nummeret 20 00 00 01" in mail.body and format_date(utcnow().date(), "long") in mail.body
    assert client.get(f"/transfer/{token}").status_code == 200
    assert client.get("/transfer/wrong-token").status_code == 404
    assert client.post(f"/transfer/{token}", data={"answer": "accept"}).status_code == 200
    order = Order.get_by_id(order.id)
    assert order.status == "completed"
    assert Subscription.get_by_id(sub.id).status == "transferred"
    assert client.post(f"/transfer/{token}", data={"answer": "accept"}).status_code == 410  # used once


def test_declined_transfer_fails_and_changes_nothing(admin, ctx, client):
    sub = mette(ctx)
    confirm(stepped_up(admin), sub.id, "transfer", {"name": "Mette", "email": "mette@privat.dk",
                                                     "end_date": utcnow().date().isoformat()})
    token = OutboxMessage.get(OutboxMessage.recipient == "mette@privat.dk").body.split("/transfer/")[1].split()[0]
    client.post(f"/transfer/{token}", data={"answer": "decline"})
    (order,) = orders_of(sub.id, "transfer")
    assert order.status == "failed" and order.failure_reason == "declined"
    assert Subscription.get_by_id(sub.id).status == "active"


def test_block_parts_and_unblock(admin, ctx):
    sub = mette(ctx)
    confirm(admin, sub.id, "block", {"parts": ["abroad", "premium"], "reason": "cost_control"})
    assert Subscription.get_by_id(sub.id).blocks == ("abroad", "premium")
    confirm(admin, sub.id, "block", {"parts": ["all"], "reason": "lost"})
    assert Subscription.get_by_id(sub.id).status == "blocked"
    again = admin.post(f"/subscriptions/{sub.id}/block", data={"parts": ["all"], "reason": "lost"})
    assert again.status_code == 422
    confirm(admin, sub.id, "unblock", {"parts": ["all", "abroad", "premium"]})
    after = Subscription.get_by_id(sub.id)
    assert after.status == "active" and after.blocks == ()


def test_addons_buy_and_cancel(admin, ctx):
    sub = mette(ctx)
    have = {a.addon.code for a in SubscriptionAddOn.select().where(SubscriptionAddOn.subscription == sub.id)}
    code = next(c for c in ("ADD-VERDEN", "ADD-EU-DATA", "ADD-EKSTRA-DATA") if c not in have)
    from models import AddOn

    if not AddOn.select().where(AddOn.code == code).exists():
        code = AddOn.select().where(AddOn.kind == "mobile", AddOn.code.not_in(list(have))).first().code
    confirm(admin, sub.id, "addon", {"code": code})
    assert code in {a.addon.code for a in SubscriptionAddOn.select().where(SubscriptionAddOn.subscription == sub.id)}
    assert admin.post(f"/subscriptions/{sub.id}/addon", data={"code": code}).status_code == 422
    confirm(admin, sub.id, "addon-remove", {"code": code})
    assert code not in {a.addon.code for a in
                        SubscriptionAddOn.select().where(SubscriptionAddOn.subscription == sub.id)}


def test_change_account_only_to_an_account_in_scope(admin, other_admin, ctx):
    from models import Account

    sub = mette(ctx)
    foreign = Account.select().join(Membership, on=(Account.company == Membership.company)) \
        .join(User).where(User.email == "admin@anden.dk").first()
    response = admin.post(f"/subscriptions/{sub.id}/account", data={"account_id": foreign.id, "confirm": "1"})
    assert response.status_code == 422
    target = Account.select().where(Account.company == sub.company_id, Account.id != sub.account_id).first()
    confirm(admin, sub.id, "account", {"account_id": target.id})
    assert Subscription.get_by_id(sub.id).account_id == target.id


def test_invoice_note_is_saved_and_audited(admin, ctx):
    sub = mette(ctx)
    assert admin.post(f"/subscriptions/{sub.id}/note", data={"invoice_note": "Afd. 42"}).status_code == 302
    assert Subscription.get_by_id(sub.id).invoice_note == "Afd. 42"
    assert admin.post(f"/subscriptions/{sub.id}/note", data={"invoice_note": "x" * 61}).status_code == 422
    assert AuditEvent.select().where(AuditEvent.action == "subscription.invoice_note").count() == 1


def test_offboarding_cancels_and_disables_the_employee_login(admin, ctx):
    sub = mette(ctx)
    response = confirm(stepped_up(admin), sub.id, "offboard", {"choice": "cancel",
                                                                "end_date": utcnow().date().isoformat(),
                                                                "disable_login": "1"})
    assert response.status_code == 302
    (order,) = orders_of(sub.id, "cancel")
    assert order.batch and order.status == "completed"
    assert User.get(User.email == "mette.jensen@demo.dk").status == "disabled"
    assert Subscription.get_by_id(sub.id).status == "cancelled"
    listed = admin.get(f"/orders?which=done&batch={order.batch}").get_data(as_text=True)
    assert f"#{order.id}" in listed


def test_failed_order_changes_nothing_and_says_why(admin, ctx, app):
    sub = mette(ctx)
    app.config["NETWORK_FAILURE_RATE"] = 1.0
    confirm(admin, sub.id, "plan", {"plan_code": "MOB-FRI-100", "from_date": utcnow().date().isoformat()})
    (order,) = orders_of(sub.id, "plan_change")
    assert order.status == "failed" and order.failure_reason == "network_unavailable"
    assert Subscription.get_by_id(sub.id).plan.code != "MOB-FRI-100"
    page = admin.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Intet blev ændret" in page


def test_an_order_is_applied_at_most_once(admin, ctx):
    from services.orders import carry_out

    sub = mette(ctx)
    confirm(admin, sub.id, "addon", {"code": "ADD-VERDEN"}) if not SubscriptionAddOn.select().join(
        __import__("models").AddOn).where(SubscriptionAddOn.subscription == sub.id,
                                          __import__("models").AddOn.code == "ADD-VERDEN").exists() else None
    order = Order.select().where(Order.subscription == sub.id).order_by(Order.id.desc()).first()
    # a retried job: the order is reopened as if the first attempt died after the network answered
    Order.update(status="in_progress").where(Order.id == order.id).execute()
    assert carry_out(order.id) == "completed"
    assert OrderStep.select().where(OrderStep.order == order.id, OrderStep.step == "completed").count() == 1
    # the network answers a repeated key with its first answer, without acting again
    assert network().carry_out(order.idempotency_key, order.kind, json.loads(order.details)) is not None


def test_ended_subscription_refuses_changes(admin, ctx):
    sub = Subscription.select().where(Subscription.status == "cancelled",
                                      Subscription.company.in_([mette(ctx).company_id])).first()
    response = admin.post(f"/subscriptions/{sub.id}/plan", data={"plan_code": "MOB-FRI-100"})
    assert response.status_code == 422


def test_other_customer_gets_404_for_every_demo_action(other_admin, ctx):
    sub = mette(ctx)
    stepped_up(other_admin)
    assert other_admin.get(f"/subscriptions/{sub.id}").status_code == 404
    for action in ("plan", "sim", "account", "addon", "block", "unblock", "cancel", "transfer", "offboard"):
        assert other_admin.post(f"/subscriptions/{sub.id}/{action}", data={"confirm": "1"}).status_code == 404, action
    assert other_admin.post(f"/subscriptions/{sub.id}/codes").status_code == 404
    assert other_admin.post(f"/subscriptions/{sub.id}/note", data={"invoice_note": "x"}).status_code == 404
    order = Order.select().where(Order.subscription == sub.id).first() or Order.select().where(
        Order.company == sub.company_id).first()
    assert other_admin.get(f"/orders/{order.id}").status_code == 404


def test_limited_user_cannot_act_outside_the_account(limited, ctx):
    sub = outside_limited_account(ctx)
    assert limited.get(f"/subscriptions/{sub.id}").status_code == 404
    assert limited.post(f"/subscriptions/{sub.id}/block", data={"parts": ["all"], "reason": "lost",
                                                                "confirm": "1"}).status_code == 404
    assert Order.select().where(Order.subscription == sub.id, Order.kind == "block",
                                Order.status != "completed").count() == 0


def test_missing_manage_right_answers_403(limited, ctx):
    from models import Account

    membership = Membership.select().join(User).where(User.email == "begraenset@demo.dk").first()
    Membership.update(functions="subscriptions").where(Membership.id == membership.id).execute()
    own = Subscription.select().join(Account).where(Account.number == "40120011",
                                                    Subscription.status == "active").first()
    assert limited.post(f"/subscriptions/{own.id}/plan", data={"plan_code": "x"}).status_code == 403
    assert limited.post(f"/subscriptions/{own.id}/note", data={"invoice_note": "x"}).status_code == 403
    assert "Skift abonnement" not in limited.get(f"/subscriptions/{own.id}").get_data(as_text=True)


def test_orders_page_filters_and_details(admin, ctx):
    sub = mette(ctx)
    confirm(admin, sub.id, "block", {"parts": ["data"], "reason": "cost_control"})
    done = admin.get("/orders?which=done&kind=block").get_data(as_text=True)
    assert "Spærring" in done and sub.holder_name in done
    order = orders_of(sub.id, "block")[-1]
    detail = admin.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Sendt til netværket" in detail and "Gennemført" in detail
    assert admin.get("/orders?which=open&kind=nonsense&by=abc&page=-3").status_code == 200


def test_step_up_page_takes_the_second_factor_and_returns(admin, ctx):
    import pyotp

    from tests.conftest import DEMO_TOTP

    sub = mette(ctx)
    target = f"/subscriptions/{sub.id}/cancel"
    page = admin.get(f"/verify?next={target}")
    assert page.status_code == 200 and "Bekræft, at det er dig" in page.get_data(as_text=True)
    wrong = admin.post("/verify", data={"code": "000000", "method": "totp", "next": target})
    assert "Koden er ikke rigtig" in wrong.get_data(as_text=True)
    right = admin.post("/verify", data={"code": pyotp.TOTP(DEMO_TOTP).now(), "method": "totp", "next": target})
    assert right.status_code == 302 and right.headers["Location"] == target
    assert admin.get(target).status_code == 200  # fresh now: the form, not another redirect
    away = admin.post("/verify", data={"code": "000000", "method": "totp", "next": "https://evil.example/"})
    assert "evil" not in (away.headers.get("Location") or "")


def test_an_expired_step_up_keeps_what_was_typed(admin, ctx):
    from urllib.parse import parse_qs, urlsplit

    sub = mette(ctx)
    with admin.session_transaction() as session:
        session.pop("second_factor_at", None)
    response = admin.post(f"/subscriptions/{sub.id}/transfer", data={"name": "Mette Privat", "email": "m@privat.dk",
                                                                       "end_date": "2026-12-31"})
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["back"] == [f"/subscriptions/{sub.id}"]  # Cancel leads out, not into another step-up
    back_to = urlsplit(query["next"][0])
    assert back_to.path == f"/subscriptions/{sub.id}/transfer"
    stepped_up(admin)
    form = admin.get(query["next"][0]).get_data(as_text=True)
    assert 'value="Mette Privat"' in form and 'value="m@privat.dk"' in form


def test_change_account_is_offered_only_with_another_account(admin, limited, ctx):
    from models import Account

    own = Subscription.select().join(Account).where(Account.number == "40120011",
                                                    Subscription.status == "active").first()
    assert "Skift konto" in admin.get(f"/subscriptions/{own.id}").get_data(as_text=True)
    assert "Skift konto" not in limited.get(f"/subscriptions/{own.id}").get_data(as_text=True)


def test_the_months_calls_read_as_calls_and_started_minutes(admin, ctx):
    """"12 opkald · 22 minutter", not "12 · 21:01", which reads like a time of day."""
    from models import UsageRecord, utcnow
    from services.subscriptions import month_usage

    sub = mette(ctx)
    UsageRecord.create(subscription=sub.id, occurred_at=utcnow(), kind="call", duration_s=61)  # a started minute more
    calls = month_usage(sub.id)["totals"]["call"]
    page = admin.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert f"{calls['count']} opkald · {-(-calls['seconds'] // 60)} minutter" in page
    english = admin.get(f"/subscriptions/{sub.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"{calls['count']} call{'s' if calls['count'] > 1 else ''} · " in english


# -- the action forms as a tester found them ----------------------------------------------

EN = {"Accept-Language": "en"}


def form_defaults(html):
    """What a browser posts when the dialog's form is submitted as it is shown."""
    import lxml.html

    (form,) = lxml.html.fromstring(html).xpath("//section[contains(@class, 'dialog')]//form")
    return dict(form.form_values())


def test_lifting_a_block_without_a_choice_asks_what_to_open_again(admin, ctx):
    sub = mette(ctx)
    confirm(admin, sub.id, "block", {"parts": ["abroad"], "reason": "cost_control"})
    for headers, asked, wrong in ((EN, "Choose what to open again.", "Choose what to block."),
                                  ({}, "Vælg, hvad der skal åbnes igen.", "Vælg, hvad der skal spærres.")):
        response = admin.post(f"/subscriptions/{sub.id}/unblock", data={}, headers=headers)
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and asked in page and wrong not in page
    assert confirm(admin, sub.id, "unblock", {"parts": ["abroad"]}).status_code == 302
    assert Subscription.get_by_id(sub.id).blocks == ()


def test_the_block_form_offers_only_what_is_not_blocked(admin, ctx):
    sub = mette(ctx)
    form = admin.get(f"/subscriptions/{sub.id}/block", headers=EN).get_data(as_text=True)
    assert all(f'value="{p}"' in form for p in ("all", "abroad", "data", "premium"))
    confirm(admin, sub.id, "block", {"parts": ["abroad"], "reason": "cost_control"})
    form = admin.get(f"/subscriptions/{sub.id}/block", headers=EN).get_data(as_text=True)
    assert 'value="abroad"' not in form and 'value="data"' in form
    assert "Blocked now: calls abroad." in form
    assert f"/subscriptions/{sub.id}/block" in admin.get(f"/subscriptions/{sub.id}", headers=EN).get_data(as_text=True)
    confirm(admin, sub.id, "block", {"parts": ["all", "data", "premium"], "reason": "lost"})
    form = admin.get(f"/subscriptions/{sub.id}/block", headers=EN).get_data(as_text=True)
    assert "Everything is blocked already." in form
    assert 'name="parts"' not in form and "Continue" not in form  # no empty form to submit
    assert "Alt er allerede spærret." in admin.get(f"/subscriptions/{sub.id}/block").get_data(as_text=True)
    # the subscription's page offers no block when nothing is left to block, only lifting it
    page = admin.get(f"/subscriptions/{sub.id}", headers=EN).get_data(as_text=True)
    assert f"/subscriptions/{sub.id}/block" not in page and f"/subscriptions/{sub.id}/unblock" in page


def test_block_reports_every_problem_at_once(admin, ctx):
    sub = mette(ctx)
    response = admin.post(f"/subscriptions/{sub.id}/block", data={"reason": ""}, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose what to block." in page and "Choose a reason." in page and "There are 2 problems" in page
    assert orders_of(sub.id, "block") == []


def test_offboard_transfer_reports_every_problem_at_once(admin, ctx):
    sub = mette(ctx)
    response = stepped_up(admin).post(f"/subscriptions/{sub.id}/offboard", headers=EN, data={
        "choice": "transfer", "end_date": "", "name": "", "email": "not-an-email", "disable_login": "1"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "There are 3 problems" in page
    for text in ("Enter a date", "Enter the new holder's name.", "Enter a valid e-mail address."):
        assert text in page, text
    assert orders_of(sub.id, "transfer") == []


def test_change_plan_preselects_no_plan(admin, ctx):
    sub = mette(ctx)
    form = admin.get(f"/subscriptions/{sub.id}/plan", headers=EN).get_data(as_text=True)
    values = form_defaults(form)
    assert values["plan_code"] == "" and "Choose a plan" in form
    unchanged = admin.post(f"/subscriptions/{sub.id}/plan", data=values, headers=EN)
    assert unchanged.status_code == 422  # Continue straight away proposes nothing
    assert "Choose a plan for this kind of subscription." in unchanged.get_data(as_text=True)
    assert "What will happen" not in unchanged.get_data(as_text=True)
    assert confirm(admin, sub.id, "plan", {**values, "plan_code": "MOB-FRI-100"}).status_code == 302
    assert Subscription.get_by_id(sub.id).plan.code == "MOB-FRI-100"


@pytest.mark.parametrize("action,data", [
    ("cancel", {"end_date": "", "reason": "not_needed"}),
    ("offboard", {"choice": "cancel", "end_date": "", "disable_login": "1"}),
    ("plan", {"plan_code": "MOB-FRI-100", "from_date": ""}),
])
def test_an_emptied_date_is_an_error_shown_in_the_portal_format(admin, ctx, action, data):
    import re

    import lxml.html

    sub = mette(ctx)
    field = "from_date" if action == "plan" else "end_date"
    for headers, example in ((EN, r"for example \d{1,2} [A-Z][a-z]{2} \d{4}\."),
                             ({}, r"for eksempel \d{1,2}\. \w+\.? \d{4}\.")):
        response = stepped_up(admin).post(f"/subscriptions/{sub.id}/{action}", data=data, headers=headers)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert re.search(example, page), page
        assert re.search(r"\d{4}-\d{2}-\d{2}\.", page) is None  # no ISO example
        (date_field,) = lxml.html.fromstring(page).xpath(f"//input[@name='{field}']")
        assert date_field.get("value") == ""  # the field agrees with the error
    assert Order.select().where(Order.subscription == sub.id).count() == 0


def test_a_date_in_the_portal_format_is_accepted(admin, ctx):
    from babel.dates import format_date

    sub = mette(ctx)
    day = utcnow().date() + datetime.timedelta(days=10)
    typed = format_date(day, "d. MMM y", locale="da")  # as the error's example writes it
    response = stepped_up(admin).post(f"/subscriptions/{sub.id}/cancel", data={"end_date": typed,
                                                                                "reason": "not_needed"})
    assert response.status_code == 200 and 'name="confirm"' in response.get_data(as_text=True)
    form = admin.get(f"/subscriptions/{sub.id}/cancel").get_data(as_text=True)
    assert f'value="{utcnow().date().isoformat()}"' in form  # a new form proposes today


def test_sim_change_wording(admin, ctx):
    sub = mette(ctx)
    english = admin.get(f"/subscriptions/{sub.id}/sim", headers=EN).get_data(as_text=True)
    assert "How should we deliver the new SIM card?" in english and "How does" not in english
    assert ">Change to eSIM<" in english and "esim<" not in english
    danish = admin.get(f"/subscriptions/{sub.id}/sim").get_data(as_text=True)
    assert "Hvordan skal vi levere det nye simkort?" in danish and ">Skift til eSIM<" in danish
    response = admin.post(f"/subscriptions/{sub.id}/sim", data={"how": "", "reason": ""}, headers=EN)
    assert "Choose how we should deliver the new SIM card." in response.get_data(as_text=True)
    assert "There are 2 problems" in response.get_data(as_text=True)


def without_logins(ctx):
    """An active mobile subscription of Demo A/S whose employee has no login."""
    from services.subscription_changes import logins_of

    company = mette(ctx).company_id
    return next(s for s in Subscription.select().where(Subscription.company == company,
                                                       Subscription.status == "active",
                                                       Subscription.kind == "mobile")
                if not logins_of(s))


def test_offboard_transfer_confirmation_keeps_the_sim_and_mentions_the_logins(admin, ctx):
    sub = without_logins(ctx)
    data = {"choice": "transfer", "end_date": utcnow().date().isoformat(), "name": "Anna Privat",
            "email": "anna@privat.dk", "disable_login": "1"}
    page = stepped_up(admin).post(f"/subscriptions/{sub.id}/offboard", data=data, headers=EN).get_data(as_text=True)
    assert "Anna Privat" in page and "The SIM card is closed" not in page
    assert "The employee has no login to disable." in page
    kept = stepped_up(admin).post(f"/subscriptions/{sub.id}/offboard", headers=EN,
                                  data={**data, "disable_login": ""}).get_data(as_text=True)
    assert "The employee's logins are not disabled." in kept
    cancel = stepped_up(admin).post(f"/subscriptions/{sub.id}/offboard", headers=EN,
                                    data={**data, "choice": "cancel"}).get_data(as_text=True)
    assert "The SIM card is closed when the subscription ends." in cancel
    mette_page = stepped_up(admin).post(f"/subscriptions/{mette(ctx).id}/offboard", headers=EN,
                                        data=data).get_data(as_text=True)
    assert "The login of Mette Jensen is disabled now." in mette_page
