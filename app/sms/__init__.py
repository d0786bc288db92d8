"""The SMS provider: what the app asks of a carrier, whoever the carrier is.

`sms/` knows phone numbers and texts, nothing of conversations. The interface is in `sms/base.py`;
the provider for the running app is `provider()`, SMS_PROVIDER picks the implementation.
"""

from pathlib import Path

from flask import current_app

from app.config import webhook_token
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
from app.sms.simulator import SimulatedCarrier
from app.sms.twilio import TwilioProvider

__all__ = [
    "ActivationError",
    "MediaRefused",
    "MediaUnavailable",
    "Provider",
    "Reason",
    "SendError",
    "SendResult",
    "UnknownOutcome",
    "init_app",
    "provider",
]


def init_app(app) -> None:
    """Choose the provider named by SMS_PROVIDER."""
    name = app.config["SMS_PROVIDER"]
    base = app.config["PUBLIC_BASE_URL"]
    if name == "twilio":
        app.extensions["sms"] = TwilioProvider(
            app.config["TWILIO_ACCOUNT_SID"],
            app.config["TWILIO_AUTH_TOKEN"],
            webhook_url=f"{base}/webhooks/twilio/sms",
            status_callback=f"{base}/webhooks/twilio/status",
            messaging_service_sid=app.config["TWILIO_MESSAGING_SERVICE_SID"],
        )
    elif name == "simulator":
        if not app.config["TWILIO_AUTH_TOKEN"]:
            # No webhook signed with an empty key is taken, on a developer's machine too.
            app.config["TWILIO_AUTH_TOKEN"] = webhook_token(Path(app.config["WEBHOOK_TOKEN_FILE"]))
        app.extensions["sms"] = SimulatedCarrier(
            unsubscribed=frozenset(app.config["SIMULATOR_UNSUBSCRIBED"]),
            refuse=frozenset(app.config["SIMULATOR_REFUSE"]),
            activation_delay=app.config["SIMULATOR_ACTIVATION_SECONDS"],
        )
    else:
        raise RuntimeError(f"SMS_PROVIDER={name!r}: use 'simulator' or 'twilio'")


def provider() -> Provider:
    """The running app's SMS provider."""
    return current_app.extensions["sms"]
