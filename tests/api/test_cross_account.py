"""Nothing crosses accounts: another account's admin gets 404 for every endpoint (SPEC §1, §3)."""

import pytest

from tests.support import CUSTOMER, NUM, seen_by_admin, text_in

ADMIN, BOB, DAN, EVE = "admin@acme.test", "bob@acme.test", "dan@acme.test", "eve@other.test"
OTHER_NUM = "+15005550301"


def user_ids(api, email: str) -> dict[str, int]:
    return {u["email"]: u["id"] for u in api(email).get("/users").json["items"]}


@pytest.fixture
def ids(acme, api) -> dict[str, int]:
    """Every user's id, Acme's and Other Co's."""
    return user_ids(api, ADMIN) | user_ids(api, EVE)


@pytest.fixture
def busy(acme, client, api, ids, conversation_id) -> int:
    """Acme's conversation, claimed by Bob, with Dan as participant and a reply sent;
    Other Co has a conversation of its own, so Eve's lists are not empty by accident."""
    bob = api(BOB)
    assert bob.post(f"/conversations/{conversation_id}/claim").status_code == 200
    r = bob.post(f"/conversations/{conversation_id}/participants", json={"user_id": ids[DAN]})
    assert r.status_code == 200
    r = bob.post(f"/conversations/{conversation_id}/messages", json={"body": "On my way"})
    assert r.status_code == 201
    acme.number("Other Co", OTHER_NUM, sms_users=[EVE], label="Other line")
    assert text_in(client, CUSTOMER, OTHER_NUM, "Hello Other Co").status_code == 200
    return conversation_id


ENDPOINTS = [
    ("GET", "/conversations/{id}", None),
    ("POST", "/conversations/{id}/claim", None),
    ("POST", "/conversations/{id}/release", None),
    ("POST", "/conversations/{id}/reassign", {"user_id": EVE}),
    ("POST", "/conversations/{id}/messages", {"body": "Hello from Other Co"}),
    ("POST", "/conversations/{id}/messages", {"body": "Hello from Other Co", "claim": True}),
    ("POST", "/conversations/{id}/participants", {"user_id": EVE}),
    ("DELETE", "/conversations/{id}/participants/{dan}", None),
    ("POST", "/conversations/{id}/close", None),
]


@pytest.mark.parametrize(
    "method, path, body",
    ENDPOINTS,
    ids=[f"{m} {p}{' +claim' if b and 'claim' in b else ''}" for m, p, b in ENDPOINTS],
)
def test_another_accounts_admin_gets_404_and_changes_nothing(api, ids, busy, method, path, body):
    before = seen_by_admin(api, busy)
    if body and body.get("user_id") == EVE:
        body = {"user_id": ids[EVE]}  # Eve names herself as the user to bring in
    r = api(EVE)(method, path.format(id=busy, dan=ids[DAN]), json=body)
    assert r.status_code == 404, r.get_json()
    assert r.json["error"]["code"] == "not_found"
    assert r.json["error"]["message"]
    assert "sink" not in r.get_data(as_text=True)
    assert seen_by_admin(api, busy) == before


def test_another_accounts_conversation_answers_like_one_that_does_not_exist(api, busy):
    eve = api(EVE)
    missing = eve.post(f"/conversations/{busy + 1000}/claim")
    foreign = eve.post(f"/conversations/{busy}/claim")
    assert (foreign.status_code, foreign.json) == (missing.status_code, missing.json)


def test_user_list_holds_only_the_callers_account(api, ids, busy):
    r = api(EVE).get("/users")
    assert r.status_code == 200
    assert [u["email"] for u in r.json["items"]] == [EVE]
    assert "acme" not in r.get_data(as_text=True).lower()


@pytest.mark.parametrize("tab", ["active", "team", "closed"])
def test_tabs_hold_only_the_callers_account(api, busy, tab):
    eve = api(EVE)
    r = eve.get("/conversations", query_string={"tab": tab})
    assert r.status_code == 200
    numbers = {item["tracking_number"]["number"] for item in eve.tab(tab)}
    assert numbers <= {OTHER_NUM}
    assert busy not in {item["id"] for item in r.json["items"]}
    assert "acme" not in r.get_data(as_text=True).lower()
    assert NUM not in r.get_data(as_text=True)


def test_another_accounts_admin_sees_their_own_conversation(api, busy):
    (item,) = api(EVE).tab("active")
    assert item["tracking_number"]["number"] == OTHER_NUM
    assert item["contact"]["phone"] == CUSTOMER


def test_a_closed_acme_conversation_stays_hidden_from_another_account(api, busy):
    assert api(BOB).post(f"/conversations/{busy}/close").status_code == 200
    assert busy not in api(EVE).tab_ids("closed")
    assert api(EVE).get(f"/conversations/{busy}").status_code == 404


@pytest.mark.parametrize(
    "actor, action",
    [(ADMIN, "reassign"), (ADMIN, "participants"), (BOB, "participants")],
)
def test_a_user_of_another_account_cannot_be_brought_in(api, ids, busy, actor, action):
    before = seen_by_admin(api, busy)
    r = api(actor).post(f"/conversations/{busy}/{action}", json={"user_id": ids[EVE]})
    assert r.status_code == 422, r.get_json()
    assert r.json["error"]["code"] == "invalid"
    assert "user_id" in r.json["error"]["fields"]
    assert seen_by_admin(api, busy) == before
    assert busy not in api(EVE).tab_ids("active") | api(EVE).tab_ids("team")


def test_removing_another_accounts_user_as_participant_is_404(api, ids, busy):
    before = seen_by_admin(api, busy)
    r = api(ADMIN)("DELETE", f"/conversations/{busy}/participants/{ids[EVE]}")
    assert r.status_code == 404, r.get_json()
    assert r.json["error"]["code"] == "not_found"
    assert seen_by_admin(api, busy) == before
