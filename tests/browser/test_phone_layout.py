"""The portal on a 360 px phone: the subscription list in compact rows with its filters
behind a "Filters" button, the whole company name in the switcher, Escape closing the
menu, and every link and button at least 44 x 44 px to touch. Screenshots in
test-artifacts/phone-*.png."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, new_context, no_horizontal_overflow, shot

MIN = 44

# Targets measured by something other than their own box, each with the reason.
TOUCH_TARGETS_JS = """(min) => {
  const visible = (e) => {
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
      && !e.closest('.visually-hidden, [hidden], .skip-link');
  };
  const blockOf = (e) => {
    let p = e.parentElement;
    while (p && getComputedStyle(p).display.startsWith('inline')) p = p.parentElement;
    return p;
  };
  // a link inside running text: its block holds other words than the link's (WCAG 2.5.8 exception)
  const inRunningText = (e) => {
    if (e.tagName !== 'A' || !getComputedStyle(e).display.startsWith('inline')) return false;
    const block = blockOf(e);
    if (!block) return false;
    const own = e.textContent.replace(/\\s+/g, ' ').trim();
    const all = block.textContent.replace(/\\s+/g, ' ').trim();
    return all.length > own.length + 3;
  };
  const box = (e) => {
    // a compact row's link covers its whole row (a ::after over the row): the row is the target
    if (e.matches('a.row-link')) return e.closest('tr').getBoundingClientRect();
    // a checkbox or radio: the label around it, or the label pointing at it
    if (e.matches('input[type=checkbox], input[type=radio]')) {
      const label = e.closest('label') || (e.id && document.querySelector('label[for="' + e.id + '"]'));
      return (label || e).getBoundingClientRect();
    }
    return e.getBoundingClientRect();
  };
  const small = [];
  document.querySelectorAll('a[href], button, summary, input[type=checkbox], input[type=radio]').forEach((e) => {
    if (!visible(e) && !e.matches('input')) return;
    if (e.matches('input') && !visible(e.closest('label') || e)) return;
    if (inRunningText(e)) return;
    const r = box(e);
    if (r.width + 0.5 < min || r.height + 0.5 < min) {
      small.push(e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/\\s+/g, '.') : '')
                 + ' "' + (e.textContent || e.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim().slice(0, 40) + '" '
                 + Math.round(r.width) + 'x' + Math.round(r.height));
    }
  });
  return small;
}"""

ADMIN_PAGES = ["/", "/subscriptions", "/subscriptions?status=active&kind=mobile", "/search?q=jensen", "/invoices",
               "/accounts", "/orders", "/users", "/support", "/numbers", "/products", "/outages", "/settings"]
EMPLOYEE_PAGES = ["/me", "/settings"]


def _phone(browser, signed_in_states, role, locale="en-GB"):
    return new_context(browser, viewport=PHONE, locale=locale, has_touch=True, is_mobile=True,
                       storage_state=signed_in_states(role))


def _small_targets(page):
    return page.evaluate(TOUCH_TARGETS_JS, MIN)


@pytest.mark.parametrize("role,paths", [("admin", ADMIN_PAGES), ("employee", EMPLOYEE_PAGES)])
def test_touch_targets_are_at_least_44_px(server_url, browser, signed_in_states, artifacts, role, paths):
    context = _phone(browser, signed_in_states, role)
    page = context.new_page()
    problems = []
    for path in paths:
        page.goto(server_url + path)
        expect(page.locator("h1").first).to_be_visible()
        small = _small_targets(page)
        if small:
            problems.append(f"{path}: {small[:10]}")
        name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()) or "front"
        shot(page, artifacts, f"phone-{role}-{name}")
    context.close()
    assert not problems, "touch targets under 44 x 44 px at 360 px:\n" + "\n".join(problems)


def test_compact_rows_and_the_filters_button(server_url, browser, signed_in_states, artifacts):
    context = _phone(browser, signed_in_states, "admin")
    page = context.new_page()
    page.goto(f"{server_url}/subscriptions")
    rows = page.locator("table.subscription-rows tbody tr")
    expect(rows.first).to_be_visible()
    first = rows.first
    # name, number and status only: the other cells are not shown, and a row is short
    expect(first.locator("td.cell-name a")).to_be_visible()
    expect(first.locator("td.cell-number")).to_be_visible()
    expect(first.locator("td.cell-status .badge")).to_be_visible()
    for cell in first.locator("td.cell-more").all():
        expect(cell).to_be_hidden()
    height = first.bounding_box()["height"]
    assert MIN <= height <= 80, height
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, "phone-subscriptions-360")
    axe_check(page, "subscriptions on a phone")

    # the filters hide behind the button; it opens them and counts the ones in use
    toggle = page.get_by_role("button", name=re.compile(r"^Filters"))
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#sub-status")).to_be_hidden()
    expect(page.locator("#sub-q")).to_be_visible()  # the search stays in view
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#sub-status")).to_be_visible()
    page.locator("#sub-status").select_option("blocked")
    expect(toggle).to_have_accessible_name(re.compile(r"Filters\s*1 active filters"))
    expect(page.locator("#rows .badge-blocked").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"status=blocked"))
    shot(page, artifacts, "phone-subscriptions-filters-open-360")
    axe_check(page, "subscriptions on a phone, filters open")
    toggle.click()
    expect(page.locator("#sub-status")).to_be_hidden()

    # reloading with a filter in the address: the count is there from the start
    page.reload()
    expect(page.locator("[data-filter-count] .count-badge")).to_have_text("1")

    # a tap anywhere on a row opens the subscription (not only on the name)
    row = rows.first
    box = row.bounding_box()
    href = row.locator("a.row-link").get_attribute("href")
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] - 6)
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    context.close()


def test_full_table_and_filters_from_768_px(server_url, browser, signed_in_states, artifacts):
    context = new_context(browser, viewport=DESKTOP, locale="en-GB", storage_state=signed_in_states("admin"))
    page = context.new_page()
    page.goto(f"{server_url}/subscriptions")
    expect(page.locator("table.subscription-rows thead")).to_be_visible()
    expect(page.locator("td.cell-more").first).to_be_visible()
    expect(page.locator("#sub-status")).to_be_visible()
    expect(page.locator(".filters-toggle")).to_be_hidden()
    page.set_viewport_size({"width": 768, "height": 900})
    expect(page.locator("#sub-status")).to_be_visible()
    expect(page.locator(".filters-toggle")).to_be_hidden()
    shot(page, artifacts, "phone-subscriptions-768")
    context.close()


def test_switcher_shows_the_whole_company_name_and_escape_closes_the_menu(server_url, browser, signed_in_states, artifacts):
    context = _phone(browser, signed_in_states, "admin")
    page = context.new_page()
    page.goto(f"{server_url}/")
    name = page.locator(".company-switcher .company-current")
    expect(name).to_be_visible()
    # not cut: the text fits its box (no ellipsis), on the screen
    fits = name.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && getComputedStyle(e).textOverflow !== 'ellipsis'")
    assert fits
    page.locator("details.company-switcher > summary").click()
    page.locator("details.company-switcher button", has_text="Demo Service ApS").click()
    expect(name).to_have_text("Demo Service ApS")
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    box = name.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, "phone-switcher-360", full_page=False)
    page.locator("details.company-switcher > summary").click()
    page.locator("details.company-switcher button", has_text="Demo A/S").click()

    # Escape closes the side menu and gives the focus back to the Menu button
    toggle = page.locator(".menu-toggle")
    toggle.click()
    expect(page.locator("#sidenav")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    shot(page, artifacts, "phone-menu-open-360", full_page=False)
    page.keyboard.press("Escape")
    expect(page.locator("#sidenav")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    context.close()
