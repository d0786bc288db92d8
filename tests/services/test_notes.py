"""Internal notes and their mentions (SPEC §2.10): who is brought in, who is told and how often,
and what a note may not be."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import segments
from app.extensions import db
from app.models import (
    Conversation,
    ConversationEvent,
    Message,
    Note,
    NoteMention,
    Notification,
    Participant,
    TrackingNumber,
    User,
)
from app.models.base import MAX_ID, utcnow
from app.services import directory, notes, notify, people
from app.services.errors import Invalid
from tests.support import CUSTOMER, NUM, PASSWORD, count, csrf_token, sent_to

NOTE_ROWS = (Note, NoteMention, Participant, ConversationEvent, Notification)


class Clock:
    """The notification pacing's clock, moved by the test."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("app.services.notify.utcnow", clock)
    return clock


def user_id(app, email: str) -> int:
    with app.app_context():
        return User.by_email(email).id


def add(app, conversation_id: int, author: str, body: str, mentions=()) -> int:
    """A note added through the service, as `author`; its id."""
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        note = notes.add(conversation, User.by_email(author), body, list(mentions))
        return note.id


def mails_to(smtp, email: str) -> list:
    return [message for rcpt, message in smtp.messages if rcpt == [email]]


def participants(app, conversation_id: int) -> list[str]:
    with app.app_context():
        return [p.user.email for p in db.session.get(Conversation, conversation_id).participants]


def events(app, conversation_id: int) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        rows = db.session.scalars(
            select(ConversationEvent).where(ConversationEvent.conversation_id == conversation_id)
        )
        return [
            (e.type, e.user.email, e.target_user.email if e.target_user else None) for e in rows
        ]


def test_a_mention_brings_in_a_teammate_who_could_not_see_it_and_mails_them_once(
    app, acme, client, conversation_id, smtp
):
    dan = user_id(app, "dan@acme.test")  # no SMS user of Main line: cannot see it
    to_contact = sent_to(app, CUSTOMER)
    body = "@Dan Tester can you quote for a new sink?\nThey want it this week."
    add(app, conversation_id, "bob@acme.test", body, [dan])

    assert participants(app, conversation_id) == ["dan@acme.test"]
    assert events(app, conversation_id) == [("participant_added", "bob@acme.test", "dan@acme.test")]
    (mail,) = mails_to(smtp, "dan@acme.test")
    assert mail["Subject"] == (
        "Bob Tester mentioned you in a note about (500) 555-0199 on Main line"
    )
    plain = mail.get_body(("plain",)).get_content()
    assert "Bob Tester mentioned you in a note" in plain
    assert "@Dan Tester can you quote for a new sink?" in plain
    assert "@Dan Tester can you quote" in mail.get_body(("html",)).get_content()
    assert {tuple(rcpt) for rcpt, _ in smtp.messages} == {("dan@acme.test",)}, "nobody else"
    assert sent_to(app, CUSTOMER) == to_contact, "nothing goes to the contact"

    link = re.search(r"http://localhost(/c/\S+)", plain).group(1)
    to_login = client.get(link).headers["Location"]
    login = client.get(to_login)
    r = client.post(
        to_login,
        data={"email": "dan@acme.test", "password": PASSWORD, "csrf_token": csrf_token(login.text)},
    )
    page = client.get(r.headers["Location"])
    assert page.status_code == 200
    assert "can you quote for a new sink?" in page.text
    assert "Bob Tester added Dan Tester" in page.text


def test_a_second_mention_within_five_minutes_sends_nothing_more(
    app, acme, conversation_id, smtp, clock
):
    dan = user_id(app, "dan@acme.test")
    add(app, conversation_id, "bob@acme.test", "@Dan Tester look at this", [dan])
    add(app, conversation_id, "cat@acme.test", "@Dan Tester and this", [dan])
    assert len(mails_to(smtp, "dan@acme.test")) == 1
    assert participants(app, conversation_id) == ["dan@acme.test"], "brought in once"
    assert [e[0] for e in events(app, conversation_id)] == ["participant_added"]

    clock.advance(6)
    add(app, conversation_id, "cat@acme.test", "@Dan Tester still there?", [dan])
    first, second = mails_to(smtp, "dan@acme.test")
    assert "still there?" in second.get_body(("plain",)).get_content()
    assert second["Subject"].startswith("Cat Tester mentioned you")


def test_a_mention_counts_in_the_same_window_as_the_texts(app, acme, conversation_id, smtp):
    cat = user_id(app, "cat@acme.test")
    told = (Notification.user_id == cat,)
    assert count(app, Notification, *told) == 1, "of the customer's first text"
    add(app, conversation_id, "bob@acme.test", "@Cat Tester yours?", [cat])
    assert count(app, Notification, *told) == 1, "inside the five minutes of that text"
    assert mails_to(smtp, "cat@acme.test") == []


def test_mentioning_someone_who_already_sees_it_adds_no_participant(
    app, acme, conversation_id, smtp, clock
):
    cat = user_id(app, "cat@acme.test")  # an SMS user of Main line
    clock.advance(6)  # since the customer's text
    add(app, conversation_id, "bob@acme.test", "@Cat Tester yours?", [cat])
    assert participants(app, conversation_id) == []
    assert events(app, conversation_id) == []
    assert len(mails_to(smtp, "cat@acme.test")) == 1


def test_the_author_mentioning_themselves_is_told_nothing(app, acme, conversation_id, smtp):
    bob = user_id(app, "bob@acme.test")
    before = count(app, Notification)
    add(app, conversation_id, "bob@acme.test", "@Bob Tester remember the invoice", [bob])
    assert count(app, Notification) == before
    assert count(app, NoteMention) == 1, "the mention is kept"


def test_a_user_who_paused_notifications_is_brought_in_but_told_nothing(
    app, acme, conversation_id, smtp
):
    dan = user_id(app, "dan@acme.test")
    with app.app_context():
        notify.set_paused(User.by_email("dan@acme.test"), True)
    add(app, conversation_id, "bob@acme.test", "@Dan Tester when you are back", [dan])
    assert participants(app, conversation_id) == ["dan@acme.test"]
    assert mails_to(smtp, "dan@acme.test") == []


def test_an_sms_user_with_sms_on_is_also_texted_the_mention(
    app, acme, conversation_id, smtp, clock
):
    cat = user_id(app, "cat@acme.test")
    with app.app_context():
        user = User.by_email("cat@acme.test")
        user.phone = "+15005550123"
        number = TrackingNumber.by_number(NUM)
        directory.set_sms_users(
            number,
            [
                directory.SmsUserChoice(User.by_email("bob@acme.test"), True, False),
                directory.SmsUserChoice(user, True, True),
            ],
        )
    clock.advance(6)  # since the customer's text
    smtp.messages.clear()
    add(app, conversation_id, "bob@acme.test", "@Cat Tester the customer wants a call", [cat])
    assert len(mails_to(smtp, "cat@acme.test")) == 1
    (sms,) = sent_to(app, "+15005550123")
    # The link leaves room for the note's start only after the shortest head.
    assert sms.startswith('Bob Tester mentioned you in a note: "@Cat Tester the customer wants')
    assert re.search(r'" http://localhost/c/\S+$', sms)
    assert segments.count(sms) == (len(sms), 1, "GSM-7")


def test_a_note_is_never_a_text(app, acme, conversation_id):
    with app.app_context():
        before = db.session.get(Conversation, conversation_id).last_message_preview
    texts = count(app, Message)
    add(app, conversation_id, "bob@acme.test", "Internal: customer is a landlord")
    assert count(app, Message) == texts
    with app.app_context():
        assert db.session.get(Conversation, conversation_id).last_message_preview == before


def test_a_note_keeps_its_lines_and_loses_surrounding_space(app, acme, conversation_id):
    note_id = add(app, conversation_id, "bob@acme.test", "  first line\r\nsecond line\r\n  ")
    with app.app_context():
        assert db.session.get(Note, note_id).body == "first line\nsecond line"
    longest = add(app, conversation_id, "bob@acme.test", "x" * 1600)
    with app.app_context():
        assert len(db.session.get(Note, longest).body) == 1600


def test_a_note_may_be_added_to_a_closed_conversation(app, acme, api, conversation_id):
    api("bob@acme.test").post(f"/conversations/{conversation_id}/claim")
    assert api("bob@acme.test").post(f"/conversations/{conversation_id}/close").status_code == 200
    add(app, conversation_id, "cat@acme.test", "Closed: the customer went elsewhere.")
    assert count(app, Note) == 1


@pytest.mark.parametrize(
    ("body", "mentions", "field"),
    [
        ("", [], "body"),
        ("   \r\n ", [], "body"),
        ("x" * 1601, [], "body"),
        ("a\x00b", [], "body"),
        (None, [], "body"),
        (["a list"], [], "body"),
        ("hello", ["unknown"], "mentions"),
        ("hello", [MAX_ID], "mentions"),
        ("hello", ["eve@other.test"], "mentions"),
        ("hello", ["gus@acme.test"], "mentions"),
        ("hello", "7", "mentions"),
        ("hello", {"user": 7}, "mentions"),
        ("hello", ["dan@acme.test", "dan@acme.test"], "mentions"),
        ("hello", [True], "mentions"),
        ("hello", [0], "mentions"),
        ("hello", [[1]], "mentions"),
        ("hello", list(range(1, 22)), "mentions"),
    ],
)
def test_bad_notes_are_refused_naming_the_field_and_nothing_is_written(
    app, acme, world, conversation_id, body, mentions, field
):
    world.user("Acme Plumbing", "gus@acme.test", first="Gus")
    with app.app_context():
        people.set_active(User.by_email("admin@acme.test"), User.by_email("gus@acme.test"), False)
    if isinstance(mentions, list):  # users named by e-mail, an unknown id for "unknown"
        mentions = [
            (MAX_ID - 1 if m == "unknown" else user_id(app, m)) if isinstance(m, str) else m
            for m in mentions
        ]
    before = {model: count(app, model) for model in NOTE_ROWS}
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        with pytest.raises(Invalid) as refused:
            notes.add(conversation, User.by_email("bob@acme.test"), body, mentions)
    assert set(refused.value.fields) == {field}, refused.value.fields
    assert {model: count(app, model) for model in NOTE_ROWS} == before
