"""Saved replies over the JSON API (SPEC §2.10, §3): the account's shared ones, managed by
admins, and each user's own; another's own reply and another account's are not found."""

import pytest

ADMIN, BOB, CAT, EVE = "admin@acme.test", "bob@acme.test", "cat@acme.test", "eve@other.test"
LATE = "Hi {contact_first_name}, running about 15 minutes late, sorry!"


def add(api, who: str, title: str, body: str = "On my way.", shared: bool = False) -> dict:
    r = api(who).post("/saved-replies", json={"title": title, "body": body, "shared": shared})
    assert r.status_code == 201, r.get_json()
    return r.json


def titles(api, who: str) -> list[tuple[str, bool]]:
    r = api(who).get("/saved-replies")
    assert r.status_code == 200
    return [(item["title"], item["shared"]) for item in r.json["items"]]


def assert_error(r, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.get_data(as_text=True)
    error = r.json["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert field in error["fields"], error


@pytest.fixture
def replies(acme, api) -> dict[str, dict]:
    """Two shared replies of Acme, one of Bob's own, one of Cat's, one of Other Co's."""
    return {
        "late": add(api, ADMIN, "Running late", LATE, shared=True),
        "quote": add(api, ADMIN, "quote follow-up", "Any questions about the quote?", True),
        "bob": add(api, BOB, "Bob's sign-off", "Thanks, Bob"),
        "cat": add(api, CAT, "Cat's sign-off", "Thanks, Cat"),
        "other": add(api, EVE, "Other's reply", "Hello from Other Co", shared=True),
    }


def test_a_new_reply_is_answered_with_its_body_as_written(acme, api):
    reply = add(api, ADMIN, "  Running late ", LATE + "\r\nSee you", shared=True)
    assert reply["title"] == "Running late"
    assert reply["body"] == LATE + "\nSee you"  # the variables stay; the composer fills them
    assert reply["shared"] is True
    assert reply["created_at"].endswith("Z") and reply["updated_at"].endswith("Z")


def test_everyone_lists_the_shared_replies_first_then_their_own_by_title(replies, api):
    shared = [("quote follow-up", True), ("Running late", True)]
    assert titles(api, BOB) == [*shared, ("Bob's sign-off", False)]
    assert titles(api, CAT) == [*shared, ("Cat's sign-off", False)]
    assert titles(api, ADMIN) == shared
    assert titles(api, EVE) == [("Other's reply", True)]


def test_an_agent_adds_changes_and_deletes_their_own_reply(replies, api):
    bob, reply_id = api(BOB), replies["bob"]["id"]
    r = bob("PATCH", f"/saved-replies/{reply_id}", json={"title": "Sign-off"})
    assert r.status_code == 200
    assert (r.json["title"], r.json["body"]) == ("Sign-off", "Thanks, Bob")
    r = bob("PATCH", f"/saved-replies/{reply_id}", json={"body": "Thanks! Bob", "shared": False})
    assert (r.status_code, r.json["body"]) == (200, "Thanks! Bob")
    r = bob("DELETE", f"/saved-replies/{reply_id}")
    assert (r.status_code, r.get_data()) == (204, b"")
    assert ("Sign-off", False) not in titles(api, BOB)


def test_an_admin_changes_and_deletes_a_shared_reply(replies, api):
    reply_id = replies["late"]["id"]
    r = api(ADMIN)("PATCH", f"/saved-replies/{reply_id}", json={"title": "Late"})
    assert r.status_code == 200
    assert ("Late", True) in titles(api, BOB)
    assert api(ADMIN)("DELETE", f"/saved-replies/{reply_id}").status_code == 204
    assert ("Late", True) not in titles(api, BOB)


def test_an_agent_cannot_manage_shared_replies(replies, api):
    bob, reply_id = api(BOB), replies["late"]["id"]
    r = bob.post("/saved-replies", json={"title": "Mine for all", "body": "Hi", "shared": True})
    assert_error(r, 403, "forbidden")
    assert_error(bob("PATCH", f"/saved-replies/{reply_id}", json={"title": "X"}), 403, "forbidden")
    assert_error(bob("DELETE", f"/saved-replies/{reply_id}"), 403, "forbidden")
    assert titles(api, BOB)[:2] == [("quote follow-up", True), ("Running late", True)]
    assert ("Mine for all", True) not in titles(api, BOB)


@pytest.mark.parametrize("who", [CAT, ADMIN, EVE])
def test_someone_elses_own_reply_is_not_found(replies, api, who):
    reply_id = replies["bob"]["id"]
    r = api(who)("PATCH", f"/saved-replies/{reply_id}", json={"title": "Mine now"})
    assert_error(r, 404, "not_found")
    assert_error(api(who)("DELETE", f"/saved-replies/{reply_id}"), 404, "not_found")
    assert ("Bob's sign-off", False) in titles(api, BOB)


@pytest.mark.parametrize("who", [ADMIN, BOB])
def test_another_accounts_reply_is_not_found(replies, api, who):
    reply_id = replies["other"]["id"]
    r = api(who)("PATCH", f"/saved-replies/{reply_id}", json={"title": "Ours now"})
    assert_error(r, 404, "not_found")
    assert_error(api(who)("DELETE", f"/saved-replies/{reply_id}"), 404, "not_found")
    assert titles(api, EVE) == [("Other's reply", True)]


def test_whether_a_reply_is_shared_cannot_be_changed(replies, api):
    r = api(ADMIN)("PATCH", f"/saved-replies/{replies['late']['id']}", json={"shared": False})
    assert_error(r, 422, "invalid", "_schema")
    r = api(ADMIN)(
        "PATCH", f"/saved-replies/{replies['late']['id']}", json={"title": "x", "shared": False}
    )
    assert_error(r, 422, "invalid", "shared")
    r = api(BOB)(
        "PATCH", f"/saved-replies/{replies['bob']['id']}", json={"title": "x", "shared": True}
    )
    assert_error(r, 422, "invalid", "shared")
    assert ("Running late", True) in titles(api, BOB)
    assert ("Bob's sign-off", False) in titles(api, BOB)


GOOD = {"title": "Running late", "body": "On my way."}
BAD_NEW = [
    pytest.param({"body": "On my way."}, "title", id="no-title"),
    pytest.param({**GOOD, "title": ""}, "title", id="empty-title"),
    pytest.param({**GOOD, "title": "   "}, "title", id="blank-title"),
    pytest.param({**GOOD, "title": "x" * 81}, "title", id="81-character-title"),
    pytest.param({**GOOD, "title": "Running\nlate"}, "title", id="title-with-line-break"),
    pytest.param({**GOOD, "title": 5}, "title", id="title-number"),
    pytest.param({**GOOD, "title": None}, "title", id="title-null"),
    pytest.param({"title": "Running late"}, "body", id="no-body"),
    pytest.param({**GOOD, "body": ""}, "body", id="empty-body"),
    pytest.param({**GOOD, "body": " \r\n "}, "body", id="blank-body"),
    pytest.param({**GOOD, "body": "x" * 1601}, "body", id="1601-character-body"),
    pytest.param({**GOOD, "body": ["On my way."]}, "body", id="body-list"),
    pytest.param({**GOOD, "body": "Hi\x00"}, "body", id="body-nul"),
    pytest.param({**GOOD, "body": "Hi {contact_frist_name}"}, "body", id="unknown-variable"),
    pytest.param({**GOOD, "shared": "yes"}, "shared", id="shared-string"),
    pytest.param({**GOOD, "shared": 1}, "shared", id="shared-number"),
    pytest.param({**GOOD, "user_id": 1}, "user_id", id="unknown-field"),
]


@pytest.mark.parametrize("payload, field", BAD_NEW)
def test_a_bad_new_reply_is_refused_naming_the_field(acme, api, payload, field):
    r = api(ADMIN).post("/saved-replies", json=payload)
    assert_error(r, 422, "invalid", field)
    assert titles(api, ADMIN) == []


def test_the_longest_title_and_body_are_taken(acme, api):
    # 1,600 characters once each CR LF counts as the one line break the phone shows.
    reply = add(api, BOB, "x" * 80, "y" * 1598 + "\r\nz")
    assert (len(reply["title"]), len(reply["body"])) == (80, 1600)


def test_an_unknown_variable_is_named_with_the_variables_to_use(acme, api):
    r = api(BOB).post("/saved-replies", json={**GOOD, "body": "Hi {first_name} {{x}}"})
    (message,) = r.json["error"]["fields"]["body"]
    assert "{first_name}, {x}" in message
    assert "{contact_first_name}" in message and "{number_label}" in message


BAD_CHANGES = [
    pytest.param({}, "_schema", id="nothing"),
    pytest.param({"title": ""}, "title", id="empty-title"),
    pytest.param({"title": "x" * 81}, "title", id="81-character-title"),
    pytest.param({"title": "a\r\nb"}, "title", id="title-with-line-break"),
    pytest.param({"title": ["x"]}, "title", id="title-list"),
    pytest.param({"body": "x" * 1601}, "body", id="1601-character-body"),
    pytest.param({"body": None}, "body", id="body-null"),
    pytest.param({"body": "{oops}"}, "body", id="unknown-variable"),
    pytest.param({"title": "x", "shared": "no"}, "shared", id="shared-string"),
    pytest.param({"title": "x", "account_id": 2}, "account_id", id="unknown-field"),
]


@pytest.mark.parametrize("payload, field", BAD_CHANGES)
def test_a_bad_change_is_refused_naming_the_field(replies, api, payload, field):
    r = api(BOB)("PATCH", f"/saved-replies/{replies['bob']['id']}", json=payload)
    assert_error(r, 422, "invalid", field)
    assert ("Bob's sign-off", False) in titles(api, BOB)


@pytest.mark.parametrize("body", ["[]", "not json", '"text"', "[" * 40 + "]" * 40])
def test_a_body_that_is_no_json_object_is_refused(acme, api, body):
    r = api(BOB).post("/saved-replies", data=body, content_type="application/json")
    assert_error(r, 422, "invalid", "_schema")


def test_an_id_no_reply_has_is_not_found(replies, api):
    assert_error(api(ADMIN)("DELETE", "/saved-replies/2147483647"), 404, "not_found")
    r = api(ADMIN)("PATCH", "/saved-replies/2147483647", json={"title": "x"})
    assert_error(r, 404, "not_found")


def test_without_a_login_nothing_is_shown(acme, client):
    r = client.get("/api/v1/saved-replies")
    assert_error(r, 401, "unauthorized")


@pytest.mark.parametrize("path", ["/saved-replies/0", "/saved-replies/2147483648"])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_an_id_no_row_can_have_is_not_found(acme, api, path, method):
    assert_error(api(BOB)(method, path, json={"title": "x"}), 404, "not_found")
