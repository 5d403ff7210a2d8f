"""/me in a real browser, as issue 9's "done when" says: the demo employee logs in on a 360 px
phone (in English: the Danish of the new texts waits in
locales/pending/me.po) with the SMS code from /dev/outbox, sees usage against the quota, reveals the PUK (the
login's code is the fresh second factor) and buys a travel add-on, which the company's admin
then finds under Order status. axe on every state; screenshots in test-artifacts/me-*.png."""
import re

from playwright.sync_api import expect

from models import SimCard, Subscription

from .conftest import DESKTOP, PHONE, axe_check, login, login_employee, new_context, no_horizontal_overflow, shot


def _check(page, artifacts, name, width=PHONE["width"]):
    no_horizontal_overflow(page, width)
    shot(page, artifacts, f"me-{name}-{width}")
    axe_check(page, f"/me: {name} ({width})")


def test_employee_reveals_puk_and_buys_a_travel_addon_on_a_phone(server_url, browser, artifacts, demo_db_file):
    from models.database import open_database

    database = open_database(f"sqlite:///{demo_db_file}")
    with database.connection_context():
        mette = Subscription.get(Subscription.number == "+4520000001")
        puk = SimCard.get(SimCard.subscription == mette.id, SimCard.status == "active").puk

    context = new_context(browser, viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB")
    page = context.new_page()
    login_employee(page, server_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hi Mette")

    # usage against the quota: the words and an accessible gauge saying the same
    data = page.locator(".meter-data")
    expect(data.locator(".meter-text")).to_have_text(re.compile(r"^\d+\.\d of 50 GB$"))
    gauge = data.get_by_role("meter", name="Data")
    expect(gauge).to_have_attribute("aria-valuetext", re.compile(r"of 50 GB"))
    expect(page.get_by_text("Your employer can see the usage on this subscription.")).to_be_visible()
    _check(page, artifacts, "page")

    # PIN and PUK near the top, shown after the (fresh) SMS code of the login
    codes_button = page.get_by_role("button", name="Show PIN and PUK")
    assert codes_button.bounding_box()["y"] < PHONE["height"], "the PIN/PUK button is on the first screen"
    codes_button.click()
    expect(page.locator("#codes dl.codes")).to_contain_text(puk)
    expect(page.locator("#codes .codes-shown")).to_be_focused()
    _check(page, artifacts, "codes")
    # back from /verify (the address it sends her to), the page asks for the codes by itself
    page.goto(f"{server_url}/me?show=codes#codes")
    expect(page.locator("#codes dl.codes")).to_contain_text(puk)
    expect(page.get_by_role("button", name="Show PIN and PUK")).to_have_count(0)

    # a travel add-on: form, what will happen, confirm
    page.get_by_role("link", name="Buy a travel add-on").click()
    page.wait_for_url(re.compile(r"/me/roaming$"))
    page.get_by_label(re.compile("Udlandspakke Verden")).check()
    _check(page, artifacts, "roaming-form")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("What will happen")).to_be_visible()
    expect(page.get_by_text(re.compile("Udlandspakke Verden is added"))).to_be_visible()
    _check(page, artifacts, "roaming-preview")
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url(re.compile(r"/me$"))
    expect(page.locator(".notice-success").first).to_contain_text("is placed")
    orders = page.locator("#my-orders")
    expect(orders).to_contain_text("Add-on")
    expect(page.get_by_text("Your orders are done.")).to_be_visible(timeout=15000)  # the list polls
    _check(page, artifacts, "ordered")

    page.set_viewport_size(DESKTOP)
    page.reload()
    _check(page, artifacts, "page", DESKTOP["width"])
    context.close()

    # the company's admin sees the employee's order under Order status
    admin = new_context(browser, viewport=DESKTOP, locale="en-GB")
    page = admin.new_page()
    login(page, server_url, "admin@demo.dk")
    page.goto(f"{server_url}/orders?which=done&kind=addon")
    row = page.locator("#rows tr", has_text="Mette Jensen").first
    expect(row).to_contain_text("Add-on")
    expect(row.locator("td[data-label='Ordered by']")).to_have_text("Mette Jensen")
    admin.close()
