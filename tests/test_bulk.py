"""Bulk update: preview, confirm once, per-row result, and the scope around it."""
import datetime
import io
import json
from html import escape

from models import (
    Account,
    AuditEvent,
    BulkItem,
    BulkRequest,
    Company,
    JobRecord,
    Membership,
    Order,
    OutboxMessage,
    Subscription,
    User,
    utcnow,
)
from models.orders import OPEN_STATUSES


def _blockable(limit, **where):
    """Active mobile subscriptions with nothing blocked and no open order."""
    open_subs = Order.select(Order.subscription).where(Order.status.in_(OPEN_STATUSES),
                                                       Order.subscription.is_null(False))
    query = Subscription.select().where(Subscription.kind == "mobile", Subscription.status == "active",
                                        Subscription.blocked_parts == "", Subscription.id.not_in(open_subs))
    for field, value in where.items():
        query = query.where(getattr(Subscription, field) == value)
    return list(query.order_by(Subscription.id).limit(limit))


def _preview(client, ids, **action):
    data = {"selection": ",".join(str(i) for i in ids), **action}
    response = client.post("/subscriptions/bulk/preview", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    bulk_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return BulkRequest.get_by_id(bulk_id)


BLOCK_DATA = {"action": "block", "block_parts": ["data"], "block_reason": "cost_control"}


def test_bulk_block_of_20_previews_then_orders_them_in_one_batch(admin, ctx):
    subs = _blockable(20)
    ids = [s.id for s in subs]
    chosen = admin.post("/subscriptions/bulk", data={"ids": ids})
    assert chosen.status_code == 200
    assert f'value="{",".join(map(str, ids))}"' in chosen.get_data(as_text=True)

    orders_before = Order.select().count()
    bulk = _preview(admin, ids, **BLOCK_DATA)
    assert bulk.status == "preview" and bulk.total == 20
    assert BulkItem.select().where(BulkItem.bulk == bulk.id, BulkItem.outcome == "pending").count() == 20
    assert Order.select().count() == orders_before  # a preview orders nothing
    page = admin.get(f"/subscriptions/bulk/{bulk.id}").get_data(as_text=True)
    assert bulk.client_token in page

    confirmed = admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    assert confirmed.status_code == 303
    bulk = BulkRequest.get_by_id(bulk.id)
    assert bulk.status == "finished"
    items = list(BulkItem.select().where(BulkItem.bulk == bulk.id))
    assert {i.outcome for i in items} == {"ordered"}
    batch = json.loads(bulk.params)["batch"]
    batch_orders = list(Order.select().where(Order.batch == batch))
    assert len(batch_orders) == 20
    assert {o.status for o in batch_orders} == {"completed"}
    assert {o.kind for o in batch_orders} == {"block"}
    for sub in Subscription.select().where(Subscription.id.in_(ids)):
        assert "data" in sub.blocks
    result = admin.get(f"/subscriptions/bulk/{bulk.id}").get_data(as_text=True)
    assert f"/orders/{items[0].order_id}" in result
    assert f"batch={batch}" in result


def test_preview_shows_what_cannot_be_done_and_why(admin, ctx):
    cancelled = Subscription.select().where(Subscription.status == "cancelled").first()
    fine = _blockable(1)[0]
    bulk = _preview(admin, [fine.id, cancelled.id], **BLOCK_DATA)
    outcomes = {i.subscription_id: i for i in BulkItem.select().where(BulkItem.bulk == bulk.id)}
    assert outcomes[fine.id].outcome == "pending"
    assert outcomes[cancelled.id].outcome == "skipped" and outcomes[cancelled.id].reason
    page = admin.get(f"/subscriptions/bulk/{bulk.id}").get_data(as_text=True)
    assert escape(outcomes[cancelled.id].reason, quote=False) in page
    # confirming orders only the one that can be done
    admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    assert BulkItem.get_by_id(outcomes[cancelled.id].id).outcome == "skipped"
    assert BulkItem.get_by_id(outcomes[fine.id].id).outcome == "ordered"


def test_action_form_shows_every_error_at_once(admin, ctx):
    ids = [s.id for s in _blockable(2)]
    response = admin.post("/subscriptions/bulk/preview", data={"selection": ",".join(map(str, ids)),
                                                              "action": "cancel", "end_date": "not a date"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="end_date-error"' in body and 'id="cancel_reason-error"' in body
    assert BulkRequest.select().count() == 0
    for bad in ({"action": "nonsense"}, {"action": "change_plan", "plans_mobile": "NO-SUCH"},
                {"action": "change_account", "account": "99999999999999999999"}):
        response = admin.post("/subscriptions/bulk/preview", data={"selection": "1,x,-3", **bad})
        assert response.status_code == 422


def test_double_submit_runs_the_request_once(admin, ctx):
    ids = [s.id for s in _blockable(3)]
    bulk = _preview(admin, ids, **BLOCK_DATA)
    first = admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    second = admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    assert first.headers["Location"] == second.headers["Location"]
    assert BulkRequest.select().count() == 1
    assert JobRecord.select().where(JobRecord.name == "run_bulk").count() == 1
    assert Order.select().where(Order.batch == json.loads(bulk.params)["batch"]).count() == 3


def test_numbers_from_a_csv_file_with_an_unknown_number(admin, ctx):
    mette = Subscription.get(Subscription.number == "+4520000001")
    line = Subscription.select().where(Subscription.kind == "internet", Subscription.status == "active").first()
    assert not Subscription.select().where(Subscription.number == "+4512121299").exists()
    content = f"Nummer;Navn\n20 00 00 01;Mette\n{line.number};Net\n+45 12 12 12 99;Ukendt\n".encode("utf-8-sig")
    response = admin.post("/subscriptions/bulk", data={"numbers_file": (io.BytesIO(content), "numre.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "+45 12 12 12 99" in body  # listed as not found
    bulk = _preview(admin, [mette.id, line.id], **BLOCK_DATA,
                    not_found="+45 12 12 12 99")
    assert json.loads(bulk.params)["not_found"] == ["+45 12 12 12 99"]
    assert {i.subscription_id for i in BulkItem.select().where(BulkItem.bulk == bulk.id)} == {mette.id, line.id}


def test_pasted_numbers_none_found(admin, ctx):
    response = admin.post("/subscriptions/bulk", data={"numbers": "12 12 12 98\nxyz"})
    assert response.status_code == 422
    assert "12 12 12 98" in response.get_data(as_text=True)
    assert admin.post("/subscriptions/bulk", data={"numbers": ""}).status_code == 422


def test_all_matching_uses_the_overview_filters(admin, ctx):
    response = admin.post("/subscriptions/bulk", data={"all_matching": "1", "kind": "circuit", "status": "active"})
    assert response.status_code == 200
    expected = Subscription.select().join(Company).where(
        Company.cvr.in_(("12345674", "12345682")), Subscription.kind == "circuit",
        Subscription.status == "active").count()
    assert expected > 0
    body = response.get_data(as_text=True)
    selection = body.split('name="selection" value="')[1].split('"')[0].split(",")
    assert len(selection) == expected


def test_all_matching_filters_by_account_number_as_the_overview_does(admin, ctx):
    account = Account.get(Account.number == "40120011")
    response = admin.post("/subscriptions/bulk", data={"all_matching": "1", "account": account.number})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    selection = body.split('name="selection" value="')[1].split('"')[0].split(",")
    assert len(selection) == Subscription.select().where(Subscription.account == account.id).count()


def test_limited_user_cannot_touch_other_accounts(limited, ctx):
    mine = _blockable(1, account=Account.get(Account.number == "40120011").id)[0]
    other = Subscription.select().join(Account).where(Account.number != "40120011",
                                                      Subscription.status == "active").first()
    chosen = limited.post("/subscriptions/bulk", data={"ids": [mine.id, other.id]}).get_data(as_text=True)
    assert f'name="selection" value="{mine.id}"' in chosen
    assert other.holder_name not in chosen
    # a forged selection straight into the preview
    bulk = _preview(limited, [mine.id, other.id], **BLOCK_DATA)
    assert [i.subscription_id for i in BulkItem.select().where(BulkItem.bulk == bulk.id)] == [mine.id]
    assert json.loads(bulk.params)["not_found"] == [str(other.id)]
    # numbers and filters stay inside the account too
    by_number = limited.post("/subscriptions/bulk", data={"numbers": other.number})
    assert by_number.status_code == 422
    by_filter = limited.post("/subscriptions/bulk", data={"all_matching": "1", "account": other.account.number})
    assert by_filter.status_code == 422
    moved = limited.post("/subscriptions/bulk/preview", data={"selection": str(mine.id),
                                                              "action": "change_account",
                                                              "account": str(other.account_id)})
    assert moved.status_code == 422


def test_other_customer_gets_404_and_cannot_select_demo(admin, other_admin, ctx):
    ids = [s.id for s in _blockable(2)]
    bulk = _preview(admin, ids, **BLOCK_DATA)
    assert other_admin.get(f"/subscriptions/bulk/{bulk.id}").status_code == 404
    assert other_admin.get(f"/subscriptions/bulk/{bulk.id}/result.csv").status_code == 404
    assert other_admin.post(f"/subscriptions/bulk/{bulk.id}/discard").status_code == 404
    assert other_admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token}).status_code == 404
    assert BulkRequest.get_by_id(bulk.id).status == "preview"
    chosen = other_admin.post("/subscriptions/bulk", data={"ids": ids})
    assert chosen.status_code == 422
    forged = other_admin.post("/subscriptions/bulk/preview", data={"selection": ",".join(map(str, ids)),
                                                                   **BLOCK_DATA})
    assert forged.status_code == 422
    assert BulkRequest.select().count() == 1


def test_colleague_of_same_company_gets_404(admin, limited, ctx):
    bulk = _preview(admin, [s.id for s in _blockable(1)], **BLOCK_DATA)
    assert limited.get(f"/subscriptions/bulk/{bulk.id}").status_code == 404


def test_user_without_manage_gets_403(limited, ctx):
    user = User.get(User.email == "begraenset@demo.dk")
    membership = Membership.get(Membership.user == user)
    membership.functions = " ".join(f for f in membership.functions.split() if f != "manage")
    membership.save()
    assert limited.get("/subscriptions/bulk").status_code == 403
    assert limited.post("/subscriptions/bulk", data={"ids": ["1"]}).status_code == 403
    assert limited.post("/subscriptions/bulk/preview", data={"selection": "1", **BLOCK_DATA}).status_code == 403
    assert limited.post("/subscriptions/bulk/confirm", data={"token": "x"}).status_code == 403


def test_cancel_asks_for_a_fresh_second_factor(admin, ctx):
    ids = [s.id for s in _blockable(2)]
    bulk = _preview(admin, ids, action="cancel", end_date=utcnow().date().isoformat(),
                    cancel_reason="not_needed")
    assert BulkItem.select().where(BulkItem.bulk == bulk.id, BulkItem.outcome == "pending").count() == 2
    response = admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/verify")
    assert BulkRequest.get_by_id(bulk.id).status == "preview"
    with admin.session_transaction() as session:
        session["second_factor_at"] = utcnow().isoformat()
    admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    assert BulkRequest.get_by_id(bulk.id).status == "finished"
    batch = json.loads(bulk.params)["batch"]
    assert Order.select().where(Order.batch == batch, Order.kind == "cancel").count() == 2
    assert {s.status for s in Subscription.select().where(Subscription.id.in_(ids))} == {"cancelled"}


def test_the_rows_are_written_in_the_language_of_the_page_that_confirmed(admin, ctx):
    """The job writes each row's text; a login without a chosen language gets the page's."""
    from models import BulkItem, User

    assert User.get(User.email == "admin@demo.dk").locale is None
    admin.set_cookie("lang", "en")
    subs = _blockable(2)
    bulk = _preview(admin, [s.id for s in subs], **BLOCK_DATA)
    admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    reasons = [item.reason for item in BulkItem.select().where(BulkItem.bulk == bulk.id)]
    assert reasons and all(r.startswith("Blocks") for r in reasons), reasons


def test_result_csv_for_excel(admin, ctx):
    subs = _blockable(2)
    Subscription.update(holder_name="=HYPERLINK(1)").where(Subscription.id == subs[0].id).execute()
    bulk = _preview(admin, [s.id for s in subs], **BLOCK_DATA, not_found="-12345")
    admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    response = admin.get(f"/subscriptions/bulk/{bulk.id}/result.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="masseopdatering-{bulk.id}.csv"'
    english = admin.get(f"/subscriptions/bulk/{bulk.id}/result.csv", headers={"Accept-Language": "en"})
    assert english.headers["Content-Disposition"] == f'attachment; filename="bulk-update-{bulk.id}.csv"'
    raw = response.data
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 2 + 1 and all(";" in line for line in lines)
    assert "'=HYPERLINK(1)" in raw.decode("utf-8-sig")
    assert "'-12345" in lines[-1]
    assert lines[0].split(";")[-2:] == ["Ordre", "Ordrestatus"]
    items = list(BulkItem.select().where(BulkItem.bulk == bulk.id))
    assert {line.split(";")[-2] for line in lines[1:3]} == {str(i.order_id) for i in items}
    # the order's own status beside the bulk step's outcome; none for a number not found
    statuses = {"received": "Modtaget", "in_progress": "Under behandling", "completed": "Gennemført", "failed": "Mislykket"}
    assert {line.split(";")[-1] for line in lines[1:3]} == {statuses[i.order.status] for i in items}
    assert lines[-1].split(";")[-2:] == ["", ""]
    english_lines = english.data.decode("utf-8-sig").splitlines()
    assert english_lines[0].split(";")[-2:] == ["Order", "Order status"]


def test_discard_a_preview(admin, ctx):
    bulk = _preview(admin, [s.id for s in _blockable(1)], **BLOCK_DATA)
    assert admin.post(f"/subscriptions/bulk/{bulk.id}/discard").status_code == 303
    assert BulkRequest.get_by_id(bulk.id).status == "cancelled"
    admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    assert BulkRequest.get_by_id(bulk.id).status == "cancelled"


def test_progress_page_fragment_and_paging(admin, ctx):
    ids = [s.id for s in _blockable(60)]
    bulk = _preview(admin, ids, **BLOCK_DATA)
    first = admin.get(f"/subscriptions/bulk/{bulk.id}")
    assert first.get_data(as_text=True).count("<tr>") == 1 + 50
    second = admin.get(f"/subscriptions/bulk/{bulk.id}?page=2", headers={"HX-Request": "true", "HX-Target": "items"})
    body = second.get_data(as_text=True)
    assert "HX-Request" in second.headers["Vary"]
    assert "<html" not in body and body.count("<tr>") == 1 + 10
    assert admin.get(f"/subscriptions/bulk/{bulk.id}?page=zz").status_code == 200


def test_the_job_uses_the_membership_scope_of_today(limited, ctx):
    """A subscription moved out of the limited user's account after the preview is not ordered."""
    own = Account.get(Account.number == "40120011")
    subs = _blockable(2, account=own.id)
    bulk = _preview(limited, [s.id for s in subs], **BLOCK_DATA)
    elsewhere = Account.select().where(Account.company == own.company, Account.id != own.id).first()
    Subscription.update(account=elsewhere.id).where(Subscription.id == subs[1].id).execute()
    limited.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    items = {i.subscription_id: i for i in BulkItem.select().where(BulkItem.bulk == bulk.id)}
    assert items[subs[0].id].outcome == "ordered"
    assert items[subs[1].id].outcome == "failed" and items[subs[1].id].order_id is None
    assert "data" not in Subscription.get_by_id(subs[1].id).blocks


def test_result_page_polls_while_its_orders_are_with_the_network(admin, ctx):
    ids = [s.id for s in _blockable(2)]
    bulk = _preview(admin, ids, **BLOCK_DATA)
    admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    assert "every 2s" not in admin.get(f"/subscriptions/bulk/{bulk.id}").get_data(as_text=True)  # all completed
    order_id = BulkItem.select().where(BulkItem.bulk == bulk.id).first().order_id
    Order.update(status="in_progress").where(Order.id == order_id).execute()
    assert "every 2s" in admin.get(f"/subscriptions/bulk/{bulk.id}").get_data(as_text=True)


# -- the fraud guard's notices of a bulk cancellation ------------------------------------------------

def _cancel_in_bulk(client, subs, reason="not_needed"):
    bulk = _preview(client, [s.id for s in subs], action="cancel",
                    end_date=(utcnow().date() + datetime.timedelta(days=30)).isoformat(), cancel_reason=reason)
    with client.session_transaction() as session:
        session["second_factor_at"] = utcnow().isoformat()
    assert client.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token}).status_code == 303
    return BulkRequest.get_by_id(bulk.id)


def _admin_mails(company_id):
    from services.fraud import admins_of

    admins = admins_of(company_id)
    return admins, {a.email: list(OutboxMessage.select().where(OutboxMessage.channel == "email",
                                                                OutboxMessage.recipient == a.email)
                                  .order_by(OutboxMessage.id)) for a in admins}


def test_bulk_cancel_sends_one_notice_per_admin_listing_the_subscriptions(admin, ctx):
    from services import bulk as bulk_service
    from services import fraud
    from services.formatting import phone
    from services.scope import build_scope

    subs = _blockable(fraud.BULK_NOTICE_LINES + 5)
    company_id = subs[0].company_id
    User.update(locale="en").where(User.id.in_([a.id for a in fraud.admins_of(company_id)])).execute()
    admins, before = _admin_mails(company_id)
    assert len(admins) >= 1
    messages_before = OutboxMessage.select().count()
    bulk = _cancel_in_bulk(admin, subs)
    assert bulk.status == "finished"
    batch = json.loads(bulk.params)["batch"]
    assert Order.select().where(Order.batch == batch, Order.kind == "cancel").count() == len(subs)
    _admins, after = _admin_mails(company_id)
    for person in admins:
        new = after[person.email][len(before[person.email]):]
        # one e-mail for the whole request, none per subscription
        assert [m.subject for m in new] == [f"Cancellation of {len(subs)} subscriptions ordered"], [m.subject for m in new]
        body = new[0].body
        assert f"A cancellation of {len(subs)} subscriptions" in body
        listed = [s for s in subs if phone(s.number) in body]
        assert len(listed) == fraud.BULK_NOTICE_LINES and subs[0].holder_name in body
        assert "and 5 more" in body and f"/orders?batch={batch}" in body
    # each number is still told by SMS, one each
    for sub in subs:
        sms = OutboxMessage.select().where(OutboxMessage.channel == "sms", OutboxMessage.recipient == sub.number)
        assert sms.count() == 1
    assert OutboxMessage.select().count() - messages_before == len(subs) + len(admins)
    assert AuditEvent.select().where(AuditEvent.action == "subscription.bulk_announced",
                                     AuditEvent.object_id == str(bulk.id)).count() == 1
    # a later run of the same request (a retry, a resumed request) does not announce it again
    scope = build_scope(Membership.get_by_id(bulk.membership_id))
    assert bulk_service._announce(scope, bulk, json.loads(bulk.params)["values"], batch) is False
    assert OutboxMessage.select().count() - messages_before == len(subs) + len(admins)


def test_bulk_port_out_notice_and_a_small_request_without_more(admin, ctx):
    from services import fraud

    subs = _blockable(2, port_locked=False)
    User.update(locale="en").where(User.id.in_([a.id for a in fraud.admins_of(subs[0].company_id)])).execute()
    _admins, before = _admin_mails(subs[0].company_id)
    bulk = _cancel_in_bulk(admin, subs, reason="moving_operator")
    _admins, after = _admin_mails(subs[0].company_id)
    new = after["admin@demo.dk"][len(before["admin@demo.dk"]):]
    assert [m.subject for m in new] == ["Port-out of 2 numbers ordered"]
    assert "more" not in new[0].body.split("\n\n")[1] and bulk.status == "finished"


def test_bulk_block_sends_no_admin_notice(admin, ctx):
    before = OutboxMessage.select().where(OutboxMessage.channel == "email").count()
    bulk = _preview(admin, [s.id for s in _blockable(3)], **BLOCK_DATA)
    admin.post("/subscriptions/bulk/confirm", data={"token": bulk.client_token})
    assert OutboxMessage.select().where(OutboxMessage.channel == "email").count() == before


def test_the_bulk_notice_costs_the_same_queries_for_3_or_25_subscriptions(admin, app, ctx):
    import logging

    from services import bulk as bulk_service
    from services.scope import build_scope
    from tests.conftest import _QueryLog

    day = (utcnow().date() + datetime.timedelta(days=30)).isoformat()
    subs = _blockable(28)
    costs = []
    for chosen in (subs[:3], subs[3:]):
        bulk = _preview(admin, [s.id for s in chosen], action="cancel", end_date=day, cancel_reason="not_needed")
        values = json.loads(bulk.params)
        counter, log = _QueryLog(), logging.getLogger("peewee")
        level = log.level
        with app.test_request_context():
            scope = build_scope(Membership.get_by_id(bulk.membership_id))
            log.addHandler(counter)
            log.setLevel(logging.DEBUG)
            try:
                assert bulk_service._announce(scope, bulk, values["values"], values["batch"]) is True
            finally:
                log.removeHandler(counter)
                log.setLevel(level)
        costs.append(len(counter.sql))
    assert costs[0] == costs[1], costs
