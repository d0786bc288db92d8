"""Twilio's own quickstart webhook for Python ("Receive and reply to SMS with Flask"), as its
docs give it: no signature check, nothing stored, a TwiML reply."""

from flask import Flask
from twilio.twiml.messaging_response import MessagingResponse

app = Flask(__name__)


@app.route("/webhooks/twilio/sms", methods=["GET", "POST"])
def sms_reply():
    resp = MessagingResponse()
    resp.message("The Robots are coming! Head for the hills!")
    return str(resp)
