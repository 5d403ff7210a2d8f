"""A new company gets access in a real browser on a 360 px phone: apply by CVR, read the
letter at /dev/outbox, activate with username and code, choose a password, enrol an
authenticator app, land on the front page. axe on every step; screenshots in test-artifacts/."""
import re
import time

import pyotp
from playwright.sync_api import expect

from .conftest import PHONE, axe_check, no_horizontal_overflow, shot


def _check(page, artifacts, name):
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, f"onboarding-{name}-360")
    axe_check(page, f"onboarding: {name} (360)")


def _submit(page):
    page.locator("main form button[type=submit]").first.click()


def test_a_company_applies_and_activates_on_a_phone(own_server, browser, artifacts):
    server_url, _process = own_server  # its jobs run at once, not behind earlier tests' bulk jobs
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="da-DK")
    page = context.new_page()
    page.goto(f"{server_url}/apply")
    _check(page, artifacts, "1-apply")

    # bad input first: errors next to the fields, values kept
    page.fill("#cvr", "87654339")
    page.fill("#company_name", "Tredje Firma A/S")
    _submit(page)
    expect(page.locator("#cvr-error")).to_be_visible()
    expect(page.locator("#company_name")).to_have_value("Tredje Firma A/S")
    _check(page, artifacts, "1-apply-errors")

    page.fill("#cvr", "87654338")
    page.fill("#admin_name", "Tina Tredje")
    page.fill("#email", "tina@tredje.dk")
    page.fill("#mobile", "40 11 22 33")
    page.check("#terms")
    _submit(page)
    page.wait_for_url(re.compile(r"/apply/sent"))
    expect(page.locator("main")).to_contain_text("e-Boks", timeout=20_000)  # the job checks the register
    _check(page, artifacts, "2-sent")

    # the letter in the company's digital mailbox (demo: /dev/outbox)
    # the check runs as a job in the server's thread pool: reload until the letter is there
    letters = page.locator("article.outbox-message").filter(has_text="87654338")
    deadline = time.monotonic() + 90  # generous: a loaded CI machine runs the job late
    while time.monotonic() < deadline:
        page.goto(f"{server_url}/dev/outbox?to=87654338")
        if letters.count():
            break
        page.wait_for_timeout(500)
    letter = letters.first.inner_text()
    username = re.search(r"(sb\d{6})", letter).group(1)
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", letter).group(1)

    page.goto(f"{server_url}/activate")
    page.fill("#username", username)
    page.fill("#code", code)
    _check(page, artifacts, "3-activate")
    _submit(page)
    # the details the application gave: confirmed (or replaced) by whoever holds the letter
    page.wait_for_url(re.compile(r"/activate/details"))
    expect(page.locator("#email")).to_have_value("tina@tredje.dk")
    _check(page, artifacts, "3b-details")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, artifacts, "onboarding-3b-details-1280")
    axe_check(page, "onboarding: details (1280)")
    page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
    _submit(page)
    page.wait_for_url(re.compile(r"/activate/password"))
    page.fill("#password", "password1234")
    page.fill("#repeat", "password1234")
    _submit(page)
    expect(page.locator("#password-error")).to_be_visible()
    _check(page, artifacts, "4-password-error")
    page.fill("#password", "tre grønne kaffekopper om morgenen")
    page.fill("#repeat", "tre grønne kaffekopper om morgenen")
    _submit(page)
    page.wait_for_url(re.compile(r"/activate/two-factor"))
    _check(page, artifacts, "5-choose")
    page.get_by_role("button", name=re.compile("Godkendelsesapp|Authenticator")).click()
    secret = page.locator("#totp-secret").inner_text().strip()
    _check(page, artifacts, "6-authenticator")
    page.fill("#code", pyotp.TOTP(secret).now())
    _submit(page)
    page.wait_for_url(f"{server_url}/")
    expect(page.locator("h1")).to_contain_text("Tina Tredje")
    expect(page.locator(".company-name, .company-switcher")).to_contain_text("Tredje Firma A/S")
    _check(page, artifacts, "7-front-page")
    context.close()
