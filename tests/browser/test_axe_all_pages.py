"""axe-core on every page of the URL map, as each role that may see it, at 360 and 1280 px,
in Danish and in English (the browser's language: the demo users have chosen none).

The list of pages is checked against `app.url_map`: every GET route is either a page in
PAGES or named in EXCLUDED with the reason, so a new page fails here until it is listed.

Speed: one page load per (page, role, language); the second width is a resize, and axe is
injected once per load and run at both widths with the project's tags only. Several pages
load at once (async Playwright in a thread of its own; the server has threads), and the
logged-in roles reuse one storage state each."""
import asyncio
import os
import re
import shutil
import tempfile
import threading
import time
from collections import namedtuple
from pathlib import Path

import pytest

from tests.sample_ids import sample_args

from .conftest import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, DESKTOP, PHONE, totp_code

# anonymous visitors; "pending": password given, second factor not yet; "forgot": the
# forgotten-password flow after the e-mail step; "other": the other customer's admin
ANONYMOUS, PENDING, FORGOT = "anonymous", "pending", "forgot"
ADMIN, LIMITED, OTHER, STAFF, EMPLOYEE = "admin", "limited", "other", "staff", "employee"
SIGNED_IN = (ADMIN, LIMITED, STAFF, EMPLOYEE)
CUSTOMER = (ADMIN, LIMITED)  # the limited user sees fewer rows through the same templates
LANGUAGES = {"da": "da-DK", "en": "en-GB"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
CONCURRENCY = 4
SCREENSHOTS = os.environ.get("AXE_SHOTS") == "1"  # every page to test-artifacts/axe-*.png, not only failing ones

Page = namedtuple("Page", "endpoint roles args", defaults=({},))

PAGES = [
    # -- before login
    Page("auth.login", (ANONYMOUS,)),
    Page("auth.verify", (PENDING,)),
    Page("auth.mobile", (ANONYMOUS,)),
    Page("auth.forgot", (ANONYMOUS,)),
    Page("auth.forgot_code", (FORGOT,)),
    Page("onboarding.apply", (ANONYMOUS,)),
    Page("onboarding.recovery", (ANONYMOUS,)),
    Page("onboarding.activate", (ANONYMOUS,)),
    Page("pwa.offline", (ANONYMOUS,)),
    Page("dev.outbox", (ANONYMOUS,)),
    # -- customers
    Page("home.index", (ADMIN, LIMITED, OTHER)),
    Page("home.search", CUSTOMER, {"q": "Jensen"}),
    Page("home.search_suggestions", (ADMIN,), {"q": "Mette"}),  # the list, opened as a page without HTMX
    Page("outages.index", CUSTOMER),
    Page("subscriptions.index", (ADMIN, LIMITED, OTHER)),
    Page("subscriptions.detail", CUSTOMER),
    Page("subscriptions.action", CUSTOMER, {"action": "plan"}),
    Page("subscriptions.action", (ADMIN,), {"action": "sim"}),  # the limited user has no `sim`
    Page("subscriptions.action", CUSTOMER, {"action": "account"}),
    Page("subscriptions.action", CUSTOMER, {"action": "addon"}),
    Page("subscriptions.action", CUSTOMER, {"action": "block"}),
    Page("subscriptions.action", CUSTOMER, {"action": "note"}),
    Page("subscriptions.bulk", CUSTOMER),
    Page("subscriptions.new", CUSTOMER),
    Page("accounts.index", CUSTOMER),
    Page("accounts.detail", CUSTOMER),
    Page("accounts.company", CUSTOMER),
    Page("invoices.index", (ADMIN, LIMITED, OTHER)),
    Page("invoices.detail", CUSTOMER),
    Page("invoices.changes", CUSTOMER),
    Page("invoices.credit_note", CUSTOMER),
    Page("orders.index", (ADMIN, LIMITED, OTHER)),
    Page("orders.detail", (ADMIN,)),  # the sample order is on an account outside the limited user's
    Page("numbers.index", (ADMIN, LIMITED, OTHER)),
    Page("numbers.port_in", CUSTOMER),
    Page("numbers.porting", CUSTOMER),
    Page("numbers.tracker", CUSTOMER),
    Page("numbers.correct", CUSTOMER),
    Page("call_flow.index", (OTHER,)),  # a company without a phone system; Demo's redirects to its one
    Page("call_flow.system", CUSTOMER),
    Page("call_flow.edit", (ADMIN,)),  # changing needs full account access
    Page("call_flow.version", CUSTOMER),
    Page("products.index", (ADMIN, LIMITED, OTHER)),
    Page("products.user", CUSTOMER),
    Page("products.profile", CUSTOMER),
    Page("products.vacation", CUSTOMER),
    Page("products.personal_number", CUSTOMER),
    Page("products.edit_personal_number", (ADMIN,)),  # full account access
    Page("support.index", (ADMIN, LIMITED, OTHER)),
    Page("support.new", CUSTOMER),
    Page("support.concerns", (ADMIN,), {"q": "40120011"}),  # the picker's matches as a page
    Page("support.detail", CUSTOMER),
    Page("users.index", (ADMIN, OTHER)),  # `users` is for admins only
    Page("users.detail", (ADMIN,)),
    Page("users.new", (ADMIN,)),
    Page("audit_trail.index", (ADMIN,)),
    # -- every signed-in kind
    Page("settings.index", SIGNED_IN),
    Page("step_up.verify", SIGNED_IN),
    # -- employees
    Page("me.index", (EMPLOYEE,)),
    Page("me.roaming", (EMPLOYEE,)),
    Page("me.sim", (EMPLOYEE,)),
    # -- operator staff
    Page("staff.index", (STAFF,)),
    Page("staff.applications", (STAFF,)),
    Page("staff.companies", (STAFF,), {"cvr": "25313763"}),
    Page("staff.fraud_reviews", (STAFF,)),
    Page("staff.invoices", (STAFF,)),
    Page("staff.invoice", (STAFF,)),
    Page("staff.outages", (STAFF,)),
    Page("staff.outage", (STAFF,)),
    Page("staff.tickets", (STAFF,)),
    Page("staff.ticket", (STAFF,)),
]

EXCLUDED = {
    # not HTML: files, feeds for machines, the service worker
    "health.healthz": "JSON liveness",
    "health.readyz": "JSON readiness",
    "health.metrics_view": "Prometheus text",
    "pwa.service_worker": "JavaScript (/sw.js)",
    "invoices.invoice_pdf": "PDF download",
    "invoices.invoice_xml": "UBL XML download",
    "invoices.credit_note_pdf": "PDF download",
    "invoices.credit_note_xml": "UBL XML download",
    "subscriptions.bulk_result": "CSV download",
    "subscriptions.export_download": "CSV download",
    "audit_trail.download": "CSV download",
    "support.attachment": "attachment download",
    "staff.ticket_attachment": "attachment download",
    # redirects only
    "pwa.start": "redirects to / or /me (the installed app's start URL)",
    # job status: a polling fragment of the page that started the job (its macro is on those pages)
    "invoices.invoice_pdf_status": "job status fragment",
    "invoices.credit_note_pdf_status": "job status fragment",
    "subscriptions.export_status": "job status fragment",
    "audit_trail.export_status": "job status fragment",
    "users.account_options": "HTMX fragment of the user page (the account filter)",
    # pages in the middle of a flow whose state can't be made without changing the shared demo data
    # or reading a code from a letter; tests/browser/test_onboarding.py runs axe on the activation steps
    "onboarding.details": "activation step 2: needs a letter's code (test_onboarding.py)",
    "onboarding.password": "activation step 3: needs a letter's code (test_onboarding.py)",
    "onboarding.two_factor": "activation step 4: needs a letter's code (test_onboarding.py)",
    "onboarding.submitted": "after an application is sent: would create an application (test_onboarding.py)",
    "auth.forgot_verify": "password reset after a valid e-mailed code: would spend a real user's reset",
    "auth.forgot_password": "password reset after a valid e-mailed code: would spend a real user's reset",
    "settings.confirm_authenticator": "a new, unconfirmed authenticator: would add one to a demo user",
    "settings.confirm_contact": "a changed e-mail or mobile waiting for its code: would change a demo user",
    "staff.application": "no application in the demo data (test_onboarding.py makes one)",
    "subscriptions.bulk_detail": "no bulk run in the demo data",
    "transfers.answer": "needs a transfer's secret token from an e-mail",
}

def _get_endpoints(app):
    return {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"}


def test_every_page_is_checked_or_excluded(app):
    """A new GET route must be added to PAGES (with its roles) or to EXCLUDED (with why)."""
    endpoints = _get_endpoints(app)
    listed = {p.endpoint for p in PAGES}
    assert sorted(endpoints - listed - set(EXCLUDED)) == [], "GET routes neither checked by axe nor excluded"
    assert sorted((listed | set(EXCLUDED)) - endpoints) == [], "listed routes that no longer exist"
    assert sorted(listed & set(EXCLUDED)) == [], "routes both checked and excluded"


# -- the URLs, from the demo data's sample ids ----------------------------------------------

@pytest.fixture(scope="session")
def page_jobs(demo_db_file):
    """(name, role, language, url) for every page × role × language (AXE_PAGES=users,staff
    narrows it to the endpoints containing one of the words, while fixing a page)."""
    from flask import url_for

    from models import db
    from tests.conftest import make_app

    only = os.environ.get("AXE_PAGES", "")
    work = Path(tempfile.mkdtemp(prefix="selvbetjening-axe-"))
    shutil.copy(demo_db_file, work / "axe.db")
    app = make_app(work / "axe.db")
    try:
        args = sample_args()
        rules = {r.endpoint: r for r in app.url_map.iter_rules()}
        jobs = []
        with app.test_request_context():
            for page in PAGES:
                values = {k: args[k] for k in rules[page.endpoint].arguments if k not in page.args}
                url = url_for(page.endpoint, **values, **page.args)
                for role in page.roles:
                    for language in LANGUAGES:
                        if only and not any(word in page.endpoint for word in only.split(",")):
                            continue
                        jobs.append((f"{page.endpoint}{page.args or ''}", role, language, url))
    finally:
        if not db.is_closed():
            db.close()
        shutil.rmtree(work, ignore_errors=True)
    return jobs


# -- running them -----------------------------------------------------------------------------

def _axe_script():
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


OVERFLOW_JS = """(w) => {
    const scroll = document.documentElement.scrollWidth;
    if (scroll <= w) return null;
    const culprits = Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > w + 1)
        .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined
                                                         ? '.' + e.className : '')
                          + ' right=' + Math.round(e.getBoundingClientRect().right));
    return 'scrollWidth ' + scroll + ' > ' + w + '; too wide: ' + culprits.join(', ');
}"""


IDLE_JS = "() => !document.querySelector('.htmx-request, [aria-busy=true]')"
# before app.js's listeners (capture on window): a cancelled request never marks anything busy
HOLD_HTMX_JS = """() => window.addEventListener('htmx:beforeRequest', (event) => {
    event.preventDefault(); event.stopImmediatePropagation();
}, true)"""


def _violation_lines(violations, where):
    lines = [f"axe: {len(violations)} violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:6]:
            summary = (node.get("failureSummary") or "").splitlines()
            lines.append(f"    {', '.join(map(str, node['target']))}: {' '.join(summary[1:3]).strip()}")
            lines.append(f"      {node['html'][:200]}")
    return lines


class Runner:
    def __init__(self, base, states, artifacts):
        self.base, self.states, self.artifacts = base, states, artifacts
        self.axe = _axe_script()
        self.problems, self.checked = [], 0
        self.contexts = {}
        self.log = []

    async def context(self, role, language, fresh=False):
        key = (role, language)
        if fresh or key not in self.contexts:
            state = self.states.get(role)
            context = await self.browser.new_context(viewport=PHONE, locale=LANGUAGES[language], storage_state=state)
            context.set_default_timeout(15_000)
            context.set_default_navigation_timeout(20_000)
            if fresh:
                return context
            self.contexts[key] = context
        return self.contexts[key]

    def report(self, lines):
        self.problems += lines
        with open(self.artifacts / "axe-problems.txt", "a") as out:  # to read while it runs
            out.write("".join(line + "\n" for line in lines))

    async def open(self, role, language, url):
        """The page at `url` as `role`: (page, context to close or None)."""
        if role in (PENDING, FORGOT):
            context = await self.context(role, language, fresh=True)
            page = await context.new_page()
            if role == PENDING:
                await page.goto(f"{self.base}/login")
                await page.fill("#email", "begraenset@demo.dk")
                await page.fill("#password", DEMO_PASSWORD)
            else:  # an address without a login: the flow looks the same, and no one's reset is spent
                await page.goto(f"{self.base}/login/forgot")
                await page.fill("#email", "ingen.login@example.dk")
            await page.click("main form button[type=submit]")
            await page.wait_for_url(re.compile(re.escape(url) + "$"))
            return page, context
        page = await (await self.context(role, language)).new_page()
        response = await page.goto(self.base + url)
        if response.status != 200 or not page.url.endswith(url):
            raise AssertionError(f"HTTP {response.status}, at {page.url}")
        return page, None

    async def settle(self, page):
        """Let the requests the page made on load finish, then hold background HTMX (the status
        polls of orders and port-ins): axe checks the page as it stands, not a poll in flight."""
        await page.wait_for_function(IDLE_JS, timeout=15_000)
        await page.evaluate(HOLD_HTMX_JS)
        await page.wait_for_function(IDLE_JS, timeout=15_000)

    async def check(self, name, role, language, url):
        where = f"{name} as {role} in {language} ({url})"
        page = context = None
        started = time.monotonic()
        phases = []
        try:
            page, context = await self.open(role, language, url)
            lang = await page.get_attribute("html", "lang")
            if lang != language:
                self.report([f"{where}: <html lang={lang}>, expected {language}"])
            await self.settle(page)
            phases = [f"load {time.monotonic() - started:.1f}"]
            await page.evaluate(self.axe)
            for viewport in (PHONE, DESKTOP):
                width = viewport["width"]
                await page.set_viewport_size(viewport)
                overflow = await page.evaluate(OVERFLOW_JS, width)
                result = await page.evaluate(
                    "(options) => axe.run(document, options).then(r => r.violations)",
                    {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
                self.checked += 1
                phases.append(f"{width} {time.monotonic() - started:.1f}")
                found = []
                if overflow:
                    found.append(f"overflow on {where} at {width}px: {overflow}")
                if result:
                    found += _violation_lines(result, f"{where} at {width}px")
                if found or SCREENSHOTS:
                    self.report(found)
                    slug = re.sub(r"[^a-z0-9]+", "-", f"{name}-{role}-{language}-{width}".lower())
                    await page.screenshot(path=str(self.artifacts / f"axe-{slug}.png"), full_page=True)
        except Exception as error:  # a page that does not load is a finding, not a crash of the run
            self.report([f"{where}: {type(error).__name__}: {str(error).splitlines()[0][:300]}"])
        finally:
            self.log.append(f"{time.monotonic() - started:5.1f}s {where} [{', '.join(phases)}]")
            if page is not None:
                await page.close()
            if context is not None:
                await context.close()

    async def sign_in_other(self):
        """The other customer's admin (the shared fixture knows only the Demo roles)."""
        context = await self.browser.new_context(viewport=DESKTOP)
        page = await context.new_page()
        await page.goto(f"{self.base}/login")
        await page.fill("#email", "admin@anden.dk")
        await page.fill("#password", DEMO_PASSWORD)
        await page.click("main form button[type=submit]")
        await page.wait_for_url(re.compile(r"/login/verify"))
        await page.fill("#code", totp_code("admin@anden.dk"))
        await page.click("main form button[type=submit] >> nth=0")
        await page.wait_for_url(lambda u: "/login" not in u)
        self.states[OTHER] = await context.storage_state()
        await context.close()

    async def run(self, jobs):
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            self.browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if any(role == OTHER for _n, role, _l, _u in jobs):
                await self.sign_in_other()
            gate = asyncio.Semaphore(CONCURRENCY)

            async def one(job):
                async with gate:
                    await self.check(*job)

            await asyncio.gather(*(one(job) for job in jobs))
            await self.browser.close()


def test_axe_on_every_page(server_url, signed_in_states, page_jobs, artifacts):
    """Every page × role × language, at 360 and 1280 px: it loads, nothing sticks out
    sideways, axe finds nothing. Screenshots of what fails go to test-artifacts/axe-*.png."""
    states = {role: signed_in_states(role) for role in (ADMIN, LIMITED, STAFF, EMPLOYEE)}
    runner = Runner(server_url, states, artifacts)
    (artifacts / "axe-problems.txt").write_text("")
    started = time.monotonic()
    # async Playwright in a thread of its own: the sync fixtures own this thread's event loop
    thread = threading.Thread(target=lambda: asyncio.run(runner.run(page_jobs)))
    thread.start()
    thread.join()
    elapsed = time.monotonic() - started
    (artifacts / "axe-timings.txt").write_text("\n".join(sorted(runner.log, reverse=True)) + "\n")
    print(f"axe: {runner.checked} page × role × width × language checks in {elapsed:.0f} s")
    assert runner.checked or runner.problems, "nothing was checked"
    if runner.problems:
        pytest.fail("\n".join(runner.problems), pytrace=False)
    assert runner.checked == 2 * len(page_jobs)
