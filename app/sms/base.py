"""The provider interface: what the app asks of a carrier and what a carrier may answer, whoever
the carrier is (sms/twilio.py and sms/simulator.py implement it)."""

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class SendResult:
    """What the carrier said when it took a text: its id for the text and the status it gave."""

    sid: str
    status: str


class Reason(StrEnum):
    """What a failed send means, whoever the carrier is."""

    UNSUBSCRIBED = "unsubscribed"  # the recipient opted out at the carrier (texted STOP)
    INVALID_NUMBER = "invalid_number"  # no such phone number
    NOT_TEXTABLE = "not_textable"  # a landline, or a number that cannot take texts
    UNREACHABLE = "unreachable"  # the phone is off or out of coverage
    BLOCKED = "blocked"  # the recipient blocked the number, or the carrier filtered the text
    UNVERIFIED_SENDER = "unverified_sender"  # the sending number may not text yet
    RATE_LIMITED = "rate_limited"  # too many texts at once: may pass
    UNAVAILABLE = "unavailable"  # the carrier could not be reached, or failed: may pass
    NO_ANSWER = "no_answer"  # the request went out and no answer came: look the text up
    UNKNOWN = "unknown"


RETRYABLE = frozenset({Reason.RATE_LIMITED, Reason.UNAVAILABLE})


class SendError(Exception):
    """The carrier refused or failed a text: `reason` says what happened, `message` says it in
    words an agent can act on, `code` is the carrier's own (kept as the text's error code)."""

    def __init__(self, reason: Reason, message: str, code: str):
        super().__init__(f"{code}: {message}")
        self.reason = reason
        self.message = message
        self.code = code

    @property
    def retryable(self) -> bool:
        """Whether trying again later may help."""
        return self.reason in RETRYABLE


class UnknownOutcome(SendError):
    """The request may or may not have reached the carrier (a read timeout): the text must be
    looked up, not sent again."""

    def __init__(self, message: str):
        super().__init__(Reason.NO_ANSWER, message, "timeout")


class ActivationError(Exception):
    """The carrier could not (de)activate SMS on a number; the message is for the admin."""


class MediaUnavailable(Exception):
    """An MMS's picture or file could not be had from the carrier; the message says why."""


class MediaRefused(MediaUnavailable):
    """The URL is not one of the carrier's own media: it is never fetched."""


class Provider:
    """The operations every SMS provider implements."""

    name = "base"
    # How long to wait before asking whether a number's (de)activation went through.
    activation_delay = 0.0

    def send(self, sender: str, to: str, body: str, media: list[str] = ()) -> SendResult:
        """Hand one text to the carrier, with the addresses it fetches its pictures and files
        from (an MMS); SendError when it does not take it."""
        raise NotImplementedError

    def reason(self, code: str) -> str:
        """A delivery error code the carrier reported, in words an agent can act on."""
        return f"The carrier reported error {code}."

    def activate(self, number: str) -> None:
        """Route the number's inbound texts to this app; raise ActivationError on failure."""
        raise NotImplementedError

    def deactivate(self, number: str) -> None:
        """Stop routing the number's inbound texts to this app."""
        raise NotImplementedError

    def fetch_media(self, url: str) -> bytes:
        """The content of an inbound MMS's picture or file, from the carrier's own media host
        only: a URL the request named is never fetched (MediaRefused), nor one elsewhere."""
        raise MediaRefused("This carrier keeps no pictures or files.")

    def find(self, sender: str, to: str, body: str, since) -> list[SendResult]:
        """The texts with this body the carrier took from `sender` to `to` since then, oldest
        first, when it can say."""
        return []
