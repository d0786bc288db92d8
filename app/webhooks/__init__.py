"""Webhooks the SMS provider calls: inbound texts and delivery status callbacks."""

from flask import Blueprint, request

from app.extensions import csrf, limiter

bp = Blueprint("webhooks", __name__)
csrf.exempt(bp)  # the provider signs its requests instead


@limiter.request_filter
def from_the_provider() -> bool:
    """The provider's calls are never rate-limited: a refused text would be retried or lost.
    A filter, not `exempt`: the limiter then looks no further."""
    return request.blueprint == "webhooks"


from app.webhooks import twilio  # noqa: E402,F401
