"""Fixtures: the app on a real database (PostgreSQL when TEST_DATABASE_URL is set, else SQLite),
built by the project's migrations, emptied after each test; factories for the domain."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import flask_migrate
import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from twilio.request_validator import RequestValidator

from app import create_app
from app.config import TestConfig, database_url
from app.extensions import db, limiter
from app.services import directory

ON_CI = bool(os.environ.get("CI"))
PG_URL = os.environ.get("TEST_DATABASE_URL")
AUTH_TOKEN = TestConfig.TWILIO_AUTH_TOKEN
BASE_URL = TestConfig.PUBLIC_BASE_URL


def settings(**overrides) -> dict:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    if PG_URL:
        return database_url(PG_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class Client(FlaskClient):
    """A test client that, like a real server, closes each response, so the jobs that run after
    the response (in-process mode) have run when the call returns."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_uri):
    # Room for the concurrency tests' threads, each holding a connection at once.
    engine = {"pool_pre_ping": True, "pool_size": 50, "max_overflow": 5}
    app = create_app(
        settings(SQLALCHEMY_DATABASE_URI=database_uri, SQLALCHEMY_ENGINE_OPTIONS=engine)
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
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))


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


# -- factories -------------------------------------------------------------------------------------


class World:
    """Builds accounts, users and numbers through the same services the CLI uses."""

    def __init__(self, app):
        self.app = app
        self.tokens: dict[str, str] = {}

    def account(self, name: str = "Acme Plumbing"):
        with self.app.app_context():
            return directory.create_account(name).id

    def user(
        self, account: str, email: str, role: str = "agent", first: str | None = None, **kw
    ) -> int:
        from app.models import Account

        with self.app.app_context():
            user = directory.create_user(
                Account.by_name(account),
                email,
                first or email.split("@")[0].capitalize(),
                "Tester",
                role,
                password=None if role == "identified" else PASSWORD,
                **kw,
            )
            self.tokens[email] = directory.issue_token(user)
            return user.id

    def number(
        self, account: str, number: str, sms_users=(), active: bool = True, label: str = "Main line"
    ):
        from app.models import Account, User

        with self.app.app_context():
            users = [User.by_email(email) for email in sms_users]
            return directory.create_number(
                Account.by_name(account), number, label, "local", users, active
            ).id


@pytest.fixture
def world(app) -> World:
    return World(app)


def sign(url: str, params: dict) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


_sid_counter = iter(range(10**9))


def text_in(
    client, frm: str, to: str, body: str, sid: str | None = None, path: str = "/webhooks/twilio/sms"
):
    """A signed inbound-text webhook, as Twilio sends it."""
    sid = sid or f"SM{next(_sid_counter):032d}"
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": frm,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    return client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
    )


class Api:
    """The JSON API as one user calls it, with their Bearer token."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def __call__(self, method: str, path: str, **kw):
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    def get(self, path, **kw):
        return self("GET", path, **kw)

    def post(self, path, **kw):
        return self("POST", path, **kw)

    def tab(self, name: str) -> list[dict]:
        items, cursor = [], None
        while True:
            r = self.get(
                "/conversations",
                query_string={"tab": name, **({"cursor": cursor} if cursor else {})},
            )
            assert r.status_code == 200, r.get_json()
            items += r.json["items"]
            cursor = r.json["next_cursor"]
            if not cursor:
                return items

    def tab_ids(self, name: str) -> set[int]:
        return {c["id"] for c in self.tab(name)}


def seen_by_admin(api, conversation_id: int) -> dict:
    """What a user would check afterwards: the conversation as Acme's admin sees it."""
    r = api("admin@acme.test").get(f"/conversations/{conversation_id}")
    assert r.status_code == 200
    c = r.json
    return {
        "status": c["status"],
        "claimed_by": c["claimed_by"] and c["claimed_by"]["email"],
        "participants": [p["email"] for p in c["participants"]],
        "messages": [(m["direction"], m["body"]) for m in c["messages"]],
        "events": [e["type"] for e in c["events"]],
    }


@pytest.fixture
def api(client, world):
    """`api("bob@acme.test")` → that user's API client."""
    return lambda email: Api(client, world.tokens[email])


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


PASSWORD = "correct-horse-battery"


class Browser:
    """A logged-in user's session: every form post carries the page's CSRF token."""

    def __init__(self, app, email: str):
        self.client = app.test_client()
        page = self.client.get("/login")
        r = self.client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        )
        assert r.status_code == 302, r.text

    def get(self, url: str):
        return self.client.get(url, follow_redirects=True)

    def token(self) -> str:
        """A CSRF token of this session, as a page would carry it."""
        return csrf_token(self.client.get("/conversations").text)

    def post(self, url: str, **data):
        data = {"csrf_token": self.token(), **data}
        return self.client.post(url, data=data, follow_redirects=True)


@pytest.fixture
def browser(app):
    return lambda email: Browser(app, email)


ROOT = Path(__file__).resolve().parent.parent

NUM = "+15005550101"
CUSTOMER = "+15005550199"


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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What a real SMTP server (aiosmtpd, in this process) received."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


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
def smtp(app, monkeypatch, smtp_server):
    """A real SMTP server on a free local port, and the app pointed at it; yields its Inbox."""
    inbox = Inbox()
    port = smtp_server(inbox)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    state = app.extensions["mail"]
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", port)
    monkeypatch.setattr(state, "suppress", False)
    return inbox


@contextlib.contextmanager
def empty_redis(url: str, what: str):
    """The Redis database at `url`, emptied before and after. Without a running Redis the test
    skips loudly naming `what` did not run, except on CI, where that is a failure."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as e:
        message = f"NO REDIS at {url} ({e}): {what} did NOT run"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def at_once(app, calls) -> list[Exception]:
    """Run each call in a thread of its own, inside an app context, all let go at the same
    instant; the exceptions they raised (a thread's would be lost). The threads' database
    connections go back to the server afterwards."""
    barrier = threading.Barrier(len(calls))
    errors: list[Exception] = []

    def run(call) -> None:
        with app.app_context():
            barrier.wait()
            try:
                call()
            except Exception as e:
                errors.append(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with app.app_context():
        db.engine.dispose()
    return errors


def celery_worker(*options: str) -> list[str]:
    """The command of a Celery worker of the app, as the Procfile starts one, with `options`."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "wsgi:celery",
        "worker",
        "--loglevel=INFO",
        *options,
    ]


class Process:
    """A process started from the repository (a web server, a worker), in its own process group
    (as on its own machine), with its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path):
        self.name, self.log = name, log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as when its machine dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it does not go."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        # What is left of the group (a pool process whose parent was killed) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


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


@contextlib.contextmanager
def statements(app):
    """The first word of each SQL statement run while the app makes its answer to a request (not
    the jobs that run once it has gone out, while its body is read)."""
    seen: list[str] = []
    state = {"in_request": False}
    answer = app.wsgi_app

    def answering(environ, start_response):
        state["in_request"] = True
        try:
            return answer(environ, start_response)
        finally:
            state["in_request"] = False

    def count(conn, cursor, statement, parameters, context, executemany):
        if state["in_request"]:
            seen.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        engine = db.engine
    app.wsgi_app = answering
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
        app.wsgi_app = answer


def sent_to(app, recipient: str) -> list[str]:
    """The bodies of everything sent to `recipient` (a phone or an e-mail address), in order."""
    from app.models import OutboxItem

    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxItem.body)
                .where(OutboxItem.recipient == recipient)
                .order_by(OutboxItem.id)
            )
        )


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
