"""Settings from the environment, with safe defaults."""
import os
import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class Config:
    ENV_MODE = os.environ.get("SELVBETJENING_MODE", "production")  # demo, production, testing
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'selvbetjening.db'}")
    REDIS_URL = os.environ.get("REDIS_URL") or None
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "instance"))

    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "Selvbetjening <noreply@selvbetjening.local>")
    PUBLIC_URL = os.environ.get("PUBLIC_URL") or None  # links in letters; unset: the address the request came in on

    # Old keys, comma-separated: they still open TOTP secrets until `flask rotate-totp-key` re-encrypts them
    SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "15"))  # both enforced server-side
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
    SESSION_COOKIE_NAME = "sb_session"  # production: __Host-session (load_config)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE")  # default: on in production
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))  # reverse proxies in front (X-Forwarded-*)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the server-side session

    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or None  # else REDIS_URL, else memory
    # minutes between the fraud guard's notice and carrying out a SIM change, transfer, cancellation
    # or port; None: services/fraud.py's defaults (15 in production, 2 in demo, 0 in tests)
    FRAUD_NOTICE_MINUTES = float(os.environ["FRAUD_NOTICE_MINUTES"]) if os.environ.get("FRAUD_NOTICE_MINUTES") else None
    MAX_CODE_ATTEMPTS = 5  # wrong second-factor codes before the pending login ends

    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "locales")
    LANGUAGES = ("da", "en")

    # The local operator network: seconds an order takes, and the share that fails (0..1).
    NETWORK_DELAY_SECONDS = float(os.environ.get("NETWORK_DELAY_SECONDS", "3"))
    NETWORK_FAILURE_RATE = float(os.environ.get("NETWORK_FAILURE_RATE", "0"))
    # seconds each process keeps the front page's running outages (services/outages.py _Kept); 0: none
    OUTAGE_CACHE_SECONDS = float(os.environ.get("OUTAGE_CACHE_SECONDS", "10"))
    STEP_UP_MINUTES = 5  # re-authentication this recent before sensitive changes (blueprints/step_up.py)
    REAUTH_MAX_FAILURES = 5  # wrong passwords or codes when re-authenticating, per user and window
    REAUTH_WINDOW_MINUTES = 15

    # The operator as invoices name it (the seller). Bank details are the demo operator's.
    OPERATOR_NAME = os.environ.get("OPERATOR_NAME", "Nordtele A/S")
    OPERATOR_CVR = os.environ.get("OPERATOR_CVR", "29900000")
    OPERATOR_ADDRESS = os.environ.get("OPERATOR_ADDRESS", "Teglholmsgade 1")
    OPERATOR_POSTAL_CODE = os.environ.get("OPERATOR_POSTAL_CODE", "2450")
    OPERATOR_CITY = os.environ.get("OPERATOR_CITY", "København SV")
    OPERATOR_EMAIL = os.environ.get("OPERATOR_EMAIL", "erhverv@nordtele.dk")
    OPERATOR_PHONE = os.environ.get("OPERATOR_PHONE", "+4570100100")
    OPERATOR_BANK_REG = os.environ.get("OPERATOR_BANK_REG", "5301")
    OPERATOR_BANK_ACCOUNT = os.environ.get("OPERATOR_BANK_ACCOUNT", "0123456789")
    OPERATOR_IBAN = os.environ.get("OPERATOR_IBAN", "DK0653010123456789")
    OPERATOR_BIC = os.environ.get("OPERATOR_BIC", "ALBADKKK")
    OPERATOR_CREDITOR = os.environ.get("OPERATOR_CREDITOR", "85412345")  # FI-kort creditor number
    OPERATOR_LOGO = str(BASE_DIR / "static" / "icons" / "icon.svg")

    LOG_FORMAT = os.environ.get("LOG_FORMAT") or None  # json (default in production) or text
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None  # /metrics needs it as a bearer token; unset: loopback only
    JOBS_INLINE = False  # run in-process jobs in the request instead of a thread (tests)


def load_config(overrides=None):
    """A plain dict of settings; production refuses to start without a SECRET_KEY."""
    cfg = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    cfg.update(overrides or {})
    if not cfg.get("SECRET_KEY"):
        if cfg["ENV_MODE"] == "production":
            if _secretless_command():
                return _finish(cfg)  # no sessions, no sealed secrets: nothing needs the key
            raise RuntimeError("SECRET_KEY must be set in production mode")
        cfg["SECRET_KEY"] = secrets.token_hex(32)  # demo/testing only: new on each start
    return _finish(cfg)


def _secretless_command():
    """`flask translate …` (a build step) and `flask migrate` (the release step) run without a
    SECRET_KEY: neither signs nor seals anything (0016 then leaves TOTP secrets to rotate-totp-key)."""
    argv = sys.argv
    return Path(argv[0]).name == "flask" and bool({"translate", "migrate"} & set(argv[1:]))


def _finish(cfg):
    cfg["DEMO_MODE"] = cfg["ENV_MODE"] in ("demo", "testing")
    secure = cfg.get("SESSION_COOKIE_SECURE")
    if isinstance(secure, str) or secure is None:
        cfg["SESSION_COOKIE_SECURE"] = (secure == "1") if secure is not None else not cfg["DEMO_MODE"]
    if not cfg["DEMO_MODE"] and cfg["SESSION_COOKIE_SECURE"] and cfg["SESSION_COOKIE_NAME"] == Config.SESSION_COOKIE_NAME:
        # the __Host- prefix: the browser keeps it only if Secure, Path=/ and without Domain
        cfg.update(SESSION_COOKIE_NAME="__Host-session", SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None)
    return cfg
