"""Every route declares who may call it, and every route holds against the wrong people.

The access matrix (tests/access_matrix.py) has an entry per route and method: who may call it and
what everyone else gets. It is walked for every role (anonymous, a customer's admin, a colleague
without the route's function, a colleague limited to another account, the employee of /me, staff)
with the ids of both customers' objects: Demo A/S's and Anden Kunde ApS's. The other customer's ids
never answer 200 nor show its data, and a refused POST changes nothing."""
import io
import json
import re

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from models import (
    Account,
    Application,
    AuditEvent,
    BulkRequest,
    CallFlowVersion,
    Company,
    Invoice,
    JobRecord,
    Membership,
    MembershipAccount,
    Order,
    Outage,
    PersonalNumber,
    PhoneSystem,
    PhoneUser,
    PortingNumber,
    PortingRequest,
    Subscription,
    SupportTicket,
    TicketAttachment,
    TotpDevice,
    User,
    db,
)
from models.products import PROFILE_KINDS, UserProfile
from services.rights import FUNCTIONS
from tests.access_matrix import (
    ADMIN,
    ANONYMOUS,
    ANSWERS,
    DENIED,
    EMPLOYEE,
    GONE,
    LACKING,
    LIMITED,
    LOGIN,
    OBJECT_ARGS,
    OK,
    ROLES,
    STAFF,
    TABLE,
)
from tests.conftest import reauthenticate, sign_in

DEMO_MARKERS = ("Mette Jensen", "40120011", "Demo Service ApS")
ANDEN_MARKERS = ("Anden Kunde ApS", "51230018", "Ane Andersen", "Kollega Andersen")
# A dev tool (absent in production mode): it lists every message the demo sent, whoever asks.
NO_MARKER_CHECK = {"dev.outbox"}
NON_ADMIN_FUNCTIONS = [f for f in FUNCTIONS if f != "users"]
DEMO, ANDEN = "demo", "anden"


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _pairs(app):
    """(rule, method) for every method every route accepts (HEAD and OPTIONS are Flask's own)."""
    return [(rule, method) for rule in _rules(app) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


# -- the world: both customers' objects and a user per role ------------------------------------------

def _colleague(email, name, company, functions, account=None):
    user = User.create(email=email, name=name, mobile="", kind="customer")
    membership = Membership.create(user=user, company=company, is_admin=False, full_access=account is None,
                                   functions=" ".join(functions))
    if account is not None:
        MembershipAccount.create(membership=membership, account=account)
    return user


def _job_of(client, post_url, data=None):
    response = client.post(post_url, data=data or {})
    assert response.status_code == 302, (post_url, response.status_code)
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def _document_job(client, user, url):
    """A GET of a PDF starts the job that makes it (when not cached) and shows its waiting page."""
    before = set(JobRecord.select(JobRecord.id).where(JobRecord.user == user).tuples())
    assert client.get(url).status_code == 200, url
    new = set(JobRecord.select(JobRecord.id).where(JobRecord.user == user).tuples()) - before
    assert len(new) == 1, url
    return new.pop()[0]


def _bulk_of(client, subscription):
    data = {"selection": str(subscription.id), "action": "block", "block_parts": ["data"],
            "block_reason": "cost_control"}
    response = client.post("/subscriptions/bulk/preview", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[-1000:]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _blockable(account):
    return (Subscription.select().where(Subscription.account == account, Subscription.kind == "mobile",
                                        Subscription.status == "active", Subscription.blocked_parts == "")
            .order_by(Subscription.id.desc()).first())


def _anden_products(company, admin, account):
    """Anden Kunde ApS has no telephony products or port-ins in the demo: a phone system with a call
    flow, a phone user with profiles, a 70-number and a port-in request."""
    mobile = (Subscription.select().where(Subscription.account == account, Subscription.kind == "mobile",
                                          Subscription.status == "active").order_by(Subscription.id).first())
    system = PhoneSystem.create(customer=company.customer_id, company=company, name="Anden hovednummer",
                                main_number="+4570909090")
    from services.call_flow import empty_document

    CallFlowVersion.create(phone_system=system, number=1, document=json.dumps(empty_document()), changes="[]",
                           created_by=admin, activated_at=system.created_at)
    phone_user = PhoneUser.create(phone_system=system, subscription=mobile, extension="301", name=mobile.holder_name,
                                  search_key=PhoneUser.make_search_key(mobile.holder_name, "301"))
    for kind in PROFILE_KINDS:
        UserProfile.create(phone_system=system, phone_user=phone_user, subscription=mobile, kind=kind)
    personal = PersonalNumber.create(customer=company.customer_id, company=company, number="+4570909091",
                                     name="Anden salg", forward_to=mobile.number)
    import datetime

    porting = PortingRequest.create(customer=company.customer_id, company=company, account=account,
                                    number="+4530909090", donor_operator="telia",
                                    requested_date=datetime.date.today() + datetime.timedelta(days=14),
                                    created_by=admin, kind="mobile", owner_name=company.name,
                                    owner_cvr=company.cvr, signer_name="Ane Andersen")
    PortingNumber.create(porting_request=porting, position=0, number=porting.number)
    return system, phone_user, personal, porting


@pytest.fixture
def world(app, ctx):
    """Every id kind for both customers (made where the demo has none), and the users of every role."""
    demo_a = Company.get(Company.cvr == "12345674")
    anden = Company.get(Company.cvr == "31313139")
    mette = Subscription.get(Subscription.number == "+4520000001")
    mine = mette.account  # 40120011: the Demo ids live here
    ean_account = Account.get(Account.number == "40120029")  # Demo A/S's EAN account: its documents have XML
    elsewhere = Account.get(Account.number == "40120037")  # the limited colleague's
    anden_account = Account.get(Account.number == "51230018")
    demo_admin, anden_admin = User.get(User.email == "admin@demo.dk"), User.get(User.email == "admin@anden.dk")
    staff_user = User.get(User.email == "staff@operator.dk")

    users = {
        ADMIN: {DEMO: demo_admin, ANDEN: anden_admin},
        LIMITED: _colleague("andet-konto@demo.dk", "Lis Limiteret", demo_a, NON_ADMIN_FUNCTIONS, elsewhere),
        EMPLOYEE: User.get(User.email == "mette.jensen@demo.dk"),
        STAFF: staff_user,
        # per function: a colleague with every other function (begraenset@demo.dk lacks sim and users)
        LACKING: {f: _colleague(f"uden-{f}@demo.dk", f"Uden {f}", demo_a, [g for g in NON_ADMIN_FUNCTIONS if g != f])
                  for f in NON_ADMIN_FUNCTIONS if f != "sim"},
    }
    begraenset = User.get(User.email == "begraenset@demo.dk")
    users[LACKING].update(sim=begraenset, users=begraenset)
    users[LACKING][None] = _colleague("ingen-rettigheder@demo.dk", "Ingen Rettigheder", demo_a, [])
    anden_colleague = _colleague("kollega@anden.dk", "Kollega Andersen", anden, NON_ADMIN_FUNCTIONS)

    # Anden Kunde ApS's objects the demo has none of
    system, phone_user, personal, porting = _anden_products(anden, anden_admin, anden_account)
    anden_invoice, anden_ean_invoice = Invoice.select().where(Invoice.account == anden_account).order_by(Invoice.id)[:2]
    # one of Anden's invoices as an e-invoice (with the EAN of Demo's EAN account: the number is valid)
    Invoice.update(ean=ean_account.ean).where(Invoice.id == anden_ean_invoice.id).execute()
    demo_ean_invoice = ean_account.invoices.order_by(Invoice.id).first()
    with app.test_request_context():
        from services import credit_notes

        anden_note_id = credit_notes.credit(staff_user, anden_invoice.id, "Matrix-test").id
        anden_ean_note_id = credit_notes.credit(staff_user, anden_ean_invoice.id, "Matrix-test").id
        demo_ean_note_id = credit_notes.credit(staff_user, demo_ean_invoice.id, "Matrix-test").id
    if not db.is_closed():
        db.close()
    anden_ticket = SupportTicket.get(SupportTicket.company == anden)
    Application.create(cvr=anden.cvr, company_name=anden.name, admin_name="Ane Andersen", email="ny@anden.dk",
                       mobile="+4520000099", company=anden)

    demo_ticket = (SupportTicket.select().join(TicketAttachment).where(SupportTicket.account == mine)
                   .order_by(SupportTicket.id).first())
    demo_invoice = mine.invoices.order_by(Invoice.id).first()
    demo_note = mine.credit_notes.first()
    demo_system = demo_a.phone_systems.first()

    ids = {}
    for key, admin, company, account, extra in (
        (DEMO, demo_admin, demo_a, mine, {
            "subscription_id": mette.id, "invoice_id": demo_invoice.id, "note_id": demo_note.id,
            "ticket_id": demo_ticket.id, "attachment_id": demo_ticket.attachments.first().id,
            "porting_id": PortingRequest.get(PortingRequest.account == mine, PortingRequest.status == "received").id,
            "system_id": demo_system.id, "phone_user_id": PhoneUser.get(PhoneUser.subscription == mette).id,
            "personal_number_id": PersonalNumber.select().where(PersonalNumber.company == demo_a).first().id,
            "user_id": begraenset.id, "membership_id": Membership.get(Membership.user == begraenset).id,
            "ean_invoice": demo_ean_invoice.id, "ean_note": demo_ean_note_id,
            "order_id": Order.select().where(Order.account == mine, Order.status == "received").first().id,
        }),
        (ANDEN, anden_admin, anden, anden_account, {
            "subscription_id": phone_user.subscription_id, "invoice_id": anden_invoice.id, "note_id": anden_note_id,
            "ticket_id": anden_ticket.id, "porting_id": porting.id, "system_id": system.id,
            "phone_user_id": phone_user.id, "personal_number_id": personal.id, "user_id": anden_colleague.id,
            "membership_id": Membership.get(Membership.user == anden_colleague).id,
            "ean_invoice": anden_ean_invoice.id, "ean_note": anden_ean_note_id,
            "order_id": Order.select().where(Order.company == anden).first().id,
        }),
    ):
        client = app.test_client()
        sign_in(client, admin.email)
        if key == ANDEN:  # Anden's ticket gets an attachment, sent as the customer would
            response = client.post(f"/support/{extra['ticket_id']}", content_type="multipart/form-data", data={
                "body": "Se vedhæftet", "attachments": [(io.BytesIO(b"Anden Kunde ApS noter\n"), "noter.txt")]})
            assert response.status_code in (302, 303), response.status_code
            extra["attachment_id"] = TicketAttachment.select().where(
                TicketAttachment.ticket == extra["ticket_id"]).order_by(TicketAttachment.id.desc()).first().id
        invoice, note = extra["invoice_id"], extra["note_id"]
        # Real jobs, started as the admin: the subscription and audit exports (with their files) and PDFs
        jobs = {
            "subscriptions": _job_of(client, "/subscriptions/export"),
            "audit_trail": _job_of(client, "/users/audit/export"),
            "invoice_pdf": _document_job(client, admin, f"/invoices/{invoice}.pdf"),
            "credit_note_pdf": _document_job(client, admin, f"/invoices/credit-notes/{note}.pdf"),
        }
        # an authenticator being added (confirm and remove take those): added as the admin would
        reauthenticate(client)
        assert client.post("/settings/authenticator", data={"name": "Ny telefon"}).status_code == 302
        bulk_id = _bulk_of(client, _blockable(account))
        ids[key] = {
            "account_id": account.id, "company_id": company.id,
            "device_id": TotpDevice.select().where(TotpDevice.user == admin, TotpDevice.confirmed == False)  # noqa: E712
            .order_by(TotpDevice.id.desc()).first().id,
            "bulk_id": bulk_id, "bulk_token": BulkRequest.get_by_id(bulk_id).client_token,
            "jobs": jobs, "job_id": jobs["subscriptions"],
            "outage_id": Outage.select().first().id,
            "application_id": Application.select().order_by(Application.id.desc()).first().id,
            "action": "plan", "token": "not-a-token", "profile": "meeting", "version": 1,
            **extra,
        }
    for key in ids:  # every job ended and its file can be fetched
        for job_id in ids[key]["jobs"].values():
            assert JobRecord.get_by_id(job_id).status == "finished", (key, job_id)
    if not db.is_closed():
        db.close()
    return {"ids": ids, "users": users}


JOB_OF_ENDPOINT = {
    "subscriptions.export_status": "subscriptions", "subscriptions.export_download": "subscriptions",
    "audit_trail.export_status": "audit_trail", "audit_trail.download": "audit_trail",
    "invoices.invoice_pdf_status": "invoice_pdf", "invoices.credit_note_pdf_status": "credit_note_pdf",
}


# Ids a route takes of its own kind: e-invoice XML exists for EAN documents only.
ARG_OF_ENDPOINT = {("invoices.invoice_xml", "invoice_id"): "ean_invoice", ("invoices.credit_note_xml", "note_id"): "ean_note"}
# What a route needs beside its URL to reach its object (query arguments of GETs, form fields of POSTs).
QUERY = {"users.account_options": lambda ids: {"membership_id": ids["membership_id"]}}
FORM = {"home.switch_company": lambda ids: {"company_id": ids["company_id"]},
        "subscriptions.bulk_confirm": lambda ids: {"token": ids["bulk_token"]}}
# POSTs that take away what later requests use: last.
LAST = ("auth.logout", "users.delete", "settings.remove_authenticator", "subscriptions.bulk_discard")


def _url(app, rule, ids):
    args = dict(ids)
    if rule.endpoint in JOB_OF_ENDPOINT:
        args["job_id"] = ids["jobs"].get(JOB_OF_ENDPOINT[rule.endpoint], ids["job_id"])
    for (endpoint, name), kind in ARG_OF_ENDPOINT.items():
        if endpoint == rule.endpoint and kind in ids:
            args[name] = ids[kind]
    names = set(rule.arguments)
    if rule.endpoint in QUERY and "membership_id" in ids:
        extra = QUERY[rule.endpoint](ids)
        args.update(extra)
        names |= set(extra)
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{k: args[k] for k in names})


# -- the table is complete and says what the views declare ----------------------------------------

def test_every_route_has_an_access_policy(app):
    missing = [r.rule for r in _rules(app) if not hasattr(app.view_functions[r.endpoint], "access_policy")]
    assert missing == []


def test_every_route_and_method_has_an_entry_in_the_matrix(app):
    pairs = {(rule.endpoint, method) for rule, method in _pairs(app)}
    assert sorted(pairs - set(TABLE)) == [], "routes without an entry in tests/access_matrix.py"
    assert sorted(set(TABLE) - pairs) == [], "entries of routes that are gone"


def test_the_matrix_says_what_the_views_declare(app):
    wrong = []
    for (endpoint, method), entry in TABLE.items():
        policy = app.view_functions[endpoint].access_policy
        if (policy.role, policy.function) != (entry.role, entry.function):
            wrong.append((endpoint, method, policy, entry.role, entry.function))
    assert wrong == []


def test_a_view_without_policy_is_refused(app):
    @app.route("/_no_policy")
    def no_policy():
        return "leaked"

    response = app.test_client().get("/_no_policy")
    assert response.status_code == 500 and b"leaked" not in response.data


def test_methods_a_route_does_not_accept_answer_405(app, ctx):
    client = app.test_client()
    sign_in(client, "admin@demo.dk")
    adapter = app.url_map.bind("localhost")
    accepted = {}  # one path may have a view per method
    for rule in _rules(app):
        accepted.setdefault(rule.rule, set()).update(rule.methods)
    for rule in _rules(app):
        url = _url(app, rule, _static_args(rule))
        for method in sorted({"GET", "POST", "PUT", "DELETE", "PATCH"} - accepted[rule.rule]):
            try:
                adapter.match(url, method=method)
                continue  # another route takes that method (/subscriptions/1/codes is also an action)
            except (MethodNotAllowed, NotFound):
                pass
            response = client.open(url, method=method)
            if method == "GET" and response.status_code == 303:
                # a form's own address asked for with GET (a reload after errors): to the page it belongs to
                page = response.headers["Location"]
                assert url.startswith(page.rstrip("/")) and page != url, (url, page)
                assert client.get(page).status_code not in (405, 500), (url, page)
                continue
            assert response.status_code == 405, (method, url, response.status_code)


def _static_args(rule):
    return {k: 1 for k in rule.arguments} | {"jobs": {}, "action": "plan", "profile": "meeting", "token": "x",
                                              "job_id": "00000000-0000-0000-0000-000000000000"}


# -- the walk -----------------------------------------------------------------------------------

def _cases(app, world, role):
    """(entry, rule, method, id set, url, expected) for a role: both customers' ids, GETs first."""
    cases, seen = [], set()
    for rule, method in sorted(_pairs(app), key=lambda p: (p[1] != "GET", p[0].endpoint in LAST, p[0].rule)):
        entry = TABLE[(rule.endpoint, method)]
        for key in (DEMO, ANDEN):
            url = _url(app, rule, world["ids"][key])
            if (method, url) in seen:
                continue  # a route without ids: one URL whoever owns the ids
            seen.add((method, url))
            expected = entry.outcome(role)
            # the Demo roles' own ids are Demo's; the admin role is each customer's admin with its own
            foreign = key == ANDEN and role in (LACKING, LIMITED)
            if foreign and expected == OK and _names_object(rule) and entry.role != "public":
                expected = GONE
            elif foreign and expected == DENIED and role == LIMITED and _names_object(rule):
                expected = DENIED_OR_GONE  # a company-wide change: refused, or not found first
            data = FORM[rule.endpoint](world["ids"][key]) if method == "POST" and rule.endpoint in FORM else {}
            cases.append((entry, rule, method, key, url, data, expected))
    return cases


DENIED_OR_GONE = (DENIED, GONE)


def _names_object(rule):
    return bool(rule.arguments & OBJECT_ARGS) or rule.endpoint in FORM


def _user_for(world, role, entry, key):
    users = world["users"]
    if role == ANONYMOUS:
        return None
    if role == ADMIN:
        return users[ADMIN][key]
    if role == LACKING:
        return users[LACKING][entry.function]
    return users[role]


def _ok(status, location):
    to_login = location.startswith("/login") and not location.startswith("/login?logged_out")  # logout is OK
    return status < 500 and status not in (401, 403, 404, 405) and not to_login


def _check(response, expected):
    status, location = response.status_code, response.headers.get("Location", "")
    if expected == ANSWERS:
        return status < 500 and status != 405
    if expected == OK:
        return _ok(status, location)
    if expected == LOGIN:
        return status == 302 and location.startswith("/login")
    return status in expected if isinstance(expected, tuple) else status == expected


def walk(app, world, role, foreign_admin=False):
    """Every case of a role; the failures as (method, url, as whom, expected, got). With `foreign_admin`,
    each customer's admin tries the other customer's ids (and must get 404 wherever it would get in)."""
    failures, clients, count = [], {}, 0
    for entry, rule, method, key, url, data, expected in _cases(app, world, role):
        user = _user_for(world, role, entry, key)
        if foreign_admin:
            user = world["users"][ADMIN][ANDEN if key == DEMO else DEMO]
            if expected == OK and _names_object(rule) and entry.role != "public":
                expected = GONE
        email = user.email if user else None
        client = clients.get(email)
        if client is None or method == "POST":  # a POST may have ended the session (logout, end sessions)
            client = clients[email] = app.test_client()
            if user:
                sign_in(client, email)
        audit_before = AuditEvent.select().count() if expected != OK else None
        response = client.open(url, method=method, data=data)
        count += 1
        body = response.get_data(as_text=True) if response.mimetype.startswith("text") else ""
        problem = None
        if not _check(response, expected):
            problem = f"{expected} expected, got {response.status_code} {response.headers.get('Location', '')}"
        elif audit_before is not None and AuditEvent.select().count() != audit_before:
            problem = "refused, but something was written to the audit trail"
        elif rule.endpoint not in NO_MARKER_CHECK:
            # nobody sees the other customer's data: Anden's admin no Demo data, Demo's users no Anden data
            theirs = DEMO_MARKERS if (email == "admin@anden.dk") else ANDEN_MARKERS if email and role != STAFF else ()
            leaked = [m for m in theirs if m in body]
            if leaked:
                problem = f"shows {leaked}"
        if problem:
            failures.append((method, url, email, problem))
        if not db.is_closed():
            db.close()
    return failures, count


COUNTS = {}


@pytest.mark.parametrize("role", ROLES)
def test_the_matrix_holds_for(app, world, role):
    failures, count = walk(app, world, role)
    COUNTS[role] = count
    assert failures == [], "\n".join(map(str, failures))


def test_each_customers_admin_gets_404_for_the_other_customers_ids(app, world):
    failures, count = walk(app, world, ADMIN, foreign_admin=True)
    COUNTS["foreign admin"] = count
    assert failures == [], "\n".join(map(str, failures))


def test_the_matrix_size(app, world):
    """The figure the README states: route x method x role x id set combinations walked."""
    total = {role: len(_cases(app, world, role)) for role in ROLES}
    total["foreign admin"] = total[ADMIN]
    pairs = len(_pairs(app))
    print(f"\naccess matrix: {pairs} route x method pairs, {len(total)} roles, 2 customers' ids: "
          f"{sum(total.values())} requests ({total})")
    assert pairs == len(TABLE) and sum(total.values()) >= pairs * len(total)


# -- CSRF: the matrix runs without it; here every POST without a valid token is refused --------------

def _token(client):
    page = client.get("/settings/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_posts_without_a_valid_csrf_token_are_refused(csrf_app):
    app = csrf_app
    client = app.test_client()
    sign_in(client, "admin@demo.dk")
    token = _token(client)
    other = app.test_client()
    sign_in(other, "admin@anden.dk")
    forged = _token(other)  # a real token, of another session
    ids = _static_args_demo(app)
    refused, passed = 0, 0
    before = AuditEvent.select().count()
    for rule, method in _pairs(app):
        if method != "POST":
            continue
        url = _url(app, rule, ids)
        for headers, data in (({}, {}), ({}, {"csrf_token": "forged"}), ({}, {"csrf_token": forged}),
                              ({"X-CSRFToken": forged}, {})):
            response = client.post(url, data=data, headers=headers)
            assert response.status_code == 400, (url, headers, data, response.status_code)
            refused += 1
        anonymous = app.test_client().post(url)  # refused; without a session the error page is the login
        assert anonymous.status_code == 400 or (anonymous.status_code == 302 and anonymous.headers["Location"]
                                                .startswith("/login")), (url, anonymous.status_code)
        refused += 1
    assert AuditEvent.select().count() == before
    # the same token in the form or the HTMX header gets past the check
    for headers, data in (({}, {"csrf_token": token}), ({"X-CSRFToken": token}, {})):
        response = client.post("/settings/language", data={**data, "language": "en"}, headers=headers)
        assert response.status_code != 400, response.status_code
        passed += 1
    print(f"\nCSRF: {refused} POSTs without a valid token refused, {passed} with one accepted")


def _static_args_demo(app):
    """Demo ids for the CSRF walk (CSRF is checked before anything is looked up)."""
    mette = Subscription.get(Subscription.number == "+4520000001")
    args = {k: 1 for k in OBJECT_ARGS} | {"subscription_id": mette.id, "account_id": mette.account_id,
                                           "job_id": "00000000-0000-0000-0000-000000000000", "jobs": {},
                                           "action": "plan", "profile": "meeting", "token": "x", "version": 1,
                                           "outage_id": 1, "application_id": 1}
    return args


# -- more of the same, by hand -------------------------------------------------------------------------

def test_htmx_requests_without_login_get_a_redirect_header(app):
    response = app.test_client().get("/search?q=me", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


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


@pytest.mark.parametrize("path", ["/subscriptions/abc", "/subscriptions/999999999", "/support/0"])
def test_bad_ids_answer_404(admin, path):
    assert admin.get(path).status_code == 404


def test_no_get_route_changes_state(app, world):
    """GETs of every route by an admin leave the audit trail as it was (nothing was done)."""
    client = app.test_client()
    sign_in(client, "admin@demo.dk")
    before = AuditEvent.select().count()
    for rule, method in _pairs(app):
        if method == "GET":
            client.get(_url(app, rule, world["ids"][DEMO]))
    assert AuditEvent.select().count() == before


def test_refusals_are_what_the_matrix_says():
    """The outcomes the walk knows; a typo in the table would silently pass otherwise."""
    for entry in TABLE.values():
        assert set(entry.allowed) | set(entry.refused) == set(ROLES)
        assert set(entry.refused.values()) <= {LOGIN, DENIED, GONE}
        assert entry.outcome(ANONYMOUS) in (ANSWERS, LOGIN) and entry.outcome(STAFF) in (ANSWERS, OK, DENIED, GONE)
        assert entry.outcome(EMPLOYEE) in (ANSWERS, OK, DENIED, GONE)
