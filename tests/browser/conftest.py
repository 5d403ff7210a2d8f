"""Browser tests: a real gunicorn server on a copy of the demo data, Debian's Chromium
driven by pytest-playwright, axe-core for accessibility.

Screenshots go to test-artifacts/ (gitignored)."""
import datetime
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pyotp
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DEMO_PASSWORD = "demo-password-1"
DEMO_TOTP = "ONSWY5TCMV2GUZLONFXGOLLEMVWW6LJR"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _compile_catalogues():
    """The .mo files are gitignored: build them when missing or older than the .po."""
    stale = False
    for po in (ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale = True
    if stale:
        pybabel = Path(sys.executable).parent / "pybabel"
        subprocess.run([str(pybabel), "-q", "compile", "-d", str(ROOT / "locales")], cwd=ROOT, check=False)


SERVER_DB = []  # the server's database file, once it runs


@pytest.fixture(autouse=True)
def languages_follow_the_browser():
    """Every test starts with no language chosen by any user, so the browser's locale decides:
    a test that switches a user's language (the shell's language test) must not decide the
    language of the tests after it on the same server."""
    if SERVER_DB:
        with sqlite3.connect(SERVER_DB[-1], timeout=30) as connection:
            connection.execute('UPDATE "user" SET locale = NULL WHERE locale IS NOT NULL')
    yield


@pytest.fixture(scope="session")
def server_url(demo_db_file, tmp_path_factory):
    """A real server process (gunicorn, as in the Procfile) on a private copy of the demo data."""
    _compile_catalogues()
    # Not under pytest's basetemp: parallel pytest runs prune old basetemps while we run.
    work = Path(tempfile.mkdtemp(prefix="selvbetjening-browser-"))
    db_path = work / "browser.db"
    shutil.copy(demo_db_file, db_path)
    port = _free_port()
    env = {
        **os.environ,
        "SELVBETJENING_MODE": "testing",
        "SECRET_KEY": "browser-test",
        "DATABASE_URL": f"sqlite:///{db_path}",
        "DATA_DIR": str(work),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "NETWORK_DELAY_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    env.pop("SMTP_HOST", None)
    log = open(work / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4", "--no-control-socket",
         "--access-logfile", "-", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    SERVER_DB.append(db_path)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            log.close()
            pytest.fail(f"the server exited ({proc.returncode}):\n{(work / 'server.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            pytest.fail("the server did not answer /healthz within 30 s")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def new_context(browser, **options):
    """A browser context with short timeouts: a broken page fails fast instead of hanging."""
    options.setdefault("locale", "da-DK")
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    return context


# --- logging in -----------------------------------------------------------------------

_last_step = {}


def totp_code(email):
    """A TOTP code for a step this user has not used yet. The server accepts each step
    once per user, and the steps now-1 .. now+1: that is three logins per 30 s (the
    previous step only early in the current one, so it is still valid when the request
    arrives); wait for the clock when all are spent."""
    totp = pyotp.TOTP(DEMO_TOTP)
    while True:
        now = datetime.datetime.now(datetime.timezone.utc)
        current = totp.timecode(now)
        into_step = now.timestamp() % totp.interval
        earliest = current - 1 if into_step < totp.interval - 8 else current
        step = max(earliest, _last_step.get(email, -10) + 1)
        if step <= current + 1:
            _last_step[email] = step
            return totp.at(now + datetime.timedelta(seconds=(step - current) * totp.interval))
        time.sleep(0.5)


def login(page, base, email, password=DEMO_PASSWORD):
    """The real flow: e-mail and password, then the TOTP code."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/login/verify"))
    page.fill("#code", totp_code(email))
    page.click("main form button[type=submit] >> nth=0")
    page.wait_for_url(lambda url: "/login" not in url)


def login_employee(page, base, mobile="20000001"):
    """Employees: mobile number, then the code sent by SMS (read in the demo outbox).

    Only a new SMS counts: the portal sends no second code within 30 seconds (services/auth.py
    CODE_RESEND_AFTER), and the outbox's newest message would then be an earlier, used code (a
    test that signed the employee in just before). So the number is sent again until a new one comes."""
    to = "%2B45" + re.sub(r"\D", "", mobile)[-8:]  # the SMS's recipient, E.164 (a Danish mobile)
    outbox = page.context.new_page()

    def newest():
        outbox.goto(f"{base}/dev/outbox?to={to}")
        body = outbox.locator("pre.body").first
        return body.inner_text() if body.count() else None

    before, code, deadline = newest(), None, time.monotonic() + 45
    while code is None and time.monotonic() < deadline:
        page.goto(f"{base}/login/mobile")
        page.fill("#mobile", mobile)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/login/verify"))
        for _ in range(25):
            text = newest()
            found = re.search(r"\b(\d{6})\b", text or "") if text != before else None
            if found:
                code = found.group(1)
                break
            time.sleep(0.2)
        else:
            time.sleep(3)  # within the resend window: ask again shortly
    outbox.close()
    assert code, "no new SMS code in /dev/outbox"
    page.fill("#code", code)
    page.click("main form button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/me"))


@pytest.fixture(scope="session")
def signed_in_states(server_url, browser):
    """Storage states (cookies) of one login per role, made once and shared by the
    page checks: admin, staff, employee."""
    folder = Path(tempfile.mkdtemp(prefix="selvbetjening-states-"))
    states = {}

    def get(role):
        if role not in states:
            context = new_context(browser, viewport=DESKTOP)
            page = context.new_page()
            if role == "employee":
                login_employee(page, server_url)
            else:
                login(page, server_url, {"admin": "admin@demo.dk", "staff": "staff@operator.dk",
                                         "limited": "begraenset@demo.dk"}[role])
            path = folder / f"{role}.json"
            context.storage_state(path=str(path))
            context.close()
            states[role] = str(path)
        return states[role]

    return get


# --- checks ---------------------------------------------------------------------------

def axe_violations(page, name):
    """axe-core on the page as it is now: a readable line list of what it found."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    if not results.violations_count:
        return []
    lines = [f"axe: {results.violations_count} violation(s) on {name} ({page.url}):"]
    for v in results.response["violations"]:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:8]:
            summary = (node.get("failureSummary") or "").splitlines()
            lines.append(f"    {', '.join(map(str, node['target']))}: {' '.join(summary[1:3]).strip()}")
            lines.append(f"      {node['html'][:200]}")
    return lines


def axe_check(page, name):
    """Fail with the readable list when axe finds anything."""
    lines = axe_violations(page, name)
    if lines:
        pytest.fail("\n".join(lines), pytrace=False)


def focus_document_start(page):
    """Put the keyboard's starting point at the top of the document, as on arrival
    without autofocus: the next Tab goes to the first focusable element."""
    page.evaluate("""() => {
        const root = document.documentElement;
        root.setAttribute('tabindex', '-1'); root.focus(); root.removeAttribute('tabindex');
    }""")


def shot(page, artifacts, name, full_page=True):
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=full_page)


def overflow_problems(page, width):
    """Nothing may make the page scroll sideways: [] or a line naming the culprits."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll <= width:
        return []
    culprits = page.evaluate(
        """(w) => Array.from(document.querySelectorAll('body *'))
             .filter(e => e.getBoundingClientRect().right > w + 1)
             .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                               + ' right=' + Math.round(e.getBoundingClientRect().right))""", width)
    return [f"{page.url}: scrollWidth {scroll} > {width}; too wide: {culprits}"]


def no_horizontal_overflow(page, width):
    problems = overflow_problems(page, width)
    if problems:
        pytest.fail(problems[0], pytrace=False)


@pytest.fixture
def own_server(demo_db_file):
    """A server of the test's own, started as server_url starts one: for a test that stops it, or that
    needs its job threads free (not behind the background jobs earlier tests left on the shared server)."""
    work = Path(tempfile.mkdtemp(prefix="selvbetjening-own-"))
    shutil.copy(demo_db_file, work / "browser.db")
    port = _free_port()
    env = {**os.environ, "SELVBETJENING_MODE": "testing", "SECRET_KEY": "browser-test",
           "DATABASE_URL": f"sqlite:///{work / 'browser.db'}", "DATA_DIR": str(work),
           "LOGIN_RATE_LIMIT": "1000 per minute", "NETWORK_DELAY_SECONDS": "0"}
    env.pop("REDIS_URL", None)
    env.pop("SMTP_HOST", None)
    log = open(work / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "2", "--no-control-socket",
                             "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail((work / "server.log").read_text()[-2000:])
            time.sleep(0.2)
    yield base, proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)
    log.close()
    shutil.rmtree(work, ignore_errors=True)
