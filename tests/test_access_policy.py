"""Every route declares who may call it, and every route holds against the wrong people:
anonymous visitors, the other customer's admin, a colleague without the right, and a limited user."""
import pytest

from models import (
    Account,
    Company,
    Order,
    Outage,
    PersonalNumber,
    PhoneUser,
    PortingRequest,
    Subscription,
    SupportTicket,
    TotpDevice,
    User,
)
from tests.conftest import sign_in

DEMO_MARKERS = ("Mette Jensen", "40120011", "Demo Service ApS")


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _sample_args(ctx_user_email="admin@demo.dk"):
    """URL parameters pointing at Demo A/S objects, all visible to admin@demo.dk."""
    mette = Subscription.get(Subscription.number == "+4520000001")
    admin = User.get(User.email == ctx_user_email)
    demo_a = Company.get(Company.cvr == "12345674")
    return {
        "subscription_id": mette.id,
        "account_id": mette.account_id,
        "ticket_id": SupportTicket.select().where(SupportTicket.company == demo_a).first().id,
        "device_id": TotpDevice.get(TotpDevice.user == admin).id,
        "outage_id": Outage.select().first().id,
        # a colleague in Demo A/S (routes about another user of the company)
        "user_id": User.get(User.email == "begraenset@demo.dk").id,
        "application_id": 1,  # staff-only routes: refused before any lookup
        "job_id": "00000000-0000-0000-0000-000000000000",
        "order_id": Order.select().where(Order.company == demo_a).first().id,
        "company_id": demo_a.id,  # company master data under /accounts
        # Mette's account (40120011) has six invoices and the demo credit note
        "invoice_id": mette.account.invoices.first().id,
        "note_id": mette.account.credit_notes.first().id,
        "action": "plan",  # every action answers the same way (see test_subscription_actions)
        "bulk_id": 1,  # none in the demo data: 404 for everyone
        "attachment_id": 1,  # the demo's first attachment, on Demo A/S's first ticket
        "porting_id": PortingRequest.select().where(PortingRequest.company == demo_a).first().id,
        "token": "not-a-token",  # transfer acceptance links are public
        # Mette Jensen's extension on the phone system, one of its profiles, and a 70-number
        "phone_user_id": PhoneUser.get(PhoneUser.subscription == mette.id).id, "profile": "meeting",
        "personal_number_id": PersonalNumber.get(PersonalNumber.company == demo_a).id,
        "system_id": demo_a.phone_systems.first().id,  # the call flow on the main number
        "version": 1,
    }


def _url(app, rule, args):
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{k: args[k] for k in rule.arguments})


def _cases(app):
    args = _sample_args()
    for rule in _rules(app):
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, view.access_policy, method, _url(app, rule, args)


def test_every_route_has_an_access_policy(app):
    missing = [r.rule for r in _rules(app) if not hasattr(app.view_functions[r.endpoint], "access_policy")]
    assert missing == []


def test_a_view_without_policy_is_refused(app):
    @app.route("/_no_policy")
    def no_policy():
        return "leaked"

    response = app.test_client().get("/_no_policy")
    assert response.status_code == 500 and b"leaked" not in response.data


def test_anonymous_visitors_are_sent_to_login(app, ctx):
    client = app.test_client()
    for rule, policy, method, url in _cases(app):
        response = client.open(url, method=method)
        if policy.role == "public":
            assert response.status_code < 500, (method, url)
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, url)


def test_htmx_requests_without_login_get_a_redirect_header(app):
    response = app.test_client().get("/search?q=me", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_other_customers_admin_sees_nothing_of_demo(app, ctx):
    client = app.test_client()
    sign_in(client, "admin@anden.dk")
    for rule, policy, method, url in _cases(app):
        if rule.endpoint in ("auth.logout",):
            continue
        response = client.open(url, method=method)
        if policy.role in ("staff", "employee"):
            assert response.status_code == 403, (method, url)
        elif rule.arguments & {"subscription_id", "account_id", "ticket_id", "device_id", "user_id", "job_id",
                               "order_id", "bulk_id", "invoice_id", "note_id", "company_id", "system_id", "porting_id",
                               "phone_user_id", "personal_number_id", "attachment_id"}:
            assert response.status_code == 404, (method, url, response.status_code)
        else:
            assert response.status_code < 500, (method, url)
            body = response.get_data(as_text=True)
            for marker in DEMO_MARKERS:
                assert marker not in body, (method, url, marker)


def test_colleague_without_the_right_gets_403(app, ctx):
    client = app.test_client()
    sign_in(client, "begraenset@demo.dk")  # no `sim`, no `users`
    for rule, policy, method, url in _cases(app):
        if policy.role == "member" and policy.function in ("sim", "users"):
            assert client.open(url, method=method).status_code == 403, (method, url)
        if policy.role in ("staff", "employee"):
            assert client.open(url, method=method).status_code == 403, (method, url)


def test_limited_user_cannot_reach_other_accounts(app, ctx):
    client = app.test_client()
    sign_in(client, "begraenset@demo.dk")
    demo_a = Company.get(Company.cvr == "12345674")
    other_account = Account.select().where(Account.company == demo_a, Account.number != "40120011").first()
    other_sub = Subscription.select().where(Subscription.account == other_account).first()
    assert client.get(f"/subscriptions/{other_sub.id}").status_code == 404
    assert client.get(f"/accounts/{other_account.id}").status_code == 404
    mine = Subscription.get(Subscription.number == "+4520000001")
    assert client.get(f"/subscriptions/{mine.id}").status_code == 200
    listing = client.get("/subscriptions?q=" + other_sub.holder_name.split()[0]).get_data(as_text=True)
    assert f"/subscriptions/{other_sub.id}\"" not in listing


def test_employee_only_reaches_own_page(app, ctx):
    client = app.test_client()
    sign_in(client, "mette.jensen@demo.dk")
    for rule, policy, method, url in _cases(app):
        if policy.role in ("member", "staff"):
            assert client.open(url, method=method).status_code == 403, (method, url)
    assert client.get("/me").status_code == 200


@pytest.mark.parametrize("path", ["/subscriptions/abc", "/subscriptions/999999999", "/support/0"])
def test_bad_ids_answer_404(admin, path):
    assert admin.get(path).status_code == 404


def test_no_get_route_changes_state(app, ctx):
    """GETs of every route by an admin leave the audit trail as it was (nothing was done)."""
    from models import AuditEvent

    client = app.test_client()
    sign_in(client, "admin@demo.dk")
    before = AuditEvent.select().count()
    for rule, policy, method, url in _cases(app):
        if method == "GET" and rule.endpoint != "auth.logout":
            client.get(url)
    assert AuditEvent.select().count() == before
