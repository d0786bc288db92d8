"""Saved replies' rules (SPEC §2.10): the variables filled in when a reply is inserted, and who
may add, change or delete which reply."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Conversation, SavedReply, User
from app.services import saved_replies
from app.services.errors import Forbidden, Invalid, NotFound

ADMIN, BOB, CAT, EVE = "admin@acme.test", "bob@acme.test", "cat@acme.test", "eve@other.test"


@pytest.fixture
def thread(ctx, conversation_id):
    """`thread(contact_name)`: Acme's conversation on Main line, its contact named so."""

    def named(name: str | None) -> Conversation:
        conversation = db.session.get(Conversation, conversation_id)
        conversation.contact.name = name
        db.session.commit()
        return conversation

    return named


def user(email: str) -> User:
    return User.by_email(email)


FILLED = [
    ("Hi {contact_first_name}!", "Wendy Walker", "Hi Wendy!"),
    ("For {contact_name}", "Wendy Walker", "For Wendy Walker"),
    ("For {contact_name}", "  Wendy   van  Walker ", "For Wendy van Walker"),
    ("Hi {contact_first_name}", "Wendy", "Hi Wendy"),
    ("{agent_first_name} here", None, "Bob here"),
    ("From {company}", None, "From Acme Plumbing"),
    ("This is {number_label}.", None, "This is Main line."),
    (
        "Hi {contact_first_name}, this is {agent_first_name} from {company} ({number_label})",
        "Wendy Walker",
        "Hi Wendy, this is Bob from Acme Plumbing (Main line)",
    ),
    # A contact with no name: the value is empty, and the space it would leave goes.
    ("Hi {contact_first_name}, thanks", None, "Hi, thanks"),
    ("Hi {contact_first_name}!", None, "Hi!"),
    ("Hi {contact_first_name}", None, "Hi"),
    ("Thanks {contact_name} for writing", None, "Thanks for writing"),
    ("{contact_first_name} hello", None, "hello"),
    ("Dear {contact_name}\n{contact_first_name} see you", None, "Dear\nsee you"),
    ("Hi {contact_first_name} {contact_name}, ok", None, "Hi, ok"),
    ("Hi {contact_first_name}, thanks", "   ", "Hi, thanks"),
    # Whatever is not one of the variables stays as written.
    ("{{contact_name}}", "Wendy Walker", "{Wendy Walker}"),
    ("{{contact_name}}", None, "{}"),
    ("{contact_name", "Wendy Walker", "{contact_name"),
    ("contact_name}", "Wendy Walker", "contact_name}"),
    ("{{x}}", "Wendy Walker", "{{x}}"),
    ("{unknown} and {Company}", "Wendy Walker", "{unknown} and {Company}"),
    ("{ company }", None, "{ company }"),
    ("{}", None, "{}"),
    ("{contact_first_name}{company}", None, "Acme Plumbing"),
    ("Use code {SAVE10} at {company}", None, "Use code {SAVE10} at Acme Plumbing"),
]


@pytest.mark.parametrize("body, contact_name, filled", FILLED)
def test_fill(thread, body, contact_name, filled):
    assert saved_replies.fill(body, thread(contact_name), user(BOB)) == filled


def test_a_value_is_inserted_as_it_is_never_read_as_a_variable(thread):
    conversation = thread("{company} <b>")
    assert saved_replies.fill("Hi {contact_name}", conversation, user(BOB)) == "Hi {company} <b>"


def test_the_composer_gets_every_usable_reply_filled(thread):
    admin, bob = user(ADMIN), user(BOB)
    saved_replies.create(
        admin, {"title": "Late", "body": "Hi {contact_first_name}", "shared": True}
    )
    saved_replies.create(bob, {"title": "Mine", "body": "{agent_first_name} here"})
    saved_replies.create(user(CAT), {"title": "Cat's", "body": "Cat here"})
    assert saved_replies.for_composer(thread("Wendy Walker"), bob) == [
        {"title": "Late", "body": "Hi Wendy", "files": []},
        {"title": "Mine", "body": "Bob here", "files": []},
    ]


def test_an_admin_adds_a_shared_reply_and_an_agent_their_own(ctx, acme):
    shared = saved_replies.create(user(ADMIN), {"title": "A", "body": "x", "shared": True})
    own = saved_replies.create(user(BOB), {"title": "B", "body": "y"})
    assert (shared.user_id, shared.account_id) == (None, Account.by_name("Acme Plumbing").id)
    assert own.user_id == user(BOB).id
    assert [r.title for r in saved_replies.shared_of(user(CAT))] == ["A"]
    assert [r.title for r in saved_replies.own(user(BOB))] == ["B"]
    assert saved_replies.own(user(CAT)) == []


def test_an_agent_may_not_add_change_or_delete_shared_replies(ctx, acme):
    shared = saved_replies.create(user(ADMIN), {"title": "A", "body": "x", "shared": True})
    bob = user(BOB)
    with pytest.raises(Forbidden):
        saved_replies.create(bob, {"title": "B", "body": "y", "shared": True})
    with pytest.raises(Forbidden):
        saved_replies.update(bob, shared, {"title": "C"})
    with pytest.raises(Forbidden):
        saved_replies.delete(bob, shared)
    db.session.expire_all()
    assert [(r.title, r.shared) for r in saved_replies.usable(bob)] == [("A", True)]


def test_a_personal_reply_is_found_only_by_its_owner(ctx, acme):
    own = saved_replies.create(user(BOB), {"title": "B", "body": "y"})
    assert saved_replies.get(user(BOB), own.id, shared=False) is own
    for who in (CAT, ADMIN, EVE):
        with pytest.raises(NotFound):
            saved_replies.get(user(who), own.id)
    with pytest.raises(NotFound):
        saved_replies.get(user(BOB), own.id, shared=True)


def test_a_shared_reply_is_not_found_by_another_account(ctx, acme):
    shared = saved_replies.create(user(ADMIN), {"title": "A", "body": "x", "shared": True})
    assert saved_replies.get(user(BOB), shared.id) is shared
    with pytest.raises(NotFound):
        saved_replies.get(user(EVE), shared.id)
    with pytest.raises(NotFound):
        saved_replies.get(user(ADMIN), shared.id, shared=False)


def test_a_change_keeps_what_it_does_not_name(ctx, acme):
    own = saved_replies.create(user(BOB), {"title": "B", "body": "y"})
    saved_replies.update(user(BOB), own, {"body": "Line one\r\nLine two"})
    assert (own.title, own.body) == ("B", "Line one\nLine two")
    saved_replies.update(user(BOB), own, {"title": "New"})
    assert (own.title, own.body) == ("New", "Line one\nLine two")


def test_a_refused_change_changes_nothing(ctx, acme):
    own = saved_replies.create(user(BOB), {"title": "B", "body": "y"})
    with pytest.raises(Invalid) as refused:
        saved_replies.update(user(BOB), own, {"title": "ok", "body": "{nope}"})
    assert set(refused.value.fields) == {"body"}
    db.session.expire_all()
    assert db.session.scalar(select(SavedReply.title)) == "B"


def test_deleting_removes_the_reply(ctx, acme):
    own = saved_replies.create(user(BOB), {"title": "B", "body": "y"})
    saved_replies.delete(user(BOB), own)
    assert saved_replies.usable(user(BOB)) == []


def test_titles_sort_without_regard_to_case(ctx, acme):
    for title in ("banana", "Apple", "cherry"):
        saved_replies.create(user(BOB), {"title": title, "body": "x"})
    saved_replies.create(user(ADMIN), {"title": "Zebra", "body": "x", "shared": True})
    assert [r.title for r in saved_replies.usable(user(BOB))] == [
        "Zebra",
        "Apple",
        "banana",
        "cherry",
    ]
