"""Configuration read from the environment (and a `.env` file), as SPEC §3 lists it."""

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

load_dotenv(ROOT / ".env")

DEV_SECRET_KEY = "dev-secret-key-change-me"
DEV_PUBLIC_BASE_URL = "http://127.0.0.1:5000"


def database_url(url: str | None) -> str:
    """Normalise a database URL: hosting platforms hand out `postgres://`, we drive psycopg 3."""
    if not url:
        return f"sqlite:///{INSTANCE / 'sms.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def flag(name: str, default: bool = False) -> bool:
    """A boolean environment variable: 1/true/yes/on."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def listed(name: str) -> list[str]:
    """A comma-separated environment variable as a list."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def webhook_token(path: Path) -> str:
    """This installation's own webhook token: read from `path`, or made there (mode 0600) once.

    Every process of the installation reads the same file; one that starts while another writes
    it finds the other's token, never half of it, nor one that replaces it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)  # atomic; fails when another process got there first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    token = path.read_text().strip()
    if not token:
        raise RuntimeError(f"{path} is empty: delete it and start again to make a new token.")
    return token


class Config:
    """Settings of a running app; every value can be overridden by create_app(config)."""

    # "production" turns on the start-up checks (app/production.py) and JSON logs.
    APP_ENV = os.environ.get("APP_ENV", "development")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if APP_ENV == "production" else "text")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", DEV_PUBLIC_BASE_URL).rstrip("/")

    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "simulator")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
    TWILIO_ADVANCED_OPT_OUT = flag("TWILIO_ADVANCED_OPT_OUT")
    # The shared key of HMAC-SHA256-signed webhooks (X-Twilio-Webhooks-Signature-Settings).
    TWILIO_WEBHOOK_SIGNING_KEY = os.environ.get("TWILIO_WEBHOOK_SIGNING_KEY", "")
    # With the simulated carrier and no TWILIO_AUTH_TOKEN, webhooks are still signed: with a
    # random token made once for this installation and kept in this file.
    WEBHOOK_TOKEN_FILE = INSTANCE / "webhook-token"
    # How many reverse proxies stand in front (X-Forwarded-For/Proto/Host are trusted that deep).
    PROXY_FIX = int(os.environ.get("PROXY_FIX", "0"))
    NOTIFY_FROM_NUMBER = os.environ.get("NOTIFY_FROM_NUMBER", "")
    # The simulated carrier answers texts to these phones with "recipient unsubscribed" (21610),
    # refuses to turn SMS on for these numbers, and takes this long to (de)activate one.
    SIMULATOR_UNSUBSCRIBED = listed("SIMULATOR_UNSUBSCRIBED")
    SIMULATOR_REFUSE = listed("SIMULATOR_REFUSE")
    SIMULATOR_ACTIVATION_SECONDS = float(os.environ.get("SIMULATOR_ACTIVATION_SECONDS", "5"))

    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Redis out of reach must not take logins and the widget down with it: the limits are then
    # skipped, and each skip logged.
    RATELIMIT_SWALLOW_ERRORS = True
    WIDGET_LIMIT_PER_IP = os.environ.get("WIDGET_LIMIT_PER_IP", "20 per hour")
    WIDGET_LIMIT_PER_PHONE = os.environ.get("WIDGET_LIMIT_PER_PHONE", "3 per hour")
    # Failed logins only: a user who logs in often is never locked out, a guesser soon is.
    LOGIN_LIMIT_PER_EMAIL = os.environ.get("LOGIN_LIMIT_PER_EMAIL", "10 per 15 minutes")
    # Per address, loose enough for a whole office behind one NAT mistyping its passwords.
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "100 per 15 minutes")
    # Refused set-password and notification links (tampered, expired, dead) per address.
    LINK_LIMIT_PER_IP = os.environ.get("LINK_LIMIT_PER_IP", "30 per 15 minutes")
    JOB_MAX_TRIES = int(os.environ.get("JOB_MAX_TRIES", "5"))  # tries in all, for passing failures
    # Seconds before the first retry; each next wait doubles (2, 4, 8, 16 s).
    JOB_RETRY_BASE_SECONDS = float(os.environ.get("JOB_RETRY_BASE_SECONDS", "2"))
    # A job whose worker died before finishing it goes back on the queue after this long.
    JOB_VISIBILITY_TIMEOUT = int(os.environ.get("JOB_VISIBILITY_TIMEOUT", "600"))
    # With workers: a web process enqueues one filing job for the texts it stores in this time.
    INBOUND_FILING_WINDOW = float(os.environ.get("INBOUND_FILING_WINDOW", "0.25"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = flag("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "SMS Conversations <no-reply@localhost>"
    )
    TELECOM_EMAIL = os.environ.get("TELECOM_EMAIL", "")
    NOTIFICATION_LINK_MAX_AGE = int(os.environ.get("NOTIFICATION_LINK_DAYS", "7")) * 24 * 3600
    MAIL_SUPPRESS_SEND = False  # with a MAIL_SERVER, mail is sent, in tests too (to a local server)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    PASSWORD_HASH_METHOD = "scrypt"
    API_PAGE_SIZE = 50
    BOOTSTRAP_SERVE_LOCAL = True  # never a CDN: the portal works offline and under a strict CSP


class TestConfig(Config):
    """Settings for the test suite; the suite's fixtures choose the database."""

    TESTING = True
    APP_ENV = "development"
    LOG_FORMAT = "text"
    SECRET_KEY = "test-secret-key"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing: the suite creates many users
    SIMULATOR_ACTIVATION_SECONDS = 0.0
    JOB_RETRY_BASE_SECONDS = 0.05
    PUBLIC_BASE_URL = "http://localhost"
    SMS_PROVIDER = "simulator"
    TWILIO_AUTH_TOKEN = "test-auth-token"
    REDIS_URL = ""
    MAIL_SERVER = ""
