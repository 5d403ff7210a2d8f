"""Error summaries in a real browser: a form submitted empty shows every error in one summary at its
top that has the focus (after an HTMX swap in the user wizard, after a full page load in the support
form); a link in it moves the focus to its field; axe finds nothing at 360 px.
Screenshots in test-artifacts/form-errors-*.png."""
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, new_context, no_horizontal_overflow, shot


def _phone(browser, signed_in_states, role="admin", viewport=PHONE):
    context = new_context(browser, viewport=viewport, storage_state=signed_in_states(role), locale="en-GB",
                          **({"has_touch": True, "is_mobile": True} if viewport == PHONE else {}))
    return context, context.new_page()


def test_user_wizard_submitted_empty_focuses_the_summary(server_url, browser, signed_in_states, artifacts):
    context, page = _phone(browser, signed_in_states)
    page.goto(f"{server_url}/users/new")
    page.locator("#wizard button[value=next]").click()
    summary = page.locator("#wizard .error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a")).to_have_count(3)
    expect(page.locator("#u-name")).to_have_attribute("aria-invalid", "true")
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, "form-errors-user-wizard-360")
    axe_check(page, "user wizard with errors (360)")
    # a link in the summary takes the keyboard to its field
    summary.locator("a").nth(1).click()
    expect(page.locator("#u-email")).to_be_focused()
    context.close()


def test_support_form_submitted_empty_focuses_the_summary(server_url, browser, signed_in_states, artifacts):
    context, page = _phone(browser, signed_in_states)
    page.goto(f"{server_url}/support/new")
    page.locator("#new-ticket .actions button.primary").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Write a subject.")
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, "form-errors-support-360")
    axe_check(page, "support form with errors (360)")
    # a choice among radio buttons: the link focuses the first of them
    summary.locator("a").first.click()
    expect(page.locator("input[name=category]").first).to_be_focused()
    context.close()


def test_settings_errors_on_a_desktop(server_url, browser, signed_in_states, artifacts):
    context, page = _phone(browser, signed_in_states, viewport=DESKTOP)
    page.goto(f"{server_url}/settings/")
    page.fill("#current", "")
    page.locator("form[action$='/settings/password'] button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator("#password-errors")
    expect(summary).to_be_focused()
    shot(page, artifacts, "form-errors-settings-1280")
    axe_check(page, "settings with errors (1280)")
    context.close()
