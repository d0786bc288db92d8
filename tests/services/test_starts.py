"""Starting a conversation (SPEC §2.3): the sender's claim, the consent ledger, the opt-out line,
and every refusal leaving nothing written or sent."""

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Account,
    Consent,
    ConsentEvent,
    Contact,
    Conversation,
    ConversationEvent,
    Message,
    Participant,
    User,
)
from app.services import claims, starts
from app.services.errors import AlreadyClaimed, Invalid, OptedOut
from tests.support import NUM, count, sent_to, text_in
from tests.support.race import at_once

MOBILE = "+15550100123"  # fictional (area code 555): the simulated carrier takes it
LINE = "\n\nReply STOP to opt out."
NEW_JERSEY_AFTERNOON = "2026-12-07T15:00:00-05:00"


def user(email: str) -> User:
    return User.by_email(email)


def written(app) -> dict[str, int]:
    """How many rows of each kind a start may write."""
    kinds = (Contact, Conversation, ConversationEvent, Consent, ConsentEvent, Message)
    return {kind.__name__: count(app, kind) for kind in kinds}


def test_a_first_text_to_someone_new_is_claimed_by_the_sender_with_consent_and_the_line(
    app, acme, ctx
):
    conversation = starts.start(
        user("bob@acme.test"), NUM, "(555) 010-0123", "Hi Jo, it's Bob.", True
    )
    assert (conversation.status, conversation.source) == ("open", "sms")
    assert conversation.claimed_by.email == "bob@acme.test"
    assert conversation.first_claimed_by_id == conversation.claimed_by_id
    assert conversation.contact.phone == MOBILE and conversation.contact.name is None
    types = db.session.scalars(
        select(ConversationEvent.type).where(ConversationEvent.conversation_id == conversation.id)
    ).all()
    assert types == ["claimed"]
    (event,) = db.session.scalars(select(ConsentEvent)).all()
    assert (event.state, event.source, event.user.email) == ("opted_in", "agent", "bob@acme.test")
    assert event.body == "Hi Jo, it's Bob." + LINE
    (message,) = db.session.scalars(select(Message)).all()
    assert (message.direction, message.kind, message.sent_by.email) == (
        "outbound",
        "text",
        "bob@acme.test",
    )
    assert message.body == "Hi Jo, it's Bob." + LINE
    assert message.status == "delivered"
    assert sent_to(app, MOBILE) == ["Hi Jo, it's Bob." + LINE]


def test_the_carrier_receives_exactly_the_text_and_its_line(app, acme, ctx, twilio):
    real = "+12015550123"  # a valid US number of the fixed-line-or-mobile kind, in New Jersey
    with time_machine.travel(NEW_JERSEY_AFTERNOON):  # inside quiet hours' window there
        starts.start(user("bob@acme.test"), NUM, real, "Your quote is ready.", True)
    (create,) = twilio.creates()
    assert (create.form["To"], create.form["From"]) == (real, NUM)
    assert create.form["Body"] == "Your quote is ready." + LINE


def test_a_second_start_continues_the_conversation_without_a_second_line(app, acme, ctx):
    bob = user("bob@acme.test")
    first = starts.start(bob, NUM, MOBILE, "Hello!", True).id
    second = starts.start(bob, NUM, MOBILE, "One more thing.", False).id
    assert first == second
    assert sent_to(app, MOBILE) == ["Hello!" + LINE, "One more thing."]
    assert count(app, ConsentEvent) == 1
    assert count(app, ConversationEvent) == 1, "one claim, when the conversation opened"


def test_a_contact_whose_conversation_closed_gets_a_new_one_without_tick_or_line(
    app, acme, client, ctx
):
    text_in(client, MOBILE, NUM, "Do you fix boilers?")
    old = db.session.scalar(select(Conversation))
    claims.claim(old, user("cat@acme.test"))
    claims.close(old, user("cat@acme.test"))
    conversation = starts.start(user("bob@acme.test"), NUM, MOBILE, "We have a slot today.")
    assert conversation.id != old.id and conversation.is_open
    assert conversation.claimed_by.email == "bob@acme.test"
    assert sent_to(app, MOBILE)[-1] == "We have a slot today."
    assert count(app, ConsentEvent) == 1, "only the first text's"


def test_an_unclaimed_conversation_of_the_pair_is_claimed_and_continued(app, acme, client, ctx):
    text_in(client, MOBILE, NUM, "Do you fix boilers?")
    opened = db.session.scalar(select(Conversation))
    assert opened.claimed_by_id is None
    db.session.remove()
    conversation = starts.start(user("cat@acme.test"), NUM, MOBILE, "Yes, we do.", False)
    assert conversation.id == opened.id
    assert conversation.claimed_by.email == "cat@acme.test"
    assert sent_to(app, MOBILE)[-1] == "Yes, we do.", "the pair has consent: no opt-out line"
    assert count(app, ConsentEvent) == 1, "only the first text's"


def test_an_opted_out_pair_is_409_with_nothing_written_or_sent(app, acme, client, ctx):
    text_in(client, MOBILE, NUM, "STOP")
    before, outbox = written(app), sent_to(app, MOBILE)
    with pytest.raises(OptedOut):
        starts.start(user("bob@acme.test"), NUM, MOBILE, "Sale this week!", True)
    db.session.rollback()
    assert written(app) == before
    assert sent_to(app, MOBILE) == outbox


def test_no_consent_and_no_tick_is_422_consent_with_nothing_written(app, acme, ctx):
    with pytest.raises(Invalid) as refused:
        starts.start(user("bob@acme.test"), NUM, MOBILE, "Hello!", False)
    assert refused.value.fields == {"consent": ["Tick that this person asked you to text them."]}
    db.session.rollback()
    assert set(written(app).values()) == {0}
    assert sent_to(app, MOBILE) == []


def test_someone_elses_conversation_is_409_already_claimed(app, acme, client, ctx):
    text_in(client, MOBILE, NUM, "Hello?")
    conversation = db.session.scalar(select(Conversation))
    claims.claim(conversation, user("cat@acme.test"))
    before = written(app)
    with pytest.raises(AlreadyClaimed) as refused:
        starts.start(user("bob@acme.test"), NUM, MOBILE, "Hi, Bob here.", False)
    assert refused.value.message == "Already claimed by Cat Tester."
    db.session.rollback()
    assert written(app) == before


def test_a_participant_continues_the_conversation_they_are_in(app, acme, client, ctx):
    text_in(client, MOBILE, NUM, "Hello?")
    conversation = db.session.scalar(select(Conversation))
    claims.claim(conversation, user("cat@acme.test"))
    claims.add_participant(conversation, user("cat@acme.test"), user("bob@acme.test"))
    started = starts.start(user("bob@acme.test"), NUM, MOBILE, "Bob here, Cat asked me.", False)
    assert started.id == conversation.id
    assert started.claimed_by.email == "cat@acme.test", "the claim stays Cat's"
    assert count(app, Participant) == 1
    assert sent_to(app, MOBILE)[-1] == "Bob here, Cat asked me."


def test_a_number_the_sender_cannot_see_or_that_is_off_is_422_from(app, acme, ctx):
    acme.number("Acme Plumbing", "+15005550102", active=False, label="Spare line")
    acme.number("Other Co", "+15005550103", sms_users=["eve@other.test"], label="Other line")
    cases = [
        ("dan@acme.test", NUM, "Not one of the numbers you can text from."),  # no SMS user
        ("admin@acme.test", "+15005550102", "SMS is not on for Spare line"),
        ("admin@acme.test", "+15005550103", "Not one of the numbers you can text from."),
        ("admin@acme.test", "main line", "Not one of the numbers you can text from."),
        ("admin@acme.test", "", "Choose the number to text from."),
    ]
    for email, number, reason in cases:
        with pytest.raises(Invalid) as refused:
            starts.start(user(email), number, MOBILE, "Hello!", True)
        assert list(refused.value.fields) == ["from"], number
        assert refused.value.fields["from"][0].startswith(reason), number
        db.session.rollback()
    assert set(written(app).values()) == {0}


def test_a_first_text_must_leave_room_for_the_opt_out_line(app, acme, client, ctx):
    bob = user("bob@acme.test")
    with pytest.raises(Invalid) as refused:
        starts.start(bob, NUM, MOBILE, "x" * 1590, True)
    assert refused.value.fields["body"] == [
        "At most 1,576 characters in a first text: the opt-out line follows it (1,590 given)."
    ]
    db.session.rollback()
    starts.start(bob, NUM, MOBILE, "x" * 1576, True)
    starts.start(bob, NUM, MOBILE, "y" * 1600, True)  # the pair has consent now: no line
    assert [len(body) for body in sent_to(app, MOBILE)] == [1600, 1600]


def test_the_accounts_own_opt_out_line_follows_the_first_text(app, acme, ctx):
    db.session.scalar(
        select(Account).where(Account.name == "Acme Plumbing")
    ).opt_out_line_text = "{company}: reply STOP to end these texts."
    db.session.commit()
    starts.start(user("bob@acme.test"), NUM, MOBILE, "Hello!", True)
    assert sent_to(app, MOBILE) == ["Hello!\n\nAcme Plumbing: reply STOP to end these texts."]


def test_two_agents_starting_with_one_new_person_at_once_make_one_conversation(app, acme, postgres):
    with app.app_context():
        bob, cat = user("bob@acme.test").id, user("cat@acme.test").id

    def start_as(user_id: int):
        return lambda: starts.start(db.session.get(User, user_id), NUM, MOBILE, "Hi!", True)

    errors = at_once(app, [start_as(bob), start_as(cat)])
    assert len(errors) == 1 and isinstance(errors[0], AlreadyClaimed), errors
    assert count(app, Conversation) == 1
    assert count(app, ConsentEvent) == 1
    assert sent_to(app, MOBILE) == ["Hi!" + LINE]
