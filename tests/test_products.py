"""Products: the phone system with its users (search, paging, a fixed number of queries), a user's
profiles (switch in one click, forwarding per profile) and vacation reply, and the personal numbers'
forwarding schedules — each change an order carried out by the provisioning job, audited and in
/orders; the page polls while it is on its way. Who may do what: a limited user sees only the
users of its accounts and cannot re-point company-wide numbers, the other customer gets 404, a
member without the right 403."""
import datetime
import json
import re
from html import unescape

import pytest

from models import (
    Account,
    AuditEvent,
    Membership,
    Order,
    PersonalNumber,
    PersonalNumberRule,
    PhoneSystem,
    PhoneUser,
    Subscription,
    User,
    UserProfile,
    VacationReply,
    utcnow,
)
from models.database import open_database
from tests.conftest import count_queries

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", **EN}


def _user(extension):
    return PhoneUser.get(PhoneUser.extension == extension)


def _get(client, url, headers=EN, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _post(client, url, data, status=None):
    response = client.post(url, data=data, headers=EN)
    if status is not None:
        assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:2000])
    return response


def _extensions(html):
    return re.findall(r'<td data-label="Extension">(\d+)</td>', html)


def _orders(kind):
    return list(Order.select().where(Order.kind == kind).order_by(Order.id))


def _on_account(number):
    """The demo users whose subscription is on the account `number`."""
    return [u.extension for u in PhoneUser.select().join(Subscription).join(Account)
            .where(Account.number == number).order_by(PhoneUser.extension)]


def _without_products(email="begraenset@demo.dk"):
    membership = Membership.get(Membership.user == User.get(User.email == email).id)
    Membership.update(functions=" ".join(f for f in membership.functions.split() if f != "products")).where(
        Membership.id == membership.id).execute()


# -- the overview ----------------------------------------------------------------------------

def test_products_shows_the_phone_system_its_users_and_personal_numbers(admin, ctx):
    html = _get(admin, "/products")
    assert "Demo A/S hovednummer" in html and "70 10 10 10" in html
    assert "<dd>16</dd>" in html  # users on the system
    assert _extensions(html) == [str(n) for n in range(201, 217)]
    assert "Mette Jensen" in html and "In a meeting" in html  # Peter Iversen's active profile
    assert 'href="/numbers/call-flow"' in html  # the call flow lives with the numbers now
    assert "70 20 30 40" in html and "Kundeservice" in html and "Mon–Thu 08:00–16:00" in html
    assert "Otherwise → 52 40 19 38" in html


@pytest.mark.parametrize("query, expected", [
    ("q=mette", ["201", "204"]),
    ("q=METTE+J", ["201"]),
    ("q=203", ["203"]),
    ("q=20+00+00+01", ["201"]),
    ("q=%2B4520000001", ["201"]),
    ("q=åse", ["205", "207"]),
    ("q=nobody", []),
])
def test_search_by_name_extension_or_number(admin, ctx, query, expected):
    assert _extensions(_get(admin, f"/products?{query}")) == expected


def test_search_answers_htmx_with_the_list_only(admin, ctx):
    response = admin.get("/products?q=mette", headers={**HX, "HX-Target": "users"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "HX-Request" in response.headers["Vary"]
    assert _extensions(html) == ["201", "204"] and "2 users" in html


def test_users_are_paged_in_a_fixed_number_of_queries(admin, ctx):
    _get(admin, "/products")  # the session's first request writes it once
    few = count_queries(admin, "/products")
    system = PhoneSystem.get()
    taken = {u.subscription_id for u in PhoneUser.select()}
    subscriptions = [s for s in Subscription.select().where(Subscription.company == system.company_id)
                     .order_by(Subscription.id) if s.id not in taken][:120]
    PhoneUser.insert_many([{"phone_system": system.id, "subscription": s.id, "extension": str(300 + i),
                            "name": s.holder_name, "search_key": PhoneUser.make_search_key(s.holder_name, str(300 + i)),
                            "created_at": utcnow()} for i, s in enumerate(subscriptions)]).execute()
    assert count_queries(admin, "/products") == few
    html = _get(admin, "/products")
    assert len(_extensions(html)) == 50 and "136 users" in html and "Page 1 of 3" in html
    assert len(_extensions(_get(admin, "/products?page=3"))) == 36
    assert count_queries(admin, "/products?page=3", headers={**HX, "HX-Target": "users"}) <= few


def test_limited_user_sees_only_the_users_of_its_accounts(limited, ctx):
    mine = _on_account("40120011")
    assert len(mine) == 8
    html = _get(limited, "/products")
    assert _extensions(html) == mine and "<dd>8</dd>" in html
    assert "Åse Bækgaard" not in html  # 40120029
    assert _extensions(_get(limited, "/products?q=205")) == []
    other = _user("205")
    for url in (f"/products/users/{other.id}", f"/products/users/{other.id}/vacation",
                f"/products/users/{other.id}/profiles/away"):
        _get(limited, url, status=404)
    for url, data in ((f"/products/users/{other.id}/profile", {"profile": "meeting"}),
                      (f"/products/users/{other.id}/vacation", {"active": "0", "confirm": "1"}),
                      (f"/products/users/{other.id}/profiles/away", {"forward_kind": "none", "confirm": "1"})):
        _post(limited, url, data, 404)
    assert not Order.select().where(Order.kind.in_(("profile_switch", "vacation_reply", "profile_change"))).exists()
    _get(limited, f"/products/users/{_user('201').id}")


def test_limited_user_sees_no_names_of_users_outside_its_accounts(limited, ctx):
    """Forwarding to a colleague on another account shows the extension, not who it is."""
    mette, outside = _user("201"), _user("205")
    UserProfile.update(forward_kind="colleague", forward_user=outside.id).where(
        UserProfile.phone_user == mette.id, UserProfile.kind == "away").execute()
    number = PersonalNumber.get(PersonalNumber.number == "+4570203050")
    PersonalNumber.update(default_kind="user", default_user=outside.id).where(PersonalNumber.id == number.id).execute()
    for url in (f"/products/users/{mette.id}", f"/products/personal-numbers/{number.id}", "/products"):
        html = _get(limited, url)
        assert outside.name not in html and "extension 205" in html, url


def test_other_customer_gets_404_for_every_demo_product(other_admin, ctx):
    html = _get(other_admin, "/products")
    assert "Demo A/S" not in html and "Mette" not in html and "70 20 30 40" not in html
    user, number = _user("201"), PersonalNumber.get(PersonalNumber.number == "+4570203040")
    for url in (f"/products/users/{user.id}", f"/products/users/{user.id}/vacation",
                f"/products/users/{user.id}/profiles/meeting", f"/products/personal-numbers/{number.id}",
                f"/products/personal-numbers/{number.id}/edit"):
        _get(other_admin, url, status=404)
    for url, data in ((f"/products/users/{user.id}/profile", {"profile": "meeting"}),
                      (f"/products/users/{user.id}/vacation", {"active": "0", "confirm": "1"}),
                      (f"/products/users/{user.id}/profiles/meeting", {"forward_kind": "none", "confirm": "1"}),
                      (f"/products/personal-numbers/{number.id}/edit", {**_schedule(), "confirm": "1"}),
                      (f"/products/personal-numbers/{number.id}/edit", {**_schedule(), "add": "1"})):
        _post(other_admin, url, data, 404)
    assert not Order.select().where(
        Order.kind.in_(("profile_switch", "vacation_reply", "profile_change", "personal_number"))).exists()


def test_without_the_products_right_everything_answers_403(limited, ctx):
    _without_products()
    user, number = _user("201"), PersonalNumber.get()
    for url in ("/products", f"/products/users/{user.id}", f"/products/users/{user.id}/vacation",
                f"/products/personal-numbers/{number.id}", f"/products/personal-numbers/{number.id}/edit"):
        _get(limited, url, status=403)
    _post(limited, f"/products/users/{user.id}/profile", {"profile": "meeting"}, 403)
    assert "/products" not in _get(limited, "/")  # not in the menu


# -- switching the active profile -----------------------------------------------------------------

def test_switch_profile_in_one_click(admin, ctx):
    user = _user("201")
    response = _post(admin, f"/products/users/{user.id}/profile", {"profile": "meeting"}, 302)
    (order,) = _orders("profile_switch")
    assert response.headers["Location"] == f"/products/users/{user.id}?watch={order.id}"
    assert order.status == "completed" and order.subscription_id == user.subscription_id
    assert _user("201").active_profile == "meeting"
    event = AuditEvent.get(AuditEvent.action == "order.profile_switch")
    assert json.loads(event.details)["to_profile"] == "meeting" and event.object_id == str(order.id)
    html = _get(admin, response.headers["Location"])
    assert "Done: Mette Jensen (extension 201) switches to the profile In a meeting." in html
    assert "Profile switch" in _get(admin, "/orders?which=done")


def test_switch_profile_refuses_bad_input(admin, ctx):
    user = _user("201")
    for profile, message in (("bogus", "Choose one of the profiles."),
                             ("available", "Available is already the active profile.")):
        response = _post(admin, f"/products/users/{user.id}/profile", {"profile": profile}, 422)
        assert message in response.get_data(as_text=True)
    assert not _orders("profile_switch")


# -- forwarding per profile ---------------------------------------------------------------------

def test_change_profile_forwarding_with_preview_and_confirm(admin, ctx):
    user, colleague = _user("201"), _user("203")
    url = f"/products/users/{user.id}/profiles/meeting"
    assert 'value="voicemail" checked' in _get(admin, url)
    data = {"forward_kind": "colleague", "colleague": "203", "number": ""}
    preview = _post(admin, url, data, 200).get_data(as_text=True)
    assert "What will happen" in preview and "Mette Jensen, profile In a meeting: Calls go to Kasper Johansen" in preview
    assert not _orders("profile_change")
    _post(admin, url, {**data, "confirm": "1"}, 302)
    (order,) = _orders("profile_change")
    assert order.status == "completed"
    profile = UserProfile.get(UserProfile.phone_user == user.id, UserProfile.kind == "meeting")
    assert (profile.forward_kind, profile.forward_user_id) == ("colleague", colleague.id)
    assert AuditEvent.select().where(AuditEvent.action == "order.profile_change").count() == 1
    _post(admin, url, {"forward_kind": "number", "number": "40 40 40 42", "confirm": "1"}, 302)
    profile = UserProfile.get_by_id(profile.id)
    assert (profile.forward_kind, profile.forward_to, profile.forward_user_id) == ("number", "+4540404042", None)
    assert "Calls go to 40 40 40 42." in _get(admin, f"/products/users/{user.id}")


@pytest.mark.parametrize("data, field, message", [
    ({"forward_kind": "colleague", "colleague": "299"}, "colleague", "There is no user with extension 299"),
    ({"forward_kind": "colleague", "colleague": ""}, "colleague", "Enter the colleague's extension."),
    ({"forward_kind": "colleague", "colleague": "201"}, "colleague", "Choose a colleague, not the user themself."),
    ({"forward_kind": "number", "number": "1234"}, "number", "Enter a Danish phone number with 8 digits."),
    ({"forward_kind": "number", "number": "20 00 00 01"}, "number", "the user's own number"),
    ({"forward_kind": "teleport"}, "forward_kind", "Choose what happens to calls."),
    ({"forward_kind": "voicemail"}, "forward_kind", "already forwards calls that way"),
])
def test_change_profile_refuses_bad_input(admin, ctx, data, field, message):
    user = _user("201")
    response = _post(admin, f"/products/users/{user.id}/profiles/meeting", {**data, "confirm": "1"}, 422)
    html = unescape(response.get_data(as_text=True))
    assert message in html and f'href="#f-{field}"' in html
    assert not _orders("profile_change")


def test_unknown_profile_is_404(admin, ctx):
    user = _user("201")
    _get(admin, f"/products/users/{user.id}/profiles/bogus", status=404)
    _post(admin, f"/products/users/{user.id}/profiles/bogus", {"forward_kind": "none", "confirm": "1"}, 404)


def test_limited_user_cannot_forward_to_a_colleague_outside_its_accounts(limited, ctx):
    user = _user("201")
    response = _post(limited, f"/products/users/{user.id}/profiles/meeting",
                     {"forward_kind": "colleague", "colleague": "205", "confirm": "1"}, 422)
    assert "There is no user with extension 205" in response.get_data(as_text=True)
    _post(limited, f"/products/users/{user.id}/profiles/meeting",
          {"forward_kind": "colleague", "colleague": "204", "confirm": "1"}, 302)
    (order,) = _orders("profile_change")
    assert order.account_id == user.subscription.account_id  # the limited user sees it in /orders
    assert f"/orders/{order.id}" in _get(limited, "/orders?which=done")


# -- vacation replies ---------------------------------------------------------------------------

def test_set_a_vacation_reply(admin, ctx):
    user = _user("202")
    assert not VacationReply.select().where(VacationReply.subscription == user.subscription_id).exists()
    today = utcnow().date()
    data = {"active": "1", "message": "Jeg er på ferie.\nRing til 70 20 30 40.",
            "starts_on": today.isoformat(), "ends_on": (today + datetime.timedelta(days=7)).isoformat()}
    preview = _post(admin, f"/products/users/{user.id}/vacation", data, 200).get_data(as_text=True)
    assert "Peter Iversen gets a vacation reply from" in preview and "What will happen" in preview
    assert not _orders("vacation_reply")
    _post(admin, f"/products/users/{user.id}/vacation", {**data, "confirm": "1"}, 302)
    (order,) = _orders("vacation_reply")
    assert order.status == "completed"
    reply = VacationReply.get(VacationReply.subscription == user.subscription_id)
    assert reply.active and reply.message == data["message"] and reply.ends_on == today + datetime.timedelta(days=7)
    assert AuditEvent.select().where(AuditEvent.action == "order.vacation_reply").exists()
    html = _get(admin, "/products?q=202")
    assert today.strftime("%-d %b %Y") in html  # the English date: "22 Nov 2026"


def test_switch_a_vacation_reply_off_keeps_the_message(admin, ctx):
    mette = _user("201")
    before = VacationReply.get(VacationReply.subscription == mette.subscription_id)
    assert 'value="0" checked' in _get(admin, f"/products/users/{mette.id}/vacation?off=1")
    _post(admin, f"/products/users/{mette.id}/vacation", {"active": "0", "confirm": "1"}, 302)
    after = VacationReply.get_by_id(before.id)
    assert not after.active and after.message == before.message
    response = _post(admin, f"/products/users/{mette.id}/vacation", {"active": "0", "confirm": "1"}, 422)
    assert "already off" in response.get_data(as_text=True)


def test_vacation_reply_shows_every_error_at_once(admin, ctx):
    user = _user("202")
    today = utcnow().date()
    response = _post(admin, f"/products/users/{user.id}/vacation", {
        "active": "1", "message": "  ", "starts_on": today.isoformat(),
        "ends_on": (today - datetime.timedelta(days=1)).isoformat(), "confirm": "1"}, 422)
    html = response.get_data(as_text=True)
    assert "Write the message callers hear or read." in html
    assert "The last day cannot be before the first day." in html
    for field in ("message", "ends_on"):
        assert f'href="#f-{field}"' in html and f'id="err-{field}"' in html
    too_long = _post(admin, f"/products/users/{user.id}/vacation", {
        "active": "1", "message": "x" * 501, "starts_on": "2020-01-01", "ends_on": "2020-01-05"}, 422)
    text = too_long.get_data(as_text=True)
    assert "Use at most 500 characters." in text and "The last day has passed" in text
    bad_date = _post(admin, f"/products/users/{user.id}/vacation", {
        "active": "1", "message": "Ferie", "starts_on": "31-12-2026", "ends_on": ""}, 422)
    text = bad_date.get_data(as_text=True)
    assert 'href="#f-starts_on"' in text and 'href="#f-ends_on"' in text and "Enter a date, for example" in text
    assert not _orders("vacation_reply") and not VacationReply.select().where(
        VacationReply.subscription == user.subscription_id).exists()


# -- the page follows the order --------------------------------------------------------------------

def test_the_page_polls_until_the_order_is_done(app, admin, ctx):
    """With the order still on its way the page says so and polls; the poll answers 204 while nothing
    changed; when the job has carried it out the poll brings the changed profiles."""
    from services import orders

    user = _user("201")
    app.config["JOBS_INLINE"] = False
    app.config["REDIS_URL"] = None
    order = Order.create(customer=user.phone_system.customer_id, company=user.phone_system.company_id,
                         account=user.subscription.account_id, subscription=user.subscription_id,
                         kind="profile_switch", requested_by=User.get(User.email == "admin@demo.dk").id,
                         details=json.dumps({"phone_user_id": user.id, "name": user.name, "extension": "201",
                                             "number": "+4520000001", "from_profile": "available",
                                             "to_profile": "away"}))
    html = _get(admin, f"/products/users/{user.id}?watch={order.id}")
    assert "On its way to the phone system" in html and 'hx-trigger="every 2s"' in html
    poll = re.search(r'hx-get="([^"]+)" hx-trigger="every 2s"', html).group(1).replace("&amp;", "&")
    assert admin.get(poll, headers={**HX, "HX-Target": "pending"}).status_code == 204
    response = _post(admin, f"/products/users/{user.id}/profile", {"profile": "meeting"}, 422)
    assert "A profile switch is already on its way." in response.get_data(as_text=True)
    with app.app_context():
        assert orders.carry_out(order.id) == "completed"
    done = admin.get(poll, headers={**HX, "HX-Target": "pending"})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "<html" not in text
    assert "Done: Mette Jensen (extension 201) switches to the profile Away." in text
    assert 'id="user-sections" hx-swap-oob="true"' in text and "Switch to Available" in text


def test_a_failed_order_changes_nothing_and_says_why(app, admin, ctx):
    from services import orders

    user = _user("201")
    app.config["NETWORK_FAILURE_RATE"] = 1.0
    response = _post(admin, f"/products/users/{user.id}/profile", {"profile": "lunch"}, 302)
    (order,) = _orders("profile_switch")
    assert order.status == "failed" and _user("201").active_profile == "available"
    html = _get(admin, response.headers["Location"])
    assert "Not carried out: Profile switch (the network did not answer; try again later)." in html
    assert orders.order_details(order)["to_profile"] == "lunch"


# -- personal numbers ---------------------------------------------------------------------------

def _schedule(default=None, rules=()):
    """The edit form's fields: a default target and rule rows."""
    data = {"default-kind": "number", "default-number": "52 40 19 38", "default-extension": ""}
    data.update(default or {})
    data["rule_count"] = str(len(rules))
    for i, rule in enumerate(rules, 1):
        for key, value in rule.items():
            data[f"rule-{i}-{key}"] = value
    return data


WEEKDAYS = {"days": ["0", "1", "2", "3", "4"], "starts": "08:00", "ends": "16:00", "kind": "user", "extension": "202"}


def test_personal_number_page_shows_the_schedule(admin, ctx):
    number = PersonalNumber.get(PersonalNumber.number == "+4570203040")
    html = _get(admin, f"/products/personal-numbers/{number.id}")
    assert "Mon–Thu" in html and "08:00–16:00" in html and "Peter Iversen (extension 202)" in html
    assert "Otherwise" in html and "52 40 19 38" in html and "Right now: to" in html
    edit = _get(admin, f"/products/personal-numbers/{number.id}/edit")
    assert 'name="rule_count" value="3"' in edit  # two rules and a blank row


def test_repoint_a_personal_number(admin, ctx):
    number = PersonalNumber.get(PersonalNumber.number == "+4570203040")
    url = f"/products/personal-numbers/{number.id}/edit"
    weekend = {"days": ["5", "6"], "starts": "10:00", "ends": "14:00", "kind": "voicemail"}
    blank = {"days": [], "starts": "", "ends": "", "kind": "number", "number": ""}
    data = _schedule({"default-kind": "number", "default-number": "40 40 40 42"}, [WEEKDAYS, weekend, blank])
    preview = _post(admin, url, data, 200).get_data(as_text=True)
    assert "70 20 30 40 (Kundeservice) forwards calls to 40 40 40 42 except by these rules:" in preview
    assert "Mon–Fri 08:00–16:00 to Peter Iversen (extension 202); Sat, Sun 10:00–14:00 to voicemail." in preview
    assert not _orders("personal_number")
    response = _post(admin, url, {**data, "confirm": "1"}, 302)
    (order,) = _orders("personal_number")
    assert response.headers["Location"] == f"/products/personal-numbers/{number.id}?watch={order.id}"
    assert order.status == "completed" and order.company_id == number.company_id and order.subscription_id is None
    number = PersonalNumber.get_by_id(number.id)
    assert (number.default_kind, number.forward_to) == ("number", "+4540404042")
    rules = list(PersonalNumberRule.select().where(PersonalNumberRule.personal_number == number.id)
                 .order_by(PersonalNumberRule.position))
    assert [(r.position, r.days, r.starts, r.ends, r.target_kind) for r in rules] == [
        (1, "01234", "08:00", "16:00", "user"), (2, "56", "10:00", "14:00", "voicemail")]
    assert rules[0].target_user_id == _user("202").id
    assert AuditEvent.select().where(AuditEvent.action == "order.personal_number").count() == 1
    assert "Personal number forwarding" in _get(admin, "/orders?which=done")
    assert "Done: 70 20 30 40 (Kundeservice) forwards calls to 40 40 40 42" in _get(admin, response.headers["Location"])
    again = _post(admin, url, {**data, "confirm": "1"}, 422)
    assert "The number already forwards like that." in again.get_data(as_text=True)


def test_repoint_to_voicemail_or_a_user_by_default(admin, ctx):
    number = PersonalNumber.get(PersonalNumber.number == "+4570203050")
    url = f"/products/personal-numbers/{number.id}/edit"
    _post(admin, url, {**_schedule({"default-kind": "user", "default-extension": "205"}), "confirm": "1"}, 302)
    number = PersonalNumber.get_by_id(number.id)
    assert (number.default_kind, number.default_user_id, number.forward_to) == ("user", _user("205").id, "")
    assert not number.rules.count()
    _post(admin, url, {**_schedule({"default-kind": "voicemail", "default-number": ""}), "confirm": "1"}, 302)
    assert PersonalNumber.get_by_id(number.id).default_kind == "voicemail"
    assert "Right now: to voicemail." in _get(admin, f"/products/personal-numbers/{number.id}")


@pytest.mark.parametrize("rules, default, expected", [
    ([WEEKDAYS, {**WEEKDAYS, "days": ["4"], "starts": "15:00", "ends": "18:00", "kind": "voicemail"}], {},
     {"rule-2-starts": "Rule 2 overlaps rule 1 on Friday."}),
    ([{**WEEKDAYS, "starts": "16:00", "ends": "08:00"}], {},
     {"rule-1-ends": "Rule 1: the end must be later than the start."}),
    ([{**WEEKDAYS, "days": []}], {}, {"rule-1-days": "Rule 1: choose at least one weekday."}),
    ([{**WEEKDAYS, "starts": "25:00"}], {}, {"rule-1-starts": "Rule 1: enter the start as hours and minutes"}),
    ([{**WEEKDAYS, "kind": "number", "number": "123"}], {},
     {"rule-1-number": "Rule 1: enter a Danish phone number with 8 digits."}),
    ([{**WEEKDAYS, "extension": "299"}], {}, {"rule-1-extension": "Rule 1: there is no user with extension 299."}),
    ([], {"default-number": "70 20 30 40"}, {"default-number": "Otherwise: the number cannot forward to itself."}),
    ([], {"default-kind": "fax"}, {"default-kind": "Otherwise: choose where calls go."}),
    # every error of the form at once, each named by its place
    ([{**WEEKDAYS, "ends": "07:00"}, {**WEEKDAYS, "days": [], "kind": "number", "number": "x"}],
     {"default-number": ""}, {"default-number": "Otherwise: enter a Danish", "rule-1-ends": "Rule 1: the end",
                              "rule-2-days": "Rule 2: choose at least", "rule-2-number": "Rule 2: enter a Danish"}),
])
def test_repoint_refuses_bad_schedules_with_the_place(admin, ctx, rules, default, expected):
    number = PersonalNumber.get(PersonalNumber.number == "+4570203040")
    before = [(r.days, r.starts, r.ends) for r in number.rules.order_by(PersonalNumberRule.position)]
    response = _post(admin, f"/products/personal-numbers/{number.id}/edit",
                     {**_schedule(default, rules), "confirm": "1"}, 422)
    html = response.get_data(as_text=True)
    for field, message in expected.items():
        assert message in html and f'href="#f-{field}"' in html, (field, message)
    assert not _orders("personal_number")
    assert [(r.days, r.starts, r.ends) for r in number.rules.order_by(PersonalNumberRule.position)] == before


def test_add_and_remove_rule_rows_without_saving(admin, ctx):
    number = PersonalNumber.get(PersonalNumber.number == "+4570203040")
    url = f"/products/personal-numbers/{number.id}/edit"
    html = _post(admin, url, {**_schedule({}, [WEEKDAYS]), "add": "1"}, 200).get_data(as_text=True)
    assert 'name="rule_count" value="2"' in html and 'value="202"' in html
    html = _post(admin, url, {**_schedule({}, [WEEKDAYS, {**WEEKDAYS, "remove": "1"}]), "add": "1"}, 200).get_data(
        as_text=True)
    assert 'name="rule_count" value="2"' in html
    # a row marked for removal is left out when the schedule is saved
    _post(admin, url, {**_schedule({}, [{**WEEKDAYS, "remove": "1"}, WEEKDAYS]), "confirm": "1"}, 302)
    assert PersonalNumber.get_by_id(number.id).rules.count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "order.personal_number").count() == 1


def test_limited_user_sees_personal_numbers_but_cannot_repoint_them(limited, ctx):
    number = PersonalNumber.get(PersonalNumber.number == "+4570203040")
    html = _get(limited, f"/products/personal-numbers/{number.id}")
    assert "Peter Iversen" in html and "/edit" not in html and "only a user with access to all accounts" in html
    _get(limited, f"/products/personal-numbers/{number.id}/edit", status=403)
    _post(limited, f"/products/personal-numbers/{number.id}/edit", {**_schedule({}, [WEEKDAYS]), "confirm": "1"}, 403)
    assert not _orders("personal_number")


def test_order_texts_read_in_danish(admin, ctx):
    user = _user("201")
    _post(admin, f"/products/users/{user.id}/profile", {"profile": "meeting"}, 302)
    (order,) = _orders("profile_switch")
    html = admin.get(f"/orders/{order.id}", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "Mette Jensen" in html and "201" in html


# -- the demo data and the migration of the old rows -------------------------------------------------

def test_demo_users_have_extensions_and_four_profiles_each(ctx):
    users = list(PhoneUser.select())
    assert len({u.extension for u in users}) == len(users) == 16
    assert {u.subscription.account.number for u in users} >= {"40120011", "40120029", "40120037"}
    for user in users:
        assert sorted(p.kind for p in user.profiles) == ["available", "away", "lunch", "meeting"]
        assert all(p.subscription_id == user.subscription_id for p in user.profiles)
    assert UserProfile.get(UserProfile.forward_kind == "colleague").forward_user.extension == "204"
    assert PersonalNumberRule.select().count() == 3


def test_migration_turns_old_profiles_into_users(tmp_path):
    """A database before 0012: one user_profile row per user becomes a phone user with four profiles."""
    from playhouse.migrations import Runner

    from models.database import MIGRATIONS_DIR

    database = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        runner = Runner(database, MIGRATIONS_DIR)
        earlier = [m.name for m in runner.migrations() if m.idx < 12]
        runner.up(target=earlier[-1])
        database.execute_sql("PRAGMA foreign_keys = OFF")  # rows of the tables this test does not fill
        database.execute_sql("INSERT INTO phone_system (id, created_at, customer_id, company_id, name, main_number) "
                             "VALUES (1, '2026-01-01', 1, 1, 'PBX', '+4570101010')")
        for row in ((1, 11, "Anna", "available", ""), (2, 12, "Bo", "busy", "+4540404042"),
                    (3, None, "Nobody", "away", ""), (4, 13, "Carl", "away", "")):
            database.execute_sql("INSERT INTO user_profile (id, created_at, phone_system_id, subscription_id, name, "
                                 "presence, forward_to) VALUES (?, '2026-01-01', 1, ?, ?, ?, ?)", row)
        runner.up()
        users = database.execute_sql("SELECT subscription_id, extension, name, active_profile FROM phone_user "
                                     "ORDER BY extension").fetchall()
        assert users == [(11, "201", "Anna", "available"), (12, "202", "Bo", "meeting"), (13, "203", "Carl", "away")]
        profiles = database.execute_sql(
            "SELECT u.name, p.kind, p.forward_kind, p.forward_to FROM user_profile p JOIN phone_user u "
            "ON u.id = p.phone_user_id WHERE p.forward_kind != 'none'").fetchall()
        assert profiles == [("Bo", "meeting", "number", "+4540404042")]
        assert database.execute_sql("SELECT COUNT(*) FROM user_profile").fetchone() == (12,)
    finally:
        database.close()
