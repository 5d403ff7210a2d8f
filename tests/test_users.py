"""Self-service users: the create-user wizard over HTTP, rights taking effect, the list and
a user's page, and the refusals (bad input, forged ids, other customers, last admin)."""
import html
import json
import re

import pytest

from models import (
    Account,
    AuditEvent,
    Company,
    Membership,
    MembershipAccount,
    OutboxMessage,
    Subscription,
    User,
    WebSession,
)
from services.errors import ServiceError
from tests.conftest import reauthenticate, sign_in

LISE = {"name": "Lise Limited", "email": "lise.limited@demo.dk", "mobile": "20 11 22 33"}


@pytest.fixture
def admin(admin):
    """admin@demo.dk, reading English (the messages asserted are the source strings)."""
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin


def _demo_a():
    return Company.get(Company.cvr == "12345674")


def _demo_service():
    return Company.get(Company.cvr == "12345682")


def _account(number):
    return Account.get(Account.number == number)


def _step(client, step, data, nav="next", htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/users/new?step={step}", data={**data, "nav": nav}, headers=headers)


def _wizard(client, details=LISE, company_ids=None, access="limited", account_ids=None,
            functions=("invoices", "subscriptions"), is_admin=False, fresh=True):
    """Walk every step; returns the response of the final create (after a re-authentication
    unless `fresh` is False: creating a login grants rights)."""
    company_ids = company_ids or [_demo_a().id]
    account_ids = account_ids if account_ids is not None else [_account("40120011").id]
    r = _step(client, "details", details)
    assert r.status_code == 302 and r.headers["Location"].endswith("step=companies"), r.get_data(as_text=True)[-2000:]
    r = _step(client, "companies", {"company_ids": company_ids})
    assert r.headers["Location"].endswith("step=accounts")
    r = _step(client, "accounts", {"access": access, "account_ids": account_ids})
    assert r.status_code == 302 and r.headers["Location"].endswith("step=rights"), r.get_data(as_text=True)[-2000:]
    rights = {"functions": list(functions)}
    if is_admin:
        rights["is_admin"] = "1"
    r = _step(client, "rights", rights)
    assert r.headers["Location"].endswith("step=summary")
    if fresh:
        reauthenticate(client)
    return _step(client, "summary", {}, nav="create")


def _sidenav(html):
    return re.search(r'<nav id="sidenav".*?</nav>', html, re.DOTALL).group(0)


def _activate(email):
    User.update(status="active").where(User.email == email).execute()


# -- the wizard -------------------------------------------------------------------------

def test_wizard_creates_a_limited_user_who_sees_only_what_was_granted(app, admin, ctx):
    audit_before = AuditEvent.select().where(AuditEvent.action == "user.create").count()
    response = _wizard(admin)
    assert response.status_code == 302
    user = User.get(User.email == "lise.limited@demo.dk")
    assert response.headers["Location"] == f"/users/{user.id}"
    assert user.status == "pending" and user.mobile == "+4520112233" and user.username
    membership = Membership.get(Membership.user == user)
    assert membership.company_id == _demo_a().id
    assert not membership.is_admin and not membership.full_access
    assert membership.function_set == {"invoices", "subscriptions"}
    links = [link.account.number for link in MembershipAccount.select().where(MembershipAccount.membership == membership)]
    assert links == ["40120011"]
    mail = OutboxMessage.get(OutboxMessage.user == user.id)
    assert mail.channel == "email" and mail.recipient == "lise.limited@demo.dk"
    assert user.username in mail.body and re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", mail.body)
    assert AuditEvent.select().where(AuditEvent.action == "user.create").count() == audit_before + 1
    page = admin.get(f"/users/{user.id}").get_data(as_text=True)
    assert "lise.limited@demo.dk" in page and "notice-success" in page

    # The new user, once active: the menu shows only the granted functions.
    _activate("lise.limited@demo.dk")
    lise = app.test_client()
    sign_in(lise, "lise.limited@demo.dk")
    nav = _sidenav(lise.get("/").get_data(as_text=True))
    assert 'href="/subscriptions"' in nav and 'href="/invoices"' in nav
    for hidden in ("/accounts", "/users", "/orders", "/support/", "/numbers", "/products"):
        assert f'href="{hidden}"' not in nav, hidden
    assert lise.get("/accounts").status_code == 403
    assert lise.get("/users").status_code == 403

    # The search finds only the subscriptions of account 40120011; the admin sees more.
    mine = {s.id for s in Subscription.select().where(Subscription.account == _account("40120011"))}
    found = set(map(int, re.findall(r'/subscriptions/(\d+)"', lise.get("/search?q=@demo").get_data(as_text=True))))
    assert found and found <= mine
    admin_found = set(map(int, re.findall(r'/subscriptions/(\d+)"', admin.get("/search?q=@demo").get_data(as_text=True))))
    assert admin_found - mine, "the admin's search should reach other accounts (else this test proves nothing)"


def test_wizard_steps_are_fragments_with_the_step_in_the_url(admin, ctx):
    r = _step(admin, "details", LISE, htmx=True)
    assert r.status_code == 200 and r.headers["HX-Push-Url"] == "/users/new?step=companies"
    body = r.get_data(as_text=True)
    assert "<html" not in body and 'name="company_ids"' in body and "HX-Request" in r.headers["Vary"]
    # A reload of the pushed URL shows the same step, with the draft kept on the server.
    page = admin.get("/users/new?step=companies").get_data(as_text=True)
    assert "<html" in page and 'name="company_ids"' in page
    # Back keeps what was entered.
    r = _step(admin, "companies", {"company_ids": [_demo_service().id]}, nav="back", htmx=True)
    assert r.headers["HX-Push-Url"] == "/users/new?step=details"
    assert 'value="Lise Limited"' in r.get_data(as_text=True)
    page = admin.get("/users/new?step=companies").get_data(as_text=True)
    assert re.search(rf'value="{_demo_service().id}" checked', page)
    assert not re.search(rf'value="{_demo_a().id}" checked', page)


def test_later_steps_cannot_be_skipped_to(admin, ctx):
    reauthenticate(admin)
    r = admin.get("/users/new?step=summary")
    assert r.status_code == 302 and r.headers["Location"].endswith("step=details")
    r = _step(admin, "summary", {}, nav="create")
    assert r.status_code == 302 and r.headers["Location"].endswith("step=details")
    assert not User.select().where(User.email == LISE["email"]).exists()


def test_presets_fill_the_functions(admin, ctx):
    _step(admin, "details", LISE)
    _step(admin, "companies", {"company_ids": [_demo_a().id]})
    _step(admin, "accounts", {"access": "full"})
    body = _step(admin, "rights", {}, nav="preset:subscriptions", htmx=True).get_data(as_text=True)
    checked = set(re.findall(r'name="functions" value="(\w+)"[^>]*checked', body))
    assert checked == {"subscriptions", "order", "manage", "usage", "orders"}
    body = _step(admin, "rights", {}, nav="preset:invoices").get_data(as_text=True)
    assert set(re.findall(r'name="functions" value="(\w+)"[^>]*checked', body)) == {"invoices"}


def test_the_account_filter_lists_only_accounts_in_scope(admin, ctx):
    _step(admin, "details", LISE)
    _step(admin, "companies", {"company_ids": [_demo_a().id]})
    keep = _account("40120011").id
    r = admin.get(f"/users/new?step=accounts&q=4012002&account_ids={keep}",
                  headers={"HX-Request": "true", "HX-Target": "account-list"})
    body = r.get_data(as_text=True)
    assert "40120029" in body and "40120037" not in body
    assert re.search(rf'value="{keep}" checked', body), "a ticked account stays listed while filtering"
    assert "51230018" not in admin.get("/users/new?step=accounts&q=5123",
                                       headers={"HX-Request": "true", "HX-Target": "account-list"}).get_data(as_text=True)


@pytest.mark.parametrize("step,data,message", [
    ("details", {**LISE, "email": "not-an-address"}, "Enter a valid e-mail address."),
    ("details", {**LISE, "mobile": "12 34"}, "Enter a Danish mobile number with 8 digits."),
    ("details", {**LISE, "name": " "}, "Enter the user's name."),
    ("details", {**LISE, "email": "Begraenset@demo.dk"}, "already has a login"),
])
def test_bad_details_are_refused_with_a_message(admin, ctx, step, data, message):
    r = _step(admin, step, data)
    assert r.status_code == 422 and message in html.unescape(r.get_data(as_text=True))
    assert "step=companies" not in r.headers.get("Location", "")


def test_bad_details_are_translated(admin, ctx):
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "da"
    body = _step(admin, "details", {**LISE, "mobile": "12"}).get_data(as_text=True)
    assert 'lang="da"' in body
    assert "Enter a Danish mobile number" not in body, "the error is not translated"


def test_existing_login_in_scope_links_to_its_page(admin, ctx):
    body = _step(admin, "details", {**LISE, "email": "begraenset@demo.dk"}).get_data(as_text=True)
    limited = User.get(User.email == "begraenset@demo.dk")
    assert f"/users/{limited.id}" in body


def test_no_functions_is_refused(admin, ctx):
    _step(admin, "details", LISE)
    _step(admin, "companies", {"company_ids": [_demo_a().id]})
    _step(admin, "accounts", {"access": "full"})
    r = _step(admin, "rights", {})
    assert r.status_code == 422 and "Choose at least one function." in r.get_data(as_text=True)


def test_forged_account_outside_scope_creates_nothing(admin, ctx):
    anden = Account.get(Account.number == "51230018")
    _step(admin, "details", LISE)
    _step(admin, "companies", {"company_ids": [_demo_a().id]})
    r = _step(admin, "accounts", {"access": "limited", "account_ids": [anden.id]})
    assert r.status_code == 422 and "Choose among the accounts shown." in r.get_data(as_text=True)
    assert not User.select().where(User.email == LISE["email"]).exists()


def test_forged_company_of_another_customer_creates_nothing(admin, ctx):
    anden = Company.get(Company.cvr == "31313139")
    _step(admin, "details", LISE)
    r = _step(admin, "companies", {"company_ids": [anden.id]})
    assert r.status_code == 422 and "Choose among your own companies." in r.get_data(as_text=True)
    r = _step(admin, "companies", {"company_ids": ["x"]})
    assert r.status_code == 422 and "Choose at least one company." in r.get_data(as_text=True)
    assert not User.select().where(User.email == LISE["email"]).exists()


def test_the_service_checks_everything_again(app, ctx):
    """create_user is the last line: forged values that skipped the wizard are refused."""
    from services import users as svc
    from services.scope import build_scope

    admin_user = User.get(User.email == "admin@demo.dk")
    membership = Membership.get(Membership.user == admin_user, Membership.company == _demo_a())
    anden_company = Company.get(Company.cvr == "31313139")
    anden_account = Account.get(Account.number == "51230018")
    with app.test_request_context():
        scope = build_scope(membership)
        base = {"name": "Lise", "email": "lise@demo.dk", "mobile": "20112233", "company_ids": [_demo_a().id],
                "full_access": False, "account_ids": [_account("40120011").id], "functions": ["invoices"],
                "is_admin": False}
        for bad in ({"company_ids": [anden_company.id]}, {"account_ids": [anden_account.id]},
                    {"functions": ["users"]}, {"functions": ["nonsense"]}, {"functions": []},
                    {"email": "x"}, {"mobile": "1"}, {"account_ids": []}):
            with pytest.raises(ServiceError):
                svc.create_user(scope, **{**base, **bad})
        assert not User.select().where(User.email == "lise@demo.dk").exists()
        limited = build_scope(Membership.get(Membership.user == User.get(User.email == "begraenset@demo.dk")))
        from werkzeug.exceptions import Forbidden
        with pytest.raises(Forbidden):
            svc.create_user(limited, **base)


def test_admin_of_a_subsidiary_gets_the_subsidiary_only(app, admin, ctx):
    """admin@demo.dk working in Demo Service ApS: no company step, no Demo A/S users or accounts."""
    admin.post("/company", data={"company_id": _demo_service().id})
    listing = admin.get("/users").get_data(as_text=True)
    assert "begraenset@demo.dk" not in listing and "admin@demo.dk" in listing
    limited = User.get(User.email == "begraenset@demo.dk")
    assert admin.get(f"/users/{limited.id}").status_code == 404
    r = _step(admin, "details", LISE)
    assert r.headers["Location"].endswith("step=accounts"), "one company: the company step is skipped"
    page = admin.get("/users/new?step=accounts").get_data(as_text=True)
    assert "40345012" in page and "40120011" not in page
    r = _step(admin, "accounts", {"access": "limited", "account_ids": [_account("40120011").id]})
    assert "Choose among the accounts shown." in r.get_data(as_text=True)


# -- who may -----------------------------------------------------------------------------

def _user_routes(user_id):
    return [("get", "/users"), ("get", "/users/new"), ("post", "/users/new?step=details"),
            ("get", f"/users/{user_id}"), ("post", f"/users/{user_id}/rights"),
            ("post", f"/users/{user_id}/disable"), ("post", f"/users/{user_id}/enable"),
            ("post", f"/users/{user_id}/resend"), ("post", f"/users/{user_id}/sessions/end"),
            ("post", f"/users/{user_id}/delete"), ("get", f"/users/{user_id}/accounts")]


def test_colleague_without_the_users_right_gets_403(limited, ctx):
    admin_user = User.get(User.email == "admin@demo.dk")
    for method, url in _user_routes(admin_user.id):
        assert getattr(limited, method)(url).status_code == 403, (method, url)


def test_other_customers_admin_gets_404_for_demo_users(other_admin, ctx):
    limited = User.get(User.email == "begraenset@demo.dk")
    for method, url in _user_routes(limited.id)[3:]:
        assert getattr(other_admin, method)(url).status_code == 404, (method, url)
    listing = other_admin.get("/users").get_data(as_text=True)
    assert "begraenset@demo.dk" not in listing and "admin@demo.dk" not in listing
    assert User.get_by_id(limited.id).status == "active"


# -- a user's page -------------------------------------------------------------------------

def _membership(email, company=None):
    return Membership.get(Membership.user == User.get(User.email == email),
                          Membership.company == (company or _demo_a()))


def test_list_shows_rights_scope_status_and_searches(admin, ctx):
    body = admin.get("/users").get_data(as_text=True)
    assert "Bent Begrænset" in body and "badge-active" in body and "1 account" in body and "10 functions" in body
    body = admin.get("/users?q=bent", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Bent Begrænset" in body and "Anne Admin" not in body and "<html" not in body


def test_rights_change_takes_effect_on_the_next_request(app, admin, ctx):
    reauthenticate(admin)
    bent = User.get(User.email == "begraenset@demo.dk")
    client = app.test_client()
    sign_in(client, "begraenset@demo.dk")
    assert client.get("/invoices").status_code == 200
    m = _membership("begraenset@demo.dk")
    r = admin.post(f"/users/{bent.id}/rights", data={
        "membership_id": m.id, "functions": ["subscriptions", "sim"], "access": "limited",
        "account_ids": [_account("40120011").id, _account("40120029").id]})
    assert r.status_code == 302
    assert client.get("/invoices").status_code == 403
    assert client.get("/subscriptions").status_code == 200
    other = Subscription.select().where(Subscription.account == _account("40120029")).first()
    assert client.get(f"/subscriptions/{other.id}").status_code == 200
    assert AuditEvent.select().where(AuditEvent.action == "user.rights_change").exists()


def test_rights_bad_input_changes_nothing(admin, ctx):
    reauthenticate(admin)
    bent = User.get(User.email == "begraenset@demo.dk")
    m = _membership("begraenset@demo.dk")
    before = (m.functions, m.full_access)
    anden = Account.get(Account.number == "51230018")
    for data in ({"functions": []}, {"functions": ["users"]},
                 {"functions": ["invoices"], "access": "limited", "account_ids": [anden.id]},
                 {"functions": ["invoices"], "access": "limited"}):
        r = admin.post(f"/users/{bent.id}/rights", data={"membership_id": m.id, **data})
        assert r.status_code == 422 and "notice-error" in r.get_data(as_text=True), data
    m = Membership.get_by_id(m.id)
    assert (m.functions, m.full_access) == before
    assert MembershipAccount.select().where(MembershipAccount.membership == m).count() == 1
    # A membership of another company (not this user's) is not found.
    other = _membership("admin@demo.dk")
    assert admin.post(f"/users/{bent.id}/rights", data={"membership_id": other.id, "functions": ["invoices"]}).status_code == 404


def test_the_last_active_admin_cannot_be_removed(app, admin, ctx):
    reauthenticate(admin)
    me = User.get(User.email == "admin@demo.dk")
    m = _membership("admin@demo.dk")
    r = admin.post(f"/users/{me.id}/rights", data={"membership_id": m.id, "functions": ["invoices"]})
    assert r.status_code == 422 and "last active administrator" in r.get_data(as_text=True)
    assert Membership.get_by_id(m.id).is_admin
    # A second admin, still pending, does not count; once active, it does.
    _wizard(admin, details={"name": "Ny Admin", "email": "ny.admin@demo.dk", "mobile": "20998877"},
            company_ids=[_demo_a().id], access="full", account_ids=[], functions=(), is_admin=True)
    r = admin.post(f"/users/{me.id}/rights", data={"membership_id": m.id, "functions": ["invoices"]})
    assert r.status_code == 422
    _activate("ny.admin@demo.dk")
    new_admin = User.get(User.email == "ny.admin@demo.dk")
    # The other admin cannot disable, demote or delete the now-last admin of Demo Service ApS (me).
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(other, "ny.admin@demo.dk")
    r = other.post(f"/users/{me.id}/delete", follow_redirects=True)
    assert "last active administrator" in r.get_data(as_text=True) and "Demo Service ApS" in r.get_data(as_text=True)
    r = admin.post(f"/users/{me.id}/rights", data={"membership_id": m.id, "functions": ["invoices"]})
    assert r.status_code == 302 and not Membership.get_by_id(m.id).is_admin
    # Now the new admin is the last one of Demo A/S: I (no longer admin there) cannot demote it.
    assert new_admin.status == "active"


def test_disable_ends_sessions_and_blocks_login(app, admin, ctx):
    bent = User.get(User.email == "begraenset@demo.dk")
    client = app.test_client()
    sign_in(client, "begraenset@demo.dk")
    assert client.get("/subscriptions").status_code == 200
    assert WebSession.select().where(WebSession.user == bent.id).exists()
    r = admin.post(f"/users/{bent.id}/disable", follow_redirects=True)
    assert "was disabled" in r.get_data(as_text=True)
    assert User.get_by_id(bent.id).status == "disabled"
    assert not WebSession.select().where(WebSession.user == bent.id).exists()
    assert client.get("/subscriptions").status_code == 302  # back to the login page
    r = app.test_client().post("/login", data={"email": "begraenset@demo.dk", "password": "demo-password-1"})
    assert r.status_code != 302 or "/login/verify" not in r.headers.get("Location", "")
    assert AuditEvent.select().where(AuditEvent.action == "user.disable").exists()
    # Enabled again: the login works.
    admin.post(f"/users/{bent.id}/enable")
    assert User.get_by_id(bent.id).status == "active"
    r = app.test_client().post("/login", data={"email": "begraenset@demo.dk", "password": "demo-password-1"})
    assert r.status_code == 302 and "/login/verify" in r.headers["Location"]


def test_an_admin_cannot_disable_or_delete_themselves(admin, ctx):
    me = User.get(User.email == "admin@demo.dk")
    assert "cannot disable your own" in admin.post(f"/users/{me.id}/disable", follow_redirects=True).get_data(as_text=True)
    assert "cannot delete your own" in admin.post(f"/users/{me.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert User.get_by_id(me.id).status == "active"


def test_end_sessions(app, admin, ctx):
    bent = User.get(User.email == "begraenset@demo.dk")
    client = app.test_client()
    sign_in(client, "begraenset@demo.dk")
    client.get("/subscriptions")
    admin.post(f"/users/{bent.id}/sessions/end")
    assert client.get("/subscriptions").status_code == 302
    assert User.get_by_id(bent.id).status == "active"


def test_resend_activation_only_for_pending_users(admin, ctx):
    bent = User.get(User.email == "begraenset@demo.dk")
    r = admin.post(f"/users/{bent.id}/resend", follow_redirects=True)
    assert "have not activated" in r.get_data(as_text=True)
    _wizard(admin)
    lise = User.get(User.email == LISE["email"])
    before = OutboxMessage.select().where(OutboxMessage.user == lise.id).count()
    r = admin.post(f"/users/{lise.id}/resend", follow_redirects=True)
    assert "A new activation e-mail was sent" in r.get_data(as_text=True)
    assert OutboxMessage.select().where(OutboxMessage.user == lise.id).count() == before + 1


def test_delete_removes_the_login_when_no_memberships_remain(admin, ctx):
    _wizard(admin)
    lise = User.get(User.email == LISE["email"])
    r = admin.post(f"/users/{lise.id}/delete")
    assert r.status_code == 302 and r.headers["Location"] == "/users"
    assert not User.select().where(User.id == lise.id).exists()
    assert not Membership.select().where(Membership.user == lise.id).exists()
    assert AuditEvent.select().where(AuditEvent.action == "user.delete").exists()
    # The e-mail address is free again.
    assert _wizard(admin).status_code == 302


def test_delete_keeps_a_login_with_memberships_elsewhere(app, admin, ctx):
    """Admin of Demo Service only: deleting a user removes the Demo Service membership alone."""
    _wizard(admin, company_ids=[_demo_a().id, _demo_service().id], access="full", account_ids=[])
    lise = User.get(User.email == LISE["email"])
    assert Membership.select().where(Membership.user == lise.id).count() == 2
    admin.post("/company", data={"company_id": _demo_service().id})
    r = admin.post(f"/users/{lise.id}/delete")
    assert r.status_code == 302
    remaining = [m.company_id for m in Membership.select().where(Membership.user == lise.id)]
    assert remaining == [_demo_a().id] and User.get_by_id(lise.id).email == LISE["email"]


def test_delete_of_a_login_with_history_keeps_a_closed_row(admin, ctx):
    bent = User.get(User.email == "begraenset@demo.dk")
    from services import audit

    audit.record("auth.login", user=bent.id)
    admin.post(f"/users/{bent.id}/delete")
    row = User.get_by_id(bent.id)
    assert row.status == "disabled" and row.email != "begraenset@demo.dk" and row.password_hash is None
    assert not Membership.select().where(Membership.user == bent.id).exists()


def test_a_subsidiary_admin_cannot_change_a_login_that_reaches_the_parent(app, admin, ctx):
    """Status changes act on the whole login: refused when it reaches companies outside the scope."""
    _wizard(admin, company_ids=[_demo_a().id, _demo_service().id], access="full", account_ids=[])
    lise = User.get(User.email == LISE["email"])
    admin.post("/company", data={"company_id": _demo_service().id})
    r = admin.post(f"/users/{lise.id}/disable", follow_redirects=True)
    assert "companies you do not administer" in r.get_data(as_text=True)
    assert User.get_by_id(lise.id).status == "pending"


def test_accounts_follow_the_chosen_company(admin, ctx):
    """Only Demo Service ApS chosen: its accounts are offered, Demo A/S's are not and are refused."""
    _step(admin, "details", LISE)
    _step(admin, "companies", {"company_ids": [_demo_service().id]})
    page = admin.get("/users/new?step=accounts").get_data(as_text=True)
    assert "40345012" in page and "40120011" not in page
    r = _step(admin, "accounts", {"access": "limited", "account_ids": [_account("40120011").id]})
    assert r.status_code == 422 and "Choose among the accounts shown." in r.get_data(as_text=True)


def test_the_account_filter_on_a_users_page(admin, other_admin, ctx):
    bent = User.get(User.email == "begraenset@demo.dk")
    m = _membership("begraenset@demo.dk")
    url = f"/users/{bent.id}/accounts?membership_id={m.id}&q=40120029"
    body = admin.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "40120029" in body and "40120037" not in body and "<html" not in body
    assert admin.get(f"/users/{bent.id}/accounts?membership_id=999999").status_code == 404
    assert other_admin.get(url).status_code == 404


def test_user_count_counts_people_not_company_rows(admin):
    # Anne Admin has a row for each Demo company; with Bent that is two people, and the three rows are explained
    page = admin.get("/users").get_data(as_text=True)
    assert "2 users · 3 rows: one for each company a user has access to" in page
    danish = admin.get("/users", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "2 brugere · 3 rækker: én for hver virksomhed, en bruger har adgang til" in danish
    # one row per person: the count alone
    assert "rows:" not in admin.get("/users?q=bent").get_data(as_text=True)


def test_the_admin_chooses_the_new_logins_language(admin, ctx):
    """The activation e-mail goes in the language chosen for the login (Danish unless chosen), and the
    login keeps it for its pages until the user chooses another; any other value is refused."""
    assert _wizard(admin, details={**LISE, "language": "en"}).status_code in (200, 302)
    user = User.get(User.email == LISE["email"])
    assert user.locale == "en"
    mail = OutboxMessage.select().where(OutboxMessage.recipient == LISE["email"]).get()
    assert "Username" in mail.body and "Brugernavn" not in mail.body
    event = AuditEvent.select().where(AuditEvent.action == "user.create").order_by(AuditEvent.id.desc()).get()
    assert json.loads(event.details)["language"] == "en"
    refused = _step(admin, "details", {**LISE, "email": "ny@demo.dk", "language": "fr"})
    assert refused.status_code == 422 and "Choose Danish or English." in refused.get_data(as_text=True)
    page = admin.get("/users/new?step=details").get_data(as_text=True)
    assert re.search(r'<select id="u-language" name="language"', page)


def test_a_new_logins_language_starts_as_the_admins_page(admin, ctx):
    """Preselected as the page the admin works in (English here); Danish chosen, Danish it is."""
    page = admin.get("/users/new?step=details").get_data(as_text=True)
    assert re.search(r'<option value="en" lang="en" selected>English</option>', page)
    assert _wizard(admin, details={**LISE, "language": "da"}).status_code in (200, 302)
    user = User.get(User.email == LISE["email"])
    assert user.locale == "da"
    mail = OutboxMessage.select().where(OutboxMessage.recipient == LISE["email"]).get()
    assert "Brugernavn" in mail.body
