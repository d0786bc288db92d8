"""Job fixtures: the app on a real HTTP server, and real SMTP servers that refuse or stall as real
ones do; helpers to wait, within a bound, for what background jobs do."""

import asyncio
import email
import threading
import time
from collections import Counter
from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification

TRY_AGAIN = "451 4.3.0 try again later"
HOLD_LIMIT = 15  # seconds a held message waits at most, so a failing test cannot hang


class CountingInbox:
    """An aiosmtpd handler's bookkeeping: each recipient's tries, and the messages accepted."""

    def __init__(self):
        self.attempts: Counter[str] = Counter()
        self.messages: list[tuple[str, EmailMessage]] = []

    def tried(self, envelope) -> str:
        """Count a try of the envelope; its recipients, as one key."""
        recipient = ", ".join(sorted(envelope.rcpt_tos))
        self.attempts[recipient] += 1
        return recipient

    def accept(self, recipient: str, envelope) -> str:
        """Keep the message; the server's answer."""
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((recipient, message))
        return "250 OK"

    def accepted(self) -> Counter[str]:
        """How many messages the server accepted, by recipient."""
        return Counter(recipient for recipient, _ in self.messages)


class FlakyInbox(CountingInbox):
    """An aiosmtpd handler that refuses each recipient's first `refusals` messages with a
    transient 451 (None: every one), then accepts; with `hold`, every message waits for that
    Event before it is answered."""

    def __init__(self, refusals: int | None = 0, hold: threading.Event | None = None):
        super().__init__()
        self.refusals = refusals
        self.hold = hold
        self.arrived = threading.Event()  # set when the first message reached the server

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.arrived.set()
        if self.hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, HOLD_LIMIT)
        recipient = self.tried(envelope)
        if self.refusals is None or self.attempts[recipient] <= self.refusals:
            return TRY_AGAIN
        return self.accept(recipient, envelope)


@pytest.fixture
def app_mail_to(app, monkeypatch, smtp_server):
    """`app_mail_to(handler)`: start an SMTP server and point the session app at it, as the
    suite's `smtp` fixture does; returns the handler."""

    def start(handler):
        port = smtp_server(handler)
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        state = app.extensions["mail"]
        monkeypatch.setattr(state, "server", "127.0.0.1")
        monkeypatch.setattr(state, "port", port)
        monkeypatch.setattr(state, "suppress", False)
        return handler

    return start


def eventually(check, seconds: float = 10, interval: float = 0.05) -> bool:
    """Whether `check()` comes true within `seconds` (jobs run on other threads or processes)."""
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def notifications(app) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Every notification as (user's e-mail, channel) → (status, error)."""
    with app.app_context():
        rows = db.session.scalars(select(Notification))
        found = {(n.user.email, n.channel): (n.status, n.error) for n in rows}
        db.session.remove()
    return found
