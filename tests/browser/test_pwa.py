"""The service worker in Chromium: it takes control, keeps only static files and the offline
page, and when the network is gone a page with data is not shown from a cache: the offline
page is. Screenshots in test-artifacts/pwa-offline-*.png."""
import re
import urllib.request

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_check, login, new_context, no_horizontal_overflow, shot

CACHED_URLS = """async () => {
    const found = {};
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        found[name] = (await cache.keys()).map((r) => { const u = new URL(r.url); return u.pathname + u.search; });
    }
    return found;
}"""


def test_offline_shows_the_offline_page_never_a_cached_data_page(server_url, browser, artifacts):
    with urllib.request.urlopen(f"{server_url}/sw.js") as response:
        version = re.search(r'^const VERSION = "([0-9a-f]+)";$', response.read().decode(), re.M).group(1)
    context = new_context(browser, viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    login(page, server_url, "admin@demo.dk")
    page.goto(f"{server_url}/subscriptions?q=Mette")
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now under the worker: the page itself came through it
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    expect(page.get_by_role("link", name="Mette Jensen").first).to_be_visible()
    # an HTMX request (the list's own search) goes through the worker too
    page.locator("#global-search").fill("Jensen")
    expect(page.locator("#search-results a").first).to_be_visible()

    cached = page.evaluate(CACHED_URLS)
    assert list(cached) == [f"selvbetjening-{version}"]
    urls = cached[f"selvbetjening-{version}"]
    assert any(re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", u) for u in urls)
    assert "/offline?lang=da" in urls and "/offline?lang=en" in urls
    stored_pages = [u for u in urls if not u.startswith("/static/") and not u.startswith("/offline?lang=")]
    assert stored_pages == [], stored_pages  # no page, no fragment, no search result

    context.set_offline(True)
    page.goto(f"{server_url}/subscriptions?q=Mette")
    expect(page.locator("[data-offline-retry]")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("offline", re.I))
    assert "Mette Jensen" not in page.content()
    assert page.url.endswith("/subscriptions?q=Mette")
    no_horizontal_overflow(page, PHONE["width"])
    shot(page, artifacts, f"pwa-offline-{PHONE['width']}")
    axe_check(page, "offline page (360)")
    page.set_viewport_size(DESKTOP)
    shot(page, artifacts, f"pwa-offline-{DESKTOP['width']}")
    axe_check(page, "offline page (1280)")

    # "Try again" tries the page that could not be reached (still offline: the offline page
    # again), and a returning connection loads it by itself
    page.locator("[data-offline-retry]").click()
    page.wait_for_load_state()
    expect(page.locator("[data-offline-retry]")).to_be_visible()
    assert page.url.endswith("/subscriptions?q=Mette")
    context.set_offline(False)
    expect(page.get_by_role("link", name="Mette Jensen").first).to_be_visible()
    context.close()
