"""HTMX never fails silently, in Chromium: a stopped server, a failing fragment and an expired
session each end in a message or on the login page, never in nothing."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_PASSWORD, DESKTOP, PHONE, axe_check, login, new_context, shot, totp_code


def _message(page, name):
    """The words base.html gives app.js for a failure of this kind (translated on the server)."""
    words = page.get_attribute("#htmx-messages", f"data-{name}")
    assert words
    return words


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "360"])
def test_searching_after_the_server_stopped_shows_a_message(own_server, browser, artifacts, viewport):
    base, proc = own_server
    context = new_context(browser, viewport=viewport)
    page = context.new_page()
    login(page, base, "admin@demo.dk")
    page.goto(f"{base}/subscriptions")
    expected = _message(page, "network")
    assert "server" in expected.lower()
    proc.terminate()
    proc.wait(timeout=10)
    if viewport is PHONE and not page.is_visible("#global-search"):
        pytest.skip("the phone layout hides the top search")
    page.fill("#global-search", "jensen")
    notice = page.locator("#search-results .htmx-error")
    expect(notice).to_have_text(expected)
    expect(page.locator("#search-results")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("html")).not_to_have_class(re.compile("htmx-loading"))
    shot(page, artifacts, f"htmx-server-stopped-{viewport['width']}", full_page=False)
    # a list request without a region of its own kind still tells: the pager swaps #rows
    page.locator("#rows .pager a.pager-number").first.click()
    expect(page.locator("#rows > .htmx-error")).to_have_text(expected)
    context.close()


def test_a_failing_fragment_shows_the_message_in_its_target(server_url, browser, artifacts):
    context = new_context(browser, viewport=DESKTOP)
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    page.goto(f"{server_url}/subscriptions")
    rows_before = page.locator("#rows tbody tr").count()
    # the next list request meets a server error that has no words of ours (as a proxy would answer)
    page.route(re.compile(r".*/subscriptions\?.*page=2.*"),
               lambda route: route.fulfill(status=500, body="Internal Server Error", content_type="text/plain"), times=1)
    page.locator("#rows .pager a.pager-number", has_text="2").first.click()
    notice = page.locator("#rows > .htmx-error")
    expect(notice).to_have_text(_message(page, "error"))
    assert page.locator("#rows tbody tr").count() == rows_before  # the rows stay
    shot(page, artifacts, "htmx-fragment-500", full_page=False)
    axe_check(page, "subscriptions with a failed request")
    # a real error fragment from the server: its own words, in the target
    page.evaluate("""() => { const links = document.querySelectorAll('#rows .pager a.pager-number');
                            const a = links[links.length - 1];
                            a.setAttribute('hx-get', '/subscriptions/999999999'); htmx.process(a); a.click(); }""")
    expect(page.locator("#rows > .htmx-error")).not_to_have_text(_message(page, "error"))
    expect(page.locator("#rows > .htmx-error")).to_have_attribute("role", "alert")
    # the next successful swap clears the message
    page.locator("#rows .pager a.pager-number", has_text="2").first.click()
    expect(page.locator("#rows > .htmx-error")).to_have_count(0)
    expect(page.locator("#rows .pager-current")).to_have_text("2")
    expect(page.locator("#rows")).to_be_focused()
    context.close()


def test_an_expired_session_lands_on_login_and_returns(server_url, browser, artifacts):
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    page.goto(f"{server_url}/orders?which=done")
    context.clear_cookies()  # the session has ended
    page.select_option("#o-status", index=1)  # the filter asks for the rows by HTMX
    page.wait_for_url(re.compile(r"/login\?next="))
    assert "next=/orders?which%3Ddone" in page.url or "next=%2Forders%3Fwhich%3Ddone" in page.url
    shot(page, artifacts, "htmx-session-expired-login", full_page=False)
    page.fill("#email", "admin@demo.dk")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/login/verify"))
    page.fill("#code", totp_code("admin@demo.dk"))
    page.click("main form button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/orders\?which=done$"))
    context.close()
