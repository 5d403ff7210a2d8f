"""The create-user wizard in a real browser on a 360 px phone: every step over HTMX,
back and forward and a reload keep the values, axe on every step, screenshots in
test-artifacts/users-wizard-*.png."""
import re

from playwright.sync_api import expect

from .conftest import PHONE, axe_check, login, no_horizontal_overflow, shot


def _check(page, artifacts, name):
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, f"users-wizard-{name}-360")
    axe_check(page, f"users wizard: {name} (360)")


def _next(page, step):
    page.locator("#wizard button[value=next]").click()
    page.wait_for_url(re.compile(rf"step={step}$"))
    expect(page.locator("#wizard h2")).to_be_focused()


def _checked(page, selector):
    return page.locator(selector).is_checked()


def test_create_user_wizard_on_a_phone(server_url, browser, artifacts):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="da-DK")
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    page.goto(f"{server_url}/users")
    _check(page, artifacts, "list")
    page.locator("main a[href='/users/new']").click()
    page.wait_for_url(re.compile(r"/users/new"))
    expect(page.locator("#u-name")).to_be_visible()

    # 1 details: a bad mobile number first, then the right one.
    page.fill("#u-name", "Lise Browser")
    page.fill("#u-email", "lise.browser@demo.dk")
    page.fill("#u-mobile", "12 34")
    page.locator("#wizard button[value=next]").click()
    expect(page.locator("#mobile-error")).to_be_visible()
    expect(page.locator("#u-mobile")).to_have_attribute("aria-invalid", "true")
    assert "step=" not in page.url or page.url.endswith("step=details")
    _check(page, artifacts, "1-details-error")
    page.fill("#u-mobile", "20 11 22 44")
    _next(page, "companies")

    # 2 companies: Demo A/S is ticked by default.
    company_a = page.get_by_role("checkbox", name=re.compile("12345674"))
    expect(company_a).to_be_checked()
    _check(page, artifacts, "2-companies")
    _next(page, "accounts")

    # 3 accounts: limited, found with the live filter; a ticked account survives another filter.
    page.get_by_role("radio", name=re.compile("Begrænset|Limited")).check()
    page.locator("#new-q").press_sequentially("40120011", delay=20)
    box = page.get_by_role("checkbox", name=re.compile("40120011"))
    expect(box).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("40120029"))).to_have_count(0)
    box.check()
    page.locator("#new-q").fill("")
    page.locator("#new-q").press_sequentially("Salg", delay=20)
    expect(page.get_by_role("checkbox", name=re.compile("40120029"))).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("40120011"))).to_be_checked()
    _check(page, artifacts, "3-accounts")
    _next(page, "rights")

    # 4 functions: a preset, then one more by hand.
    page.locator("button[value='preset:invoices']").click()
    expect(page.locator("input[name=functions][value=invoices]")).to_be_checked()
    expect(page.locator("input[name=functions][value=sim]")).not_to_be_checked()
    page.locator("input[name=functions][value=subscriptions]").check()
    _check(page, artifacts, "4-rights")
    # Enter on a checkbox is "Next" (the form's default button), never a preset.
    page.locator("input[name=functions][value=subscriptions]").press("Enter")
    page.wait_for_url(re.compile(r"step=summary$"))
    summary = page.locator("#wizard dl.facts")
    expect(summary).not_to_contain_text("PUK")
    expect(summary).to_contain_text("Lise Browser")
    expect(summary).to_contain_text("40120011")
    _check(page, artifacts, "5-summary")

    # Back and forward keep every value; so does a reload.
    page.locator("#wizard button[value=back]").click()
    page.wait_for_url(re.compile(r"step=rights$"))
    expect(page.locator("input[name=functions][value=invoices]")).to_be_checked()
    expect(page.locator("input[name=functions][value=subscriptions]")).to_be_checked()
    page.locator("#wizard button[value=back]").click()
    page.wait_for_url(re.compile(r"step=accounts$"))
    expect(page.get_by_role("radio", name=re.compile("Begrænset|Limited"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("40120011"))).to_be_checked()
    page.reload()
    expect(page.get_by_role("checkbox", name=re.compile("40120011"))).to_be_checked()
    page.locator("#wizard button[value=back]").click()
    page.wait_for_url(re.compile(r"step=companies$"))
    page.locator("#wizard button[value=back]").click()
    page.wait_for_url(re.compile(r"step=details$"))
    expect(page.locator("#u-name")).to_have_value("Lise Browser")
    expect(page.locator("#u-mobile")).to_have_value("+4520112244")
    page.go_back()  # the browser's own back button: the pushed URL of the step before
    page.wait_for_url(re.compile(r"step=companies$"))
    expect(page.get_by_role("checkbox", name=re.compile("12345674"))).to_be_checked()
    page.goto(f"{server_url}/users/new?step=summary")
    expect(page.locator("#wizard dl.facts")).to_contain_text("Lise Browser")

    # Create.
    page.locator("#wizard button[value=create]").click()
    page.wait_for_url(re.compile(r"/users/\d+$"))
    expect(page.locator(".notice-success")).to_contain_text("lise.browser@demo.dk")
    expect(page.locator("h1")).to_have_text("Lise Browser")
    _check(page, artifacts, "6-created")
    context.close()
