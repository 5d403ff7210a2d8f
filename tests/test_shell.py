"""The frame: menu by rights, company switcher, search, language, security headers, fragments."""
from models import AuditEvent, Company, User


def test_menu_shows_only_what_the_membership_may_use(admin, limited):
    full = admin.get("/").get_data(as_text=True)
    assert 'href="/users"' in full and 'href="/invoices"' in full
    narrow = limited.get("/").get_data(as_text=True)
    assert 'href="/users"' not in narrow
    assert 'href="/invoices"' in narrow


def test_company_switcher_lists_every_membership_and_changes_scope(admin, ctx):
    page = admin.get("/").get_data(as_text=True)
    assert "Demo A/S" in page and "Demo Service ApS" in page
    before = admin.get("/subscriptions").get_data(as_text=True)
    service = Company.get(Company.cvr == "12345682")
    response = admin.post("/company", data={"company_id": service.id})
    assert response.status_code == 302
    after = admin.get("/subscriptions").get_data(as_text=True)
    assert before != after
    assert AuditEvent.select().where(AuditEvent.action == "session.switch_company").exists()
    # Demo Service ApS has no subsidiaries: fewer subscriptions than the parent sees
    import re

    def count(html):
        return int(re.search(r"(\d+)\s+\w+", html.split('class="muted" role="status"')[1]).group(1))

    assert count(after) < count(before)


def test_switching_to_a_company_without_membership_is_404(admin, ctx):
    anden = Company.get(Company.cvr == "31313139")
    assert admin.post("/company", data={"company_id": anden.id}).status_code == 404
    assert admin.post("/company", data={"company_id": "x"}).status_code == 404


def test_search_finds_subscriptions_by_name_and_number_and_accounts(admin):
    by_name = admin.get("/search?q=mette jensen", headers={"HX-Request": "true"})
    assert "Mette Jensen" in by_name.get_data(as_text=True)
    assert "<html" not in by_name.get_data(as_text=True)  # a fragment
    assert "HX-Request" in by_name.headers["Vary"]
    by_number = admin.get("/search?q=20000001", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Mette Jensen" in by_number
    by_account = admin.get("/search?q=4012", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "40120011" in by_account


def test_search_is_scoped_for_a_limited_user(limited, admin, ctx):
    from models import Subscription

    outside = Subscription.select().where(Subscription.account != Subscription.get(
        Subscription.number == "+4520000001").account_id, Subscription.company == Company.get(
        Company.cvr == "12345674")).first()
    term, link = outside.holder_name, f'href="/subscriptions/{outside.id}"'
    assert link in admin.get(f"/search?q={term}").get_data(as_text=True)
    assert link not in limited.get(f"/search?q={term}").get_data(as_text=True)


def test_search_full_page_without_htmx_and_history_restore(admin):
    full = admin.get("/search?q=mette").get_data(as_text=True)
    assert "<html" in full
    restore = admin.get("/search?q=mette", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_language_switch_is_remembered_for_the_user(admin, ctx):
    assert "Forside" in admin.get("/").get_data(as_text=True)
    response = admin.post("/settings/language", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    assert User.get(User.email == "admin@demo.dk").locale == "en"
    assert "Front page" in admin.get("/").get_data(as_text=True)


def test_language_switch_rejects_unknown_languages(admin):
    response = admin.post("/settings/language", data={"language": "xx", "next": "/"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Vælg dansk eller engelsk" in response.get_data(as_text=True)
    assert User.get(User.email == "admin@demo.dk").locale != "xx"


def test_language_from_accept_language_and_cookie(client):
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in english
    assert 'lang="da"' in client.get("/login").get_data(as_text=True)
    client.post("/settings/language", data={"language": "en", "next": "/login"})
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_security_headers(client, admin):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers
    https = client.get("/login", base_url="https://localhost")
    assert "max-age" in https.headers["Strict-Transport-Security"]
    page = admin.get("/")
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers.get("Set-Cookie", "") or admin.get("/settings/").headers.get("Set-Cookie", "")
    if cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_front_page_shows_outage_tickets_and_shortcuts(admin):
    page = admin.get("/").get_data(as_text=True)
    assert "outage" in page and "/subscriptions?kind=mobile&amp;task=sim" in page
    assert "/support/new" in page and 'hx-get="/support/' in page


def test_front_page_promises_only_what_the_login_can_see(admin, limited):
    for client in (admin, limited):
        client.set_cookie("lang", "en")
    page, limited_page = admin.get("/").get_data(as_text=True), limited.get("/").get_data(as_text=True)
    assert "All subscriptions under your CVR number." in page
    assert "The subscriptions of the accounts you have access to." in limited_page
    assert "All subscriptions under your CVR number." not in limited_page  # the parts are kept per kind of login
    # the employees' login is an address to pass on, not a link to a login form for someone signed in
    assert "logging in with their mobile number at http://localhost/login/mobile." in page
    assert 'href="/login/mobile"' not in page and 'href="http://localhost/login/mobile"' not in page


def test_ticket_show_more_is_a_fragment(admin, ctx):
    from models import SupportTicket

    ticket = SupportTicket.select().join(Company).where(Company.cvr == "12345674").first()
    fragment = admin.get(f"/support/{ticket.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "ticket-detail" in fragment


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_production_mode_refuses_a_missing_secret_key(tmp_path):
    import pytest

    from app import create_app

    with pytest.raises(RuntimeError):
        create_app({"ENV_MODE": "production", "SECRET_KEY": None, "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})


def test_dev_outbox_does_not_exist_in_production(tmp_path):
    from app import create_app
    from models import db
    from models.database import migrate

    app = create_app({"ENV_MODE": "production", "SECRET_KEY": "x" * 32,
                      "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    migrate(db.obj)
    assert app.test_client().get("/dev/outbox").status_code == 404
    db.close()


def test_money_dates_and_numbers_follow_the_locale(app):
    import datetime

    from flask_babel import force_locale

    from services.formatting import template_filters
    from services.money import format_money, vat_of

    filters = template_filters()
    with app.test_request_context():
        with force_locale("da"):
            assert format_money(123456) == "1.234,56\xa0kr."
            assert filters["date"](datetime.date(2026, 3, 5)) == "5. mar. 2026"
            assert filters["number"](1234567) == "1.234.567"
        with force_locale("en_GB"):
            assert format_money(123456) == "DKK\xa01,234.56"
            assert filters["date"](datetime.date(2026, 3, 5)) == "5 Mar 2026"
            assert filters["datetime"](datetime.datetime(2026, 3, 5, 13, 7), "short") == "5 Mar 2026, 14:07"
            assert filters["number"](1234567) == "1,234,567"
    assert vat_of(10) == 3 and vat_of(2) == 1 and vat_of(100) == 25
    assert filters["phone"]("+4520000001") == "20 00 00 01"


def test_every_menu_page_answers_200_for_the_admin(admin):
    for path in ("/", "/subscriptions", "/accounts", "/invoices", "/orders", "/orders?status=done",
                 "/numbers", "/products", "/users", "/users/new", "/users/audit", "/support/", "/support/new",
                 "/settings/"):
        assert admin.get(path).status_code == 200, path


def test_session_device_names():
    from services.formatting import device

    assert device("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0 Safari/537.36 Edg/120.0") == "Edge · Windows"
    assert device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                  "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1") == "Safari · iPhone"
    assert device("") == ""
