"""Fixtures: the app on a real database (PostgreSQL when TEST_DATABASE_URL is set, else SQLite),
built by the project's migrations, emptied after each test; the domain's factories and clients,
real SMTP servers, processes. What they build on lives in tests/support/."""

import itertools
import threading
import time

import flask_migrate
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.config import database_url
from app.extensions import db, limiter
from tests.support import (
    CUSTOMER,
    NUM,
    PG_URL,
    Api,
    Browser,
    Client,
    World,
    free_port,
    settings,
    text_in,
)
from tests.support.mail import Inbox
from tests.support.processes import Process

# The fake Twilio's fixtures (`twilio`, `twilio_service`), for every test that asks for them.
pytest_plugins = ("tests.support.twilio_fake",)


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    if PG_URL:
        return database_url(PG_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_uri, tmp_path_factory):
    # Room for the concurrency tests' threads, each holding a connection at once.
    engine = {"pool_pre_ping": True, "pool_size": 50, "max_overflow": 5}
    media = tmp_path_factory.mktemp("media")
    app = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=database_uri,
            SQLALCHEMY_ENGINE_OPTIONS=engine,
            STORAGE_URL=f"file://{media}",
        )
    )
    app.test_client_class = Client
    with app.app_context():
        flask_migrate.upgrade()
    return app


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test starts from empty tables (only when it uses the app)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        # A browser's last request may still be working: the two can deadlock, and PostgreSQL
        # then ends one of them, maybe the emptying, which is tried again.
        for tries_left in reversed(range(5)):
            try:
                with db.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                    else:
                        for table in tables:
                            conn.execute(text(f"DELETE FROM {table}"))
                return
            except OperationalError:
                if not tries_left:
                    raise
                time.sleep(1)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Every test starts with no rate-limit counts (only when it uses the app). The one limiter
    is bound to the suite's app again first: an app a test built (with Redis) took it over."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        limiter.init_app(app)
        limiter.reset()


@pytest.fixture(scope="session")
def live_server(app):
    """The test app on a real HTTP server in a background thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def postgres(app):
    """The test database, which must be PostgreSQL for this test."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL pass (set TEST_DATABASE_URL)")
    return app


@pytest.fixture
def world(app) -> World:
    return World(app)


@pytest.fixture
def api(client, world):
    """`api("bob@acme.test")` → that user's API client."""
    return lambda email: Api(client, world.tokens[email])


@pytest.fixture
def browser(app):
    return lambda email: Browser(app, email)


@pytest.fixture
def acme(world):
    """Acme Plumbing: an admin, SMS users Bob and Cat, Dan (no SMS user), identified Ivy;
    and Other Co with its admin Eve. Main line is active with Bob and Cat as SMS users."""
    world.account("Acme Plumbing")
    world.account("Other Co")
    world.user("Acme Plumbing", "admin@acme.test", "admin", first="Ada")
    world.user("Acme Plumbing", "bob@acme.test", first="Bob")
    world.user("Acme Plumbing", "cat@acme.test", first="Cat")
    world.user("Acme Plumbing", "dan@acme.test", first="Dan")
    world.user("Acme Plumbing", "ivy@acme.test", "identified", first="Ivy")
    world.user("Other Co", "eve@other.test", "admin", first="Eve")
    world.number("Acme Plumbing", NUM, sms_users=["bob@acme.test", "cat@acme.test"])
    return world


@pytest.fixture
def conversation_id(acme, client, api) -> int:
    """An open, unclaimed conversation on Main line, opened by a customer's text."""
    assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
    (item,) = api("bob@acme.test").tab("active")
    return item["id"]


@pytest.fixture
def smtp_server():
    """`smtp_server(handler)` → the port of a real SMTP server (aiosmtpd) on 127.0.0.1."""
    from aiosmtpd.controller import Controller

    controllers = []

    def start(handler) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mail_to(app, monkeypatch, smtp_server):
    """`mail_to(handler)`: a real SMTP server with that aiosmtpd handler, and the suite's app
    sending its mail there; returns the handler. `mail_to(None)`: the app sending to a local
    port where nothing listens (a mail server that is down)."""

    def point(handler):
        port = free_port() if handler is None else smtp_server(handler)
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        state = app.extensions["mail"]
        monkeypatch.setattr(state, "server", "127.0.0.1")
        monkeypatch.setattr(state, "port", port)
        monkeypatch.setattr(state, "suppress", False)
        return handler

    return point


@pytest.fixture
def smtp(mail_to) -> Inbox:
    """A real SMTP server the app sends its mail to; its Inbox (what it received)."""
    return mail_to(Inbox())


@pytest.fixture
def processes(tmp_path):
    """`processes(name, command, env)` → a started Process; every one is stopped at the end of
    the test and its log printed, so a failing test shows what each process said."""
    started: list[Process] = []

    def start(name: str, command: list[str], env: dict[str, str]) -> Process:
        process = Process(name, command, env, tmp_path / f"{name}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
    for process in started:
        print(f"--- {process.name} log (exit {process.popen.returncode}) ---")
        print(process.output())


@pytest.fixture
def web_broker_down(app):
    """A web process of the app whose Redis is unreachable: its commits go through, and the jobs
    it enqueues after them are lost (logged) until the beat's sweep finds their work."""
    return create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        )
    )


@pytest.fixture
def broker_down(web_broker_down, world):
    """`broker_down(email)`: that user's API client on a web process whose Redis is unreachable."""
    return lambda email: Api(web_broker_down.test_client(), world.tokens[email])


@pytest.fixture(scope="session")
def s3_settings():
    from tests.support.s3 import s3_server

    with s3_server() as environment:
        yield environment


@pytest.fixture
def s3(s3_settings, monkeypatch):
    """A new, empty bucket on a local S3-compatible server, boto3 pointed at it by the `AWS_*`
    variables as in production: yields a boto3 client of it and the bucket's name."""
    import boto3

    for name, value in s3_settings.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    bucket = f"media-{next(_buckets)}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


_buckets = itertools.count()
