"""Twilio's webhooks: every request is checked against its signature before anything else."""

import functools
import logging
import time

from flask import Flask, Request, abort, current_app, g, request
from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from app import logs, queue, security_headers
from app.services import inbound, outbound
from app.webhooks import bp

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SMS_PATH = "/webhooks/twilio/sms"


def signed_url(request: Request) -> str:
    """The URL Twilio signed: our public base URL, the route's path and the raw query string.

    Werkzeug's `request.url` decodes %-escapes and, behind a proxy, has the wrong scheme and host.
    """
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def check_signature(request: Request) -> None:
    """403 for a request without a valid X-Twilio-Signature (never valid with an empty key)."""
    signature = request.headers.get("X-Twilio-Signature", "")
    settings = request.headers.get(SIGNATURE_SETTINGS_HEADER, "")
    # Newer webhooks name their algorithm (HMAC-SHA256) and are signed with a shared key.
    secret = (settings and current_app.config["TWILIO_WEBHOOK_SIGNING_KEY"]) or (
        current_app.config["TWILIO_AUTH_TOKEN"]
    )
    validator = RequestValidator(secret)
    algorithm = get_signature_algorithm(settings)
    if not (secret and signature) or not validator.validate(
        signed_url(request), request.form, signature, algorithm
    ):
        abort(403, "The request's signature is missing or wrong.")


def signature_required(view):
    """Answer 403 to a request without a valid X-Twilio-Signature."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        check_signature(request)
        return view(*args, **kwargs)

    return wrapper


MAX_MEDIA = 10  # Twilio sends at most ten media with one MMS


def media(form) -> tuple[tuple[str, str], ...]:
    """The (URL, content type) of each picture or file of an inbound MMS."""
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    found = []
    for i in range(count):
        url = form.get(f"MediaUrl{i}")
        if url:
            found.append((url, form.get(f"MediaContentType{i}") or "application/octet-stream"))
    return tuple(found)


class InboundTexts:
    """WSGI middleware: `/webhooks/twilio/sms`, an inbound text, answered ahead of Flask's request
    handling; every other path goes on to Flask.

    The provider's busiest call needs nothing of what that handling brings the portal (session,
    signed-in user, CSRF, rate limits, pages), which costs more than storing the text. What every
    answer has is kept: the request's log line and id, and the security headers."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.headers = security_headers(app)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != SMS_PATH:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        headers = []
        with self.app.app_context():
            g.jobs_after_response = []  # without workers, the jobs run once the answer is out
            request = self.app.request_class(environ)
            request_id = logs.request_id_of(request)
            try:
                if request.method != "POST":
                    raise MethodNotAllowed(["POST"])
                status, body, kind = 200, sms(request), "text/xml"
            except HTTPException as e:
                status, body, kind = e.code, e.description, "text/plain"
                headers = [h for h in e.get_headers() if h[0] != "Content-Type"]  # Allow
            except Exception:
                log.exception("unhandled error on %s %s", request.method, SMS_PATH)
                status, body, kind = 500, "Something went wrong on our side.", "text/plain"
            logs.write(request, request_id, status, started, path=SMS_PATH, endpoint="webhooks.sms")
            pending = g.pop("jobs_after_response")
        data = body.encode()
        start_response(
            f"{status} {HTTP_STATUS_CODES[status]}",
            [
                ("Content-Type", f"{kind}; charset=utf-8"),
                ("Content-Length", str(len(data))),
                ("X-Request-ID", request_id),
                *self.headers,
                *headers,
            ],
        )
        return queue.then_run(self.app, [data], pending) if pending else [data]


def missing(form, *fields: tuple[str, ...]) -> str | None:
    """The first required field the form lacks, by its names (any one of them will do)."""
    for names in fields:
        if not any(form.get(name) for name in names):
            return "/".join(names)
    return None


def sms(request: Request) -> str:
    """An inbound text: stored before we answer, so nothing Twilio was told we got is lost. The
    answer is empty TwiML: auto-replies go out through the tracked outbound path."""
    check_signature(request)
    form = request.form
    # Twilio always sends these; a signed request without one comes from a broken proxy, and a
    # text without its SID could not be told apart from the provider's retry of it.
    if name := missing(form, ("To",), ("From",), ("MessageSid", "SmsSid")):
        abort(400, f"The inbound text has no {name}: nothing was stored.")
    inbound.accept(
        to=form["To"],
        sender=form["From"],
        body=form.get("Body", ""),
        sid=form.get("MessageSid") or form.get("SmsSid"),
        opt_out_type=form.get("OptOutType"),
        media=media(form),
    )
    return EMPTY_TWIML


@bp.route("/twilio/status", methods=["POST"])
@signature_required
def status():
    """A delivery status callback: moves the text's status forward, never back."""
    form = request.form
    if name := missing(form, ("MessageSid",), ("MessageStatus",)):
        return f"The status callback has no {name}.", 400, {"Content-Type": "text/plain"}
    outbound.apply_status(form["MessageSid"], form["MessageStatus"], form.get("ErrorCode") or None)
    return "", 204
