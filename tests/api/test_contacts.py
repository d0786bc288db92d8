"""The API's contacts (SPEC §3): GET and PATCH /contacts/{id}, what each caller may see of one, and
bad input refused with the field at fault."""

import pytest

from tests.support import CUSTOMER, NUM, text_in

ADMIN, BOB, CAT, DAN, EVE = (
    "admin@acme.test",
    "bob@acme.test",
    "cat@acme.test",
    "dan@acme.test",
    "eve@other.test",
)
SIDE = "+15005550102"  # Cat's number only


def patch(caller, contact_id: int, payload=None, **kw):
    return caller("PATCH", f"/contacts/{contact_id}", json=payload, **kw)


@pytest.fixture
def contact_id(api, conversation_id) -> int:
    return api(BOB).get(f"/conversations/{conversation_id}").json["contact"]["id"]


def test_conversation_items_name_their_contact_by_id(api, conversation_id, contact_id):
    (item,) = api(BOB).tab("active")
    assert item["contact"] == {"id": contact_id, "phone": CUSTOMER, "name": None}


def test_get_a_contact_with_its_conversations_and_consent(api, conversation_id, contact_id):
    r = api(BOB).get(f"/contacts/{contact_id}")
    assert r.status_code == 200, r.json
    body = r.json
    assert {k: body[k] for k in ("id", "phone", "name", "notes")} == {
        "id": contact_id,
        "phone": CUSTOMER,
        "name": None,
        "notes": None,
    }
    (conversation,) = body["conversations"]
    assert conversation["id"] == conversation_id
    assert conversation["tracking_number"]["number"] == NUM
    assert conversation["last_message_preview"] == "Hi, my sink is leaking"
    (consent,) = body["consents"]
    assert consent["tracking_number"] == {
        "id": conversation["tracking_number"]["id"],
        "number": NUM,
        "label": "Main line",
    }
    assert consent["state"] == "opted_in"
    assert consent["updated_at"].endswith("Z")


def test_patch_changes_the_name_and_notes_for_everyone(api, conversation_id, contact_id):
    r = patch(api(BOB), contact_id, {"name": "  Wendy Visitor ", "notes": "Gate code 4411."})
    assert r.status_code == 200, r.json
    assert (r.json["name"], r.json["notes"]) == ("Wendy Visitor", "Gate code 4411.")
    assert r.json["conversations"][0]["contact"]["name"] == "Wendy Visitor"
    (item,) = api(CAT).tab("active")
    assert item["contact"]["name"] == "Wendy Visitor"
    r = patch(api(CAT), contact_id, {"name": ""})
    assert (r.status_code, r.json["name"], r.json["notes"]) == (200, None, "Gate code 4411.")
    r = patch(api(CAT), contact_id, {"notes": None})
    assert (r.status_code, r.json["notes"]) == (200, None)


def test_a_number_the_caller_is_no_sms_user_of_is_left_out(acme, client, api, contact_id):
    acme.number("Acme Plumbing", SIDE, sms_users=[CAT], label="Side line")
    text_in(client, CUSTOMER, SIDE, "And the boiler")
    labels = {}
    for who in (BOB, CAT):
        body = api(who).get(f"/contacts/{contact_id}").json
        labels[who] = (
            [c["tracking_number"]["label"] for c in body["conversations"]],
            [pair["tracking_number"]["label"] for pair in body["consents"]],
        )
    assert labels[BOB] == (["Main line"], ["Main line"])
    assert labels[CAT] == (["Side line", "Main line"], ["Main line", "Side line"])


@pytest.mark.parametrize("who", [EVE, DAN])
def test_a_contact_the_caller_may_not_see_is_404_for_get_and_patch(api, contact_id, who):
    for r in (
        api(who).get(f"/contacts/{contact_id}"),
        patch(api(who), contact_id, {"name": "Mallory"}),
    ):
        assert r.status_code == 404
        assert r.json["error"]["code"] == "not_found"
    assert api(ADMIN).get(f"/contacts/{contact_id}").json["name"] is None


def test_a_contact_that_does_not_exist_is_404(api, contact_id):
    assert api(ADMIN).get(f"/contacts/{contact_id + 1}").status_code == 404
    assert api(ADMIN).get("/contacts/2147483648").status_code == 404


BAD = [
    pytest.param({"name": "x" * 121}, "name", id="name-121-chars"),
    pytest.param({"name": "Wendy\nVisitor"}, "name", id="name-line-break"),
    pytest.param({"name": "Wendy\x00"}, "name", id="name-nul"),
    pytest.param({"notes": "x" * 2001}, "notes", id="notes-over-2000"),
    pytest.param({"notes": "a\x00b"}, "notes", id="notes-nul"),
    pytest.param({"name": "Wendy", "phone": "+15005550100"}, "phone", id="unknown-field"),
    pytest.param({}, "_schema", id="empty-body"),
    pytest.param({"name": 5}, "name", id="name-number"),
    pytest.param({"name": ["Wendy"]}, "name", id="name-list"),
    pytest.param({"notes": {"text": "hi"}}, "notes", id="notes-object"),
    pytest.param({"notes": True}, "notes", id="notes-true"),
    pytest.param([{"name": "Wendy"}], "_schema", id="body-array"),
]


@pytest.mark.parametrize("payload, field", BAD)
def test_bad_input_is_422_naming_the_field_and_changes_nothing(api, contact_id, payload, field):
    r = patch(api(BOB), contact_id, payload)
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "invalid"
    assert field in r.json["error"]["fields"], r.json
    after = api(BOB).get(f"/contacts/{contact_id}").json
    assert (after["phone"], after["name"], after["notes"]) == (CUSTOMER, None, None)


def test_a_body_that_is_not_json_is_422(api, contact_id):
    r = api(BOB)(
        "PATCH", f"/contacts/{contact_id}", data="name=Wendy", content_type="application/json"
    )
    assert r.status_code == 422
    assert "_schema" in r.json["error"]["fields"]


def test_a_cookie_session_needs_the_csrf_token_to_patch(app, acme, contact_id, browser):
    bob = browser(BOB)
    r = bob.client.patch(f"/api/v1/contacts/{contact_id}", json={"name": "Wendy"})
    assert r.status_code == 400
    r = bob.client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"name": "Wendy"},
        headers={"X-CSRFToken": bob.token()},
    )
    assert (r.status_code, r.json["name"]) == (200, "Wendy")
