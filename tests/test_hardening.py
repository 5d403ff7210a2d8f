"""Regression tests for the security review: redirects, CSV formulas, forged ids, caching,
production defaults, proxies, enumeration, and a login disabled half-way."""
import csv
import io

import pyotp
import pytest

from models import AuditEvent, Company, JobRecord, Membership, OneTimeCode, User
from tests.conftest import DEMO_TOTP, make_app, sign_in


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\\evil.example", "//evil.example", "/\n/evil.example",
                                    "https://evil.example/", "/ /evil.example"])
def test_no_open_redirect_after_login_or_language_switch(client, target):
    response = client.post("/settings/language", data={"language": "en", "next": target})
    assert response.headers["Location"] == "/"
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1", "next": target})
    response = client.post("/login/verify", data={"code": pyotp.TOTP(DEMO_TOTP).now(), "method": "totp"})
    assert response.headers["Location"] == "/"


def test_local_next_is_kept(client):
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1",
                                "next": "/subscriptions?q=mette%20jensen"})
    response = client.post("/login/verify", data={"code": pyotp.TOTP(DEMO_TOTP).now(), "method": "totp"})
    assert response.headers["Location"] == "/subscriptions?q=mette%20jensen"


def test_audit_csv_neutralises_formulas(admin, limited, ctx):
    limited.post("/settings/profile", data={"name": '=HYPERLINK("http://evil.example","x")',
                                            "email": "begraenset@demo.dk", "mobile": "+4520000011"})
    admin.post("/users/audit/export", data={})
    job = JobRecord.select().order_by(JobRecord.created_at.desc()).first()
    text = admin.get(f"/users/audit/export/{job.id}/download").data.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_audit_events_name_the_real_object_type(admin, ctx):
    admin.post("/settings/profile", data={"name": "Anne B. Admin", "email": "admin@demo.dk", "mobile": "+4520000010"})
    event = AuditEvent.select().where(AuditEvent.action == "settings.name").get()
    assert event.object_type == "user"


@pytest.mark.parametrize("path", [
    "/subscriptions/99999999999999999999999", "/accounts/99999999999999999999999",
    "/support/99999999999999999999999", "/users/99999999999999999999999",
])
def test_huge_ids_are_404(admin, path):
    assert admin.get(path).status_code == 404


@pytest.mark.parametrize("path", [
    "/subscriptions?page=99999999999999999999999", "/invoices?page=²", "/users?page=9999999999999999999999",
    "/users/audit?page=99999999999999999999", "/users/audit?user=99999999999999999999999",
    "/users/audit?to=9999-12-31&from=0001-01-01", "/users/new?step=accounts&account_ids=²",
])
def test_odd_query_values_do_not_break_pages(admin, path):
    assert admin.get(path).status_code in (200, 302)


def test_forged_unicode_digits_in_forms_are_refused_not_500(admin, ctx):
    bent = User.get(User.email == "begraenset@demo.dk")
    membership = Membership.get(Membership.user == bent)
    for data in ({"membership_id": "²", "functions": "invoices"},
                 {"membership_id": str(membership.id), "access": "limited", "account_ids": "²", "functions": "invoices"}):
        assert admin.post(f"/users/{bent.id}/rights", data=data).status_code < 500
    assert admin.post("/users/new?step=companies", data={"company_ids": "²", "nav": "next"}).status_code < 500


def test_pages_are_not_cached_but_static_files_may_be(client):
    assert client.get("/activate").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert "no-store" not in (client.get("/static/css/app.css").headers.get("Cache-Control") or "")


def test_production_defaults_to_secure_cookies():
    from config import load_config

    assert load_config({"ENV_MODE": "production", "SECRET_KEY": "x" * 32})["SESSION_COOKIE_SECURE"] is True
    assert load_config({"ENV_MODE": "demo"})["SESSION_COOKIE_SECURE"] is False


def test_trusted_proxy_gives_the_client_address_and_https(demo_db_file, tmp_path):
    import shutil

    shutil.copy(demo_db_file, tmp_path / "p.db")
    app = make_app(tmp_path / "p.db", TRUSTED_PROXIES=1)
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "max-age" in response.headers["Strict-Transport-Security"]
    plain = make_app(tmp_path / "p.db").test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers


def test_search_shows_accounts_only_with_the_accounts_right(app, ctx):
    bent = User.get(User.email == "begraenset@demo.dk")
    Membership.update(functions="subscriptions").where(Membership.user == bent).execute()
    client = app.test_client()
    sign_in(client, "begraenset@demo.dk")
    assert "40120011" not in client.get("/search?q=4012").get_data(as_text=True)


def test_mobile_login_does_not_reveal_known_numbers(client, ctx):
    for number in ("20000001", "20000001"):
        client.post("/login/mobile", data={"mobile": number})
    known = client.get("/login/verify").get_data(as_text=True)
    client.post("/login/mobile", data={"mobile": "29999998"})
    unknown = client.get("/login/verify").get_data(as_text=True)
    assert "notice-error" not in known and "notice-error" not in unknown


def test_login_disabled_between_password_and_code_does_not_happen(client, ctx):
    client.post("/login", data={"email": "admin@demo.dk", "password": "demo-password-1"})
    User.update(status="disabled").where(User.email == "admin@demo.dk").execute()
    response = client.post("/login/verify", data={"code": pyotp.TOTP(DEMO_TOTP).now(), "method": "totp"})
    assert response.headers["Location"].startswith("/login")
    assert not AuditEvent.select().where(AuditEvent.action == "auth.login").exists()


def test_subsidiary_admin_cannot_reissue_a_parent_login(admin, app, ctx):
    from services.passwords import hash_password

    demo_a, service = Company.get(Company.cvr == "12345674"), Company.get(Company.cvr == "12345682")
    pending = User.create(email="pending@demo.dk", name="Pia Pending", mobile="+4520000099", status="pending")
    for company in (demo_a, service):
        Membership.create(user=pending, company=company, functions="invoices")
    sub_admin = User.create(email="sub@demo.dk", name="Sune Sub", mobile="+4520000098",
                            password_hash=hash_password("x" * 12))
    Membership.create(user=sub_admin, company=service, is_admin=True, functions="")
    client = app.test_client()
    sign_in(client, "sub@demo.dk")
    client.post(f"/users/{pending.id}/resend")
    assert not OneTimeCode.select().where(OneTimeCode.user == pending).exists()
