"""The call-flow editor in a real browser: on a phone in Danish, close at 16:00 on Fridays, add a
key that leads nowhere (refused, the error links to the field), fix it, preview and save, and
watch the page follow the switch; on a desktop in English, restore an earlier version. axe on
every state, no sideways scrolling; screenshots in test-artifacts/call-flow-*.png."""
import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, new_context, no_horizontal_overflow, shot


def _check(page, artifacts, name, width):
    no_horizontal_overflow(page, width)
    shot(page, artifacts, f"call-flow-{name}-{width}")
    axe_check(page, f"call flow: {name} ({width})")


def test_change_friday_refuse_a_dead_end_and_save_on_a_phone(server_url, browser, signed_in_states, artifacts):
    context = new_context(browser, viewport=PHONE, has_touch=True, is_mobile=True, locale="da-DK",
                          storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/numbers/call-flow")
    page.wait_for_url(re.compile(r"/numbers/call-flow/\d+$"))
    expect(page.locator("#call-flow-summary .flow-tree li").first).to_contain_text("70 10 10 10")
    _check(page, artifacts, "page", PHONE["width"])

    page.locator("a.button[href$='/edit']").click()
    page.wait_for_url(re.compile(r"/edit$"))
    # the script shows only the fields of each key's chosen destination
    first = page.locator("fieldset.cf-option").first
    expect(first.locator("[data-kind-panel=queue]")).to_be_visible()
    expect(first.locator("[data-kind-panel=number]").first).to_be_hidden()
    expect(page.locator("#f-hours-sat-from")).to_be_hidden()  # Saturday is closed: no times to fill
    page.check("#f-hours-sat-open")
    expect(page.locator("#f-hours-sat-from")).to_be_visible()
    page.uncheck("#f-hours-sat-open")
    _check(page, artifacts, "editor", PHONE["width"])

    page.fill("#f-hours-fri-to", "16:00")
    page.locator("button[value=add_option]").click()
    new_key = page.locator("#f-options-2-key")
    expect(new_key).to_be_focused()  # HTMX swapped the form and moved focus to the new key
    expect(page.locator("#f-hours-fri-to")).to_have_value("16:00")  # the draft survived
    page.fill("#f-options-2-name", "Support")
    page.locator("button.primary[value=preview]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#f-options-2-kind']")).to_have_count(1)
    expect(page.locator("#f-options-2-kind")).to_have_attribute("aria-invalid", "true")
    _check(page, artifacts, "editor-errors", PHONE["width"])

    summary.locator("a[href='#f-options-2-kind']").click()
    expect(page.locator("#f-options-2-kind")).to_be_focused()
    page.select_option("#f-options-2-kind", "voicemail")
    email = page.locator("#f-options-2-email")
    expect(email).to_be_visible()
    email.fill("support@demo.dk")
    page.locator("button.primary[value=preview]").click()
    preview = page.locator("#preview-title")
    expect(preview).to_be_focused()
    expect(page.locator("#editor")).to_contain_text("16:00")
    _check(page, artifacts, "preview", PHONE["width"])

    page.locator("button[value=save]").click()
    page.wait_for_url(re.compile(r"/numbers/call-flow/\d+$"))
    # the switch takes a second (NETWORK_DELAY_SECONDS); the page polls and then shows the new flow
    # (if the switch was done before the page loaded there is nothing to poll, and the page shows the new flow at once)
    expect(page.locator("#call-flow-summary")).to_contain_text(re.compile(r"(fre|Fri) 08:00–16:00"), timeout=15_000)
    expect(page.locator("#call-flow-summary")).to_contain_text("support@demo.dk")
    expect(page.locator("#call-flow-status .call-flow-saving")).to_have_count(0)
    _check(page, artifacts, "saved", PHONE["width"])
    context.close()


def test_restore_an_earlier_version_on_a_desktop(server_url, browser, signed_in_states, artifacts):
    context = new_context(browser, viewport=DESKTOP, locale="en-GB", storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/numbers/call-flow")
    page.wait_for_url(re.compile(r"/numbers/call-flow/\d+$"))
    expect(page.locator("#call-flow-summary")).to_contain_text("Calls to 70 10 10 10")
    _check(page, artifacts, "page", DESKTOP["width"])

    page.locator("a[aria-label='Restore version 1']").click()
    page.wait_for_url(re.compile(r"/versions/1$"))
    expect(page.locator("main")).to_contain_text("Open Mon–Fri 08:00–16:00")
    _check(page, artifacts, "version", DESKTOP["width"])
    page.get_by_role("button", name="Restore version 1").click()
    page.wait_for_url(re.compile(r"/numbers/call-flow/\d+$"))
    expect(page.locator(".flashes")).to_contain_text("restores version 1")
    expect(page.locator("#call-flow-summary")).to_contain_text("Open Mon–Fri 08:00–16:00", timeout=15_000)
    expect(page.locator("#history")).to_contain_text("Restored from version 1")
    _check(page, artifacts, "restored", DESKTOP["width"])

    page.goto(page.url + "/edit")
    expect(page.locator("h1")).to_have_text("Change the call flow")
    _check(page, artifacts, "editor", DESKTOP["width"])
    context.close()
