"""create_app(): config, extensions, blueprints, CLI commands."""
import logging

from flask import Flask, g, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

import jobs.context
from blueprints import access, errors, input_limits
from config import load_config
from extensions import babel, csrf, limiter, login_manager
from models import User, db
from models.database import open_database, row_where
from services.locale import select_locale
from services.sessions import DatabaseSessionInterface, user_of

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def create_app(overrides=None):
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(load_config(overrides))
    logging.basicConfig(level=logging.INFO)
    # Peewee logs SQL with its parameters at DEBUG: hashes, codes and PUKs must never reach a log.
    logging.getLogger("peewee").setLevel(logging.INFO)
    open_database(app.config["DATABASE_URL"])
    if app.config["TRUSTED_PROXIES"]:
        # the client's address and scheme come from the proxy: rate limits, audit IPs and HSTS need them
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from services import metrics, request_log

    request_log.init_app(app)  # first: the request id is there for every later hook and log line
    metrics.init_app(app)
    app.session_interface = DatabaseSessionInterface()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or app.config["REDIS_URL"] or "memory://"
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)

    _register_blueprints(app)
    from services import static_files

    static_files.init_app(app, app.extensions["pwa"]["version"])  # hashed, compressed, cached for a year
    errors.register(app)
    input_limits.init_app(app)  # length caps on every query string and form (services/validation.py)
    _register_hooks(app)
    _register_template_helpers(app)

    from cli import register_cli

    register_cli(app)
    jobs.context.bind(app)
    return app


def _load_user(user_id):
    user_id = int(user_id)
    user = user_of(session, user_id) or row_where(User, User.id, user_id)  # fixed SQL: on every request
    return user if user is not None and user.is_active else None


def _register_blueprints(app):
    from blueprints import (
        accounts,
        audit_trail,
        auth,
        health,
        home,
        invoices,
        me,
        numbers,
        onboarding,
        orders,
        products,
        settings,
        staff,
        step_up,
        subscriptions,
        support,
        transfers,
        users,
    )

    for module in (auth, health, home, onboarding, settings, staff, support, me, numbers, products, users, audit_trail,
                   subscriptions, orders, step_up, transfers, invoices, accounts):
        app.register_blueprint(module.bp)
    from blueprints import call_flow

    app.register_blueprint(call_flow.bp)
    from blueprints import outages

    app.register_blueprint(outages.bp)
    from blueprints import pwa

    app.register_blueprint(pwa.bp)
    if app.config["DEMO_MODE"]:
        from blueprints import dev

        app.register_blueprint(dev.bp)


def _register_hooks(app):
    from services.shell import load_membership

    @app.before_request
    def load_scope():
        g.scope = g.membership = None
        if current_user.is_authenticated and current_user.kind == "customer":
            load_membership()
        return access.enforce()

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint not in ("static", "pwa.service_worker"):
            # Pages carry codes, secrets or tenant data; only static files may be kept
            # (the service worker says no-cache itself: browsers check it on each visit).
            headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def close_db(exc):
        if not db.is_closed():
            db.close()


def _register_template_helpers(app):
    from blueprints.navigation import menu
    from services import formatting
    from services.labels import label

    app.jinja_env.globals.update(formatting.template_globals(), menu=menu, label=label)
    app.jinja_env.filters.update(formatting.template_filters())
    formatting.install_gettext(app.jinja_env)
