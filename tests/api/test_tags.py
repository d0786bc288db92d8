"""Tags over the JSON API (SPEC §2.10, §3): admins define them, whoever can reply puts them on a
conversation and takes them off, each change an event; the list is filtered by tag, number,
unread and mine (§2.11); another account's tags are no tags here."""

import pytest

from tests.support import CUSTOMER, NUM, text_in

ADMIN, BOB, CAT, DAN, EVE = (
    "admin@acme.test",
    "bob@acme.test",
    "cat@acme.test",
    "dan@acme.test",
    "eve@other.test",
)
OTHER_NUM = "+15005550102"


def assert_error(r, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.get_data(as_text=True)
    error = r.json["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert field in error["fields"], error


def add_tag(api, name: str, color: str = "blue", who: str = ADMIN) -> dict:
    r = api(who).post("/tags", json={"name": name, "color": color})
    assert r.status_code == 201, r.get_json()
    return r.json


def tag_names(conversation: dict) -> list[str]:
    return [t["name"] for t in conversation["tags"]]


@pytest.fixture
def vip(acme, api) -> dict:
    return add_tag(api, "VIP", "purple")


def test_an_admin_defines_tags_and_everyone_of_the_account_lists_them_by_name(acme, api):
    add_tag(api, "  Quote ", "green")
    add_tag(api, "billing", "red")
    add_tag(api, "Other's", who=EVE)
    for who in (ADMIN, BOB):
        items = api(who).get("/tags").json["items"]
        assert [(t["name"], t["color"]) for t in items] == [("billing", "red"), ("Quote", "green")]
    assert [t["name"] for t in api(EVE).get("/tags").json["items"]] == ["Other's"]


def test_a_tag_without_a_color_is_gray(acme, api):
    assert api(ADMIN).post("/tags", json={"name": "Later"}).json["color"] == "gray"


def test_an_agent_may_not_define_tags(acme, api):
    assert_error(api(BOB).post("/tags", json={"name": "Mine"}), 403, "forbidden")
    assert api(BOB).get("/tags").json["items"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "vip"}, "name"),  # VIP exists: one tag whatever the case
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 41}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"name": "nul\x00"}, "name"),
        ({"name": 7}, "name"),
        ({}, "name"),
        ({"name": "Fine", "color": "black"}, "color"),
        ({"name": "Fine", "color": None}, "color"),
        ({"name": "Fine", "shade": "red"}, "shade"),
    ],
)
def test_a_bad_tag_is_422_naming_the_field_and_nothing_is_added(vip, api, body, field):
    assert_error(api(ADMIN).post("/tags", json=body), 422, "invalid", field)
    assert [t["name"] for t in api(ADMIN).get("/tags").json["items"]] == ["VIP"]


def test_whoever_can_reply_tags_a_conversation_and_the_thread_records_it(vip, api, conversation_id):
    assert api(BOB).post(f"/conversations/{conversation_id}/claim").status_code == 200
    r = api(BOB).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    assert r.status_code == 200, r.get_json()
    assert r.json["tags"] == [{"id": vip["id"], "name": "VIP", "color": "purple"}]
    # A second time changes nothing, and records nothing.
    again = api(BOB).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    assert tag_names(again.json) == ["VIP"]
    r = api(BOB)("DELETE", f"/conversations/{conversation_id}/tags/{vip['id']}")
    assert r.status_code == 200 and r.json["tags"] == []
    events = api(ADMIN).get(f"/conversations/{conversation_id}").json["events"]
    assert [(e["type"], e["user"]["email"], e["tag"]) for e in events if e["tag"]] == [
        ("tagged", BOB, "VIP"),
        ("untagged", BOB, "VIP"),
    ]


def test_anyone_who_sees_an_unclaimed_conversation_may_tag_it(vip, api, conversation_id):
    r = api(CAT).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    assert r.status_code == 200 and tag_names(r.json) == ["VIP"]


def test_only_the_claimer_and_participants_tag_a_claimed_conversation(vip, api, conversation_id):
    api(BOB).post(f"/conversations/{conversation_id}/claim")
    for who in (CAT, ADMIN):
        r = api(who).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
        assert_error(r, 403, "not_claimer")
    cat = next(u for u in api(BOB).get("/users").json["items"] if u["email"] == CAT)
    api(BOB).post(f"/conversations/{conversation_id}/participants", json={"user_id": cat["id"]})
    r = api(CAT).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    assert r.status_code == 200 and tag_names(r.json) == ["VIP"]


def test_a_closed_conversation_keeps_its_tags(vip, api, conversation_id):
    api(BOB).post(f"/conversations/{conversation_id}/claim")
    api(BOB).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    api(BOB).post(f"/conversations/{conversation_id}/close")
    quote = add_tag(api, "Quote")
    r = api(BOB).post(f"/conversations/{conversation_id}/tags", json={"tag_id": quote["id"]})
    assert_error(r, 409, "closed")
    assert_error(
        api(BOB)("DELETE", f"/conversations/{conversation_id}/tags/{vip['id']}"), 409, "closed"
    )
    assert tag_names(api(BOB).get(f"/conversations/{conversation_id}").json) == ["VIP"]


@pytest.mark.parametrize("tag_id", ["other", 999999, "1", None, True, 2**31, -1])
def test_a_tag_not_of_the_account_is_422_naming_tag_id(vip, api, conversation_id, tag_id):
    other = add_tag(api, "Theirs", who=EVE)["id"]
    tag_id = other if tag_id == "other" else tag_id
    r = api(BOB).post(f"/conversations/{conversation_id}/tags", json={"tag_id": tag_id})
    assert_error(r, 422, "invalid", "tag_id")
    assert api(BOB).get(f"/conversations/{conversation_id}").json["tags"] == []


def test_a_conversation_one_may_not_see_is_404_whatever_the_tag(vip, api, conversation_id):
    r = api(DAN).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    assert_error(r, 404, "not_found")
    r = api(EVE).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    assert_error(r, 404, "not_found")
    r = api(EVE)("DELETE", f"/conversations/{conversation_id}/tags/{vip['id']}")
    assert_error(r, 404, "not_found")


def test_taking_off_a_tag_the_conversation_has_not_is_404(vip, api, conversation_id):
    r = api(BOB)("DELETE", f"/conversations/{conversation_id}/tags/{vip['id']}")
    assert_error(r, 404, "not_found")


def test_a_renamed_tag_keeps_its_conversations_and_the_history_its_old_name(
    vip, api, conversation_id
):
    api(CAT).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    r = api(ADMIN)("PATCH", f"/tags/{vip['id']}", json={"name": "Gold", "color": "yellow"})
    assert r.status_code == 200 and (r.json["name"], r.json["color"]) == ("Gold", "yellow")
    detail = api(CAT).get(f"/conversations/{conversation_id}").json
    assert tag_names(detail) == ["Gold"]
    assert [e["tag"] for e in detail["events"] if e["type"] == "tagged"] == ["VIP"]


def test_a_deleted_tag_comes_off_every_conversation_and_the_history_still_names_it(
    vip, api, conversation_id
):
    api(CAT).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip["id"]})
    assert api(ADMIN)("DELETE", f"/tags/{vip['id']}").status_code == 204
    detail = api(CAT).get(f"/conversations/{conversation_id}").json
    assert detail["tags"] == []
    assert [e["tag"] for e in detail["events"] if e["type"] == "tagged"] == ["VIP"]
    assert api(ADMIN).get("/tags").json["items"] == []


def test_only_admins_of_the_account_rename_or_delete_a_tag(vip, api):
    assert_error(api(BOB)("PATCH", f"/tags/{vip['id']}", json={"name": "x"}), 403, "forbidden")
    assert_error(api(BOB)("DELETE", f"/tags/{vip['id']}"), 403, "forbidden")
    assert_error(api(EVE)("PATCH", f"/tags/{vip['id']}", json={"name": "x"}), 404, "not_found")
    assert_error(api(EVE)("DELETE", f"/tags/{vip['id']}"), 404, "not_found")
    assert_error(api(ADMIN)("PATCH", f"/tags/{vip['id']}", json={}), 422, "invalid", "_schema")
    add_tag(api, "Quote")
    r = api(ADMIN)("PATCH", f"/tags/{vip['id']}", json={"name": "QUOTE"})
    assert_error(r, 422, "invalid", "name")
    assert tag_names({"tags": api(ADMIN).get("/tags").json["items"]}) == ["Quote", "VIP"]


# -- the list's filters (SPEC §2.11) --------------------------------------------------------------


@pytest.fixture
def three(acme, world, client, api, vip) -> dict[str, int]:
    """Three open conversations: two on Main line (one tagged VIP and claimed by Bob, one read
    by Bob), one on Second line; all unclaimed but the first."""
    world.number("Acme Plumbing", OTHER_NUM, label="Second line", sms_users=[BOB])
    text_in(client, "+15005550111", NUM, "Tagged and claimed")
    text_in(client, "+15005550112", NUM, "Read already")
    text_in(client, "+15005550113", OTHER_NUM, "On the second line")
    ids = {c["last_message_preview"]: c["id"] for c in api(BOB).tab("active")}
    tagged, read = ids["Tagged and claimed"], ids["Read already"]
    api(BOB).post(f"/conversations/{tagged}/claim")
    api(BOB).post(f"/conversations/{tagged}/tags", json={"tag_id": vip["id"]})
    api(BOB).get(f"/conversations/{read}")  # marks it read
    api(BOB).get(f"/conversations/{tagged}")
    return {"tagged": tagged, "read": read, "second": ids["On the second line"]}


def listed(api, who: str = BOB, **args) -> set[int]:
    r = api(who).get("/conversations", query_string=args)
    assert r.status_code == 200, r.get_json()
    return {c["id"] for c in r.json["items"]}


def test_the_list_is_filtered_by_tag_number_unread_and_mine_together(three, api, vip):
    everything = set(three.values())
    assert listed(api) == everything
    assert listed(api, tag=vip["id"]) == {three["tagged"]}
    assert listed(api, number=NUM) == {three["tagged"], three["read"]}
    assert listed(api, number="(500) 555-0102") == {three["second"]}
    assert listed(api, number="5005550102") == {three["second"]}
    assert listed(api, unread="1") == {three["second"]}
    assert listed(api, mine="1") == {three["tagged"]}
    assert listed(api, mine="1", number=OTHER_NUM) == set()
    assert listed(api, tag=vip["id"], number=NUM, mine="1") == {three["tagged"]}
    assert listed(api, tag=vip["id"], tab="team") == set()
    assert listed(api, CAT, tag=vip["id"], tab="team") == {three["tagged"]}


@pytest.mark.parametrize(
    "args, field",
    [
        ({"tag": "x"}, "tag"),
        ({"tag": "999999"}, "tag"),
        ({"tag": str(2**31)}, "tag"),
        ({"number": "not a number"}, "number"),
        ({"number": "+15005550199"}, "number"),  # a number, but not one of the account's
        ({"number": ""}, "number"),
        ({"unread": "yes"}, "unread"),
        ({"mine": "2"}, "mine"),
    ],
)
def test_a_filter_that_names_nothing_of_yours_is_422_naming_it(three, api, args, field):
    assert_error(api(BOB).get("/conversations", query_string=args), 422, "invalid", field)


def test_another_accounts_tag_and_number_filter_nothing_there(three, world, api):
    world.number("Other Co", "+15005550177", sms_users=[EVE], label="Theirs")
    theirs = add_tag(api, "Theirs", who=EVE)["id"]
    assert_error(api(BOB).get("/conversations", query_string={"tag": theirs}), 422, "invalid")
    r = api(BOB).get("/conversations", query_string={"number": "+15005550177"})
    assert_error(r, 422, "invalid", "number")
    r = api(CAT).get("/conversations", query_string={"number": OTHER_NUM})
    assert_error(r, 422, "invalid", "number")  # Cat is no SMS user of Second line
    assert listed(api, EVE) == set()


def test_a_customers_first_text_has_no_tags(acme, client, api):
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api(BOB).tab("active")
    assert item["tags"] == []
