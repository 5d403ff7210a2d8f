"""The top search with the keyboard alone, in a real browser: the field is a combobox whose
list is walked with the arrow keys (aria-activedescendant), Enter opens the highlighted
result, Escape closes the list, and "Show all results (N)" leads to the full result page.
Screenshots in test-artifacts/search-*.png."""
import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, login, new_context, shot


def _open_list(page, text):
    field = page.locator("#global-search")
    field.fill("")
    field.press_sequentially(text, delay=20)
    expect(page.locator("#search-results [role=option]").first).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    return field


def test_arrow_keys_and_enter_open_the_second_result(server_url, browser, artifacts):
    context = new_context(browser, viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    field = _open_list(page, "Jensen")
    options = page.locator("#search-results [role=option]")
    assert options.count() >= 3
    # the focus stays in the field while the active option moves
    field.press("ArrowDown")
    first_id = options.nth(0).get_attribute("id")
    expect(field).to_have_attribute("aria-activedescendant", first_id)
    field.press("ArrowDown")
    second = options.nth(1)
    expect(field).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    expect(second).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    expect(field).to_be_focused()
    # the active option is visible: its own background and outline
    styles = second.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).outlineStyle]")
    assert styles[0] not in ("rgba(0, 0, 0, 0)", "transparent") and styles[1] != "none", styles
    # an option shows number, user, account and company
    text = second.inner_text()
    assert "·" in text and re.search(r"Account \d+", text) and re.search(r"Demo (A/S|Service ApS)", text), text
    shot(page, artifacts, "search-active-second-1280", full_page=False)
    axe_check(page, "top search, second option active")
    href = second.get_attribute("href")
    field.press("Enter")
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    expect(page.locator("h1")).to_be_visible()
    context.close()


def test_escape_closes_and_arrow_up_wraps_to_show_all(server_url, browser, artifacts):
    context = new_context(browser, viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    field = _open_list(page, "Jensen")
    field.press("ArrowDown")
    field.press("Escape")
    expect(page.locator("#search-results [role=option]")).to_have_count(0)
    expect(field).to_have_attribute("aria-expanded", "false")
    assert field.get_attribute("aria-activedescendant") is None
    expect(field).to_be_focused()
    expect(field).to_have_value("Jensen")  # the first Escape closes the list only

    # ArrowUp from the field goes to the last option: "Show all results (N)"
    field = _open_list(page, "@demo")
    field.press("ArrowUp")
    last = page.locator("#search-results [role=option]").last
    expect(last).to_have_attribute("aria-selected", "true")
    expect(last).to_have_text(re.compile(r"Show all results \(more than 100\)"))
    field.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=%40demo|/search\?q=@demo"))
    expect(page.locator("h1")).to_have_text("Search")
    expect(page.get_by_role("heading", name=re.compile(r"Subscriptions \(more than 100\)"))).to_be_visible()
    shot(page, artifacts, "search-page-1280")
    axe_check(page, "search result page")

    # paging through one kind
    page.get_by_role("link", name="More subscriptions").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(page).to_have_url(re.compile(r"kind=subscriptions&page=2"))
    axe_check(page, "search result page 2")
    context.close()


def test_enter_without_a_choice_and_no_results_on_a_phone(server_url, browser, artifacts):
    context = new_context(browser, viewport=PHONE, locale="en-GB", has_touch=True, is_mobile=True)
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    field = _open_list(page, "Mette")
    shot(page, artifacts, "search-list-360", full_page=False)
    axe_check(page, "top search on a phone")
    field.press("Enter")  # nothing highlighted: the form goes to the full result page
    page.wait_for_url(re.compile(r"/search\?q=Mette"))
    expect(page.locator("main a[href*='/subscriptions/']").first).to_be_visible()
    shot(page, artifacts, "search-page-360")
    axe_check(page, "search result page on a phone")
    page.goto(f"{server_url}/search?q=zzzqqq")
    expect(page.get_by_text("Nothing found for “zzzqqq”.")).to_be_visible()
    shot(page, artifacts, "search-none-360")
    context.close()
