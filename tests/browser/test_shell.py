"""The shell in a real browser: login with 2FA, the top bar (language, company switcher,
search), the side menu on a phone, the keyboard, logout, with screenshots in test-artifacts/.
axe on every page, role, width and language: test_axe_all_pages.py."""
import re

from playwright.sync_api import expect

from .conftest import (
    DESKTOP,
    PHONE,
    axe_check,
    focus_document_start,
    login,
    new_context,
    no_horizontal_overflow,
    shot,
)


def test_keyboard_on_login_page(server_url, browser, artifacts):
    context = new_context(browser, viewport=DESKTOP, locale="da-DK")
    page = context.new_page()
    page.goto(f"{server_url}/login")
    expect(page.locator("h1")).to_have_text("Log ind på Selvbetjening")
    # Start from the top of the document, as a keyboard user arriving on the page.
    focus_document_start(page)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the skip link is not visible when focused"
    shot(page, artifacts, "login-skip-link-1280", full_page=False)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))  # waits: the URL reaches Playwright a moment after the key
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()

    # Without the skip link, Tab still reaches the e-mail field in a few steps.
    page.goto(f"{server_url}/login")
    focus_document_start(page)
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    expect(page.locator("#email")).to_be_focused()

    # The whole login works from the keyboard: fields, then Enter.
    page.keyboard.type("admin@demo.dk")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    context.close()


def test_front_page_language_company_search_logout(server_url, browser, artifacts):
    context = new_context(browser, viewport=DESKTOP, locale="da-DK")
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")

    # The Danish front page, with the shell around it.
    expect(page.locator("h1")).to_have_text("Velkommen, Anne Admin")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.locator("#sidenav")).to_be_visible()
    expect(page.locator("#sidenav a[aria-current=page]")).to_have_text("Forside")
    expect(page.locator("details.company-switcher > summary")).to_contain_text("Demo A/S")
    expect(page.locator("#global-search")).to_be_visible()
    expect(page.locator("article.outage").first).to_be_visible()
    no_horizontal_overflow(page, DESKTOP["width"])
    shot(page, artifacts, "front-da-1280")
    axe_check(page, "front page (da, 1280)")

    # "Show more" on a support ticket loads its messages in place (HTMX).
    first_ticket = page.locator("section[aria-labelledby=tickets-title] li").first
    toggle = first_ticket.get_by_role("button", name=re.compile("Vis mere"))
    toggle_id = toggle.get_attribute("id")
    toggle.click()
    # swapped in (the toggle comes back expanded): the request is over before axe looks again
    expect(page.locator(f"#{toggle_id}")).to_have_attribute("aria-expanded", "true")
    expect(first_ticket.locator("[id^=ticket-]")).not_to_be_empty()
    expect(page.locator("h1")).to_have_text("Velkommen, Anne Admin")  # not a whole page swapped in
    assert page.locator("header.topbar").count() == 1

    # The cogwheel opens and closes from the keyboard.
    page.focus("details.settings-menu > summary")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="English")).to_be_hidden()
    expect(page.locator("details.settings-menu > summary")).to_be_focused()

    # Open menus are part of the page too: check them with axe while open.
    page.click("details.settings-menu > summary")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    shot(page, artifacts, "front-settings-open-1280", full_page=False)
    axe_check(page, "front page, cogwheel open")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Welcome, Anne Admin")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # The company switcher.
    page.click("details.company-switcher > summary")
    expect(page.locator("details.company-switcher button", has_text="Demo Service ApS")).to_be_visible()
    shot(page, artifacts, "front-switcher-open-1280", full_page=False)
    axe_check(page, "front page, company switcher open")
    page.locator("details.company-switcher button", has_text="Demo Service ApS").click()
    expect(page.locator("details.company-switcher > summary")).to_contain_text("Demo Service ApS")
    expect(page.locator("h1")).to_have_text("Welcome, Anne Admin")

    # The top search: HTMX results as you type, then open a subscription.
    page.locator("#global-search").press_sequentially("Mette", delay=30)
    results = page.locator("#search-results a[href*='/subscriptions/']")
    expect(results.first).to_be_visible()
    shot(page, artifacts, "front-search-1280", full_page=False)
    axe_check(page, "front page, search results open")
    first = results.first.inner_text()
    results.first.click()
    page.wait_for_url(re.compile(r"/subscriptions/\d+$"))
    expect(page.locator("h1")).to_be_visible()
    assert first.split(" · ")[0].strip() in page.locator("main").inner_text()
    shot(page, artifacts, "search-opened-subscription-1280")

    # Back to Danish and the parent company, so the other checks see the defaults.
    page.click("details.settings-menu > summary")
    page.get_by_role("button", name="Dansk").click()
    page.click("details.company-switcher > summary")
    page.get_by_role("button", name=re.compile(r"^Demo A\/S")).click()
    expect(page.locator("h1")).to_have_text("Velkommen, Anne Admin")
    expect(page.locator("details.company-switcher > summary")).to_contain_text("Demo A/S")

    # Log out from the cogwheel: back on the login page, and the session is gone.
    page.click("details.settings-menu > summary")
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url(re.compile(r"/login"))
    expect(page.locator("h1")).to_have_text("Log ind på Selvbetjening")
    expect(page.get_by_role("status")).to_contain_text("logget ud")
    page.goto(f"{server_url}/subscriptions")
    assert "/login" in page.url
    context.close()


def test_front_page_on_a_phone(server_url, browser, signed_in_states, artifacts):
    context = new_context(browser, viewport=PHONE, storage_state=signed_in_states("admin"),
                                  has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{server_url}/")
    expect(page.locator("h1")).to_have_text("Velkommen, Anne Admin")
    toggle = page.locator("button.menu-toggle")
    nav = page.locator("#sidenav")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    expect(page.locator("details.company-switcher > summary")).to_be_visible()
    expect(page.locator("details.settings-menu > summary")).to_be_visible()
    expect(page.locator("#global-search")).to_be_visible()
    # The top bar: brand, Menu, switcher and cogwheel on one row, the search on its own row.
    row = [page.locator(sel).bounding_box() for sel in
           ("a.brand", "button.menu-toggle", "details.company-switcher > summary", "details.settings-menu > summary")]
    search = page.locator("#global-search").bounding_box()
    tops = [b["y"] for b in row]
    assert max(tops) - min(tops) < 20, f"the top bar wraps at 360 px: {row}"
    assert search["y"] > max(b["y"] + b["height"] for b in row) - 1, "the search field is not on its own row"
    assert search["width"] > 300
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, "front-da-360")
    axe_check(page, "front page (360)")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, "front-menu-open-360", full_page=False)
    axe_check(page, "front page, menu open (360)")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()

    # The dropdowns fit on the phone screen.
    for summary in ("details.company-switcher > summary", "details.settings-menu > summary"):
        page.click(summary)
        panel = page.locator(summary.replace("> summary", "> .dropdown-panel"))
        expect(panel).to_be_visible()
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{summary} panel leaves the screen: {box}"
        no_horizontal_overflow(page, PHONE["width"])
        name = "switcher" if "company" in summary else "settings"
        shot(page, artifacts, f"front-{name}-open-360", full_page=False)
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()

    page.locator("#global-search").press_sequentially("Mette", delay=30)
    expect(page.locator("#search-results a").first).to_be_visible()
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, "front-search-360", full_page=False)
    page.keyboard.press("Escape")

    # The subsidiary's longer name still leaves the top bar on one row; then back again.
    page.click("details.company-switcher > summary")
    page.locator("details.company-switcher button", has_text="Demo Service ApS").click()
    expect(page.locator("details.company-switcher > summary")).to_contain_text("Demo Service ApS")
    summary = page.locator("details.company-switcher > summary").bounding_box()
    brand = page.locator("a.brand").bounding_box()
    assert abs(summary["y"] - page.locator("button.menu-toggle").bounding_box()["y"]) < 20, summary
    assert summary["x"] >= brand["x"] + brand["width"], "the company name runs into the brand"
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, "front-subsidiary-360", full_page=False)
    page.click("details.company-switcher > summary")
    page.locator("details.company-switcher button", has_text="Demo A/S").click()
    expect(page.locator("details.company-switcher > summary")).to_contain_text("Demo A/S")
    context.close()
