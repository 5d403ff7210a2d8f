"""The installable app: the manifest and its icons, the service worker served from the root
with a cache version made from the static files, the start page per role, and an offline
page that holds nothing of anyone. The worker's behaviour in a browser (offline page
instead of a cached data page) is tests/browser/test_pwa.py."""
import json
import re
import shutil
import struct
from pathlib import Path

import pytest

from blueprints.pwa import TEMPLATES, build_version
from models import WebSession
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "static" / "icons"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_header(data):
    """(width, height, colour type) from a PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour


def worker_source(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def js_constant(source, name):
    found = re.search(rf"^const {name} = (.+);$", source, re.M)
    assert found, name
    return json.loads(found.group(1))


def js_function(source, name):
    """The text of a top-level `async function name(...) { ... }` (up to its closing brace at column 0)."""
    found = re.search(rf"^(async )?function {name}\(.*?^}}$", source, re.M | re.S)
    assert found, name
    return found.group(0)


# -- manifest and icons ----------------------------------------------------------------

def test_manifest_is_served_as_a_web_app_manifest(client):
    response = client.get("/static/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == manifest["short_name"] == "Selvbetjening"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/start" and manifest["scope"] == "/" and manifest["id"] == "/"
    assert manifest["theme_color"] == "#0a3d7a"  # the header blue
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    pngs = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= pngs


def test_every_manifest_icon_is_served_in_its_stated_size(client):
    manifest = json.loads(client.get("/static/manifest.webmanifest").data)
    for icon in manifest["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response.mimetype == icon["type"], icon["src"]
        if icon["type"] == "image/png":
            width, height, _ = png_header(response.data)
            assert f"{width}x{height}" == icon["sizes"], icon["src"]


@pytest.mark.parametrize("name, size", [
    ("icon-192.png", 192), ("icon-512.png", 512), ("icon-maskable-192.png", 192),
    ("icon-maskable-512.png", 512), ("apple-touch-icon.png", 180),
])
def test_icons_have_their_pixel_sizes(name, size):
    width, height, _ = png_header((ICONS / name).read_bytes())
    assert (width, height) == (size, size)


@pytest.mark.parametrize("name", ["icon-maskable-512.png", "apple-touch-icon.png"])
def test_full_bleed_icons_have_no_transparent_corner(name):
    """A maskable icon is cropped to any shape, and iOS shows transparency as black."""
    from PIL import Image

    with Image.open(ICONS / name) as image:
        rgba = image.convert("RGBA")
        corners = [rgba.getpixel((x, y)) for x in (0, rgba.width - 1) for y in (0, rgba.height - 1)]
    assert all(pixel[3] == 255 for pixel in corners), corners


def test_the_icons_are_what_the_script_draws(tmp_path, monkeypatch):
    """scripts/make_icons.py regenerates the committed PNGs from icon.svg: the same pixels
    (compared decoded, as another zlib may pack the same image into other bytes)."""
    import importlib.util

    from PIL import Image, ImageChops

    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts" / "make_icons.py")
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    shutil.copy(ICONS / "icon.svg", tmp_path / "icon.svg")
    monkeypatch.setattr(make_icons, "ICONS", tmp_path)
    monkeypatch.setattr(make_icons, "ROOT", tmp_path)
    make_icons.main()
    for name in ("icon-192.png", "icon-512.png", "icon-maskable-192.png", "icon-maskable-512.png", "apple-touch-icon.png"):
        with Image.open(tmp_path / name) as drawn, Image.open(ICONS / name) as committed:
            assert drawn.size == committed.size, name
            difference = ImageChops.difference(drawn.convert("RGBA"), committed.convert("RGBA"))
            assert max(high for _, high in difference.getextrema()) <= 2, name


def test_pages_link_the_manifest_icons_and_the_worker(client):
    head = client.get("/login").get_data(as_text=True).split("</head>")[0]
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in head
    assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in head
    assert '<meta name="theme-color" content="#0a3d7a">' in head
    assert re.search(r'<script src="/static/js/pwa\.[0-9a-f]{12}\.js" data-worker="/sw.js" defer></script>', head)


# -- the service worker ----------------------------------------------------------------

def test_worker_is_served_from_the_root_and_never_kept(app, client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    # at the root its scope is the whole site; below /static/ it would need Service-Worker-Allowed
    assert response.request.path == "/sw.js" or response.headers.get("Service-Worker-Allowed") == "/"
    cache_control = response.headers["Cache-Control"]
    assert ("no-cache" in cache_control or "no-store" in cache_control) and "max-age" not in cache_control
    source = response.get_data(as_text=True)
    assert js_constant(source, "VERSION") == app.extensions["pwa"]["version"]


def test_worker_version_is_made_from_the_static_files(app, client):
    version = js_constant(worker_source(client), "VERSION")
    assert version == build_version(app.static_folder, TEMPLATES)
    assert re.fullmatch(r"[0-9a-f]{16}", version)


def test_version_changes_when_a_static_file_changes(tmp_path):
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static)
    before = build_version(static, TEMPLATES)
    assert build_version(static, TEMPLATES) == before  # stable
    css = static / "css" / "app.css"
    css.write_text(css.read_text() + "\n/* a deploy */\n")
    changed = build_version(static, TEMPLATES)
    assert changed != before
    (static / "js" / "new.js").write_text("// a new file\n")
    assert build_version(static, TEMPLATES) not in (before, changed)


def test_worker_caches_the_shell_and_the_offline_page(client):
    source = worker_source(client)
    files = js_constant(source, "STATIC_FILES")
    for path in ("/static/icons/icon-192.png", "/static/manifest.webmanifest"):
        assert path in files
    for name in ("css/app", "js/app", "js/pwa"):  # under the hashed names the pages ask for
        assert any(re.fullmatch(rf"/static/{name}\.[0-9a-f]{{12}}\.(css|js)", p) for p in files), name
    assert any(p.startswith("/static/vendor/htmx-") for p in files)
    assert all(p.startswith("/static/") for p in files)
    assert js_constant(source, "OFFLINE_URL") == "/offline"
    assert js_constant(source, "LANGUAGES") == ["da", "en"]
    assert js_constant(source, "PREFIX") == "selvbetjening-"
    install = source.split('addEventListener("install"')[1].split("});")[0]
    assert 'credentials: "omit"' in install  # the cached offline page is fetched without anyone's cookies
    activate = source.split('addEventListener("activate"')[1].split("});")[0]
    assert "caches.delete" in activate and "name !== CACHE" in activate  # a new deploy drops the old cache


def test_worker_code_never_caches_a_page(client):
    """Only static files and the offline page are stored: a navigation's response is returned,
    never put in a cache; non-GET and HTMX requests are left to the network before anything else."""
    source = worker_source(client)
    fetch_handler = source.split('addEventListener("fetch"')[1].split("\n});")[0]
    early = fetch_handler.index('request.method !== "GET" || request.headers.has("HX-Request")')
    assert early < fetch_handler.index("respondWith")
    assert 'request.mode === "navigate"' in fetch_handler
    assert "url.pathname.startsWith(STATIC_PREFIX)" in fetch_handler
    navigation = js_function(source, "handleNavigation")
    assert "fetch(event.request)" in navigation and "offlinePage()" in navigation
    for storing in (".put(", ".add(", ".addAll(", "caches.open"):
        assert storing not in navigation
    assert ".put(" not in js_function(source, "offlinePage")
    # the one other place that stores: a static file's response
    assert ".put(" in js_function(source, "handleStatic")
    outside = source.replace(js_function(source, "handleStatic"), "")
    assert re.findall(r"\.put\((\w+)", outside) == ["LANGUAGE_KEY"]  # the page's language, a two-letter code


# -- start and offline pages -------------------------------------------------------------

def test_start_sends_an_employee_to_me(employee_client):
    response = employee_client.get("/start")
    assert response.status_code == 302 and response.headers["Location"] == "/me"


@pytest.mark.parametrize("email", ["admin@demo.dk", "begraenset@demo.dk", "staff@operator.dk"])
def test_start_sends_everyone_else_to_the_front_page(app, email):
    client = app.test_client()
    sign_in(client, email)
    response = client.get("/start")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_start_signed_out_goes_to_the_login_and_back(client):
    response = client.get("/start")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/start"


def test_offline_page_renders_without_a_session(client, ctx):
    sessions = WebSession.select().count()
    response = client.get("/offline?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "<h1>You are offline</h1>" in page
    assert "Try again" in page and 'data-offline-retry' in page
    assert "Set-Cookie" not in response.headers
    assert WebSession.select().count() == sessions  # the worker's fetch leaves no session behind


def test_offline_page_speaks_the_asked_language(client):
    assert '<html lang="da">' in client.get("/offline?lang=da").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/offline?lang=en").get_data(as_text=True)
    # an unknown language is ignored: the usual choice (Accept-Language, else Danish)
    assert '<html lang="da">' in client.get("/offline?lang=xx").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/offline", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_offline_page_holds_nothing_of_the_signed_in_user(admin):
    page = admin.get("/offline?lang=en").get_data(as_text=True)
    for private in ("Demo A/S", "admin@demo.dk", "csrf", "X-CSRFToken", "/logout", "search"):
        assert private not in page, private
