"""POST /conversations/{id}/notes and the notes of a conversation's detail (SPEC §3)."""

import pytest

from app.models import Note, Participant
from tests.support import CUSTOMER, NUM, count, sent_to, text_in

ADMIN, BOB, CAT, DAN, EVE = (
    "admin@acme.test",
    "bob@acme.test",
    "cat@acme.test",
    "dan@acme.test",
    "eve@other.test",
)


@pytest.fixture
def ids(acme, api) -> dict[str, int]:
    """Every user's id, Acme's and Other Co's."""
    users = api(ADMIN).get("/users").json["items"] + api(EVE).get("/users").json["items"]
    return {u["email"]: u["id"] for u in users}


def test_a_note_is_created_and_shows_in_the_detail(api, ids, conversation_id):
    r = api(BOB).post(
        f"/conversations/{conversation_id}/notes",
        json={"body": "@Dan Tester quote please", "mentions": [ids[DAN]]},
    )
    assert r.status_code == 201, r.get_json()
    note = r.json
    assert note["body"] == "@Dan Tester quote please"
    assert note["mentions"] == [ids[DAN]]
    assert note["author"]["email"] == BOB
    assert note["created_at"].endswith("Z")

    detail = api(DAN).get(f"/conversations/{conversation_id}")  # Dan was brought in
    assert detail.status_code == 200
    assert detail.json["notes"] == [note]
    assert [p["email"] for p in detail.json["participants"]] == [DAN]
    assert [(e["type"], e["target_user"]["email"]) for e in detail.json["events"]] == [
        ("participant_added", DAN)
    ]
    assert [m["kind"] for m in detail.json["messages"]] == ["text", "auto"], "no note among them"


def test_mentions_are_optional_and_a_note_needs_no_claim(app, api, conversation_id):
    r = api(CAT).post(f"/conversations/{conversation_id}/notes", json={"body": "Seen it"})
    assert r.status_code == 201, r.get_json()
    assert r.json["mentions"] == []
    assert api(CAT).get(f"/conversations/{conversation_id}").json["claimed_by"] is None
    assert len(sent_to(app, CUSTOMER)) == 1, "the opt-in text only: nothing goes to the contact"


def test_a_note_on_an_opted_out_contact_is_kept(app, api, client, conversation_id):
    text_in(client, CUSTOMER, NUM, "STOP")
    r = api(BOB).post(f"/conversations/{conversation_id}/notes", json={"body": "They stopped"})
    assert r.status_code == 201
    assert count(app, Note) == 1


@pytest.mark.parametrize("who", [EVE, DAN], ids=["another account's admin", "an agent of no seat"])
def test_a_conversation_the_caller_may_not_see_is_404(app, api, ids, conversation_id, who):
    r = api(who).post(
        f"/conversations/{conversation_id}/notes",
        json={"body": "Let me in", "mentions": [ids[who]]},
    )
    assert r.status_code == 404
    assert r.json["error"]["code"] == "not_found"
    assert count(app, Note) == 0 and count(app, Participant) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "x" * 1601}, "body"),
        ({"body": 7}, "body"),
        ({"body": "hi", "mentions": "7"}, "mentions"),
        ({"body": "hi", "mentions": [None]}, "mentions"),
        ({"body": "hi", "mentions": [f"{DAN} as text"]}, "mentions"),
        ({"body": "hi", "mentions": [EVE]}, "mentions"),
        ({"body": "hi", "mentions": [DAN, DAN]}, "mentions"),
        ({"body": "hi", "mentions": [2_147_483_648]}, "mentions"),
        ({"body": "hi", "private": True}, "private"),
    ],
)
def test_bad_notes_are_422_naming_the_field(app, api, ids, conversation_id, payload, field):
    def named(m):  # users named by e-mail; "EMAIL as text": that id as a JSON string
        if not isinstance(m, str):
            return m
        return str(ids[m.removesuffix(" as text")]) if m.endswith(" as text") else ids[m]

    if isinstance(payload.get("mentions"), list):
        payload["mentions"] = [named(m) for m in payload["mentions"]]
    r = api(BOB).post(f"/conversations/{conversation_id}/notes", json=payload)
    assert r.status_code == 422, r.get_json()
    assert set(r.json["error"]["fields"]) == {field}
    assert count(app, Note) == 0


def test_a_body_that_is_no_json_object_is_422(api, conversation_id):
    r = api(BOB).post(f"/conversations/{conversation_id}/notes", json=["a", "list"])
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) == {"_schema"}
