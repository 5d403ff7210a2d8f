"""The installable app: the service worker at the site's root, its offline page, and the
start page the manifest names.

The worker's cache is named after a version computed once, when the app starts, from the
contents of the static files and of the worker's own templates: a deploy that changes any
of them brings a new worker with a new cache, which replaces the old one.
"""
import hashlib
from pathlib import Path

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user

from services.locale import regional
from services.static_files import static_url

from .access import public, signed_in
from .rendering import render

bp = Blueprint("pwa", __name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "pwa"


def build_version(*folders):
    """A short hash of every file under `folders` (names and contents), in a stable order."""
    digest = hashlib.sha256()
    for folder in map(Path, folders):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        for path in files:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def static_files(app):
    """The URLs of every static file as pages ask for them (the hashed names of
    services/static_files.py), for the worker to cache when it installs."""
    folder = Path(app.static_folder)
    return [static_url(app, p.relative_to(folder).as_posix())
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]


@bp.record_once
def _compute_version(state):
    app = state.app
    app.extensions["pwa"] = {"version": build_version(app.static_folder, TEMPLATES)}


def _cached_static_files(app):
    """Listed at the first request, once the hashed names are known."""
    pwa = app.extensions["pwa"]
    if "files" not in pwa:
        pwa["files"] = static_files(app)
    return pwa["files"]


@bp.route("/sw.js")
@public
def service_worker():
    """Served from the root, so its scope is the whole site; browsers look for a new one on
    every navigation, so it must not be cached (the app sends no-store for all but /static)."""
    pwa = current_app.extensions["pwa"]
    body = render_template("pwa/sw.js", version=pwa["version"], static_files=_cached_static_files(current_app),
                           static_prefix=current_app.static_url_path + "/", offline_url=url_for("pwa.offline"),
                           languages=list(current_app.config["LANGUAGES"]))
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
@public
def offline():
    """The page the worker shows when the network is gone. `?lang=` picks the language,
    as the worker fetches it without cookies (it must hold nothing of anyone)."""
    language = request.args.get("lang")
    if language in current_app.config["LANGUAGES"]:
        with force_locale(regional(language)):
            return render("pwa/offline.html")
    return render("pwa/offline.html")


@bp.route("/start")
@signed_in
def start():
    """The installed app's start: an employee's own page, everyone else the front page
    (which sends staff on to theirs). Signed out, the access policy sends to the login."""
    if current_user.kind == "employee":
        return redirect(url_for("me.index"))
    return redirect(url_for("home.index"))
