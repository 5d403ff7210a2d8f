"""Products in a real browser on a phone (360 px): find a user, switch the profile in one click and
see the page follow the order to done, a vacation reply refused and then set, and a 70-number's
schedule form; the overview and the schedule form on a desktop (1280 px). axe on each state, no
sideways scrolling; screenshots in test-artifacts/products-*.png."""
import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, new_context, no_horizontal_overflow, shot


def _check(page, artifacts, name, width):
    no_horizontal_overflow(page, width)
    shot(page, artifacts, f"products-{name}-{width}")
    axe_check(page, f"products: {name} ({width})")


def test_switch_profile_set_vacation_reply_and_edit_a_schedule_on_a_phone(server_url, browser, signed_in_states,
                                                                          artifacts):
    context = new_context(browser, viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB",
                          storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/products")
    expect(page.locator("#users tbody tr")).to_have_count(16)
    _check(page, artifacts, "overview", PHONE["width"])

    page.locator("#users-q").fill("kasper")
    expect(page.locator("#users tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=kasper"))
    page.get_by_role("link", name="Kasper Johansen").click()
    page.wait_for_url(re.compile(r"/products/users/\d+$"))
    _check(page, artifacts, "user", PHONE["width"])

    page.get_by_role("button", name="Switch to At lunch").click()
    # on its way (or, on a fast machine, already done by the time the page shows it)
    expect(page.locator("#pending")).to_contain_text(re.compile("On its way to the phone system|Done: Kasper"))
    expect(page.locator("#pending")).to_contain_text("Done: Kasper Johansen (extension 203) switches to the profile "
                                                     "At lunch.", timeout=15_000)
    expect(page.locator(".profile-item.is-active")).to_contain_text("At lunch")
    _check(page, artifacts, "user-switched", PHONE["width"])

    page.get_by_role("link", name="Set a vacation reply").click()
    expect(page.locator("#dialog h2")).to_contain_text("Vacation reply")
    page.locator("#f-ends_on").fill("2020-01-01")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#dialog [role=alert]")).to_contain_text("Write the message callers hear or read.")
    _check(page, artifacts, "vacation-errors", PHONE["width"])
    page.locator("#f-message").fill("Jeg er på ferie. Ring til 70 20 30 40.")
    page.locator("#f-ends_on").fill(page.locator("#f-starts_on").input_value())
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#dialog")).to_contain_text("Kasper Johansen gets a vacation reply from")
    _check(page, artifacts, "vacation-preview", PHONE["width"])
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#pending")).to_contain_text("Done: Kasper Johansen gets a vacation reply", timeout=15_000)
    expect(page.locator("#user-sections .vacation-message")).to_contain_text("Jeg er på ferie.")

    page.goto(f"{server_url}/products")
    page.get_by_role("link", name=re.compile("70 20 30 40")).click()
    page.wait_for_url(re.compile(r"/products/personal-numbers/\d+$"))
    _check(page, artifacts, "personal-number", PHONE["width"])
    page.get_by_role("link", name="Change forwarding").click()
    page.locator("#f-rule-2-ends").fill("07:00")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#editor [role=alert]")).to_contain_text("Rule 2: the end must be later than the start.")
    _check(page, artifacts, "schedule-errors", PHONE["width"])
    context.close()

    # the same pages on a desktop
    context = new_context(browser, viewport=DESKTOP, locale="en-GB", storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/products")
    _check(page, artifacts, "overview", DESKTOP["width"])
    page.get_by_role("link", name=re.compile("70 20 30 50")).click()
    page.get_by_role("link", name="Change forwarding").click()
    page.get_by_role("button", name="Add a rule").click()
    expect(page.locator("fieldset.schedule-rule legend", has_text="Rule 3")).to_be_visible()
    _check(page, artifacts, "schedule-form", DESKTOP["width"])
    context.close()
