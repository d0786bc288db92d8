"""The Twilio side of the provider interface, on the official SDK.

What can go wrong is sorted for the caller: a refusal that will not change (SendError, not
retryable), a failure that may pass (retryable: 429, 5xx, connection refused), and a read timeout,
after which Twilio may have taken the text — that one is not retried blindly (UnknownOutcome), the
text is looked up later so that nothing is sent twice.
"""

import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from app.sms.base import (
    ActivationError,
    MediaRefused,
    MediaUnavailable,
    Provider,
    Reason,
    SendError,
    SendResult,
    UnknownOutcome,
)

# Twilio's error codes, for a send refused or a delivery failed: what each means, and in words an
# agent can act on.
ERRORS = {
    "21211": (Reason.INVALID_NUMBER, "Not a textable number (invalid)."),
    "21614": (Reason.NOT_TEXTABLE, "Not a textable number (a landline or unreachable)."),
    "21635": (Reason.NOT_TEXTABLE, "Not a textable number (a landline)."),
    "21610": (Reason.UNSUBSCRIBED, "The recipient has unsubscribed from this number (STOP)."),
    "30003": (Reason.UNREACHABLE, "The phone is unreachable (off or out of coverage)."),
    "30004": (Reason.BLOCKED, "The recipient blocked this number."),
    "30005": (Reason.INVALID_NUMBER, "Unknown handset: the number may not exist."),
    "30006": (Reason.NOT_TEXTABLE, "A landline, or a number that cannot take texts."),
    "30007": (Reason.BLOCKED, "Filtered by the carrier as spam."),
    "30008": (Reason.UNKNOWN, "Delivery failed for an unknown reason."),
    "30032": (
        Reason.UNVERIFIED_SENDER,
        "Blocked: the sending toll-free number is not verified for texting yet.",
    ),
    "30034": (
        Reason.UNVERIFIED_SENDER,
        "Blocked: the sending number is not registered for A2P 10DLC.",
    ),
}
RATE_LIMITED = "20429"


API_HOST = "api.twilio.com"
# Where Twilio keeps an inbound MMS's media: its webhook names them so (MediaUrl0 …).
MEDIA_PATH = re.compile(
    r"/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages/[A-Z]{2}[0-9a-fA-F]{32}"
    r"/Media/ME[0-9a-fA-F]{32}"
)
MAX_MEDIA_BYTES = 5 * 1024 * 1024  # Twilio takes at most 5 MB of media with one MMS
MAX_MEDIA_REDIRECTS = 3  # Twilio answers with one, to its media store


def naive_utc(moment: datetime) -> datetime:
    """A time in UTC without tzinfo, as the app stores them."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def never_sent(error: requests.exceptions.RequestException) -> bool:
    """Whether the request failed before it left (refused, or no connection in time): only
    then is sending again safe."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    cause = error.args[0] if error.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    return isinstance(cause, NewConnectionError | ConnectTimeoutError)


def meaning(status: int, code: str) -> Reason:
    """What Twilio's refusal of a send means: its HTTP status first (429 and 5xx may pass), then
    its error code."""
    if status == 429 or code == RATE_LIMITED:
        return Reason.RATE_LIMITED
    if status >= 500:
        return Reason.UNAVAILABLE
    return ERRORS.get(code, (Reason.UNKNOWN,))[0]


class TwilioProvider(Provider):
    """Texts and number activation through a Twilio account."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        webhook_url: str,
        status_callback: str,
        messaging_service_sid: str = "",
        http_client: TwilioHttpClient | None = None,
        timeout: float = 15,
        max_media_bytes: int = MAX_MEDIA_BYTES,
    ):
        self.client = Client(
            account_sid,
            auth_token,
            http_client=http_client or TwilioHttpClient(timeout=timeout),
            # Credentials come from our settings only, never from this process's environment.
            environment={"TWILIO_REGION": "", "TWILIO_EDGE": ""},
        )
        self.credentials = (account_sid, auth_token)
        self.account_sid = account_sid
        self.timeout = timeout
        self.max_media_bytes = max_media_bytes
        self.webhook_url = webhook_url
        self.status_callback = status_callback
        self.messaging_service_sid = messaging_service_sid

    def send(self, sender: str, to: str, body: str, media: list[str] = ()) -> SendResult:
        origin = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": sender}
        )
        # An MMS may have no text; the SDK then sends no Body at all.
        content = {"body": body or values.unset, "media_url": list(media) or values.unset}
        try:
            message = self.client.messages.create(
                to=to, status_callback=self.status_callback, **content, **origin
            )
        except TwilioRestException as e:
            code = str(e.code or "")
            words = self.reason(code) if code else e.msg
            raise SendError(meaning(e.status, code), words, code or str(e.status)) from e
        except requests.exceptions.RequestException as e:
            if never_sent(e):
                raise SendError(
                    Reason.UNAVAILABLE, f"Twilio could not be reached: {e}", "connection"
                ) from e
            # The request went out: Twilio may have taken the text, so it is looked up, not resent.
            raise UnknownOutcome(
                "Twilio did not answer in time; the text is being looked up."
            ) from e
        return SendResult(sid=message.sid, status=message.status or "queued")

    def reason(self, code: str) -> str:
        return ERRORS.get(str(code), (None, f"Twilio error {code}."))[1]

    def is_account_media(self, url: str) -> bool:
        """Whether the URL is a medium of this Twilio account: https://api.twilio.com, the
        account's own path, nothing else (no port, no user, no query, no `..`)."""
        parts = urlsplit(url)
        match = MEDIA_PATH.fullmatch(parts.path)
        return (
            parts.scheme == "https"
            and parts.netloc == API_HOST
            and not (parts.query or parts.fragment)
            and match is not None
            and match[1] == self.account_sid
        )

    def fetch_media(self, url: str) -> bytes:
        """An MMS's media, fetched with our credentials (the browser never sees them) from this
        account's media at api.twilio.com only, following Twilio's redirects to its media store
        over HTTPS only, without the credentials, and no bigger than `max_media_bytes`."""
        if not self.is_account_media(url):
            raise MediaRefused("This file is not kept by this Twilio account: it is never fetched.")
        # The SDK's own session: its connection pool, and whatever transport it was given.
        session = getattr(self.client.http_client, "session", None) or requests.Session()
        try:
            for _ in range(MAX_MEDIA_REDIRECTS + 1):
                auth = self.credentials if self.is_account_media(url) else None
                with session.get(
                    url, auth=auth, allow_redirects=False, stream=True, timeout=self.timeout
                ) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers["Location"])
                        if urlsplit(url).scheme != "https":
                            raise MediaUnavailable(
                                "Twilio sent the file elsewhere than over HTTPS."
                            )
                        continue
                    if response.status_code != 200:
                        raise MediaUnavailable(f"Twilio answered {response.status_code}.")
                    return self._read(response)
        except requests.exceptions.RequestException as e:
            raise MediaUnavailable(f"Twilio could not be reached: {e}") from e
        raise MediaUnavailable("Twilio redirected the file too many times.")

    def _read(self, response: requests.Response) -> bytes:
        """The body of a media answer, refused past `max_media_bytes` (read no further)."""
        too_big = MediaUnavailable(f"The file is larger than {self.max_media_bytes} bytes.")
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_media_bytes:
            raise too_big
        content = bytearray()
        for chunk in response.iter_content(64 * 1024):
            content += chunk
            if len(content) > self.max_media_bytes:
                raise too_big
        return bytes(content)

    def find(self, sender: str, to: str, body: str, since: datetime) -> list[SendResult]:
        """The texts with this body Twilio took for `to` since then, oldest first (after a
        timeout): from `sender`, or through our Messaging Service, whose texts go out from a number
        of its pool that is not known when they are taken.

        Filtered on creation time here: a text still queued at Twilio has no send date yet.
        """
        since = naive_utc(since)
        service = self.messaging_service_sid
        try:
            listed = self.client.messages.list(
                to=to, **({} if service else {"from_": sender}), limit=50
            )
        except (TwilioRestException, requests.exceptions.RequestException) as e:
            raise SendError(Reason.UNAVAILABLE, f"Twilio could not be asked: {e}", "lookup") from e
        return [
            SendResult(sid=m.sid, status=m.status)
            for m in reversed(listed)  # Twilio lists the newest first
            if m.body == body
            and m.date_created is not None
            and naive_utc(m.date_created) >= since
            and (not service or m.messaging_service_sid == service)
        ]

    def _incoming(self, number: str):
        found = self.client.incoming_phone_numbers.list(phone_number=number, limit=1)
        if not found:
            raise ActivationError(
                f"{number} is not a number of this Twilio account: buy or port it there first."
            )
        return found[0]

    def activate(self, number: str) -> None:
        try:
            incoming = self._incoming(number)
            if self.messaging_service_sid:
                self.client.messaging.v1.services(self.messaging_service_sid).phone_numbers.create(
                    phone_number_sid=incoming.sid
                )
            else:
                incoming.update(sms_url=self.webhook_url, sms_method="POST")
        except TwilioRestException as e:
            raise ActivationError(f"Twilio refused: {e.msg} (error {e.code}).") from e
        except requests.exceptions.RequestException as e:
            raise ActivationError(f"Twilio could not be reached: {e}") from e

    def deactivate(self, number: str) -> None:
        try:
            incoming = self._incoming(number)
            if self.messaging_service_sid:
                self.client.messaging.v1.services(self.messaging_service_sid).phone_numbers(
                    incoming.sid
                ).delete()
            else:
                incoming.update(sms_url="")
        except TwilioRestException as e:
            raise ActivationError(f"Twilio refused: {e.msg} (error {e.code}).") from e
        except requests.exceptions.RequestException as e:
            raise ActivationError(f"Twilio could not be reached: {e}") from e

    def numbers(self) -> list[tuple[str, str]]:
        """(number, where its SMS webhook points) for every number of the account."""
        return [
            (n.phone_number, n.sms_url or "") for n in self.client.incoming_phone_numbers.list()
        ]

    def service(self) -> tuple[str | None, list[str]]:
        """Where the Messaging Service sends inbound texts (None when it leaves that to each
        number's own SMS webhook), and the numbers in it."""
        service = self.client.messaging.v1.services(self.messaging_service_sid)
        found = service.fetch()
        webhook = None if found.use_inbound_webhook_on_number else found.inbound_request_url or ""
        return webhook, [n.phone_number for n in service.phone_numbers.list()]
