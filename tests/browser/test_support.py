"""Support and outages in a real browser at 360 px and 1280 px: "Show more" on the front page folds
again and says so (aria-expanded, "Show less"), a ticket with an attachment (downloaded again) about a subscription
found with the picker, the ticket page with its SLA, /outages, and the staff's ticket and outage
pages; axe on each, no sideways scrolling; screenshots in test-artifacts/support-*.png."""
import re
from pathlib import Path

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, new_context, no_horizontal_overflow, shot

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _check(page, artifacts, name):
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        no_horizontal_overflow(page, viewport["width"])
        shot(page, artifacts, f"support-{name}-{viewport['width']}")
        axe_check(page, f"{name} ({viewport['width']})")
    page.set_viewport_size(PHONE)


def _in_english(page, server_url):
    """Choose English with the cogwheel's language switch (remembered for the user)."""
    page.goto(f"{server_url}/")
    with page.expect_navigation():
        page.evaluate("""() => {
            const button = document.querySelector('button[name=language][value=en]');
            button.form.requestSubmit(button);
        }""")


def test_tickets_outages_and_the_staff_side(server_url, browser, signed_in_states, artifacts, tmp_path):
    context = new_context(browser, viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB",
                          storage_state=signed_in_states("admin"))
    page = context.new_page()
    _in_english(page, server_url)  # another test may have left the admin's language on Danish

    # The front page: "Show more" unfolds in place and folds again, keeping the focus on the button.
    page.goto(f"{server_url}/")
    toggle = page.locator("section[aria-labelledby=tickets-title] li").first.locator("button[id^=more-toggle-]")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle_id = toggle.get_attribute("id")
    toggle.click()
    button = page.locator(f"#{toggle_id}")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(button).to_contain_text(re.compile("Show less|Vis mindre"))
    expect(page.locator(f"#{toggle_id} ~ div .ticket-detail")).to_be_visible()
    expect(button).to_be_focused()
    _check(page, artifacts, "front-unfolded")
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_contain_text(re.compile("Show more|Vis mere"))
    expect(page.locator(f"#{toggle_id} ~ div .ticket-detail")).to_have_count(0)
    expect(button).to_be_focused()

    # A new ticket about Mette Jensen's subscription, found with the picker, with a PDF attached.
    page.goto(f"{server_url}/support/new")
    _check(page, artifacts, "new")
    page.get_by_label("Fault that stops work").check()
    pdf = tmp_path / "fejl.pdf"
    pdf.write_bytes(PDF)
    page.locator("#f-attachments").set_input_files(str(pdf))  # chosen before the search: it must survive it
    page.locator("#concern-q").fill("Mette")
    page.get_by_role("button", name="Search", exact=True).click()  # fetches the matches, sends no form
    choice = page.locator("#concern-results").get_by_label(re.compile("Mette Jensen"))
    expect(choice).to_be_visible()
    choice.check()
    assert page.locator("#f-attachments").evaluate("input => input.files.length") == 1
    page.locator("#f-subject").fill("Telefonen genstarter")
    page.locator("#f-body").fill("Telefonen genstarter flere gange om dagen.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(re.compile(r"/support/\d+$"))
    expect(page.locator("h1")).to_have_text("Telefonen genstarter")
    expect(page.get_by_role("link", name="fejl.pdf")).to_be_visible()
    with page.expect_download() as caught:  # a download, from the database, under its sender's name
        page.get_by_role("link", name="fejl.pdf").click()
    assert caught.value.suggested_filename == "fejl.pdf" and Path(caught.value.path()).read_bytes() == PDF
    expect(page.locator(".sla .badge")).to_contain_text("Awaiting answer")
    _check(page, artifacts, "ticket")

    # An empty form: every error at once, linked to its field.
    page.goto(f"{server_url}/support/new")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".notice-error li")).to_have_count(3)  # category, subject, message
    _check(page, artifacts, "new-errors")

    page.goto(f"{server_url}/support/")
    _check(page, artifacts, "list")
    page.goto(f"{server_url}/outages")
    expect(page.locator(".outage-flag").first).to_be_visible()
    _check(page, artifacts, "outages")
    context.close()

    staff = new_context(browser, viewport=PHONE, locale="en-GB", storage_state=signed_in_states("staff"))
    page = staff.new_page()
    page.goto(f"{server_url}/staff/tickets?sort=due")
    _check(page, artifacts, "staff-queue")
    page.locator("table a[href^='/staff/tickets/']").first.click()
    page.wait_for_url(re.compile(r"/staff/tickets/\d+$"))
    _check(page, artifacts, "staff-ticket")
    page.goto(f"{server_url}/staff/outages")
    _check(page, artifacts, "staff-outages")
    staff.close()
