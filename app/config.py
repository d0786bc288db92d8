"""Configuration read from the environment (and a `.env` file), as SPEC §3 lists it.

`from_environment()` reads every setting with environs, when the app is built: a value that
cannot be read (`PROXY_FIX=abc`) stops the start with an error naming each such variable."""

import os
import secrets
from pathlib import Path

from environs import Env, EnvError, EnvValidationError

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

DEV_SECRET_KEY = "dev-secret-key-change-me"
DEV_HOST = "http://127.0.0.1:"  # where `flask run` serves; PUBLIC_BASE_URL's default is on it
DEV_PUBLIC_BASE_URL = f"{DEV_HOST}5000"
TRUE, FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


class BadSettings(RuntimeError):
    """Environment variables whose values cannot be read; the message names each one."""


def database_url(url: str | None) -> str:
    """Normalise a database URL: hosting platforms hand out `postgres://`, we drive psycopg 3."""
    if not url:
        return f"sqlite:///{INSTANCE / 'sms.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def flag(value: str) -> bool:
    """A boolean setting: 1/true/yes/on, or 0/false/no/off (empty: off), in any case."""
    word = value.strip().lower()
    if word not in TRUE | FALSE:
        raise EnvError("Not a valid boolean: use 1/true/yes/on or 0/false/no/off.")
    return word in TRUE


def listed(value: str) -> list[str]:
    """A comma-separated setting as a list."""
    return [item.strip() for item in value.split(",") if item.strip()]


def from_environment() -> dict:
    """Every setting of SPEC §3 read from the environment, then `.env` for what it leaves unset;
    BadSettings names every variable whose value cannot be read, all at once."""
    env = Env(eager=False)
    env.read_env(ROOT / ".env", recurse=False)
    env.add_parser("flag", flag)
    env.add_parser("listed", listed)
    app_env = env.str("APP_ENV", "development")
    found = {
        # "production" turns on the start-up checks (app/production.py) and JSON logs.
        "APP_ENV": app_env,
        "LOG_FORMAT": env.str("LOG_FORMAT", "json" if app_env == "production" else "text"),
        "SECRET_KEY": env.str("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url(env.str("DATABASE_URL", "")),
        # Unset, the address `flask run` serves on (`make run PORT=5080` sets FLASK_RUN_PORT).
        "PUBLIC_BASE_URL": env.str(
            "PUBLIC_BASE_URL", f"{DEV_HOST}{env.int('FLASK_RUN_PORT', 5000)}"
        ).rstrip("/"),
        "SMS_PROVIDER": env.str("SMS_PROVIDER", "simulator"),
        "TWILIO_ACCOUNT_SID": env.str("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": env.str("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_MESSAGING_SERVICE_SID": env.str("TWILIO_MESSAGING_SERVICE_SID", ""),
        "TWILIO_ADVANCED_OPT_OUT": env.flag("TWILIO_ADVANCED_OPT_OUT", "0"),
        # The shared key of HMAC-SHA256-signed webhooks (X-Twilio-Webhooks-Signature-Settings).
        "TWILIO_WEBHOOK_SIGNING_KEY": env.str("TWILIO_WEBHOOK_SIGNING_KEY", ""),
        # How many reverse proxies stand in front (X-Forwarded-For/Proto/Host trusted that deep).
        "PROXY_FIX": env.int("PROXY_FIX", 0),
        "NOTIFY_FROM_NUMBER": env.str("NOTIFY_FROM_NUMBER", ""),
        # The simulated carrier answers texts to these phones with "recipient unsubscribed",
        # refuses to turn SMS on for these numbers, and takes this long to (de)activate one.
        "SIMULATOR_UNSUBSCRIBED": env.listed("SIMULATOR_UNSUBSCRIBED", ""),
        "SIMULATOR_REFUSE": env.listed("SIMULATOR_REFUSE", ""),
        "SIMULATOR_ACTIVATION_SECONDS": env.float("SIMULATOR_ACTIVATION_SECONDS", 5.0),
        "REDIS_URL": env.str("REDIS_URL", ""),
        "WIDGET_LIMIT_PER_IP": env.str("WIDGET_LIMIT_PER_IP", "20 per hour"),
        "WIDGET_LIMIT_PER_PHONE": env.str("WIDGET_LIMIT_PER_PHONE", "3 per hour"),
        # Failed logins only: a user who logs in often is never locked out, a guesser soon is.
        "LOGIN_LIMIT_PER_EMAIL": env.str("LOGIN_LIMIT_PER_EMAIL", "10 per 15 minutes"),
        # Per address, loose enough for a whole office behind one NAT mistyping its passwords.
        "LOGIN_LIMIT_PER_IP": env.str("LOGIN_LIMIT_PER_IP", "100 per 15 minutes"),
        # Refused set-password and notification links (tampered, expired, dead) per address.
        "LINK_LIMIT_PER_IP": env.str("LINK_LIMIT_PER_IP", "30 per 15 minutes"),
        "JOB_MAX_TRIES": env.int("JOB_MAX_TRIES", 5),  # tries in all, for passing failures
        # Seconds before the first retry; each next wait doubles (2, 4, 8, 16 s).
        "JOB_RETRY_BASE_SECONDS": env.float("JOB_RETRY_BASE_SECONDS", 2.0),
        # A job whose worker died before finishing it goes back on the queue after this long.
        "JOB_VISIBILITY_TIMEOUT": env.int("JOB_VISIBILITY_TIMEOUT", 600),
        # With workers: a web process enqueues one filing job for the texts it stores in this time.
        "INBOUND_FILING_WINDOW": env.float("INBOUND_FILING_WINDOW", 0.25),
        # The most stored texts a filing job files in one transaction.
        "INBOUND_FILING_BATCH": env.int("INBOUND_FILING_BATCH", 200),
        # The most open portals' streams one events process (`flask events`) holds.
        "LIVE_STREAMS": env.int("LIVE_STREAMS", 10000),
        # Without workers (REDIS_URL unset) the serving process runs the periodic tasks itself.
        "SCHEDULER_IN_PROCESS": env.flag("SCHEDULER_IN_PROCESS", "1"),
        "MAIL_SERVER": env.str("MAIL_SERVER", ""),
        "MAIL_PORT": env.int("MAIL_PORT", 25),
        "MAIL_USE_TLS": env.flag("MAIL_USE_TLS", "0"),
        "MAIL_USERNAME": env.str("MAIL_USERNAME", "") or None,
        "MAIL_PASSWORD": env.str("MAIL_PASSWORD", "") or None,
        "MAIL_DEFAULT_SENDER": env.str(
            "MAIL_DEFAULT_SENDER", "SMS Conversations <no-reply@localhost>"
        ),
        "TELECOM_EMAIL": env.str("TELECOM_EMAIL", ""),
        # Where pictures and files are kept (app/storage.py): empty for a folder under instance/.
        "STORAGE_URL": env.str("STORAGE_URL", ""),
        "NOTIFICATION_LINK_MAX_AGE": env.int("NOTIFICATION_LINK_DAYS", 7) * 24 * 3600,
    }
    try:
        env.seal()
    except EnvValidationError as e:
        raise BadSettings(
            "Cannot start: these environment variables have values that cannot be read:\n"
            + "\n".join(
                f"- {name}: {' '.join(map(str, why))}" for name, why in e.error_messages.items()
            )
        ) from None
    return found


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
    """Settings that are not read from the environment; create_app adds from_environment() and
    then its own `config` over them."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # With the simulated carrier and no TWILIO_AUTH_TOKEN, webhooks are still signed: with a
    # random token made once for this installation and kept in this file.
    WEBHOOK_TOKEN_FILE = INSTANCE / "webhook-token"
    # Redis out of reach must not take logins and the widget down with it: the limits are then
    # skipped, and each skip logged.
    RATELIMIT_SWALLOW_ERRORS = True
    MAIL_SUPPRESS_SEND = False  # with a MAIL_SERVER, mail is sent, in tests too (to a local server)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    PASSWORD_HASH_METHOD = "scrypt"
    API_PAGE_SIZE = 50
    # Any request's body: room for one MMS's files (5 MB), so that more is told apart as such.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    BOOTSTRAP_SERVE_LOCAL = True  # never a CDN: the portal works offline and under a strict CSP
    # An open portal's stream of live updates says it is still there this often, and ends (the
    # browser opens another, so a session that ended stops hearing) after this long.
    LIVE_KEEPALIVE_SECONDS = 20
    LIVE_STREAM_SECONDS = 300


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
    SCHEDULER_IN_PROCESS = False  # the tests run the periodic tasks when they choose
    MAIL_SERVER = ""
