"""Static files (services/static_files.py): content-hashed names in pages, a year's immutable cache
for them, gzip and brotli when the browser accepts them, the old names still served with a short
cache, compressed pages, and a service worker that follows the files."""
import gzip
import re
import shutil
from pathlib import Path

import brotli
import pytest

from blueprints.pwa import TEMPLATES, build_version
from models import db
from models.database import migrate
from services import static_files
from tests.conftest import make_app, sign_in

ROOT = Path(__file__).resolve().parent.parent
IMMUTABLE = "public, max-age=31536000, immutable"


def head_urls(html):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html.split("</head>")[0])


def hashed_css(client):
    return re.search(r'<link rel="stylesheet" href="(/static/css/app\.[0-9a-f]{12}\.css)">',
                     client.get("/login").get_data(as_text=True)).group(1)


def test_pages_link_css_and_js_by_content_hashed_names(client):
    urls = head_urls(client.get("/login").get_data(as_text=True))
    scripts_and_styles = [u for u in urls if u.endswith((".css", ".js"))]
    assert len(scripts_and_styles) >= 4  # app.css, htmx, app.js, pwa.js and more
    for url in scripts_and_styles:
        assert static_files.is_hashed(url), url
        name = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", url.removeprefix("/static/"))
        assert url == f"/static/{static_files.hashed_name(name, (ROOT / 'static' / name).read_bytes())}"
    # the manifest and its icons keep their names: browsers and home screens keep those URLs
    assert "/static/manifest.webmanifest" in urls and "/static/icons/apple-touch-icon.png" in urls


def test_hashed_file_is_cached_for_a_year_and_has_the_same_content(client):
    url = hashed_css(client)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "text/css"
    assert response.data == (ROOT / "static" / "css" / "app.css").read_bytes()


@pytest.mark.parametrize("encoding, decompress", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_compressed_file_is_served_when_accepted(client, encoding, decompress):
    url = hashed_css(client)
    plain = client.get(url).data
    response = client.get(url, headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert len(response.data) < len(plain) / 3
    assert decompress(response.data) == plain


def test_no_compression_without_accept_encoding(client):
    response = client.get(hashed_css(client))
    assert "Content-Encoding" not in response.headers


def test_unhashed_old_url_still_works_with_a_short_cache(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.data == (ROOT / "static" / "css" / "app.css").read_bytes()
    cache = response.headers["Cache-Control"]
    assert "immutable" not in cache
    assert int(re.search(r"max-age=(\d+)", cache).group(1)) <= 3600
    icon = client.get("/static/icons/icon-192.png")
    assert icon.status_code == 200 and "immutable" not in icon.headers["Cache-Control"]


def test_unknown_static_file_is_404(client):
    assert client.get("/static/css/app.0123456789ab.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_pages_are_compressed_and_still_never_stored(app):
    client = app.test_client()
    sign_in(client, "admin@demo.dk")
    plain = client.get("/subscriptions")
    response = client.get("/subscriptions", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Accept-Encoding" in response.headers["Vary"] and "HX-Request" in response.headers["Vary"]
    html = gzip.decompress(response.data).decode()
    assert html.count("<tr") == plain.get_data(as_text=True).count("<tr") > 10


def test_first_load_of_the_subscription_list_is_at_most_60_kb(app):
    """HTML + CSS + JS of /subscriptions as a browser with an empty cache gets them (brotli)."""
    client = app.test_client()
    sign_in(client, "admin@demo.dk")
    page = client.get("/subscriptions", headers={"Accept-Encoding": "br"})
    html = brotli.decompress(page.data).decode()
    total = len(page.data)
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"', html)
    assert len(assets) >= 4
    for css, js in assets:
        response = client.get(css or js, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200
        total += len(response.data)
    assert total <= 60 * 1024


def test_service_worker_caches_the_hashed_urls_and_its_version_follows_the_files(client):
    source = client.get("/sw.js").get_data(as_text=True)
    files = re.search(r"const STATIC_FILES = (\[.*?\]);", source).group(1)
    assert hashed_css(client) in files
    assert '"/static/css/app.css"' not in files  # the worker keeps what pages ask for
    assert '"/static/manifest.webmanifest"' in files


def test_a_changed_file_gets_a_new_name_a_new_build_and_a_new_worker_version(tmp_path):
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static)
    before_version = build_version(static, TEMPLATES)
    before = static_files.manifest_for(static)
    css = static / "css" / "app.css"
    css.write_text(css.read_text() + "\n/* a deploy */\n")
    after = static_files.manifest_for(static)
    assert after["css/app.css"] != before["css/app.css"]
    assert after["js/app.js"] == before["js/app.js"]  # the others keep their names, and caches
    after_version = build_version(static, TEMPLATES)
    assert after_version != before_version
    root = static_files.build(static, tmp_path / "builds" / after_version, after)
    assert (root / after["css/app.css"]).read_bytes() == css.read_bytes()
    assert gzip.decompress((root / (after["css/app.css"] + ".gz")).read_bytes()) == css.read_bytes()
    assert brotli.decompress((root / (after["css/app.css"] + ".br")).read_bytes()) == css.read_bytes()
    assert not (root / "icons" / "icon-192.png.gz").exists()  # PNG does not compress
    assert static_files.build(static, root, after) == root  # a second process reuses the build


def test_build_folder_is_named_after_the_worker_version(tmp_path):
    """One build per version of the files: the name in the page is the file served."""
    app = make_app(tmp_path / "app.db", STATIC_BUILD_FOLDER=str(tmp_path / "builds"))
    migrate(db.obj)
    client = app.test_client()
    url = hashed_css(client)
    assert client.get(url).headers["Cache-Control"] == IMMUTABLE
    assert app.extensions["static_files"]["root"].parent == tmp_path / "builds"
    assert app.extensions["static_files"]["root"].name == app.extensions["pwa"]["version"]


def test_without_hashing_flask_serves_the_plain_names(tmp_path):
    app = make_app(tmp_path / "app.db", STATIC_HASHED=False)
    migrate(db.obj)
    client = app.test_client()
    urls = head_urls(client.get("/login").get_data(as_text=True))
    assert "/static/css/app.css" in urls
    assert client.get("/static/css/app.css").status_code == 200
