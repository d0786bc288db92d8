"""Twilio's own quickstart webhook for Python ("Receive and reply to SMS with Flask"), with the
request validation of Twilio's "Secure your Flask app" guide: check the signature, answer with a
TwiML reply, keep nothing. The URL is rebuilt from PUBLIC_BASE_URL (behind a proxy Flask's own
request.url is not the one Twilio signed), as the app and the floor do."""

import os
from functools import wraps

from flask import Flask, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

app = Flask(__name__)


def validate_twilio_request(f):
    """Validates that incoming requests genuinely originated from Twilio."""

    @wraps(f)
    def decorated_function(*args, **kwargs):
        validator = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN"))
        url = os.environ["PUBLIC_BASE_URL"] + request.path
        signature = request.headers.get("X-TWILIO-SIGNATURE", "")
        if validator.validate(url, request.form, signature):
            return f(*args, **kwargs)
        return abort(403)

    return decorated_function


@app.route("/webhooks/twilio/sms", methods=["GET", "POST"])
@validate_twilio_request
def sms_reply():
    """Respond to incoming messages with a friendly SMS."""
    resp = MessagingResponse()
    resp.message("The Robots are coming! Head for the hills!")
    return str(resp)
