"""Claiming and handing over conversations (SPEC §2.3): atomic claims and who may do what."""

import functools

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Conversation, ConversationEvent, Message, User
from app.services import claims, directory, outbound
from app.services.errors import AlreadyClaimed, Closed, NotClaimer
from tests.support.race import at_once_when_ready


def events(app, conversation_id) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        rows = db.session.scalars(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .order_by(ConversationEvent.id)
        )
        return [
            (
                e.type,
                e.user.first_name if e.user else None,
                e.target_user.first_name if e.target_user else None,
            )
            for e in rows
        ]


def test_second_claim_gets_409_naming_the_claimer(app, api, conversation_id):
    assert api("bob@acme.test").post(f"/conversations/{conversation_id}/claim").status_code == 200
    r = api("cat@acme.test").post(f"/conversations/{conversation_id}/claim")
    assert r.status_code == 409
    assert r.json["error"]["code"] == "already_claimed"
    assert "Bob" in r.json["error"]["message"]


def test_claimers_own_repeat_gets_409_and_records_no_event(app, api, conversation_id):
    assert api("bob@acme.test").post(f"/conversations/{conversation_id}/claim").status_code == 200
    r = api("bob@acme.test").post(f"/conversations/{conversation_id}/claim")
    assert r.status_code == 409
    assert r.json["error"]["code"] == "already_claimed"
    assert events(app, conversation_id) == [("claimed", "Bob", None)]


RACERS = 50  # SPEC §5


def test_fifty_simultaneous_claims_have_exactly_one_winner(postgres, acme, conversation_id):
    app = postgres
    with app.app_context():
        account = Account.by_name("Acme Plumbing")
        user_ids = [
            directory.create_user(account, f"racer{i}@acme.test", f"Racer{i}", "Tester", "admin").id
            for i in range(RACERS)
        ]
    outcomes: list[str] = []

    def racer(user_id: int):
        conversation = db.session.get(Conversation, conversation_id)
        user = db.session.get(User, user_id)

        def claim() -> None:
            try:
                claims.claim(conversation, user)
                outcomes.append("won")
            except AlreadyClaimed:
                outcomes.append("already_claimed")

        return claim

    assert at_once_when_ready(app, [functools.partial(racer, uid) for uid in user_ids]) == []
    assert sorted(outcomes) == ["already_claimed"] * (RACERS - 1) + ["won"]
    assert [e[0] for e in events(app, conversation_id)] == ["claimed"]


def test_release_by_the_claimer_puts_it_back_in_everyones_active_tab(app, api, conversation_id):
    bob, cat = api("bob@acme.test"), api("cat@acme.test")
    bob.post(f"/conversations/{conversation_id}/claim")
    assert conversation_id in cat.tab_ids("team")
    assert cat.post(f"/conversations/{conversation_id}/release").status_code == 403
    r = bob.post(f"/conversations/{conversation_id}/release")
    assert r.status_code == 200
    assert r.json["claimed_by"] is None
    assert conversation_id in cat.tab_ids("active")
    assert (
        bob.post(f"/conversations/{conversation_id}/release").json["error"]["code"] == "not_claimed"
    )
    assert cat.post(f"/conversations/{conversation_id}/claim").status_code == 200
    assert [e[:2] for e in events(app, conversation_id)] == [
        ("claimed", "Bob"),
        ("released", "Bob"),
        ("claimed", "Cat"),
    ]


def test_only_an_admin_reassigns(app, api, acme, conversation_id):
    bob, admin = api("bob@acme.test"), api("admin@acme.test")
    bob.post(f"/conversations/{conversation_id}/claim")
    cat_id = next(
        u["id"] for u in admin.get("/users").json["items"] if u["email"] == "cat@acme.test"
    )
    r = bob.post(f"/conversations/{conversation_id}/reassign", json={"user_id": cat_id})
    assert r.status_code == 403
    r = admin.post(f"/conversations/{conversation_id}/reassign", json={"user_id": cat_id})
    assert r.status_code == 200
    assert r.json["claimed_by"]["email"] == "cat@acme.test"
    assert events(app, conversation_id)[-1] == ("reassigned", "Ada", "Cat")
    assert (
        api("cat@acme.test")
        .post(f"/conversations/{conversation_id}/messages", json={"body": "Hi"})
        .status_code
        == 201
    )
    assert (
        bob.post(f"/conversations/{conversation_id}/messages", json={"body": "Hi"}).status_code
        == 403
    )


def test_claim_and_send_claims_then_sends_in_one_step(app, api, conversation_id):
    cat = api("cat@acme.test")
    r = cat.post(
        f"/conversations/{conversation_id}/messages", json={"body": "On it!", "claim": True}
    )
    assert r.status_code == 201
    detail = cat.get(f"/conversations/{conversation_id}").json
    assert detail["claimed_by"]["email"] == "cat@acme.test"
    assert detail["messages"][-1]["body"] == "On it!"
    assert detail["messages"][-1]["sent_by"]["email"] == "cat@acme.test"
    assert [e["type"] for e in detail["events"]] == ["claimed"]
    r = api("bob@acme.test").post(
        f"/conversations/{conversation_id}/messages", json={"body": "Me too", "claim": True}
    )
    assert r.status_code == 403
    assert "Already claimed by Cat" in r.json["error"]["message"]


def test_participants_reply_and_close_and_events_record_it(app, api, acme, conversation_id):
    bob, dan = api("bob@acme.test"), api("dan@acme.test")
    bob.post(f"/conversations/{conversation_id}/claim")
    dan_id = next(u["id"] for u in bob.get("/users").json["items"] if u["email"] == "dan@acme.test")
    assert (
        dan.post(f"/conversations/{conversation_id}/messages", json={"body": "x"}).status_code
        == 404
    )
    assert (
        bob.post(
            f"/conversations/{conversation_id}/participants", json={"user_id": dan_id}
        ).status_code
        == 200
    )
    assert conversation_id in dan.tab_ids("active")
    assert (
        dan.post(
            f"/conversations/{conversation_id}/messages", json={"body": "Dan here"}
        ).status_code
        == 201
    )
    assert dan.post(f"/conversations/{conversation_id}/close").status_code == 200
    r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": "late"})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "closed"
    assert conversation_id in bob.tab_ids("closed")
    assert events(app, conversation_id) == [
        ("claimed", "Bob", None),
        ("participant_added", "Bob", "Dan"),
        ("closed", "Dan", None),
    ]


def test_removed_participant_loses_the_conversation(app, api, acme, conversation_id):
    bob, dan = api("bob@acme.test"), api("dan@acme.test")
    bob.post(f"/conversations/{conversation_id}/claim")
    dan_id = next(u["id"] for u in bob.get("/users").json["items"] if u["email"] == "dan@acme.test")
    bob.post(f"/conversations/{conversation_id}/participants", json={"user_id": dan_id})
    r = bob("DELETE", f"/conversations/{conversation_id}/participants/{dan_id}")
    assert r.status_code == 200
    assert r.json["participants"] == []
    assert dan.get(f"/conversations/{conversation_id}").status_code == 404
    assert events(app, conversation_id)[-1] == ("participant_removed", "Bob", "Dan")


@pytest.mark.parametrize("closer", ["bob@acme.test", "admin@acme.test"])
def test_claimer_or_admin_may_close_but_not_another_sms_user(app, api, conversation_id, closer):
    api("bob@acme.test").post(f"/conversations/{conversation_id}/claim")
    r = api("cat@acme.test").post(f"/conversations/{conversation_id}/close")
    assert r.status_code == 403
    assert r.json["error"]["code"] == "forbidden"
    assert api(closer).post(f"/conversations/{conversation_id}/close").status_code == 200
    assert api(closer).post(f"/conversations/{conversation_id}/close").status_code == 409


def test_a_text_after_close_opens_a_new_unclaimed_conversation(app, api, client, conversation_id):
    from tests.support import CUSTOMER, NUM, text_in

    bob = api("bob@acme.test")
    bob.post(f"/conversations/{conversation_id}/claim")
    bob.post(f"/conversations/{conversation_id}/close")
    text_in(client, CUSTOMER, NUM, "Me again")
    (again,) = bob.tab("active")
    assert again["id"] != conversation_id
    assert again["claimed_by"] is None
    assert again["status"] == "open"
    messages = bob.get(f"/conversations/{again['id']}").json["messages"]
    assert [m["body"] for m in messages] == ["Me again"], "no second opt-in for a returning contact"


def _meanwhile(app, change) -> None:
    """Another request changes the conversation and commits, in its own session."""
    with app.app_context():
        change()


@pytest.mark.parametrize(
    "change, refusal",
    [
        (lambda c, admin, cat: claims.close(c, admin), Closed),
        (lambda c, admin, cat: claims.reassign(c, admin, cat), NotClaimer),
    ],
    ids=["closed", "reassigned"],
)
def test_a_reply_is_checked_against_the_conversation_as_it_is_when_sent(
    app, api, conversation_id, change, refusal
):
    """Bob opened the thread, then someone closed or reassigned it before he pressed Send."""
    api("bob@acme.test").post(f"/conversations/{conversation_id}/claim")
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        bob = User.by_email("bob@acme.test")
        assert outbound.send_refusal(conversation, bob) is None

        def elsewhere():
            change(
                db.session.get(Conversation, conversation_id),
                User.by_email("admin@acme.test"),
                User.by_email("cat@acme.test"),
            )

        _meanwhile(app, elsewhere)
        with pytest.raises(refusal):
            outbound.reply(conversation, bob, "On my way")
        db.session.rollback()
        assert not db.session.scalar(select(Message).where(Message.body == "On my way"))


def test_adding_a_participant_to_a_conversation_closed_a_moment_ago_is_refused(
    app, api, conversation_id
):
    api("bob@acme.test").post(f"/conversations/{conversation_id}/claim")
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        bob, dan = User.by_email("bob@acme.test"), User.by_email("dan@acme.test")

        def close():
            claims.close(
                db.session.get(Conversation, conversation_id), User.by_email("bob@acme.test")
            )

        _meanwhile(app, close)
        with pytest.raises(Closed):
            claims.add_participant(conversation, bob, dan)
    assert events(app, conversation_id) == [("claimed", "Bob", None), ("closed", "Bob", None)]
