"""The simulated carrier: every text is recorded in the outbox and delivered at once."""

import secrets

from app.extensions import db
from app.models.outbox import OutboxItem
from app.sms import Provider, SendError, SendResult


def new_sid() -> str:
    """A message SID shaped like Twilio's."""
    return "SM" + secrets.token_hex(16)


class SimulatedCarrier(Provider):
    """Records texts in the database (so every process sees them) instead of sending them."""

    name = "simulator"

    def __init__(self, unsubscribed: frozenset[str] = frozenset()):
        # Phones the simulated carrier treats as having opted out at the carrier level.
        self.unsubscribed = unsubscribed

    def send(self, sender: str, to: str, body: str) -> SendResult:
        if to in self.unsubscribed:
            raise SendError("21610", "Attempt to send to unsubscribed recipient")
        sid = new_sid()
        db.session.add(
            OutboxItem(channel="sms_mt", sender=sender, recipient=to, body=body, provider_sid=sid)
        )
        return SendResult(sid=sid, status="delivered")

    def activate(self, number: str) -> None:
        """Nothing to point anywhere: the simulated phone posts to the app itself."""

    def deactivate(self, number: str) -> None:
        """Nothing to detach."""


def phone_sends(phone: str, number: str, body: str) -> str:
    """A simulated phone texts a number: the carrier records it and gives it a SID."""
    sid = new_sid()
    db.session.add(
        OutboxItem(channel="sms_mo", sender=phone, recipient=number, body=body, provider_sid=sid)
    )
    return sid
