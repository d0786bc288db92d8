"""A fake Twilio REST API on a local port, for driving the real `twilio` SDK in tests.

The SDK is never patched: `RewritingClient` (a `TwilioHttpClient`) sends every request to the fake
instead of `https://*.twilio.com`, and passes the host it was meant for in `X-Original-Host`. The
fake serves the parts of the API the app uses — Messages (create, list), IncomingPhoneNumbers
(list, fetch, update), a Messaging Service (fetch) and its PhoneNumbers (list, create, delete) —
and MMS media (redirected to a media store, as Twilio does), records every request, and can be
told to fail, stall or refuse connections.
"""

import base64
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient

from app.sms.twilio import TwilioProvider
from tests.support import NUM

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token"
STATUS_CALLBACK = "http://localhost/webhooks/twilio/status"
SERVICE = "MG" + "2" * 32
ORIGINAL_HOST = "X-Original-Host"
API_HOST = "api.twilio.com"
MESSAGING_HOST = "messaging.twilio.com"
MEDIA_HOST = "media.twiliocdn.com"  # where Twilio redirects a media URL to

_sids = itertools.count(1)
GARBLED = "<html><body><h1>502 Bad Gateway</h1></body></html>"  # a proxy's page, not Twilio's


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return f"{prefix}{next(_sids):032x}"


def twilio_date(moment: datetime) -> str:
    """A date as the 2010 API writes it (RFC 2822, e.g. 'Tue, 02 Jan 2024 10:00:00 +0000')."""
    return format_datetime(moment)


def parse_filter_date(value: str) -> datetime:
    """A DateSent filter as the SDK serializes it: '2024-01-02T10:00:00Z' or '2024-01-02'."""
    if "T" in value:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    host: str
    query: dict[str, str]
    form: dict[str, str]
    user: str | None
    # Every value of a field sent more than once (MediaUrl), in order.
    lists: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Failure:
    """How the fake answers a message create for one To number."""

    code: int | None = None  # a Twilio error: answer `status` with this code
    status: int = 400
    message: str = "Refused by the fake"
    stall: float = 0.0  # seconds to wait before answering (the message is created first)
    after_headers: bool = False  # stall after sending the status line and headers
    times: int | None = None  # fail only this many times, then work (None: always)
    garbled: bool = False  # answer 200 with a page that is not JSON (nothing is created)


@dataclass
class FakeTwilio:
    """The fake's state and controls; `start()` serves it on a free local port."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[Recorded] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    numbers: dict[str, dict] = field(default_factory=dict)  # PN sid → IncomingPhoneNumber
    services: dict[str, dict] = field(default_factory=dict)  # MG sid → Messaging Service
    service_numbers: dict[tuple[str, str], dict] = field(default_factory=dict)  # (MG, PN) → row
    failures: dict[str, Failure] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)  # media path → where it redirects to
    stored: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # store path → file

    def __post_init__(self):
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.reserved_sid: str | None = None
        self.stall_over = threading.Event()  # a stalled answer's wait ran to its end

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "FakeTwilio":
        """Serve on a free local port, or on the port of before when serving again."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.port = self.server.server_port
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port: connections to it are refused from now on."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    refuse = stop
    resume = start

    # -- controls --------------------------------------------------------------------------------

    def fail(
        self,
        to: str,
        code: int | None,
        status: int = 400,
        message: str = "",
        times: int | None = None,
    ) -> None:
        """Answer message creates to `to` with this Twilio error (nothing is created), every time
        or only the first `times` times."""
        self.failures[to] = Failure(code, status, message or f"Fake error {code}", times=times)

    def garble(self, to: str) -> None:
        """Answer message creates to `to`, and lists of the messages to it, as a proxy in the way
        may: 200 with an HTML page instead of Twilio's JSON, which the SDK cannot read (nothing is
        created)."""
        self.failures[to] = Failure(garbled=True)

    def stall(self, to: str, seconds: float = 2.0, after_headers: bool = False) -> None:
        """Create messages to `to`, then wait `seconds` before answering (past the client's
        timeout); with after_headers the status line and headers go out before the wait."""
        self.failures[to] = Failure(stall=seconds, after_headers=after_headers)

    def reserve_sid(self) -> str:
        """The SID the next message created will get (so that a status callback for it can come
        before Twilio's answer to the create)."""
        self.reserved_sid = new_sid("SM")
        return self.reserved_sid

    def add_media(self, content_type: str, data: bytes, location: str | None = None) -> str:
        """Serve a picture or file as an MMS's media, as Twilio does: its URL on api.twilio.com
        (behind the account's credentials) redirects to the media store (`location`, by default
        a path of media.twiliocdn.com that serves the file to anyone). Returns the URL the
        webhook names it by."""
        message, media = new_sid("MM"), new_sid("ME")
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message}/Media/{media}"
        store = f"/{self.account_sid}/{media}"
        self.media[path] = location or f"https://{MEDIA_HOST}{store}?Expires=1&Signature=x"
        self.stored[store] = (content_type, data)
        return f"https://{API_HOST}{path}"

    def add_number(self, number: str, sms_url: str = "") -> str:
        """Put a phone number in the account; returns its PN sid."""
        sid = new_sid("PN")
        now = twilio_date(datetime.now(UTC))
        self.numbers[sid] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "phone_number": number,
            "friendly_name": number,
            "sms_url": sms_url,
            "sms_method": "POST",
            "sms_fallback_url": "",
            "sms_fallback_method": "POST",
            "voice_url": "",
            "status_callback": "",
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "date_created": now,
            "date_updated": now,
            "api_version": "2010-04-01",
            "status": "in-use",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json",
        }
        return sid

    def add_service(
        self, sid: str, inbound_request_url: str = "", use_inbound_webhook_on_number: bool = False
    ) -> None:
        """Put a Messaging Service in the account, with where it sends inbound texts (or whether
        it leaves that to each number's own SMS webhook)."""
        self.services[sid] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "friendly_name": "Inbox",
            "inbound_request_url": inbound_request_url or None,
            "inbound_method": "POST",
            "status_callback": None,
            "use_inbound_webhook_on_number": use_inbound_webhook_on_number,
            "url": f"https://{MESSAGING_HOST}/v1/Services/{sid}",
        }

    def number(self, number: str) -> dict:
        """The account's IncomingPhoneNumber for `number`."""
        (found,) = [n for n in self.numbers.values() if n["phone_number"] == number]
        return found

    def provider(self, timeout: float = 1, **kw) -> TwilioProvider:
        """A TwilioProvider of this fake's account, talking to it through the real SDK."""
        kw.setdefault("webhook_url", "http://localhost/webhooks/twilio/sms")
        kw.setdefault("status_callback", STATUS_CALLBACK)
        return TwilioProvider(
            self.account_sid,
            self.auth_token,
            http_client=RewritingClient(self.url, timeout=timeout),
            **kw,
        )

    # -- what happened ---------------------------------------------------------------------------

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        """The recorded requests with this method whose path matches the regex `pattern`."""
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    def creates(self) -> list[Recorded]:
        """Every message create the fake received (including the refused ones)."""
        return self.calls("POST", r"/Messages\.json$")


class RewritingAdapter(HTTPAdapter):
    """A transport for `https://` that sends each request to `base_url` instead (scheme and host
    replaced), naming the host it was meant for in X-Original-Host."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def send(self, request, **kwargs):
        """Rewrite the URL, then send it as HTTPAdapter does."""
        original, base = urlsplit(request.url), urlsplit(self.base_url)
        request.url = urlunsplit((base.scheme, base.netloc, original.path, original.query, ""))
        request.headers[ORIGINAL_HOST] = original.netloc
        return super().send(request, **kwargs)


class RewritingClient(TwilioHttpClient):
    """The SDK's own HTTP client, sending every request to `base_url` (scheme and host replaced)
    and naming the Twilio host it was meant for in X-Original-Host; what the app sends over the
    client's session itself (MMS media) goes there the same way."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url
        self.session.mount("https://", RewritingAdapter(base_url))

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        """Rewrite the URL, then send it as TwilioHttpClient does."""
        original = urlsplit(url)
        base = urlsplit(self.base_url)
        url = urlunsplit((base.scheme, base.netloc, original.path, original.query, ""))
        headers = {**(headers or {}), ORIGINAL_HOST: original.netloc}
        return super().request(method, url, params=params, data=data, headers=headers, **kwargs)


def _error(status: int, code: int | None, message: str) -> tuple[int, dict]:
    """Twilio's (legacy) error body."""
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _page(key: str, items: list[dict], uri: str, page_size: int) -> dict:
    """A list page as the 2010 API answers it (a single page: the fake holds few records)."""
    return {
        key: items[:page_size],
        "end": max(0, min(len(items), page_size) - 1),
        "first_page_uri": uri,
        "next_page_uri": None,
        "previous_page_uri": None,
        "page": 0,
        "page_size": page_size,
        "start": 0,
        "uri": uri,
    }


class _Handler(BaseHTTPRequestHandler):
    """Routes a request to the fake's state; one instance per request."""

    fake: FakeTwilio

    def log_message(self, format, *args):
        """Quiet: tests read `fake.requests` instead."""

    def do_GET(self):  # http.server's hook names
        self._handle()

    def do_POST(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    # -- plumbing --------------------------------------------------------------------------------

    def _handle(self):
        fake = self.fake
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        lists = parse_qs(raw, keep_blank_values=True)
        form = {k: v[-1] for k, v in lists.items()}
        user, password = self._basic_auth()
        host = self.headers.get(ORIGINAL_HOST, "")
        with fake.lock:
            fake.requests.append(Recorded(self.command, url.path, host, query, form, user, lists))
        if self.command == "GET" and host == MEDIA_HOST and url.path in fake.stored:
            return self._send_bytes(*fake.stored[url.path])
        if (user, password) != (fake.account_sid, fake.auth_token):
            return self._send(*_error(401, 20003, "Authenticate"))
        if self.command == "GET" and host == API_HOST and url.path in fake.media:
            return self._redirect(fake.media[url.path])
        self._send(*self._route(host, url.path, query, form))

    def _send_bytes(self, content_type: str, data: bytes):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str):
        self.send_response(307)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _basic_auth(self) -> tuple[str | None, str | None]:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None, None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password

    def _send(self, status: int, body: dict | str | None, stall: float = 0, after_headers=False):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        data = b"" if body is None else data
        if not after_headers:
            self._stall(stall)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if after_headers:
                self.wfile.flush()
                self._stall(stall)
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a read timeout): Twilio's side is done anyway

    def _stall(self, seconds: float) -> None:
        if seconds:
            time.sleep(seconds)
            self.fake.stall_over.set()

    def _route(self, host: str, path: str, query: dict, form: dict):
        fake = self.fake
        account = rf"/2010-04-01/Accounts/{fake.account_sid}"
        routes = [
            (API_HOST, "POST", rf"{account}/Messages\.json", self._create_message),
            (API_HOST, "GET", rf"{account}/Messages\.json", self._list_messages),
            (API_HOST, "GET", rf"{account}/IncomingPhoneNumbers\.json", self._list_numbers),
            (API_HOST, "GET", rf"{account}/IncomingPhoneNumbers/(PN\w+)\.json", self._number),
            (API_HOST, "POST", rf"{account}/IncomingPhoneNumbers/(PN\w+)\.json", self._update),
            (MESSAGING_HOST, "GET", r"/v1/Services/(MG\w+)", self._service),
            (MESSAGING_HOST, "GET", r"/v1/Services/(MG\w+)/PhoneNumbers", self._service_numbers),
            (MESSAGING_HOST, "POST", r"/v1/Services/(MG\w+)/PhoneNumbers", self._add_to_service),
            (
                MESSAGING_HOST,
                "DELETE",
                r"/v1/Services/(MG\w+)/PhoneNumbers/(PN\w+)",
                self._remove_from_service,
            ),
        ]
        for route_host, method, pattern, action in routes:
            match = re.fullmatch(pattern, path)
            if match and method == self.command and route_host == host:
                with fake.lock:
                    return action(*match.groups(), query=query, form=form)
        return _error(404, 20404, f"The requested resource {path} was not found")

    # -- Messages --------------------------------------------------------------------------------

    def _create_message(self, query, form):
        fake = self.fake
        to, sender, service = form.get("To"), form.get("From"), form.get("MessagingServiceSid")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        if not sender and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if sender and sender not in {n["phone_number"] for n in fake.numbers.values()}:
            return _error(
                400,
                21606,
                f"The From phone number {sender} is not a valid, SMS-capable inbound phone "
                "number or short code for your account.",
            )
        failure = fake.failures.get(to)
        if failure and failure.garbled:
            return 200, GARBLED
        if failure and not failure.stall:
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del fake.failures[to]
            return _error(failure.status, failure.code, failure.message)
        now = datetime.now(UTC)
        sid, fake.reserved_sid = fake.reserved_sid or new_sid("SM"), None
        message = {
            "sid": sid,
            "account_sid": fake.account_sid,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": twilio_date(now),
            "date_updated": twilio_date(now),
            "date_sent": twilio_date(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "status": "accepted" if service and not sender else "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/"},
            "to": to,
            "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json",
            "_sent_at": now,
        }
        body = {k: v for k, v in message.items() if not k.startswith("_")}
        if service and not sender:  # it goes out from a number of the service's pool, picked later
            pool = [
                n["phone_number"]
                for n in fake.service_numbers.values()
                if n["service_sid"] == service
            ]
            message["from"] = pool[0] if pool else None
        fake.messages.append(message)
        if failure:  # Twilio took the text, but answers after the client stopped waiting
            return 201, body, failure.stall, failure.after_headers
        return 201, body

    def _list_messages(self, query, form):
        failure = self.fake.failures.get(query.get("To", ""))
        if failure and failure.garbled:
            return 200, GARBLED
        found = list(reversed(self.fake.messages))  # newest first, as Twilio lists them
        if "To" in query:
            found = [m for m in found if m["to"] == query["To"]]
        if "From" in query:
            found = [m for m in found if m["from"] == query["From"]]
        if "DateSent>" in query:
            after = parse_filter_date(query["DateSent>"])
            found = [m for m in found if m["_sent_at"] >= after]
        if "DateSent<" in query:
            before = parse_filter_date(query["DateSent<"])
            found = [m for m in found if m["_sent_at"] <= before]
        items = [{k: v for k, v in m.items() if not k.startswith("_")} for m in found]
        uri = f"/2010-04-01/Accounts/{self.fake.account_sid}/Messages.json"
        return 200, _page("messages", items, uri, int(query.get("PageSize", 50)))

    # -- IncomingPhoneNumbers --------------------------------------------------------------------

    def _list_numbers(self, query, form):
        found = list(self.fake.numbers.values())
        if "PhoneNumber" in query:
            found = [n for n in found if n["phone_number"] == query["PhoneNumber"]]
        uri = f"/2010-04-01/Accounts/{self.fake.account_sid}/IncomingPhoneNumbers.json"
        return 200, _page("incoming_phone_numbers", found, uri, int(query.get("PageSize", 50)))

    def _number(self, sid, query, form):
        if sid not in self.fake.numbers:
            return _error(404, 20404, f"The requested resource {sid} was not found")
        return 200, self.fake.numbers[sid]

    def _update(self, sid, query, form):
        if sid not in self.fake.numbers:
            return _error(404, 20404, f"The requested resource {sid} was not found")
        number = self.fake.numbers[sid]
        for name, key in [("SmsUrl", "sms_url"), ("SmsMethod", "sms_method")]:
            if name in form:
                number[key] = form[name]
        number["date_updated"] = twilio_date(datetime.now(UTC))
        return 200, number

    # -- Messaging Service and its PhoneNumbers --------------------------------------------------

    def _service(self, service, query, form):
        if service not in self.fake.services:
            return _error(404, 20404, f"The requested resource {service} was not found")
        return 200, self.fake.services[service]

    def _service_numbers(self, service, query, form):
        rows = [row for (mg, _), row in self.fake.service_numbers.items() if mg == service]
        url = f"https://{MESSAGING_HOST}/v1/Services/{service}/PhoneNumbers"
        meta = {"key": "phone_numbers", "page": 0, "page_size": 50, "url": url}
        return 200, {"phone_numbers": rows, "meta": {**meta, "next_page_url": None}}

    def _add_to_service(self, service, query, form):
        fake = self.fake
        sid = form.get("PhoneNumberSid", "")
        if sid not in fake.numbers:
            return _error(400, 21710, f"Phone Number {sid} not found in account")
        if (service, sid) in fake.service_numbers:
            return _error(409, 21710, "Phone Number is already in the Messaging Service.")
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        row = {
            "sid": sid,
            "account_sid": fake.account_sid,
            "service_sid": service,
            "phone_number": fake.numbers[sid]["phone_number"],
            "country_code": "US",
            "capabilities": ["SMS", "MMS", "Voice"],
            "date_created": now,
            "date_updated": now,
            "url": f"https://{MESSAGING_HOST}/v1/Services/{service}/PhoneNumbers/{sid}",
        }
        fake.service_numbers[(service, sid)] = row
        return 201, row

    def _remove_from_service(self, service, sid, query, form):
        if self.fake.service_numbers.pop((service, sid), None) is None:
            return _error(404, 20404, f"The requested resource {sid} was not found")
        return 204, None


@pytest.fixture
def twilio(app, monkeypatch):
    """The fake Twilio on a free port, Main line (NUM) in its account, and the app's SMS provider
    a TwilioProvider talking to it through the real SDK (1 s client timeout); yields the fake."""
    fake = FakeTwilio().start()
    fake.add_number(NUM)
    base = app.config["PUBLIC_BASE_URL"]
    provider = fake.provider(webhook_url=f"{base}/webhooks/twilio/sms")
    monkeypatch.setitem(app.extensions, "sms", provider)
    yield fake
    fake.stop()


@pytest.fixture
def twilio_service(app, twilio, monkeypatch):
    """The fake Twilio with a Messaging Service (SERVICE, no number in it yet) whose
    incoming-message webhook points at the app, and the app sending through it; yields the fake."""
    base = app.config["PUBLIC_BASE_URL"]
    twilio.add_service(SERVICE, inbound_request_url=f"{base}/webhooks/twilio/sms")
    provider = twilio.provider(
        webhook_url=f"{base}/webhooks/twilio/sms", messaging_service_sid=SERVICE
    )
    monkeypatch.setitem(app.extensions, "sms", provider)
    return twilio
