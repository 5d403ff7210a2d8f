"""Links in letters and e-mails point where the portal runs: PUBLIC_URL when set, else the
address the request came in on (X-Forwarded-* only with TRUSTED_PROXIES), else in a job the
address it was enqueued from, else 127.0.0.1:$PORT."""
import os
import shutil
import subprocess
import sys

import pytest

from models import OutboxMessage, TotpDevice, User, db
from services.messages import base_url, captured_base, link_base, public_url
from tests.conftest import ROOT, make_app


@pytest.fixture
def app_with(demo_db_file, tmp_path):
    """make_app on a copy of the demo data, with settings of the test's choosing."""
    made = []

    def build(**overrides):
        path = tmp_path / f"p{len(made)}.db"
        shutil.copy(demo_db_file, path)
        made.append(make_app(path, **overrides))
        return made[-1]

    yield build
    if not db.is_closed():
        db.close()


def mailed_link(client, **request_options):
    """A real message with a link: the reset e-mail of a login that has no second factor."""
    user = User.get(User.email == "begraenset@demo.dk")
    TotpDevice.delete().where(TotpDevice.user == user.id).execute()
    User.update(mobile="").where(User.id == user.id).execute()
    response = client.post("/login/forgot", data={"email": user.email}, **request_options)
    assert response.status_code == 302
    message = OutboxMessage.select().where(OutboxMessage.recipient == user.email).order_by(OutboxMessage.id.desc()).get()
    return next(word for word in message.body.split() if "://" in word)


def test_links_use_the_address_the_request_came_in_on(app_with, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    app = app_with(PUBLIC_URL=None)
    assert mailed_link(app.test_client(), base_url="http://portal.lan:8123") == "http://portal.lan:8123/login"


def test_public_url_wins_when_set(app_with):
    app = app_with(PUBLIC_URL="https://selvbetjening.example.dk/")
    assert mailed_link(app.test_client(), base_url="http://10.0.0.5:8000") == "https://selvbetjening.example.dk/login"
    with app.app_context():
        assert public_url("onboarding.activate", username="sb123456") == \
            "https://selvbetjening.example.dk/activate?username=sb123456"


def test_behind_a_trusted_proxy_the_forwarded_host_and_scheme_count(app_with):
    headers = {"X-Forwarded-Host": "portal.example.dk", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    proxied = app_with(PUBLIC_URL=None, TRUSTED_PROXIES=1)
    assert mailed_link(proxied.test_client(), headers=headers) == "https://portal.example.dk/login"


def test_without_trusted_proxies_forwarded_headers_are_ignored(app_with):
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    direct = app_with(PUBLIC_URL=None, TRUSTED_PROXIES=0)
    assert mailed_link(direct.test_client(), headers=headers) == "http://localhost/login"


def test_a_job_uses_the_address_it_was_enqueued_from(app_with):
    app = app_with(PUBLIC_URL=None)
    with app.test_request_context("/apply", base_url="https://portal.lan:8443"):
        captured = captured_base()
    assert captured == "https://portal.lan:8443"
    with app.app_context():  # a job: no request
        with link_base(captured):
            assert public_url("auth.login") == "https://portal.lan:8443/login"
            assert captured_base() == captured  # passed on to a job this job enqueues
        assert captured_base() is None


def test_without_request_or_setting_links_follow_the_port(app_with, monkeypatch):
    app = app_with(PUBLIC_URL=None)
    with app.app_context():
        monkeypatch.delenv("PORT", raising=False)
        assert base_url() == "http://127.0.0.1:5000"
        monkeypatch.setenv("PORT", "8123")
        assert public_url("auth.login") == "http://127.0.0.1:8123/login"


@pytest.mark.parametrize(("value", "expected"), [(None, "None"), ("", "None"), ("https://x.dk", "https://x.dk")])
def test_public_url_setting_is_empty_unless_given(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_URL"}
    if value is not None:
        env["PUBLIC_URL"] = value
    out = subprocess.run([sys.executable, "-c", "import config; print(config.Config.PUBLIC_URL)"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_start_script_does_not_pin_links_to_port_5000():
    script = (ROOT / "scripts" / "start.sh").read_text()
    assert "PUBLIC_URL" not in script or "${PORT" in script.split("PUBLIC_URL", 1)[1].splitlines()[0]


def test_activation_letter_made_by_a_job_links_to_the_address_of_the_request(client, ctx):
    """The letter is written by a job after /apply: it links to where the applicant came in."""
    import re

    from tests.test_onboarding import TREDJE, application_data

    client.post("/apply", data=application_data(), base_url="https://portal.lan:8443")
    letter = (OutboxMessage.select().where(OutboxMessage.channel == "digital_post", OutboxMessage.recipient == TREDJE)
              .order_by(OutboxMessage.id.desc()).get())
    assert re.search(r"https://portal\.lan:8443/activate\?username=sb\d{6}", letter.body)
