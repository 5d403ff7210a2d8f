"""The employee page in a real browser at 360 px and 1280 px: an action through its dialog
(form, preview, confirm), the order reaching completed, PIN/PUK shown after the login's
fresh second factor; axe on each state; screenshots in test-artifacts/employee-*.png."""
import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, login, no_horizontal_overflow, shot


def _check(page, artifacts, name, width):
    no_horizontal_overflow(page, width)
    shot(page, artifacts, f"employee-{name}-{width}")
    axe_check(page, f"employee page: {name} ({width})")


def _open_mette(page, server_url):
    page.goto(f"{server_url}/subscriptions?q=20000001")
    page.get_by_role("link", name="Mette Jensen").first.click()
    page.wait_for_url(re.compile(r"/subscriptions/\d+$"))


def test_block_data_through_the_dialog_on_a_phone(server_url, browser, artifacts):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="da-DK")
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    _open_mette(page, server_url)
    _check(page, artifacts, "page", PHONE["width"])

    page.locator("a[href$=\"/block\"]").click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("heading")).to_be_focused()
    dialog.get_by_label(re.compile("mobildata", re.I)).check()
    dialog.locator("#f-reason").select_option("cost_control")
    _check(page, artifacts, "block-form", PHONE["width"])
    dialog.get_by_role("button", name="Fortsæt").click()
    expect(dialog.get_by_text("Det sker der")).to_be_visible()
    expect(dialog.get_by_text(re.compile("Spærrer mobildata"))).to_be_visible()
    _check(page, artifacts, "block-preview", PHONE["width"])
    dialog.get_by_role("button", name="Bekræft").click()
    expect(page.locator(".notice-success").first).to_contain_text("er afgivet")
    # the page polls its open orders until the network has carried it out
    expect(page.get_by_text("Dine ordrer er udført.")).to_be_visible(timeout=15000)
    page.reload()
    expect(page.get_by_text(re.compile("Spærret nu: mobildata"))).to_be_visible()
    _check(page, artifacts, "blocked", PHONE["width"])

    # bad input stays in the dialog with the message
    page.get_by_role("link", name="Skift simkort").click()
    dialog.get_by_label("Jeg har et simkort i hånden").check()
    dialog.get_by_label(re.compile("ICCID")).fill("8945101234567890123")
    dialog.get_by_role("button", name="Fortsæt").click()
    expect(dialog.get_by_role("alert")).to_contain_text("ICCID")
    _check(page, artifacts, "sim-error", PHONE["width"])
    context.close()


def test_pin_puk_and_orders_on_a_desktop(server_url, browser, artifacts):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    _open_mette(page, server_url)
    page.get_by_role("button", name=re.compile("PIN")).click()
    expect(page.locator("#codes dl.codes")).to_be_visible()
    expect(page.locator("#codes .codes-shown")).to_be_focused()  # the button that asked is gone
    _check(page, artifacts, "codes", DESKTOP["width"])
    page.goto(f"{server_url}/orders?which=done")
    _check(page, artifacts, "orders", DESKTOP["width"])
    page.locator("#rows a").first.click()
    expect(page.locator("ol.steps li").first).to_be_visible()
    _check(page, artifacts, "order", DESKTOP["width"])
    context.close()
