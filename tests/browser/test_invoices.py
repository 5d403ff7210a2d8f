"""The invoice pages in a real browser at 360 px and 1280 px: the list with its filters and
sortable headers, an invoice with "why did it change" and its details per user, a credit note;
axe on each state, no sideways scrolling; screenshots in test-artifacts/invoice-*.png."""
import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, new_context, no_horizontal_overflow, shot

INVOICE_LINKS = "#rows a[href^='/invoices/']:not([href*='credit-notes'])"


def _check(page, artifacts, name, width):
    no_horizontal_overflow(page, width)
    shot(page, artifacts, f"invoice-{name}-{width}")
    axe_check(page, f"invoices: {name} ({width})")


def test_filter_open_an_invoice_and_see_why_it_changed_on_a_phone(server_url, browser, signed_in_states, artifacts):
    context = new_context(browser, viewport=PHONE, has_touch=True, is_mobile=True, locale="da-DK",
                          storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/invoices")
    expect(page.locator(INVOICE_LINKS)).to_have_count(30)
    _check(page, artifacts, "list", PHONE["width"])

    page.locator("#inv-period").select_option("2026-10")
    expect(page).to_have_url(re.compile(r"period=2026-10"))
    expect(page.locator(INVOICE_LINKS)).to_have_count(5)
    page.locator("#inv-account").select_option("40120011")
    expect(page.locator(INVOICE_LINKS)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"account=40120011"))
    _check(page, artifacts, "list-filtered", PHONE["width"])

    page.locator(INVOICE_LINKS).first.click()
    page.wait_for_url(re.compile(r"/invoices/\d+$"))
    expect(page.locator("h1")).to_contain_text("F10000028")
    expect(page.locator("#details .user-block").first).to_be_visible()
    _check(page, artifacts, "detail", PHONE["width"])

    page.locator("#changes a").click()
    group = page.locator("#changes details.change-group").first
    expect(group).to_be_visible()
    group.locator("summary").click()
    expect(group.locator("ul.change-items li").first).to_be_visible()
    _check(page, artifacts, "changes", PHONE["width"])

    page.locator("#details-q").fill("20 00 00 01")
    expect(page.locator("#details .user-block")).to_have_count(1)
    expect(page.locator("#details .user-block h3")).to_contain_text("Mette Jensen")
    expect(page).to_have_url(re.compile(r"q=20"))
    _check(page, artifacts, "detail-search", PHONE["width"])
    context.close()


def test_sort_credit_note_and_details_pages_on_a_desktop(server_url, browser, signed_in_states, artifacts):
    context = new_context(browser, viewport=DESKTOP, locale="en-GB", storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/invoices")
    amount = page.locator("th", has_text="Amount incl. VAT")
    amount.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=-amount"))
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Amount incl. VAT")
    # the sort stays when a filter changes
    page.locator("#inv-status").select_option("paid")
    expect(page).to_have_url(re.compile(r"status=paid.*sort=-amount|sort=-amount.*status=paid"))
    expect(page.locator("main [role=status]").first).to_contain_text("24 invoices")
    page.locator("th[aria-sort] a").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Amount incl. VAT")
    _check(page, artifacts, "list-sorted", DESKTOP["width"])

    page.goto(f"{server_url}/invoices?account=40120011")
    note = page.locator("tr.credit-note-row a")
    expect(note).to_have_text("Credit note K10000001")
    _check(page, artifacts, "list-credit-note", DESKTOP["width"])
    note.click()
    page.wait_for_url(re.compile(r"/invoices/credit-notes/\d+$"))
    expect(page.locator("h1")).to_have_text("Credit note K10000001")
    _check(page, artifacts, "credit-note", DESKTOP["width"])

    page.get_by_role("link", name="F10000016").first.click()
    page.wait_for_url(re.compile(r"/invoices/\d+$"))
    expect(page.locator("#inv-credits")).to_be_visible()
    page.locator("#details .pager").get_by_role("link", name="Next").click()
    expect(page.locator("#details .pager")).to_contain_text("Page 2 of 4")
    expect(page.locator("#details .user-block")).to_have_count(25)
    page.get_by_role("link", name="Explain the difference").click()
    expect(page.locator("#changes")).to_contain_text("Compared with invoice F10000011")
    _check(page, artifacts, "detail", DESKTOP["width"])
    context.close()
