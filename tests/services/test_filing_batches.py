"""The filing job files the webhook's texts in batches (SPEC §5): the outcome is the one of filing
them one by one, in order, and a batch costs the same statements whatever its number of texts."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import tasks
from app.extensions import db
from app.models import (
    Account,
    Consent,
    Contact,
    Conversation,
    Message,
    Notification,
    NotificationPace,
    Participant,
    TrackingNumber,
    User,
)
from app.models.base import utcnow
from app.services import inbound
from tests.support import NUM
from tests.support.race import at_once
from tests.support.sql import statements

TWIN = "+15005550102"  # a second number of Acme, set up as NUM is
WAITING, BUSY, CLOSED, NEW, STOPPING = (f"+1500555030{i}" for i in range(5))
# Texts in the order they come: returning contacts in open, claimed and closed conversations,
# a first text, and an opt-out with a text after it.
BURST = [
    (WAITING, "Any news?"),
    (BUSY, "The tap again"),
    (CLOSED, "Me again, new leak"),
    (WAITING, "Hello?"),
    (NEW, "Do you fix boilers?"),
    (STOPPING, "STOP"),
    (BUSY, "Still dripping"),
    (STOPPING, "sorry, one more thing"),
    (CLOSED, "In the basement this time"),
    (WAITING, "Calling you instead"),
]


@pytest.fixture
def twins(app, acme, world):
    """Acme's numbers NUM and TWIN, alike; an opt-out to one leaves the other as it was, so
    the two can be compared."""
    world.number("Acme Plumbing", TWIN, sms_users=["bob@acme.test", "cat@acme.test"], label="Twin")
    with app.app_context():
        Account.by_name("Acme Plumbing").opt_out_everywhere = False
        db.session.commit()
    return acme


def history(app, number: str) -> None:
    """Four contacts have texted the number before: one waits unclaimed (Bob was told two
    minutes ago and one text waits to be counted), Bob claimed one and brought in Dan, one
    conversation is closed; everyone else was last told ten minutes ago."""
    with app.app_context():
        for phone in (WAITING, BUSY, CLOSED, STOPPING):
            inbound.receive(number, phone, "Earlier text", None)
        conversations = {
            c.contact.phone: c
            for c in db.session.scalars(
                select(Conversation).join(TrackingNumber).where(TrackingNumber.number == number)
            )
        }
        bob, dan = (User.by_email(e) for e in ("bob@acme.test", "dan@acme.test"))
        conversations[BUSY].claimed_by_id = bob.id
        conversations[BUSY].claimed_at = utcnow()
        db.session.add(Participant(conversation_id=conversations[BUSY].id, user_id=dan.id))
        conversations[CLOSED].status = "closed"
        conversations[CLOSED].closed_at = utcnow()
        ids = [c.id for c in conversations.values()]
        paces = (NotificationPace.conversation_id.in_(ids),)
        db.session.execute(
            update(NotificationPace)
            .where(*paces)
            .values(last_sent_at=utcnow() - timedelta(minutes=10), pending=0)
        )
        db.session.execute(
            update(NotificationPace)
            .where(
                NotificationPace.conversation_id == conversations[WAITING].id,
                NotificationPace.user_id == bob.id,
            )
            .values(last_sent_at=utcnow() - timedelta(minutes=2), pending=1)
        )
        db.session.commit()


def burst(app, number: str) -> list[int]:
    """Store the burst's texts as the webhook does, unfiled; their ids."""
    with app.app_context():
        tracking_number = TrackingNumber.by_number(number)
        texts = [inbound.new_text(tracking_number, phone, body) for phone, body in BURST]
        db.session.commit()
        return [t.id for t in texts]


def outcome(app, number: str) -> dict:
    """What the people of the account see of the number, by contact: each conversation's state,
    claimer, latest text and texts, the notifications queued and the texts waiting to be told,
    and consent."""
    with app.app_context():
        seen = {}
        for conversation in db.session.scalars(
            select(Conversation)
            .join(TrackingNumber)
            .where(TrackingNumber.number == number)
            .order_by(Conversation.id)
        ):
            texts = db.session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.id)
            ).all()
            inbound_times = [m.created_at for m in texts if m.direction == "inbound"]
            told = db.session.execute(
                select(User.email, Notification.channel, Notification.texts, Message.body)
                .join(User, User.id == Notification.user_id)
                .outerjoin(Message, Message.id == Notification.message_id)
                .where(Notification.conversation_id == conversation.id)
                .order_by(Notification.id)
            ).all()
            paces = db.session.execute(
                select(User.email, NotificationPace.pending)
                .join(User, User.id == NotificationPace.user_id)
                .where(NotificationPace.conversation_id == conversation.id)
                .order_by(User.email)
            ).all()
            seen.setdefault(conversation.contact.phone, []).append(
                {
                    "status": conversation.status,
                    "claimer": conversation.claimed_by and conversation.claimed_by.email,
                    "preview": conversation.last_message_preview,
                    "latest is the last inbound": conversation.last_inbound_at
                    == max(inbound_times, default=None),
                    "texts": [(m.direction, m.purpose, m.body) for m in texts],
                    "told": [tuple(n) for n in told],
                    "waiting to be told": [tuple(p) for p in paces],
                }
            )
        consents = db.session.execute(
            select(Contact.phone, Consent.state)
            .join(Contact)
            .join(TrackingNumber)
            .where(TrackingNumber.number == number)
            .order_by(Contact.phone)
        ).all()
        db.session.remove()
        return {"conversations": seen, "consent": [tuple(c) for c in consents]}


def test_a_batch_files_texts_as_filing_them_one_by_one_would(app, twins):
    for number in (NUM, TWIN):
        history(app, number)
    with app.app_context():
        for message_id in burst(app, TWIN):
            inbound.file_one(message_id)
    burst(app, NUM)
    with app.app_context():
        tasks.file_waiting_texts()
        db.session.remove()
    one_by_one, batched = outcome(app, TWIN), outcome(app, NUM)
    for phone, conversations in one_by_one["conversations"].items():
        assert batched["conversations"][phone] == conversations, phone
    assert batched == one_by_one
    # What that is: the returning contacts' texts in their conversations, the closed one's in a
    # new conversation; of the waiting conversation, Bob (told two minutes ago) not yet told of
    # its three new texts, which wait with the one before them, and Cat told of the first at
    # once; Bob and Dan told of the claimed one; the STOP answered once.
    waiting = batched["conversations"][WAITING][0]
    assert waiting["preview"] == "Calling you instead"
    assert waiting["latest is the last inbound"]
    assert waiting["waiting to be told"] == [("bob@acme.test", 4), ("cat@acme.test", 2)]
    assert waiting["told"][-1:] == [("cat@acme.test", "email", 1, "Any news?")]
    busy = batched["conversations"][BUSY][0]
    assert sorted(busy["told"][-2:]) == [
        ("bob@acme.test", "email", 1, "The tap again"),
        ("dan@acme.test", "email", 1, "The tap again"),
    ]
    closed, reopened = batched["conversations"][CLOSED]
    assert (closed["status"], reopened["status"]) == ("closed", "open")
    assert [t[2] for t in reopened["texts"]] == ["Me again, new leak", "In the basement this time"]
    assert (STOPPING, "opted_out") in batched["consent"]
    stopping = batched["conversations"][STOPPING][0]
    assert [t[1] for t in stopping["texts"] if t[0] == "outbound"] == ["opt_in", "opt_out"]


def test_a_batch_costs_the_same_statements_for_one_text_or_many(app, twins):
    # Returning contacts texting in conversations going on, their people due to be told: the
    # common case of a busy number.
    phones = [f"+150055504{i:02d}" for i in range(12)]
    with app.app_context():
        for phone in phones:
            inbound.receive(NUM, phone, "Earlier text", None)
        db.session.remove()
    seen = []
    for senders in (phones[:1], phones):
        with app.app_context():
            db.session.execute(
                update(NotificationPace).values(last_sent_at=utcnow() - timedelta(hours=1))
            )
            number = TrackingNumber.by_number(NUM)
            for phone in senders:
                inbound.new_text(number, phone, "A reply")
            db.session.commit()
            db.session.remove()
        with app.app_context(), statements(app, anywhere=True) as counted:
            tasks.file_waiting_texts()
            db.session.remove()
            seen.append(list(counted))
    # Taken and locked; the numbers, contacts, consents and open conversations read; the texts
    # attached and the conversations' latest set; the SMS users read; the paces made, locked and
    # set; the notifications added. (Each is then sent by a job of its own.)
    batch = ["SELECT"] * 5 + ["UPDATE"] * 2 + ["SELECT", "INSERT", "SELECT", "UPDATE", "INSERT"]
    for counted in seen:
        assert counted[: counted.index("COMMIT") + 1] == ["PING", "BEGIN", *batch, "COMMIT"]
    with app.app_context():
        assert (
            db.session.scalar(
                select(db.func.count(Notification.id))
                .join(Message)
                .where(Message.body == "A reply")
            )
            == 2 * 13
        )


def test_batches_are_bounded_and_file_every_text_in_order(app, twins, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_FILING_BATCH", 3)
    history(app, NUM)
    burst(app, NUM)
    with app.app_context():
        tasks.file_waiting_texts()
        db.session.remove()
    seen = outcome(app, NUM)["conversations"]
    assert [t[2] for t in seen[WAITING][0]["texts"] if t[0] == "inbound"] == [
        "Earlier text",
        "Any news?",
        "Hello?",
        "Calling you instead",
    ]
    assert seen[WAITING][0]["preview"] == "Calling you instead"


def test_workers_side_by_side_share_the_batches(postgres, acme, monkeypatch):
    """Two filing jobs at once over replies from twenty returning contacts: each text filed
    once, in its conversation, each contact's SMS users told once."""
    app = postgres
    monkeypatch.setitem(app.config, "INBOUND_FILING_BATCH", 7)
    phones = [f"+150055505{i:02d}" for i in range(20)]
    with app.app_context():
        for phone in phones:
            inbound.receive(NUM, phone, "Earlier text", None)
        db.session.execute(
            update(NotificationPace).values(last_sent_at=utcnow() - timedelta(hours=1))
        )
        number = TrackingNumber.by_number(NUM)
        for i in range(60):
            inbound.new_text(number, phones[i % 20], f"Reply {i}")
        db.session.commit()
        db.session.remove()
    assert at_once(app, [tasks.file_waiting_texts] * 2) == []
    with app.app_context():
        assert (
            db.session.scalar(select(db.func.count()).where(Message.conversation_id.is_(None))) == 0
        )
        assert db.session.scalar(select(db.func.count(Conversation.id))) == 20
        # The first notification of each conversation to each of Bob and Cat, then paced.
        told = db.session.scalars(
            select(Notification.texts).join(Message).where(Message.body.like("Reply %"))
        ).all()
        assert sorted(told) == [1] * 40
        pending = db.session.scalars(select(NotificationPace.pending)).all()
        assert sorted(pending) == [2] * 40
        db.session.remove()
