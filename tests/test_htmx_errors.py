"""HTMX that never fails silently: error answers an HTMX request can show, expired sessions and
forms, Vary on every error, paging that never runs past the end, lists that say they are empty."""
import datetime
import re
from urllib.parse import unquote

import pyotp
import pytest

from models import Order, Subscription, User
from services.listing import MAX_PAGE, paginate
from tests.conftest import DEMO_PASSWORD, DEMO_TOTP, sign_in

HX = {"HX-Request": "true"}


def _body(response):
    return response.get_data(as_text=True)


@pytest.fixture
def raw_app(app):
    """The demo app with a route that fails, and exceptions answered as 500 (as in production)."""
    from blueprints.access import public

    @app.route("/_fails")
    @public
    def fails():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("headers", [HX, {}])
def test_a_500_is_a_translated_message_that_varies_on_hx_request(raw_app, headers):
    client = raw_app.test_client()
    client.set_cookie("lang", "en")
    response = client.get("/_fails", headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 500 and "HX-Request" in response.headers["Vary"]
    body = _body(response)
    assert "We could not complete the request. Try again in a moment." in body
    assert ("<html" in body) == (not headers)
    if headers:
        assert re.fullmatch(r'<p class="notice notice-error" role="alert" data-status="500">[^<]+</p>', body)


def test_403_404_405_fragments_and_pages_vary_on_hx_request(admin, limited, ctx):
    cases = [(limited, "get", "/users", 403), (admin, "get", "/subscriptions/999999999", 404),
             (admin, "get", "/logout", 405), (admin, "get", "/no-such-page", 404)]
    for client, method, url, status in cases:
        for headers in (HX, {}):
            response = getattr(client, method)(url, headers=headers)
            assert response.status_code == status, url
            assert "HX-Request" in response.headers["Vary"], (url, headers)
            assert ('class="notice notice-error"' in _body(response)) or not headers


def test_a_forms_own_address_asked_for_with_get_goes_to_its_page(admin, ctx):
    """A form sent back with errors leaves its address in the bar (/users/7/rights): a reload or a
    bookmark asks for it with GET and gets the page the form belongs to, not "Not allowed"."""
    bent = User.get(User.email == "begraenset@demo.dk")
    admin.post(f"/users/{bent.id}/rights", data={})  # no functions: sent back with an error
    for url, page in ((f"/users/{bent.id}/rights", f"/users/{bent.id}"), ("/settings/profile", "/settings/"),
                      ("/settings/password", "/settings/")):
        response = admin.get(url)
        assert response.status_code == 303 and response.headers["Location"] == page, url
        assert admin.get(page).status_code == 200
    assert admin.get("/logout").status_code == 405  # nothing above it: still "Not allowed"
    # a step of a flow is no page to come back to: past it, to the settings
    assert admin.get("/settings/authenticator/1/delete").headers["Location"] == "/settings/"
    assert admin.get(f"/users/{bent.id}/rights", headers=HX).status_code == 405  # htmx asks on purpose


def test_error_answers_made_elsewhere_vary_too(raw_app):
    """An error a view returns itself (a blueprint's own 413 handler, say) carries Vary as well."""
    from blueprints.access import public

    @raw_app.route("/_gone")
    @public
    def gone():
        return "<p>gone</p>", 410

    response = raw_app.test_client().get("/_gone", headers=HX)
    assert response.status_code == 410 and "HX-Request" in response.headers["Vary"]


def test_429_fragment(raw_app):
    from flask import abort

    from blueprints.access import public

    @raw_app.route("/_busy")
    @public
    def busy():
        abort(429)

    response = raw_app.test_client().get("/_busy", headers=HX)
    assert response.status_code == 429 and "HX-Request" in response.headers["Vary"]
    assert 'data-status="429"' in _body(response)


# -- expired sessions ---------------------------------------------------------------------------

def test_expired_session_on_htmx_goes_to_login_with_the_page_it_came_from(client):
    response = client.get("/subscriptions?page=2", headers={
        **HX, "HX-Current-URL": "http://localhost/subscriptions?q=hansen&sort=email"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/subscriptions?q%3Dhansen%26sort%3Demail"


@pytest.mark.parametrize("current", ["http://evil.example/subscriptions", "javascript:alert(1)", "", "http://localhost//evil"])
def test_htmx_login_redirect_never_points_elsewhere(client, current):
    response = client.post("/subscriptions/bulk", headers={**HX, "HX-Current-URL": current})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"


def test_after_login_the_user_is_back_on_the_page(client, ctx):
    response = client.get("/search?q=jensen", headers={**HX, "HX-Current-URL": "http://localhost/orders?which=done"})
    login_url = response.headers["HX-Redirect"]
    assert client.get(login_url).status_code == 200
    next_url = login_url.split("next=", 1)[1]
    client.post("/login", data={"email": "admin@demo.dk", "password": DEMO_PASSWORD, "next": unquote(next_url)})
    code = pyotp.TOTP(DEMO_TOTP).at(datetime.datetime.now(datetime.timezone.utc))
    verified = client.post("/login/verify", data={"code": code, "method": "totp"})
    assert verified.status_code == 302 and verified.headers["Location"] == "/orders?which=done"


# -- expired forms --------------------------------------------------------------------------------

def test_expired_csrf_on_htmx_post_asks_to_reload(csrf_app):
    client = csrf_app.test_client()
    sign_in(client, "admin@demo.dk")
    with csrf_app.app_context():
        mette = Subscription.get(Subscription.number == "+4520000001").id
    for headers in ({**HX, "Accept-Language": "en", "X-CSRFToken": "stale"}, {**HX, "Accept-Language": "en"}):
        response = client.post(f"/subscriptions/{mette}/note", data={"note": "x"}, headers=headers)
        assert response.status_code == 400 and "HX-Request" in response.headers["Vary"]
        assert "The form has expired. Reload the page and try again." in _body(response)
        assert "<html" not in _body(response)
    page = client.post(f"/subscriptions/{mette}/note", data={"note": "x"}, headers={"Accept-Language": "en"})
    assert page.status_code == 400 and "<html" in _body(page) and "HX-Request" in page.headers["Vary"]


def test_expired_session_on_htmx_post_goes_to_login_not_to_a_csrf_error(csrf_app):
    response = csrf_app.test_client().post("/subscriptions/bulk", data={"x": "1"},
                                           headers={**HX, "HX-Current-URL": "http://localhost/subscriptions"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login?next=/subscriptions"


# -- paging -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["abc", "-1", "0", "", "²", str(10**30), None, "99999"])
def test_bad_page_values_are_page_one_or_the_last(app, value):
    with app.app_context():
        query = User.select().order_by(User.id)
        page = paginate(query, value, per_page=2)
        total = query.count()
    assert page.number == (-(-total // 2) if value == "99999" else 1)
    assert page.items


def test_a_page_past_the_end_shows_the_last_page(app):
    with app.app_context():
        page = paginate(Order.select().order_by(Order.id), MAX_PAGE, per_page=10)
        last = Order.select().order_by(Order.id.desc()).first()
    assert page.number == page.pages > 1 and page.items[-1].id == last.id


LISTS = ["/subscriptions", "/invoices", "/accounts", "/numbers", "/numbers/porting", "/orders", "/orders?which=done",
         "/users", "/users/audit", "/support/", "/products"]


@pytest.mark.parametrize("url", LISTS)
def test_every_list_survives_odd_pages(admin, url):
    joiner = "&" if "?" in url else "?"
    for value in ("abc", "-1", str(10**30), "99999"):
        for headers in (HX, {}):
            assert admin.get(f"{url}{joiner}page={value}", headers=headers).status_code == 200, (url, value)


def test_staff_lists_survive_odd_pages(staff_client):
    for url in ("/staff/tickets", "/staff/applications", "/staff/invoices"):
        for value in ("abc", "-1", str(10**30)):
            assert staff_client.get(f"{url}?page={value}").status_code == 200, url


def test_the_pager_numbers_its_pages(admin):
    body = _body(admin.get("/subscriptions?page=3", headers=HX))
    pager = re.search(r'<nav class="pager".*?</nav>', body, re.S).group(0)
    assert 'aria-current="page"' in pager and ">3</span>" in pager
    for n in (1, 2, 4):
        assert f'href="/subscriptions?page={n}"' in pager and 'hx-target="#rows"' in pager
    last = re.findall(r'page=(\d+)"', pager)
    assert max(map(int, last)) >= 5  # the last page is always offered
    far = _body(admin.get("/subscriptions?page=99999", headers=HX))
    assert 'aria-current="page"' in far and "Side 1 " not in far  # the last page, not an empty one


def test_every_paged_htmx_list_takes_focus_after_paging():
    """A pager with a target swaps that element: it must be marked to get focus and scroll to its top."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    missing = []
    for path in root.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        for call in re.findall(r"pager\(([^\n]*)\)\s*}}", source):
            target = re.search(r"target=['\"](\w+)['\"]", call) or re.match(r"[^,]+,\s*['\"][\w.]+['\"],\s*['\"](\w+)['\"]", call)
            if target and not re.search(rf'id="{target.group(1)}"[^>]*data-focus-after-swap', source):
                missing.append((path.name, target.group(1)))
    assert missing == []


# -- empty lists --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/subscriptions?q=zzzzqqq", "/orders?which=done&status=failed&by=999999",
                                 "/users?q=zzzzqqq", "/accounts?q=zzzzqqq", "/invoices?period=2001-01",
                                 "/numbers?q=zzzzqqq"])
def test_empty_lists_say_so_and_offer_reset(admin, url):
    body = _body(admin.get(url, headers=HX))
    assert 'class="card empty-state"' in body and "Nulstil filtre" in body, url


def test_orders_reset_keeps_the_tab(admin):
    body = _body(admin.get("/orders?which=done&status=failed&by=999999", headers=HX))
    assert 'href="/orders?which=done">Nulstil filtre' in body


# -- the page carries the words the browser needs ----------------------------------------------------

def test_pages_carry_translated_messages_for_failed_requests(admin):
    body = _body(admin.get("/subscriptions"))
    store = re.search(r'<div id="htmx-messages" hidden([^>]*)>', body).group(1)
    for name in ("network", "timeout", "error", "close"):
        assert re.search(rf'data-{name}="[^"]+"', store), name
    assert '<div id="toasts" class="toasts" aria-live="assertive">' in body
