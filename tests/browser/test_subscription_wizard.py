"""The create-subscription wizard on a 360 px phone: a mobile subscription with a ported
number, every step over HTMX with axe, an error shown in the step's summary, and the
order completing on the new employee page. Screenshots in test-artifacts/sub-wizard-*.png."""
import re

from playwright.sync_api import expect

from .conftest import PHONE, axe_check, login, no_horizontal_overflow, shot


def _check(page, artifacts, name):
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, f"sub-wizard-{name}-360")
    axe_check(page, f"subscription wizard: {name} (360)")


def _next(page, step):
    page.locator("#wizard button[value=next]").click()
    page.wait_for_url(re.compile(rf"step={step}$"))


def test_mobile_subscription_with_a_ported_number_on_a_phone(server_url, browser, artifacts):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="da-DK")
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    page.goto(f"{server_url}/subscriptions/new")
    page.get_by_label("Mobil", exact=True).check()
    _check(page, artifacts, "1-kind")
    _next(page, "plan")
    page.locator("#wizard input[name=plan]").first.check()
    _check(page, artifacts, "2-plan")
    _next(page, "number")

    page.get_by_label(re.compile("nummerflytning", re.I)).check()
    page.fill("#u-port_number", "29 99 66 55")
    page.locator("#u-port_operator").select_option(index=2)
    page.fill("#u-port_owner_name", "Demo A/S")
    page.fill("#u-port_owner_cvr", "12345675")  # a wrong check digit first
    page.locator("#u-port_consent").check()
    page.fill("#u-port_signer", "Anne Admin")
    page.locator("#wizard button[value=next]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("CVR")
    _check(page, artifacts, "3-number-error")
    page.fill("#u-port_owner_cvr", "12345674")
    _next(page, "sim")

    page.fill("#u-delivery_address", "Vestergade 1, 8000 Aarhus C")
    _check(page, artifacts, "4-sim")
    _next(page, "employee")
    page.fill("#u-holder_name", "Nina Browser")
    page.fill("#u-holder_email", "nina.browser@demo.dk")
    _next(page, "account")
    _check(page, artifacts, "5-account")
    page.locator("#wizard input[name=account_id]").first.check()
    _next(page, "summary")
    expect(page.locator("#wizard")).to_contain_text("29 99 66 55")
    _check(page, artifacts, "6-summary")

    page.reload()  # the draft survives a reload
    expect(page.locator("#wizard")).to_contain_text("Nina Browser")
    page.locator("#wizard button[value=create]").click()
    page.wait_for_url(re.compile(r"/subscriptions/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nina Browser")
    expect(page.get_by_text("Dine ordrer er udført.")).to_be_visible(timeout=15000)
    _check(page, artifacts, "7-created")
    context.close()
