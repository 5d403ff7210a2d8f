"""Settings from the environment, with safe defaults."""
import os
import secrets
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

    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_COOKIE_NAME = "sb_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE")  # default: on in production
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))  # reverse proxies in front (X-Forwarded-*)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the server-side session

    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    LOCKOUT_AFTER = 10  # failed passwords or codes in a row
    LOCKOUT_MINUTES = 15
    MAX_CODE_ATTEMPTS = 5  # wrong second-factor codes before the pending login ends

    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "locales")
    LANGUAGES = ("da", "en")

    # The local operator network: seconds an order takes, and the share that fails (0..1).
    NETWORK_DELAY_SECONDS = float(os.environ.get("NETWORK_DELAY_SECONDS", "3"))
    NETWORK_FAILURE_RATE = float(os.environ.get("NETWORK_FAILURE_RATE", "0"))
    STEP_UP_MINUTES = 5  # PIN/PUK, cancel and transfer need a second factor this recent

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

    JOBS_INLINE = False  # run in-process jobs in the request instead of a thread (tests)


def load_config(overrides=None):
    """A plain dict of settings; production refuses to start without a SECRET_KEY."""
    cfg = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    cfg.update(overrides or {})
    if not cfg.get("SECRET_KEY"):
        if cfg["ENV_MODE"] == "production":
            raise RuntimeError("SECRET_KEY must be set in production mode")
        cfg["SECRET_KEY"] = secrets.token_hex(32)  # demo/testing only: new on each start
    cfg["DEMO_MODE"] = cfg["ENV_MODE"] in ("demo", "testing")
    secure = cfg.get("SESSION_COOKIE_SECURE")
    if isinstance(secure, str) or secure is None:
        cfg["SESSION_COOKIE_SECURE"] = (secure == "1") if secure is not None else not cfg["DEMO_MODE"]
    return cfg
