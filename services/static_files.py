"""Static files as a browser should get them: content-hashed names, compressed, cached for a year.

At start-up (once in gunicorn's master, as the app is preloaded) `init_app`:

- copies `static/` into a build folder named after the files' version (the service worker's, see
  blueprints/pwa.py), adding a copy of each CSS and JavaScript file under a name that carries a
  hash of its content (`css/app.3f9c2a1b0d4e.css`), and a gzip and a brotli file beside every
  file that compresses (whitenoise.compress). A folder for the same version is reused, so a
  restart, a second process or a test's app costs one hash of the files;
- serves that folder with WhiteNoise in front of Flask: `Accept-Encoding` picks the
  pre-compressed file, hashed names are sent with `Cache-Control: public, max-age=31536000,
  immutable`, and the old unhashed names (bookmarks, the manifest's icons, a page from before a
  deploy) still work with a short cache;
- makes `url_for('static', filename=...)` give the hashed name, so templates don't change;
- compresses the dynamic text responses (pages, fragments) with Flask-Compress. A page's CSRF token
  is signed with a timestamp, so it differs every second and BREACH cannot read it out.

Icons and the web app manifest keep their names: the manifest names its icons, and browsers and
home screens keep those URLs. With `STATIC_HASHED = False` (the debugger's reloader, where
files change under a running app) Flask serves `static/` as it is.
"""
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from flask_compress import Compress
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

HASHED_FOLDERS = ("css/", "js/", "vendor/")  # referenced from pages only, never by a fixed URL
HASH_LENGTH = 12
YEAR = 365 * 24 * 60 * 60
IMMUTABLE = f"public, max-age={YEAR}, immutable"
SHORT_MAX_AGE = 600  # seconds, for the unhashed names
KEEP_OLD_BUILDS = 24 * 60 * 60  # a build folder unused this long is removed at start-up
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                    "image/svg+xml", "application/manifest+json"]


def hashed_name(name, content):
    """`css/app.css` -> `css/app.<12 hex digits of the content's SHA-256>.css`."""
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


def is_hashed(url):
    """Whether a URL's file name carries a content hash (a name from `build`)."""
    parts = url.rsplit("/", 1)[-1].split(".")
    return len(parts) >= 3 and len(parts[-2]) == HASH_LENGTH and all(c in "0123456789abcdef" for c in parts[-2])


def manifest_for(static_folder):
    """{name: hashed name} for the files that get one, from the files' contents."""
    folder = Path(static_folder)
    manifest = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and not path.name.startswith(".") and name.startswith(HASHED_FOLDERS):
            manifest[name] = hashed_name(name, path.read_bytes())
    return manifest


def build(static_folder, target, manifest):
    """Write `target`: every static file under its own name and its hashed name, with .gz and .br
    beside those that compress. Built in a temporary folder and renamed, so a process never sees
    half a build and two processes starting together both end up with a whole one."""
    target = Path(target)
    if target.is_dir():
        os.utime(target)  # in use: not an old build
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        shutil.copytree(static_folder, work, dirs_exist_ok=True,
                        ignore=lambda _folder, names: [n for n in names if n.startswith(".")])
        for name, hashed in manifest.items():
            shutil.copy2(work / name, work / hashed)
        compressor = Compressor(quiet=True, log=lambda message: None)
        for path in sorted(p for p in work.rglob("*") if p.is_file()):
            if compressor.should_compress(path.name):
                compressor.compress(str(path))
        try:
            work.rename(target)
        except OSError:  # another process was first: use its build
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_old_builds(target.parent, keep=target)
    return target


def _remove_old_builds(folder, keep):
    cutoff = time.time() - KEEP_OLD_BUILDS
    for old in folder.iterdir():
        try:
            if old != keep and old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def _headers(headers, path, url):
    """WhiteNoise's immutable age is ten years; a year is what HTTP caches are asked to honour."""
    if is_hashed(url):
        headers["Cache-Control"] = IMMUTABLE
    headers["X-Content-Type-Options"] = "nosniff"  # as the app's own responses


def init_app(app, version):
    """Serve static files hashed and compressed (see the module's docstring); `version` names
    the build (blueprints/pwa.py computes it from the same files)."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMS", False)  # downloads stream from files: left as they are
    app.config.setdefault("COMPRESS_EVALUATE_CONDITIONAL_REQUEST", False)  # pages are no-store anyway
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    Compress(app)
    app.extensions["static_files"] = {"manifest": {}, "root": None}
    if not app.config.get("STATIC_HASHED", not app.debug):
        return
    manifest = manifest_for(app.static_folder)
    builds = Path(app.config.get("STATIC_BUILD_FOLDER") or Path(app.instance_path) / "static-build")
    try:
        root = build(app.static_folder, builds / version, manifest)
    except OSError:  # a read-only instance folder: build in the temporary folder instead
        root = build(app.static_folder, Path(tempfile.gettempdir()) / "selvbetjening-static" / version, manifest)
    app.extensions["static_files"] = {"manifest": manifest, "root": root}

    @app.url_defaults
    def _hashed_static_url(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])

    app.wsgi_app = WhiteNoise(app.wsgi_app, root=str(root), prefix=app.static_url_path, max_age=SHORT_MAX_AGE,
                              allow_all_origins=False, immutable_file_test=lambda path, url: is_hashed(url),
                              mimetypes={".webmanifest": "application/manifest+json"},
                              add_headers_function=_headers)


def static_url(app, name):
    """The URL of a static file under its hashed name, outside a request (the service worker's list)."""
    manifest = app.extensions.get("static_files", {}).get("manifest", {})
    return f"{app.static_url_path}/{manifest.get(name, name)}"
