"""Numbers and porting in a real browser: the port-in form on a 360 px phone (the live check
of a landline number as mobile, the wrong owner CVR refused, the preview, the tracker on its
way to completed) and the numbers list on a desktop (search, type filter, port lock); axe on
each state, no sideways scrolling; screenshots in test-artifacts/numbers-*.png."""
import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, new_context, no_horizontal_overflow, shot


def _check(page, artifacts, name, width):
    no_horizontal_overflow(page, width)
    shot(page, artifacts, f"numbers-{name}-{width}")
    axe_check(page, f"numbers: {name} ({width})")


def test_port_in_on_a_phone_from_the_form_to_completed(server_url, browser, signed_in_states, artifacts):
    context = new_context(browser, viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB",
                          storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/numbers/port-in")
    _check(page, artifacts, "port-in-form", PHONE["width"])

    # a landline number with "mobile" chosen: said at once, before the form is sent
    page.get_by_label("Mobile numbers").check()
    page.locator("#numbers").fill("33 55 21 20\n33 55 21 21\n33 55 21 22")
    check = page.locator("#numbers-check")
    expect(check).to_contain_text("are landline numbers: landline numbers cannot be ported to mobile")
    page.get_by_label("Landline numbers").check()
    expect(check).to_contain_text("3 numbers")
    expect(check).not_to_contain_text("cannot be ported")

    page.locator("#account").select_option("40120011")
    page.locator("#donor_operator").select_option("telia")
    page.locator("#owner_name").fill("Demo A/S")
    page.locator("#owner_cvr").fill("12345682")  # Demo Service ApS: not the company the numbers go to
    page.locator("#signer_name").fill("Anne Admin")
    page.locator("#consent").check()
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("The owner's CVR is not the company's: the current operator will reject it.")
    _check(page, artifacts, "port-in-wrong-cvr", PHONE["width"])

    page.locator("#owner_cvr").fill("12345674")
    page.locator("#consent").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#preview-title")).to_have_text("What will happen")
    expect(page.locator("#port-form")).to_contain_text("33 55 21 20 – 33 55 21 22")
    _check(page, artifacts, "port-in-preview", PHONE["width"])

    page.get_by_role("button", name="Send port-in request").click()
    page.wait_for_url(re.compile(r"/numbers/port-in/\d+$"))
    expect(page.locator("#tracker [role=status]")).to_have_text("Completed", timeout=20_000)
    expect(page.locator("ol.port-steps li.done")).to_have_count(4)
    _check(page, artifacts, "tracker-completed", PHONE["width"])
    context.close()


def test_numbers_list_search_filter_and_port_lock_on_a_desktop(server_url, browser, signed_in_states, artifacts):
    context = new_context(browser, viewport=DESKTOP, locale="en-GB", storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/numbers")
    expect(page.locator("h1")).to_have_text("Numbers")
    _check(page, artifacts, "list", DESKTOP["width"])

    page.locator("#num-type").select_option("series")
    expect(page).to_have_url(re.compile(r"type=series"))
    expect(page.locator("#rows")).to_contain_text("Omstillingsserie")
    page.locator("#num-type").select_option("")
    page.locator("#num-q").fill("20 00 00 01")
    expect(page).to_have_url(re.compile(r"q=20"))
    row = page.locator("#rows tbody tr", has_text="Mette Jensen")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Lock").click()
    expect(row.get_by_role("button", name="Lift lock")).to_be_focused()
    expect(row).to_contain_text("Locked")
    _check(page, artifacts, "list-locked", DESKTOP["width"])
    row.get_by_role("button", name="Lift lock").click()
    expect(row).to_contain_text("Not locked")

    page.set_viewport_size(PHONE)
    page.goto(f"{server_url}/numbers")
    _check(page, artifacts, "list", PHONE["width"])
    page.goto(f"{server_url}/numbers/porting")
    _check(page, artifacts, "porting", PHONE["width"])
    page.locator("#rows a").first.click()
    page.wait_for_url(re.compile(r"/numbers/port-in/\d+$"))
    _check(page, artifacts, "tracker", PHONE["width"])
    context.close()
