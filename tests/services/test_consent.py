"""Opt-out, opt-in and help keywords (SPEC §2.4), through the real webhook, as a table."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Consent, ConsentEvent, ConversationEvent, Message, Notification
from app.services.consent import keyword, possible_opt_out
from tests.support import CUSTOMER, NUM, text_in

# body, starting state, expected state, expected auto-reply (purpose), expected thread event
TABLE = [
    # the opt-out set, in the ways people type it
    ("STOP", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("stop", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("Stop", "opted_in", "opted_out", "opt_out", "opted_out"),
    (" Stop. ", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("STOP!", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("stop!!!", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("Stop…", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("STOPALL", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("STOP ALL", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("stop   all", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("Unsubscribe", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("CANCEL", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("end", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("QUIT", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("quit.", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("OPTOUT", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("opt out", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("Revoke", "opted_in", "opted_out", "opt_out", "opted_out"),
    ("STOP", "new", "opted_out", "opt_out", "opted_out"),
    # the confirmation goes out once; an opted-out contact gets nothing else
    ("STOP", "opted_out", "opted_out", None, None),
    ("quit", "opted_out", "opted_out", None, None),
    ("Hello?", "opted_out", "opted_out", None, None),
    ("HELP", "opted_out", "opted_out", None, None),
    # near misses are ordinary texts
    ("stopped", "opted_in", "opted_in", None, None),
    ("stop it please", "opted_in", "opted_in", None, None),
    ("STOP texting me", "opted_in", "opted_in", None, None),
    ("quitting", "opted_in", "opted_in", None, None),
    ("ending soon?", "opted_in", "opted_in", None, None),
    ("don't stop", "opted_in", "opted_in", None, None),
    ("stop by tomorrow?", "opted_in", "opted_in", None, None),
    ("Opt-out", "opted_in", "opted_in", None, None),
    ("helpful, thanks", "opted_in", "opted_in", None, None),
    ("information please", "opted_in", "opted_in", None, None),
    ("startled", "opted_out", "opted_out", None, None),
    # opt-in keywords re-subscribe only an opted-out contact
    ("START", "opted_out", "opted_in", "opt_in_again", "opted_in"),
    ("start", "opted_out", "opted_in", "opt_in_again", "opted_in"),
    ("Unstop", "opted_out", "opted_in", "opt_in_again", "opted_in"),
    ("YES", "opted_out", "opted_in", "opt_in_again", "opted_in"),
    ("yes!", "opted_out", "opted_in", "opt_in_again", "opted_in"),
    ("yes", "opted_in", "opted_in", None, None),
    ("START", "opted_in", "opted_in", None, None),
    ("START", "new", "opted_in", "opt_in", None),
    # help
    ("HELP", "opted_in", "opted_in", "help", None),
    ("help?", "opted_in", "opted_in", "help", None),
    ("Info", "opted_in", "opted_in", "help", None),
    ("HELP", "new", "opted_in", "help", None),
    # a first ordinary text gets the opt-in message
    ("Hello", "new", "opted_in", "opt_in", None),
]


def start_in(client, state: str) -> None:
    if state in ("opted_in", "opted_out"):
        assert text_in(client, CUSTOMER, NUM, "Hello").status_code == 200
    if state == "opted_out":
        assert text_in(client, CUSTOMER, NUM, "STOP").status_code == 200


def snapshot(app) -> tuple[int, int]:
    with app.app_context():
        last_message = db.session.scalar(select(db.func.max(Message.id))) or 0
        last_event = db.session.scalar(select(db.func.max(ConversationEvent.id))) or 0
        return last_message, last_event


@pytest.mark.parametrize(("body", "start", "state", "reply", "event"), TABLE)
def test_inbound_keywords(app, acme, client, body, start, state, reply, event):
    start_in(client, start)
    last_message, last_event = snapshot(app)
    assert text_in(client, CUSTOMER, NUM, body).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Consent.state)) == state
        new = db.session.scalars(
            select(Message).where(Message.id > last_message).order_by(Message.id)
        ).all()
        assert [m.body for m in new if m.direction == "inbound"] == [body], (
            "the text stays in the thread"
        )
        assert [m.purpose for m in new if m.direction == "outbound"] == ([reply] if reply else [])
        events = db.session.scalars(
            select(ConversationEvent.type).where(ConversationEvent.id > last_event)
        )
        assert list(events) == ([event] if event else [])


def test_the_reply_is_the_accounts_text_and_is_delivered(app, acme, client, api):
    text_in(client, CUSTOMER, NUM, "Hello")
    text_in(client, CUSTOMER, NUM, "STOP")
    (item,) = api("admin@acme.test").tab("active")
    messages = api("admin@acme.test").get(f"/conversations/{item['id']}").json["messages"]
    last = messages[-1]
    assert last["direction"] == "outbound" and last["kind"] == "auto"
    assert last["body"].startswith("Your request to unsubscribe has been processed.")
    assert last["status"] == "delivered"


@pytest.mark.parametrize(
    "body",
    [
        "please stop texting me",
        "Stop messaging me!!",
        "remove me from your list",
        "Can you remove my number please",
        "unsubscribe me",
        "Please take me off this list",
        "I want to opt out",
        "Opt-out",
        "don't text me again",
        "dont text me",
        "do not contact me",
        "no more texts please",
        "leave me alone",
        "stop it please",
        "Stop now",
        "please stop",
        "Please stop!",
        "quit texting me",
        "stop sending me texts",
        "Please  stop  texting me",
        "cancel my subscription",
        "I want to cancel my subscription",
    ],
)
def test_requests_to_stop_in_words_are_flagged(body):
    assert keyword(body) is None
    assert possible_opt_out(body)


@pytest.mark.parametrize(
    "body",
    [
        "don't stop",
        "don't stop texting me",
        "Don’t stop texting me, I like the updates",
        "never stop messaging me",
        "please don't stop",
        "please stop the water, it's flooding",
        "please cancel the appointment",
        "stop by tomorrow?",
        "Can you stop the leak today?",
        "The water won't stop dripping",
        "I'll stop at the shop",
        "Where is your bus stop?",
        "STOP",  # a keyword, acted on at once: not a "possible" request
        "Thanks, that's all",
        "Yes please come",
    ],
)
def test_ordinary_texts_are_not_flagged(body):
    assert not possible_opt_out(body)


def test_keyword_only_text_after_close_stays_on_the_closed_conversation(app, acme, client, api):
    bob = api("bob@acme.test")
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = bob.tab("active")
    bob.post(f"/conversations/{item['id']}/claim")
    bob.post(f"/conversations/{item['id']}/close")
    text_in(client, CUSTOMER, NUM, "STOP")
    assert bob.tab("active") == []
    (closed,) = bob.tab("closed")
    assert closed["id"] == item["id"]
    detail = bob.get(f"/conversations/{item['id']}").json
    assert detail["status"] == "closed"
    assert [m["body"] for m in detail["messages"] if m["direction"] == "inbound"] == [
        "Hello",
        "STOP",
    ]
    assert detail["events"][-1]["type"] == "opted_out"
    text_in(client, CUSTOMER, NUM, "yes")  # opts back in: a keyword too, still no new conversation
    assert bob.tab("active") == []
    text_in(client, CUSTOMER, NUM, "I need a plumber again")
    (again,) = bob.tab("active")
    assert again["id"] != item["id"]


@pytest.mark.parametrize(
    ("body", "tab", "reply", "notified"),
    [
        ("Hello", "active", "opt_in", True),
        # opt-in keywords from a pair that never opted out are ordinary texts
        ("Yes", "active", "opt_in", True),
        ("START", "active", "opt_in", True),
        ("unstop!", "active", "opt_in", True),
        # a keyword acted on is no work for an agent
        ("STOP", "closed", "opt_out", False),
        ("HELP", "closed", "help", False),
    ],
)
def test_a_first_text_is_work_for_agents_unless_a_keyword_answers_it(
    app, acme, client, api, body, tab, reply, notified
):
    text_in(client, CUSTOMER, NUM, body)
    bob = api("bob@acme.test")
    (item,) = bob.tab(tab)
    assert bob.tab("closed" if tab == "active" else "active") == []
    assert item["contact"]["phone"] == CUSTOMER
    assert item["status"] == ("open" if tab == "active" else "closed")
    with app.app_context():
        replies = db.session.scalars(select(Message.purpose).where(Message.direction == "outbound"))
        assert list(replies) == [reply]
        told = db.session.scalars(select(Notification.user_id)).all()
    assert bool(told) == notified


def test_advanced_opt_out_records_the_change_and_sends_no_reply(app, acme, client, monkeypatch):
    """Twilio answers HELP, STOP and START itself: each change is recorded, no reply of ours."""
    text_in(client, CUSTOMER, NUM, "Hello")
    monkeypatch.setitem(app.config, "TWILIO_ADVANCED_OPT_OUT", True)
    last_message, last_event = snapshot(app)
    # HELP while opted in, START while opted out: each would have an answer of ours without it.
    for body, state in [("HELP", "opted_in"), ("STOP", "opted_out"), ("START", "opted_in")]:
        assert text_in(client, CUSTOMER, NUM, body).status_code == 200
        with app.app_context():
            assert db.session.scalar(select(Consent.state)) == state
    with app.app_context():
        new = db.session.scalars(
            select(Message).where(Message.id > last_message).order_by(Message.id)
        ).all()
        assert [(m.direction, m.body) for m in new] == [
            ("inbound", "HELP"),
            ("inbound", "STOP"),
            ("inbound", "START"),
        ]
        events = db.session.scalars(
            select(ConversationEvent.type).where(ConversationEvent.id > last_event)
        )
        assert list(events) == ["opted_out", "opted_in"]
        ledger = db.session.execute(
            select(ConsentEvent.state, ConsentEvent.source).order_by(ConsentEvent.id)
        ).all()
        assert ledger == [
            ("opted_in", "first_text"),
            ("opted_out", "keyword"),
            ("opted_in", "keyword"),
        ]


def test_opt_out_type_parameter_means_twilio_answered(app, acme, client):
    from tests.support import BASE_URL, sign

    text_in(client, CUSTOMER, NUM, "Hello")
    last_message, _ = snapshot(app)
    path = "/webhooks/twilio/sms"
    params = {
        "MessageSid": "SM" + "7" * 32,
        "From": CUSTOMER,
        "To": NUM,
        "Body": "Arrêt",
        "OptOutType": "STOP",
    }
    r = client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
    )
    assert r.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Consent.state)) == "opted_out"
        new = db.session.scalars(select(Message).where(Message.id > last_message)).all()
        assert [m.direction for m in new] == ["inbound"]
