"""Flask extensions, created here and bound in create_app() so blueprints can import them."""
from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from limits.storage import storage_from_string

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def counter_storage():
    """The store of the login throttle's counters: the same as Flask-Limiter's (RATELIMIT_STORAGE_URI,
    Redis in production so every process sees one count; memory:// in demo and tests).

    One per app, made on first use: the throttle works even where Flask-Limiter is switched off
    (tests), and two apps in one process never share a memory store by accident."""
    storage = current_app.extensions.get("sb_counters")
    if storage is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or current_app.config.get("REDIS_URL") or "memory://"
        storage = current_app.extensions["sb_counters"] = storage_from_string(uri)
    return storage
