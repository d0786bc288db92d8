"""Handlers of a real SMTP server (aiosmtpd, in the test process; see the `smtp_server` and
`mail_to` fixtures): one that keeps what it receives, and ones that count tries, refuse or stall
as real servers do."""

import asyncio
import email
import threading
from collections import Counter
from email import policy
from email.message import EmailMessage

TRY_AGAIN = "451 4.3.0 try again later"
HOLD_LIMIT = 15  # seconds a held message waits at most, so a failing test cannot hang
# Seconds a HoldingInbox holds its first message at most (its sender is a process of its own).
HOLDING_LIMIT = 60


class Inbox:
    """What a real SMTP server (aiosmtpd, in this process) received."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


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


class HoldingInbox(CountingInbox):
    """An aiosmtpd handler that accepts every message, except that it holds its answer to the
    first one until the sender goes away (then that message is dropped, as a mail server drops
    a message whose sender disconnected before the server said 250)."""

    def __init__(self):
        super().__init__()
        self.holding = threading.Event()  # the first message reached the server and waits
        self.dropped = threading.Event()  # its sender went away before it was answered

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        recipient = self.tried(envelope)
        if not self.holding.is_set():
            self.holding.set()
            try:
                # aiosmtpd cancels this when the client's connection is lost.
                await asyncio.sleep(HOLDING_LIMIT)
            except asyncio.CancelledError:
                self.dropped.set()
                raise
            return TRY_AGAIN  # the sender never went away: it must not count as delivered
        return self.accept(recipient, envelope)
