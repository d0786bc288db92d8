"""SMS Conversations: a self-hostable SMS inbox for businesses."""

import gc

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import logs, production
from app.config import INSTANCE, Config, from_environment
from app.inputs import JSONProvider
from app.models.base import MAX_ID, modelled


class IdConverter(IntegerConverter):
    """`<id:name>`: a row id; a number no row can have is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by `config`."""
    from app.webhooks.twilio import InboundTexts

    app = Flask(__name__, instance_path=str(INSTANCE))
    app.json = JSONProvider(app)  # request bodies are read with a nesting limit
    app.config.from_object(Config)
    app.config.from_mapping(from_environment())
    if config:
        app.config.from_mapping(config)
    # Cookies travel only over HTTPS whenever the app is reached over it (always in production).
    secure = app.config["PUBLIC_BASE_URL"].startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure
    production.check(app)
    logs.configure(app)
    app.url_map.converters["id"] = IdConverter
    app.wsgi_app = InboundTexts(app, app.wsgi_app)
    if app.config["PROXY_FIX"]:
        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_headers(app)
    return app


def settle() -> None:
    """For a process that has built the app and now serves with it (a web worker, and the page
    benchmarks, which stand for one): what exists by now lives as long as the process, so the
    garbage collector's rounds leave it out. A full round walked all of it, about 0.1 s every
    few hundred requests, and the collector took a tenth of a thread page's time."""
    gc.collect()
    gc.freeze()


def register_extensions(app: Flask) -> None:
    from app import auth, sms, storage, tasks
    from app.extensions import bootstrap, csrf, db, limiter, login_manager, mail, migrate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE.mkdir(exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A process takes back the connection it used last: the statements PostgreSQL prepared
        # on it (psycopg prepares one run five times on a connection) serve again, unplanned,
        # and the connections left over when load drops stay idle.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_use_lifo": True, **options}
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(INSTANCE.parent / "migrations"),
        render_as_batch=True,
        include_name=modelled,
    )
    login_manager.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    # Counted where the jobs are queued: with Redis, every web process shares one count.
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    limiter.init_app(app)
    auth.init_login(login_manager)
    sms.init_app(app)
    storage.init_app(app)
    tasks.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.dev import bp as dev_bp
    from app.health import bp as health_bp
    from app.portal import bp as portal_bp
    from app.reports import bp as reports_bp
    from app.webhooks import bp as webhooks_bp
    from app.widget_api import bp as widget_api_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(reports_bp)
    # Reports were first served under /admin: links and bookmarks made then keep answering.
    app.register_blueprint(reports_bp, url_prefix="/admin", name="admin_reports")
    app.register_blueprint(api_bp)
    app.register_blueprint(webhooks_bp, url_prefix="/webhooks")
    app.register_blueprint(widget_api_bp)
    if app.config["SMS_PROVIDER"] == "simulator":
        app.register_blueprint(dev_bp, url_prefix="/dev")


def register_errorhandlers(app: Flask) -> None:
    from app.errors import init_errors

    init_errors(app)


def register_commands(app: Flask) -> None:
    from app.cli import commands

    for command in commands:
        app.cli.add_command(command)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)
# Production is served over HTTPS only (app/production.py): browsers are told never to try HTTP.
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def security_headers(app: Flask) -> tuple[tuple[str, str], ...]:
    """The headers every answer of this app carries; HSTS in production."""
    if app.config["APP_ENV"] == "production":
        return (*SECURITY_HEADERS, HSTS)
    return SECURITY_HEADERS


def register_headers(app: Flask) -> None:
    headers = security_headers(app)

    @app.after_request
    def add_headers(response):
        for name, value in headers:
            response.headers.setdefault(name, value)
        # What a signed-in user is shown is theirs: kept by no browser, proxy or shared cache,
        # unless the view chose otherwise (a picture may be kept privately).
        if "Cache-Control" not in response.headers and logs.signed_in_id() is not None:
            response.headers["Cache-Control"] = "no-store"
        return response
