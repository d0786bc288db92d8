"""Contacts (SPEC §2.9): who may see a contact and change its name and notes, and what its page
shows each user of its conversations and consent (§2.6 visibility)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Contact, Conversation, User
from app.services import claims, contacts, inbox
from app.services.errors import Invalid, NotFound
from tests.support import CUSTOMER, NUM, text_in

SIDE = "+15005550102"  # Acme's second number: Cat is its only SMS user


@pytest.fixture
def two_numbers(acme, client) -> dict[str, int]:
    """The customer has texted Main line (Bob's and Cat's) and Side line (Cat's only)."""
    acme.number("Acme Plumbing", SIDE, sms_users=["cat@acme.test"], label="Side line")
    text_in(client, CUSTOMER, NUM, "Main line: my sink is leaking")
    text_in(client, CUSTOMER, SIDE, "Side line: and the boiler")
    with acme.app.app_context():
        rows = db.session.execute(
            select(Conversation.id, Conversation.tracking_number_id).order_by(Conversation.id)
        ).all()
        contact_id = db.session.scalar(select(Contact.id).where(Contact.phone == CUSTOMER))
    return {"main": rows[0].id, "side": rows[1].id, "contact": contact_id}


def user(email: str) -> User:
    return User.by_email(email)


def shown(email: str, contact_id: int) -> tuple[list[str], list[str]]:
    """The labels of the numbers of the conversations, and of the consents, on the page."""
    page = contacts.page(user(email), contacts.get(user(email), contact_id))
    return (
        [c.tracking_number.label for c in page.conversations],
        [pair.tracking_number.label for pair in page.consents],
    )


def test_an_agent_sees_only_the_numbers_they_are_sms_user_of(ctx, two_numbers):
    assert shown("bob@acme.test", two_numbers["contact"]) == (["Main line"], ["Main line"])
    assert shown("cat@acme.test", two_numbers["contact"]) == (
        ["Side line", "Main line"],  # newest first
        ["Main line", "Side line"],
    )
    assert shown("admin@acme.test", two_numbers["contact"]) == (
        ["Side line", "Main line"],
        ["Main line", "Side line"],
    )


def test_being_made_a_participant_shows_that_conversation_and_its_consent(ctx, two_numbers):
    side = inbox.get(user("cat@acme.test"), two_numbers["side"])
    claims.claim(side, user("cat@acme.test"))
    claims.add_participant(side, user("cat@acme.test"), user("bob@acme.test"))
    assert shown("bob@acme.test", two_numbers["contact"]) == (
        ["Side line", "Main line"],
        ["Main line", "Side line"],
    )


def test_a_claim_shows_the_conversation_to_an_agent_of_no_number(ctx, two_numbers):
    with pytest.raises(NotFound):
        contacts.get(user("dan@acme.test"), two_numbers["contact"])
    side = inbox.get(user("admin@acme.test"), two_numbers["side"])
    claims.claim(side, user("admin@acme.test"))
    claims.reassign(side, user("admin@acme.test"), user("dan@acme.test"))
    assert shown("dan@acme.test", two_numbers["contact"]) == (["Side line"], ["Side line"])


def test_a_contact_of_another_account_or_of_no_visible_conversation_is_not_found(ctx, two_numbers):
    for email in ("eve@other.test", "dan@acme.test", "ivy@acme.test"):
        with pytest.raises(NotFound):
            contacts.get(user(email), two_numbers["contact"])
    with pytest.raises(NotFound):
        contacts.get(user("admin@acme.test"), two_numbers["contact"] + 1000)


def test_a_change_trims_the_name_and_an_empty_name_clears_it(ctx, two_numbers):
    contact = contacts.get(user("bob@acme.test"), two_numbers["contact"])
    contacts.change(contact, {"name": "  Wendy Visitor  ", "notes": "Gate code 4411.\nDog."})
    db.session.expire_all()
    contact = db.session.get(Contact, two_numbers["contact"])
    assert (contact.name, contact.notes) == ("Wendy Visitor", "Gate code 4411.\nDog.")
    contacts.change(contact, {"name": ""})
    db.session.expire_all()
    assert (contact.name, contact.notes) == (None, "Gate code 4411.\nDog.")
    contacts.change(contact, {"notes": "   "})
    db.session.expire_all()
    assert contact.notes is None


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "x" * 121}, "name"),
        ({"name": "Wendy\nVisitor"}, "name"),
        ({"notes": "x" * (contacts.NOTES_MAX + 1)}, "notes"),
        ({"name": 5}, "name"),
        ({}, "_schema"),
        ({"name": "Wendy", "phone": "+15005550100"}, "phone"),
    ],
)
def test_a_bad_change_names_the_field_and_changes_nothing(ctx, two_numbers, data, field):
    contact = contacts.get(user("bob@acme.test"), two_numbers["contact"])
    with pytest.raises(Invalid) as refused:
        contacts.change(contact, data)
    assert field in refused.value.fields
    db.session.rollback()
    db.session.expire_all()
    contact = db.session.get(Contact, two_numbers["contact"])
    assert (contact.phone, contact.name, contact.notes) == (CUSTOMER, None, None)


def test_a_change_redraws_every_conversation_of_the_contact(ctx, two_numbers):
    def stamps():
        return dict(db.session.execute(select(Conversation.id, Conversation.updated_at)).all())

    before = stamps()
    contact = contacts.get(user("bob@acme.test"), two_numbers["contact"])
    contacts.change(contact, {"name": "Wendy Visitor"})
    after = stamps()
    assert all(after[id_] > before[id_] for id_ in before)
    contacts.change(contact, {"name": "Wendy Visitor"})  # no change: nothing to redraw
    assert stamps() == after


def test_the_tab_of_each_conversation_on_the_page(ctx, two_numbers):
    main = inbox.get(user("cat@acme.test"), two_numbers["main"])
    claims.claim(main, user("cat@acme.test"))
    side = inbox.get(user("cat@acme.test"), two_numbers["side"])
    claims.close(side, user("admin@acme.test"))
    page = contacts.page(
        user("cat@acme.test"), contacts.get(user("cat@acme.test"), main.contact_id)
    )
    tabs = {c.id: contacts.tab_of(c, user("cat@acme.test")) for c in page.conversations}
    assert tabs == {two_numbers["main"]: "active", two_numbers["side"]: "closed"}
    bob = user("bob@acme.test")
    (row,) = contacts.page(bob, contacts.get(bob, main.contact_id)).conversations
    assert contacts.tab_of(row, bob) == "team"
