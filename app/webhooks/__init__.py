"""Webhooks the SMS provider calls: inbound texts and delivery status callbacks."""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("webhooks", __name__)
csrf.exempt(bp)  # the provider signs its requests instead

from app.webhooks import twilio  # noqa: E402,F401
