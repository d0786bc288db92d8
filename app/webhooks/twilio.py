"""Twilio's webhooks: every request is checked against its signature before anything else."""

import functools

from flask import Response, abort, current_app, request
from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from app.services import inbound, outbound
from app.webhooks import bp

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signed_url() -> str:
    """The URL Twilio signed: our public base URL, the route's path and the raw query string.

    Werkzeug's `request.url` decodes %-escapes and, behind a proxy, has the wrong scheme and host.
    """
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def signature_required(view):
    """Answer 403 to a request without a valid X-Twilio-Signature."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        signature = request.headers.get("X-Twilio-Signature", "")
        settings = request.headers.get(SIGNATURE_SETTINGS_HEADER, "")
        # Newer webhooks name their algorithm (HMAC-SHA256) and are signed with a shared key.
        secret = (settings and current_app.config["TWILIO_WEBHOOK_SIGNING_KEY"]) or (
            current_app.config["TWILIO_AUTH_TOKEN"]
        )
        validator = RequestValidator(secret)
        algorithm = get_signature_algorithm(settings)
        if not signature or not validator.validate(
            signed_url(), request.form, signature, algorithm
        ):
            abort(403, "The request's signature is missing or wrong.")
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


def twiml() -> Response:
    """Twilio's answer: empty, since auto-replies go out through the tracked outbound path."""
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.route("/twilio/sms", methods=["POST"])
@signature_required
def sms():
    """An inbound text: stored before we answer, so nothing Twilio was told we got is lost."""
    form = request.form
    inbound.accept(
        to=form.get("To", ""),
        sender=form.get("From", ""),
        body=form.get("Body", ""),
        sid=form.get("MessageSid") or form.get("SmsSid"),
        opt_out_type=form.get("OptOutType"),
        media=media(form),
    )
    return twiml()


@bp.route("/twilio/status", methods=["POST"])
@signature_required
def status():
    """A delivery status callback: moves the text's status forward, never back."""
    form = request.form
    outbound.apply_status(
        form.get("MessageSid", ""), form.get("MessageStatus", ""), form.get("ErrorCode") or None
    )
    return "", 204
