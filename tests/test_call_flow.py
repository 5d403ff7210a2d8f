"""The call flow on the main number: the readable summary and history, the editor (every dead
end refused with its place, all errors at once, rows added and removed without saving), saving
and restoring as versions carried out by orders, rights, scoping and the cost of the page."""
import json
import re
from html.parser import HTMLParser

import pytest

from models import (
    AuditEvent,
    CallFlowVersion,
    Membership,
    Order,
    PhoneSystem,
    Subscription,
    User,
    utcnow,
)
from tests.conftest import count_queries, sign_in

# -- helpers -----------------------------------------------------------------------------

class _Form(HTMLParser):
    """The values a browser would send for the first form with a `base` field (the editor)."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea, self._done, self._inside = {}, None, None, False, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done:
            self._inside, self.values = True, {}
        if not self._inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit",):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._inside and "base" in self.values:
            self._inside, self._done = False, True

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_of(html):
    parser = _Form()
    parser.feed(html)
    return parser.values


def english(client):
    client.set_cookie("lang", "en")
    return client


def system_id():
    return PhoneSystem.get(PhoneSystem.name == "Demo A/S hovednummer").id


def versions():
    return list(CallFlowVersion.select().where(CallFlowVersion.phone_system == system_id())
                .order_by(CallFlowVersion.number))


def editor_form(client):
    response = client.get(f"/numbers/call-flow/{system_id()}/edit")
    assert response.status_code == 200
    return form_of(response.get_data(as_text=True))


def post_edit(client, data, **headers):
    return client.post(f"/numbers/call-flow/{system_id()}/edit", data=data, headers=headers)


def text_of(response):
    """The page's text, tags removed and spaces collapsed (for reading sentences)."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(body.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")
                    .replace("&amp;", "&").split())


def save(client, data):
    """Continue (the preview), then Save with the draft the preview carries."""
    preview = post_edit(client, {**data, "op": "preview"})
    assert preview.status_code == 200, text_of(preview)[:1500]
    carried = form_of(preview.get_data(as_text=True))
    assert "draft" in carried
    return post_edit(client, {**carried, "op": "save"})


# -- reading -----------------------------------------------------------------------------

def test_the_page_shows_the_flow_as_a_text_tree_and_its_versions(admin, ctx):
    english(admin)
    index = admin.get("/numbers/call-flow")
    assert index.status_code == 302 and index.headers["Location"].endswith(f"/numbers/call-flow/{system_id()}")
    page = text_of(admin.get(f"/numbers/call-flow/{system_id()}"))
    for sentence in ("Calls to 70 10 10 10", "Open Mon–Fri 08:00–17:00", "Welcome message “Velkommen til Demo A/S.”",
                     "Key 1 → queue Salg", "2 members: Mette Jensen", "Rings one member at a time, in turn",
                     "After 90 s in the queue → voicemail to salg@demo.dk", "Key 2 → queue Kundeservice",
                     "No key pressed → key 2 (Kundeservice)", "Juleaften", "Nytårsaftensdag", "open 09:00–12:00",
                     "Closed → voicemail to reception@demo.dk", "Version 2", "Anne Admin",
                     "Monday–Friday closes at 17:00 (was 16:00)", "First version"):
        assert sentence in page, sentence
    assert "Change the call flow" in page


def test_a_version_page_shows_that_version_and_what_restoring_it_does(admin, ctx):
    english(admin)
    page = text_of(admin.get(f"/numbers/call-flow/{system_id()}/versions/1"))
    assert "Open Mon–Fri 08:00–16:00" in page
    assert "Compared with the call flow now: Monday–Friday closes at 16:00 (was 17:00)." in page
    assert "Restore version 1" in page
    current = text_of(admin.get(f"/numbers/call-flow/{system_id()}/versions/2"))
    assert "Active" in current and "Restore version 2" not in current
    assert admin.get(f"/numbers/call-flow/{system_id()}/versions/9").status_code == 404


# -- the editor: happy path ----------------------------------------------------------------

def test_close_at_16_on_fridays_preview_then_save_makes_version_3(admin, ctx):
    english(admin)
    data = editor_form(admin)
    assert data["hours-fri-to"] == "17:00" and data["base"] == "2" and data["options-1-members"]
    data["hours-fri-to"] = "16:00"
    preview = post_edit(admin, {**data, "op": "preview"})
    text = text_of(preview)
    assert "What will happen" in text and "Friday closes at 16:00 (was 17:00)" in text
    assert "Open Mon–Thu 08:00–17:00, Fri 08:00–16:00" in text
    assert len(versions()) == 2  # nothing saved by the preview
    events = AuditEvent.select().count()

    response = save(admin, data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/numbers/call-flow/{system_id()}")
    new = versions()[-1]
    assert new.number == 3 and new.created_by.email == "admin@demo.dk"
    assert new.flow["hours"]["fri"] == {"open": True, "from": "08:00", "to": "16:00"}
    assert new.flow["hours"]["thu"]["to"] == "17:00"
    assert new.change_list == [["hours", {"days": ["fri", "fri"], "old": {"open": True, "from": "08:00", "to": "17:00"},
                                          "new": {"open": True, "from": "08:00", "to": "16:00"}}]]
    # the order carried it out (jobs run inline in tests) and made it the active flow
    order = Order.get_by_id(new.order_id)
    assert order.kind == "call_flow" and order.status == "completed" and order.subscription_id is None
    assert json.loads(order.details)["version"] == 3 and new.activated_at is not None
    assert AuditEvent.select().where(AuditEvent.action == "order.call_flow", AuditEvent.object_id == str(order.id)).exists()
    assert AuditEvent.select().count() > events
    # versions 1 and 2 are untouched
    first, second = versions()[:2]
    assert first.flow["hours"]["fri"]["to"] == "16:00" and second.flow["hours"]["fri"]["to"] == "17:00"

    page = text_of(admin.get(f"/numbers/call-flow/{system_id()}"))
    assert "Version 3, on the switch since" in page and "Open Mon–Thu 08:00–17:00, Fri 08:00–16:00" in page
    assert "Friday closes at 16:00 (was 17:00)" in page
    listed = text_of(admin.get("/orders?which=done&kind=call_flow"))
    assert f"#{order.id}" in listed
    detail = text_of(admin.get(f"/orders/{order.id}"))
    assert "The call flow on 70 10 10 10 becomes version 3. Friday closes at 16:00 (was 17:00)." in detail


def test_typed_numbers_become_people_and_a_new_key_reaches_a_user(admin, ctx):
    english(admin)
    data = editor_form(admin)
    data.update({"options-2-key": "3", "options-2-name": "Reception", "options-2-kind": "user",
                 "options-2-user": "20000001"})
    assert save(admin, data).status_code == 302
    new = versions()[-1]
    mette = Subscription.get(Subscription.number == "+4520000001")
    option = new.flow["menu"]["options"][2]
    assert option == {"key": "3", "name": "Reception", "kind": "user", "user": mette.id}
    assert new.change_list == [["option_added", {"key": "3"}]]
    page = text_of(admin.get(f"/numbers/call-flow/{system_id()}"))
    assert "Key 3 (Reception) → user Mette Jensen (20 00 00 01)" in page and "Key 3 added" in page
    # the editor shows the stored people as numbers again
    assert editor_form(admin)["options-2-user"] == "20 00 00 01"


def test_an_unchanged_flow_is_not_saved_again(admin, ctx):
    english(admin)
    response = post_edit(admin, {**editor_form(admin), "op": "preview"})
    assert response.status_code == 422
    assert "Nothing has changed" in text_of(response)


def test_keys_and_holidays_are_added_and_removed_without_saving(admin, ctx):
    english(admin)
    events = AuditEvent.select().count()
    data = editor_form(admin)
    added = post_edit(admin, {**data, "op": "add_option"})
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    more = form_of(html)
    assert more["options-2-key"] == "3" and more["options-2-kind"] == ""
    assert re.search(r'id="f-options-2-key"[^>]*autofocus', html)
    removed = form_of(post_edit(admin, {**more, "op": "remove_option:0"}).get_data(as_text=True))
    assert removed["options-0-key"] == "2" and removed["options-0-name"] == "Kundeservice"
    assert "options-2-key" not in removed
    with_holiday = form_of(post_edit(admin, {**data, "op": "add_holiday"}).get_data(as_text=True))
    assert with_holiday["holidays-2-date"] == "" and with_holiday["holidays-2-mode"] == "closed"
    without = form_of(post_edit(admin, {**with_holiday, "op": "remove_holiday:0"}).get_data(as_text=True))
    assert without["holidays-0-name"] == "Nytårsaftensdag" and "holidays-2-date" not in without
    assert len(versions()) == 2 and AuditEvent.select().count() == events


def test_htmx_gets_only_the_editor(admin, ctx):
    response = post_edit(admin, {**editor_form(admin), "op": "add_holiday"}, **{"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'name="holidays-2-date"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_back_from_the_preview_keeps_the_draft(admin, ctx):
    data = editor_form(admin)
    data["welcome"] = "Hej og velkommen."
    preview = form_of(post_edit(admin, {**data, "op": "preview"}).get_data(as_text=True))
    back = form_of(post_edit(admin, {**preview, "op": "edit"}).get_data(as_text=True))
    assert back["welcome"] == "Hej og velkommen." and back["options-1-name"] == "Kundeservice"


# -- the editor: every dead end refused with its place ---------------------------------------

def test_every_dead_end_is_refused_at_once_with_its_place(admin, ctx, other_subscription_number):
    english(admin)
    data = editor_form(admin)
    data.update({
        "hours-mon-from": "17:00", "hours-mon-to": "08:00",  # closes before it opens
        "hours-tue-from": "8 o'clock",
        "holidays-1-date": data["holidays-0-date"],  # the same day twice
        "options-0-members": "",  # a queue without members
        "options-1-then_kind": "",  # a queue whose wait leads nowhere
        "options-2-key": "3", "options-2-name": "Support", "options-2-kind": "",  # a key that leads nowhere
        "options-3-key": "4", "options-3-name": "Lager", "options-3-kind": "number", "options-3-number": "70101010",
        "options-4-key": "5", "options-4-name": "Bogholderi", "options-4-kind": "voicemail", "options-4-email": "nope",
        "options-5-key": "6", "options-5-name": "Direktion", "options-5-kind": "user",
        "options-5-user": other_subscription_number,  # another customer's subscription
        "options-6-key": "4", "options-6-name": "Igen", "options-6-kind": "number", "options-6-number": "12",
        "closed-kind": "",
    })
    events, count = AuditEvent.select().count(), len(versions())
    response = post_edit(admin, {**data, "op": "preview"})
    assert response.status_code == 422
    text = text_of(response)
    expected = {
        "hours-mon-to": "Monday: the closing time is before the opening time.",
        "hours-tue-from": "Tuesday: enter the opening time as hh:mm.",
        "holidays-1-date": "is on the list twice.",
        "options-0-members": "The queue Salg has no members.",
        "options-1-then_kind": "The queue Kundeservice, after the longest wait: choose where the call goes.",
        "options-2-kind": "Key 3 leads nowhere: choose where the call goes.",
        "options-3-number": "Key 4: that is the main number itself; the call would go round in a loop.",
        "options-4-email": "Key 5: enter the e-mail address the voicemail messages go to.",
        "options-5-user": "is not an active mobile or landline subscription of the company.",
        "options-6-key": "Key 4 is used twice.",
        "options-6-number": "enter a Danish phone number with 8 digits.",
        "closed-kind": "When closed: choose what happens.",
    }
    html = response.get_data(as_text=True)
    for field, message in expected.items():
        assert message in text, message
        assert f'href="#f-{field}"' in html, field  # the summary links to the field
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="f-{field}"', html) or \
            re.search(rf'id="f-{field}"[^>]*aria-describedby="[^"]*err-{field}', html), field
    assert len(versions()) == count and AuditEvent.select().count() == events


@pytest.fixture
def other_subscription_number(ctx):
    """A mobile number of the other customer (Anden Kunde ApS), as typed."""
    from models import Company

    anden = Company.get(Company.cvr == "31313139")
    return Subscription.get(Subscription.company == anden, Subscription.kind == "mobile").number[3:]


@pytest.mark.parametrize("change, field, message", [
    ({"options-0-kind": ""}, "options-0-kind", "Key 1 leads nowhere"),
    ({"closed-kind": "message", "closed-message": ""}, "closed-message", "When closed: write the message"),
    ({"closed-kind": "number", "closed-number": "abc"}, "closed-number", "When closed: enter a Danish phone number"),
    ({"options-1-members": "20 00 00 01, 99"}, "options-1-members", "99 is not a Danish phone number"),
    ({"options-1-max_wait": "5"}, "options-1-max_wait", "the longest wait is from 10 to 1800 seconds"),
    ({"options-1-then_kind": "number", "options-1-then_number": ""}, "options-1-then_number",
     "The queue Kundeservice, after the longest wait: enter a Danish phone number"),
    ({"default": "7"}, "default", "Choose where the call goes when the caller presses no key."),
    ({"prompt": ""}, "prompt", "Write the menu text the caller hears"),
    ({"welcome": "x" * 501}, "welcome", "at most 500 characters"),
    ({"holidays-0-date": "24-12"}, "holidays-0-date", "Juleaften: enter the date."),
    ({"holidays-1-from": "13:00", "holidays-1-to": "12:00"}, "holidays-1-to",
     "Nytårsaftensdag: the closing time is before the opening time."),
    ({"options-0-name": ""}, "options-0-name", "Key 1: give the choice a name"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_each_dead_end_or_bad_value_names_its_place(admin, ctx, change, field, message):
    english(admin)
    response = post_edit(admin, {**editor_form(admin), **change, "op": "preview"})
    assert response.status_code == 422
    assert message in text_of(response)
    assert f'href="#f-{field}"' in response.get_data(as_text=True)


def test_an_ended_member_is_refused(admin, ctx):
    english(admin)
    demo_a = PhoneSystem.get_by_id(system_id()).company_id
    ended = Subscription.get(Subscription.company == demo_a, Subscription.status == "cancelled",
                             Subscription.kind == "mobile")
    response = post_edit(admin, {**editor_form(admin), "options-0-members": ended.number, "op": "preview"})
    assert response.status_code == 422 and "is not an active mobile or landline subscription" in text_of(response)


def test_a_forged_draft_is_checked_like_the_form(admin, ctx):
    english(admin)
    for draft in ("not json", "[]", json.dumps({"options": "x", "hours": {"mon": "open"}, "closed": []})):
        response = post_edit(admin, {"base": "2", "draft": draft, "op": "save"})
        assert response.status_code == 422, draft
        assert "Add at least one key to the menu." in text_of(response)
    assert len(versions()) == 2


# -- versions on their way, failures, concurrency ---------------------------------------------

def test_the_page_polls_while_the_switch_saves_and_then_shows_the_new_flow(admin, ctx):
    english(admin)
    data = editor_form(admin)
    data["hours-fri-to"] = "16:00"
    assert save(admin, data).status_code == 302
    new = versions()[-1]
    # as if the switch had not answered yet
    Order.update(status="in_progress", applied_at=None, completed_at=None).where(Order.id == new.order_id).execute()
    CallFlowVersion.update(activated_at=None).where(CallFlowVersion.id == new.id).execute()
    page = admin.get(f"/numbers/call-flow/{system_id()}").get_data(as_text=True)
    assert "Saving version 3 on the switch…" in page and 'hx-trigger="every 2s"' in page
    assert "Version 2, on the switch since" in text_of(admin.get(f"/numbers/call-flow/{system_id()}"))
    # a second change waits for the first
    data["hours-thu-to"] = "16:00"
    refused = post_edit(admin, {**data, "op": "preview"})
    assert refused.status_code == 422 and "Version 3 is still being saved on the switch" in text_of(refused)
    refused_restore = admin.post(f"/numbers/call-flow/{system_id()}/versions/1/restore")
    assert refused_restore.status_code == 422

    poll = {"HX-Request": "true", "HX-Target": "call-flow-status"}
    still = admin.get(f"/numbers/call-flow/{system_id()}?saving=3", headers=poll).get_data(as_text=True)
    assert "<html" not in still and "Saving version 3" in still
    from services.orders import carry_out

    Order.update(status="received").where(Order.id == new.order_id).execute()
    with admin.application.app_context():
        assert carry_out(new.order_id) == "completed"
    done = admin.get(f"/numbers/call-flow/{system_id()}?saving=3", headers=poll).get_data(as_text=True)
    assert "Version 3 is saved on the switch" in done and "every 2s" not in done
    assert 'id="call-flow-summary"' in done and 'hx-swap-oob="true"' in done and "Fri 08:00–16:00" in done


def test_a_version_the_switch_refuses_leaves_the_flow_as_it_was(admin, ctx, app):
    english(admin)
    app.config["NETWORK_FAILURE_RATE"] = 1.0
    data = editor_form(admin)
    data["hours-fri-to"] = "16:00"
    assert save(admin, data).status_code == 302
    new = versions()[-1]
    assert Order.get_by_id(new.order_id).status == "failed" and new.activated_at is None
    page = text_of(admin.get(f"/numbers/call-flow/{system_id()}"))
    assert "Version 2, on the switch since" in page and "Not saved" in page
    done = admin.get(f"/numbers/call-flow/{system_id()}?saving=3",
                     headers={"HX-Request": "true", "HX-Target": "call-flow-status"}).get_data(as_text=True)
    assert "Version 3 could not be saved on the switch" in done
    # the editor starts from the active flow again, and the failed version can be tried again
    assert editor_form(admin)["hours-fri-to"] == "17:00"
    app.config["NETWORK_FAILURE_RATE"] = 0
    assert admin.post(f"/numbers/call-flow/{system_id()}/versions/3/restore").status_code == 302
    assert versions()[-1].number == 4 and versions()[-1].flow == new.flow and versions()[-1].activated_at


def test_a_stale_editor_is_refused(admin, ctx):
    english(admin)
    data = editor_form(admin)
    data["hours-fri-to"] = "16:00"
    for base in ("1", "99", "x"):
        response = post_edit(admin, {**data, "base": base, "op": "preview"})
        assert response.status_code == 422 and "Someone else changed the call flow" in text_of(response), base
    assert len(versions()) == 2


# -- restoring ---------------------------------------------------------------------------

def test_restoring_writes_a_new_version_equal_to_the_old_one(admin, ctx):
    english(admin)
    first, second = versions()
    events = AuditEvent.select().where(AuditEvent.action == "order.call_flow").count()
    response = admin.post(f"/numbers/call-flow/{system_id()}/versions/1/restore")
    assert response.status_code == 302
    one, two, three = versions()
    assert (one.document, two.document) == (first.document, second.document)  # history is never rewritten
    assert three.number == 3 and three.flow == first.flow and three.restored_from == 1 and three.activated_at
    assert three.change_list[0] == ["restored", {"number": 1}]
    assert AuditEvent.select().where(AuditEvent.action == "order.call_flow").count() == events + 1
    page = text_of(admin.get(f"/numbers/call-flow/{system_id()}"))
    assert "Restored from version 1; Monday–Friday closes at 16:00 (was 17:00)" in page
    assert "Version 3, on the switch since" in page and "Open Mon–Fri 08:00–16:00" in page


def test_restoring_the_active_version_is_refused(admin, ctx):
    english(admin)
    response = admin.post(f"/numbers/call-flow/{system_id()}/versions/2/restore")
    assert response.status_code == 422 and "Version 2 is the current call flow already." in text_of(response)
    assert len(versions()) == 2


def test_a_version_with_a_member_who_left_cannot_be_restored_as_it_was(admin, ctx):
    english(admin)
    member = versions()[0].flow["menu"]["options"][0]["members"][0]
    Subscription.update(status="cancelled").where(Subscription.id == member).execute()
    response = admin.post(f"/numbers/call-flow/{system_id()}/versions/1/restore")
    assert response.status_code == 422 and "Version 1 cannot be restored as it was" in text_of(response)
    assert len(versions()) == 2


# -- rights and scope --------------------------------------------------------------------

def test_a_limited_user_sees_the_flow_but_cannot_change_it(limited, ctx):
    english(limited)
    sid = system_id()
    page = limited.get(f"/numbers/call-flow/{sid}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Open Mon–Fri 08:00–17:00" in text and "Change the call flow" not in text and "Restore" not in text
    # only colleagues on the limited user's account are named; the others are counted
    assert "2 members: Mette Jensen Rings" in text and "Åse Bækgaard" not in text  # she is on account 40120029
    assert limited.get(f"/numbers/call-flow/{sid}/edit").status_code == 403
    assert limited.post(f"/numbers/call-flow/{sid}/edit", data={"op": "preview"}).status_code == 403
    assert limited.post(f"/numbers/call-flow/{sid}/edit", data={"op": "add_option"}).status_code == 403
    assert limited.post(f"/numbers/call-flow/{sid}/versions/1/restore").status_code == 403
    version = text_of(limited.get(f"/numbers/call-flow/{sid}/versions/1"))
    assert "Restore version 1" not in version
    assert len(versions()) == 2


def test_without_the_numbers_right_the_call_flow_is_403(app, ctx):
    client = app.test_client()
    user = sign_in(client, "begraenset@demo.dk")
    membership = Membership.get(Membership.user == user)
    Membership.update(functions=" ".join(f for f in membership.functions.split() if f != "numbers")).where(
        Membership.id == membership.id).execute()
    sid = system_id()
    for url in ("/numbers/call-flow", f"/numbers/call-flow/{sid}", f"/numbers/call-flow/{sid}/versions/1"):
        assert client.get(url).status_code == 403, url


def test_another_customer_gets_404_for_every_demo_call_flow_id(other_admin, ctx):
    sid = system_id()
    for url in (f"/numbers/call-flow/{sid}", f"/numbers/call-flow/{sid}/edit", f"/numbers/call-flow/{sid}/versions/1",
                f"/numbers/call-flow/{sid}/versions/2"):
        assert other_admin.get(url).status_code == 404, url
    for url, data in ((f"/numbers/call-flow/{sid}/edit", {"op": "preview"}),
                      (f"/numbers/call-flow/{sid}/edit", {"op": "add_option"}),
                      (f"/numbers/call-flow/{sid}/edit", {"op": "save", "draft": "{}", "base": "2"}),
                      (f"/numbers/call-flow/{sid}/versions/1/restore", {})):
        assert other_admin.post(url, data=data).status_code == 404, url
    index = other_admin.get("/numbers/call-flow")
    assert index.status_code == 200 and "Demo A/S hovednummer" not in index.get_data(as_text=True)
    assert len(versions()) == 2


def test_a_demo_number_cannot_be_put_in_another_customers_flow(app, ctx):
    """The other customer's phone system (made here) refuses Demo's subscriptions as members."""
    from models import Company

    anden = Company.get(Company.cvr == "31313139")
    system = PhoneSystem.create(customer=anden.customer_id, company=anden, name="Anden hovednummer",
                                main_number="+4570707070")
    client = english(app.test_client())
    sign_in(client, "admin@anden.dk")
    data = form_of(client.get(f"/numbers/call-flow/{system.id}/edit").get_data(as_text=True))
    data.update({"prompt": "Tryk 1", "options-0-name": "Alle", "options-0-kind": "queue",
                 "options-0-members": "20 00 00 01", "options-0-then_kind": "voicemail",
                 "options-0-then_email": "a@anden.dk", "default": "1", "closed-kind": "voicemail",
                 "closed-email": "a@anden.dk"})
    response = client.post(f"/numbers/call-flow/{system.id}/edit", data={**data, "op": "preview"})
    assert response.status_code == 422 and "20 00 00 01 is not an active mobile or landline" in text_of(response)


# -- cost ------------------------------------------------------------------------------

def test_the_page_costs_the_same_few_queries_with_many_versions(admin, ctx):
    sid = system_id()
    count_queries(admin, f"/numbers/call-flow/{sid}")  # the first request of a session also writes it
    few = count_queries(admin, f"/numbers/call-flow/{sid}")
    document = versions()[-1].document
    admin_user = User.get(User.email == "admin@demo.dk")
    CallFlowVersion.insert_many([
        {"phone_system": sid, "number": n, "document": document, "changes": '[["welcome", {}]]',
         "created_by": admin_user.id, "created_at": utcnow(), "activated_at": utcnow()} for n in range(3, 80)]).execute()
    many = count_queries(admin, f"/numbers/call-flow/{sid}")
    assert many == few <= 14
    assert count_queries(admin, f"/numbers/call-flow/{sid}?page=3") == few
    assert count_queries(admin, f"/numbers/call-flow/{sid}/edit") <= 12


# -- wording -----------------------------------------------------------------------------

def test_changes_read_as_sentences_grouping_days(app):
    from services.call_flow import change_text, diff, empty_document

    old = empty_document()
    new = json.loads(json.dumps(old))
    for day in ("mon", "tue", "wed"):
        new["hours"][day]["to"] = "17:00"
    new["hours"]["sat"] = {"open": True, "from": "10:00", "to": "14:00"}
    new["hours"]["fri"] = {"open": False}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert [change_text(*c) for c in diff(old, new)] == [
            "Monday–Wednesday closes at 17:00 (was 16:00)", "Friday closed (was open 08:00–16:00)",
            "Saturday open 10:00–14:00 (was closed)"]
        assert [change_text(*c) for c in diff(None, new)] == ["First version"]


def test_a_second_phone_system_starts_empty_and_gets_its_first_version(admin, ctx):
    from models import Company

    english(admin)
    service = Company.get(Company.cvr == "12345682")  # Demo Service ApS, the subsidiary
    system = PhoneSystem.create(customer=service.customer_id, company=service, name="Demo Service omstilling",
                                main_number="+4570121212")
    index = admin.get("/numbers/call-flow")
    assert index.status_code == 200
    listed = text_of(index)
    assert "Demo A/S hovednummer" in listed and "Demo Service omstilling" in listed and "70 12 12 12" in listed
    page = text_of(admin.get(f"/numbers/call-flow/{system.id}"))
    assert "No call flow has been saved for 70 12 12 12 yet." in page and "No versions yet." in page
    data = form_of(admin.get(f"/numbers/call-flow/{system.id}/edit").get_data(as_text=True))
    assert data["base"] == "0" and data["options-0-key"] == "1" and "hours-sat-open" not in data
    data.update({"prompt": "Vent venligst.", "options-0-name": "Alle", "options-0-kind": "number",
                 "options-0-number": "+45 33 12 34 56", "default": "1", "closed-kind": "message",
                 "closed-message": "Vi har lukket."})
    response = admin.post(f"/numbers/call-flow/{system.id}/edit", data={**data, "op": "preview"})
    carried = form_of(response.get_data(as_text=True))
    assert admin.post(f"/numbers/call-flow/{system.id}/edit", data={**carried, "op": "save"}).status_code == 302
    (first,) = CallFlowVersion.select().where(CallFlowVersion.phone_system == system.id)
    assert first.number == 1 and first.change_list == [["first", {}]] and first.activated_at
    assert first.flow["menu"]["options"] == [{"key": "1", "name": "Alle", "kind": "number", "number": "+4533123456"}]
    page = text_of(admin.get(f"/numbers/call-flow/{system.id}"))
    assert "Key 1 (Alle) → forwarded to 33 12 34 56" in page
    assert "Closed → the message “Vi har lukket.”, then the call ends" in page
    assert "Open Mon–Fri 08:00–16:00" in page and len(versions()) == 2  # the other system is untouched
