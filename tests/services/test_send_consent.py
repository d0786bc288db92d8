"""The send layer enforces consent for every outbound text, when queued and again when sent."""

from sqlalchemy import select

from app import tasks
from app.extensions import db
from app.models import Consent, ConsentEvent, Message
from tests.support import CUSTOMER, NUM, sent_to, text_in


def test_reply_to_an_opted_out_contact_is_409_until_they_text_start(
    app, api, client, conversation_id
):
    bob = api("bob@acme.test")
    bob.post(f"/conversations/{conversation_id}/claim")
    text_in(client, CUSTOMER, NUM, "STOP")
    r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": "Are you sure?"})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "opted_out"
    text_in(client, CUSTOMER, NUM, "START")
    r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": "Welcome back!"})
    assert r.status_code == 201
    sent = bob.get(f"/conversations/{conversation_id}").json["messages"][-1]
    assert (sent["body"], sent["status"]) == ("Welcome back!", "delivered")


def test_a_reply_queued_before_stop_arrives_is_blocked_when_the_job_runs(
    app, api, client, conversation_id, broker_down
):
    bob = api("bob@acme.test")
    bob.post(f"/conversations/{conversation_id}/claim")
    # Sent through a web process whose queue is out of reach: the reply's job waits.
    r = broker_down("bob@acme.test").post(
        f"/conversations/{conversation_id}/messages", json={"body": "Sale this week!"}
    )
    assert r.status_code == 201
    assert r.json["status"] == "queued"
    text_in(client, CUSTOMER, NUM, "STOP")
    with app.app_context():
        tasks.deliver_message(r.json["id"])  # the worker gets to it after the opt-out
    detail = bob.get(f"/conversations/{conversation_id}").json
    reply = next(m for m in detail["messages"] if m["body"] == "Sale this week!")
    assert reply["status"] == "blocked"
    assert "opted out" in reply["error_message"]
    sent = sent_to(app, CUSTOMER)
    assert "Sale this week!" not in sent
    assert any(body.startswith("Your request to unsubscribe") for body in sent)


def test_carrier_unsubscribed_error_opts_the_contact_out(
    app, api, client, conversation_id, monkeypatch
):
    monkeypatch.setattr(app.extensions["sms"], "unsubscribed", frozenset({CUSTOMER}))
    bob = api("bob@acme.test")
    bob.post(f"/conversations/{conversation_id}/claim")
    r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": "Hello?"})
    assert r.status_code == 201
    detail = bob.get(f"/conversations/{conversation_id}").json
    failed = detail["messages"][-1]
    assert failed["status"] == "failed"
    assert failed["error_code"] == "21610"
    assert "unsubscribed" in failed["error_message"]
    assert detail["events"][-1]["type"] == "opted_out"
    with app.app_context():
        assert db.session.scalar(select(Consent.state)) == "opted_out"
        assert db.session.scalars(select(ConsentEvent.source)).all()[-1] == "provider"
    r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": "Hello again?"})
    assert r.status_code == 409


def test_nothing_but_the_confirmation_is_ever_sent_to_an_opted_out_contact(app, acme, client):
    text_in(client, CUSTOMER, NUM, "Hello")
    text_in(client, CUSTOMER, NUM, "STOP")
    for body in ("STOP", "HELP", "info", "Hello?", "stop please"):
        text_in(client, CUSTOMER, NUM, body)
    with app.app_context():
        sent = db.session.scalars(
            select(Message.purpose).where(Message.direction == "outbound").order_by(Message.id)
        ).all()
    assert sent == ["opt_in", "opt_out"]
