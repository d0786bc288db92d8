"""What the tests share that is not a fixture: the suite's settings and constants, factories
for the domain, and clients that call the app as Twilio, the API and a browser do. Fixtures live
in the conftest.py files and build on these; every test module imports from here."""

import itertools
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app.config import TestConfig
from app.extensions import db
from app.services import directory

ON_CI = bool(os.environ.get("CI"))
PG_URL = os.environ.get("TEST_DATABASE_URL")
AUTH_TOKEN = TestConfig.TWILIO_AUTH_TOKEN
BASE_URL = TestConfig.PUBLIC_BASE_URL
ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "correct-horse-battery"
NUM = "+15005550101"
CUSTOMER = "+15005550199"


def settings(**overrides) -> dict:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(overrides)
    return config


class Client(FlaskClient):
    """A test client that, like a real server, closes each response, so the jobs that run after
    the response (in-process mode) have run when the call returns."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def afternoon_zone() -> str:
    """A fixed-offset zone (`Etc/GMT-5` is UTC+5) where it is now 14:00-something."""
    offset = 14 - datetime.now(UTC).hour
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


class World:
    """Builds accounts, users and numbers through the same services the CLI uses."""

    def __init__(self, app):
        self.app = app
        self.tokens: dict[str, str] = {}

    def account(self, name: str = "Acme Plumbing"):
        """An account whose time zone has it mid-afternoon now: a text the business starts to
        a number with no zone of its own leaves at once, whatever the hour the suite runs at,
        unless a test moves the clock (quiet hours, SPEC §2.12)."""
        with self.app.app_context():
            account = directory.create_account(name)
            account.timezone = afternoon_zone()
            db.session.commit()
            return account.id

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


def sign(url: str, params: dict) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


_sid_counter = itertools.count()


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


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def notifications(app) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Every notification as (user's e-mail, channel) → (status, error)."""
    from app.models import Notification

    with app.app_context():
        rows = db.session.scalars(select(Notification))
        found = {(n.user.email, n.channel): (n.status, n.error) for n in rows}
        db.session.remove()
    return found


def count(app, model, *where) -> int:
    """How many rows of `model` (matching `where`) the database holds."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))
