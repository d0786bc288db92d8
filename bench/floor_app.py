"""The durable floor (SPEC §5): the least an inbound-text webhook can do and still keep every
text — check Twilio's signature and store the raw form with one INSERT … ON CONFLICT DO NOTHING
through psycopg, autocommit. Served by gunicorn beside the app, with the same settings."""

import json
import os
import threading

import psycopg
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

app = Flask(__name__)
validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
URL = os.environ["PUBLIC_BASE_URL"] + "/webhooks/twilio/sms"
DSN = os.environ["FLOOR_DATABASE_URL"]
local = threading.local()
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def connection() -> psycopg.Connection:
    if getattr(local, "conn", None) is None:
        local.conn = psycopg.connect(DSN, autocommit=True)
    return local.conn


@app.post("/webhooks/twilio/sms")
def sms():
    form = request.form.to_dict()
    if not validator.validate(URL, form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    connection().execute(
        "INSERT INTO floor_texts (message_sid, form) VALUES (%s, %s) "
        "ON CONFLICT (message_sid) DO NOTHING",
        (form.get("MessageSid"), json.dumps(form)),
    )
    return Response(EMPTY, mimetype="text/xml")
