"""The simulated carrier: every text is recorded in the outbox and delivered at once.

It stands in for Twilio: its SIDs and error codes are shaped as Twilio's, so texts and reports
read as they will in production; what an error means is its `reason`, as with any carrier.
"""

import secrets

from app.extensions import db
from app.models.outbox import OutboxChannel, OutboxItem
from app.sms.base import (
    ActivationError,
    MediaRefused,
    MediaUnavailable,
    Provider,
    Reason,
    SendError,
    SendResult,
)
from app.storage import KEY, Missing, keep, storage

# Where the simulated carrier keeps what a simulated phone attached: the app's own storage.
MEDIA_URL = "simulated-carrier:"

UNSUBSCRIBED = ("21610", "The recipient has unsubscribed from this number (STOP).")


def new_sid() -> str:
    """A message SID shaped like Twilio's."""
    return "SM" + secrets.token_hex(16)


class SimulatedCarrier(Provider):
    """Records texts in the database (so every process sees them) instead of sending them."""

    name = "simulator"

    def __init__(
        self,
        unsubscribed: frozenset[str] = frozenset(),
        refuse: frozenset[str] = frozenset(),
        activation_delay: float = 0.0,
    ):
        # Phones that opted out at the carrier, numbers the carrier will not turn SMS on for, and
        # how long a (de)activation takes: so both paths of the admin's toggle can be seen.
        self.unsubscribed = unsubscribed
        self.refuse = refuse
        self.activation_delay = activation_delay

    def send(self, sender: str, to: str, body: str, media: list[str] = ()) -> SendResult:
        """Into the simulated outbox (its pictures and files are the message's own: the
        simulated phone shows them from the app)."""
        if to in self.unsubscribed:
            code, words = UNSUBSCRIBED
            raise SendError(Reason.UNSUBSCRIBED, words, code)
        sid = new_sid()
        db.session.add(
            OutboxItem(
                channel=OutboxChannel.SMS_MT,
                sender=sender,
                recipient=to,
                body=body,
                provider_sid=sid,
            )
        )
        return SendResult(sid=sid, status="delivered")

    def fetch_media(self, url: str) -> bytes:
        """What a simulated phone attached (`phone_keeps`); no other address is ever fetched."""
        key = url.removeprefix(MEDIA_URL)
        if not url.startswith(MEDIA_URL) or not KEY.fullmatch(key):
            raise MediaRefused("The simulated carrier keeps no such file.")
        try:
            return storage().get(key)
        except Missing:
            raise MediaUnavailable("The simulated carrier lost the file.") from None

    def reason(self, code: str) -> str:
        code_of_unsubscribed, words = UNSUBSCRIBED
        return words if code == code_of_unsubscribed else super().reason(code)

    def activate(self, number: str) -> None:
        """Nothing to point anywhere (the simulated phone posts to the app itself), unless told
        to refuse this number."""
        if number in self.refuse:
            raise ActivationError(
                "The carrier refused to turn SMS on for this number: it is not registered for "
                "messaging (simulated)."
            )

    def deactivate(self, number: str) -> None:
        """Nothing to detach, unless told to refuse this number."""
        if number in self.refuse:
            raise ActivationError(
                "The carrier did not answer the request to turn SMS off (simulated)."
            )


def phone_sends(phone: str, number: str, body: str) -> str:
    """A simulated phone texts a number: the carrier records it and gives it a SID."""
    sid = new_sid()
    db.session.add(
        OutboxItem(
            channel=OutboxChannel.SMS_MO,
            sender=phone,
            recipient=number,
            body=body,
            provider_sid=sid,
        )
    )
    return sid


def phone_keeps(data: bytes, content_type: str) -> str:
    """A simulated phone attaches a file to its text: the carrier keeps it and names it by the
    address its webhook gives (as Twilio's MediaUrl)."""
    return MEDIA_URL + keep(data, content_type)
