"""POST /api/v1/conversations (SPEC §3): start a conversation; bad input is 422 naming the field,
with nothing written or sent."""

import pytest

from app.models import Contact, Conversation, Message
from tests.support import NUM, count, sent_to, text_in

BOB, EVE = "bob@acme.test", "eve@other.test"
MOBILE = "+15550100123"  # fictional (area code 555): the simulated carrier takes it
OTHER_NUM = "+15005550301"
START = {"from": NUM, "to": MOBILE, "body": "Hi, this is Bob from Acme.", "consent": True}


def nothing_written(app) -> bool:
    return count(app, Contact) == count(app, Conversation) == count(app, Message) == 0


def test_a_start_is_201_with_the_conversation_claimed_by_the_caller(app, acme, api):
    r = api(BOB).post("/conversations", json=START)
    assert r.status_code == 201, r.json
    item = r.json
    assert item["status"] == "open"
    assert item["claimed_by"]["email"] == BOB
    assert item["contact"]["phone"] == MOBILE
    assert (item["tracking_number"]["number"], item["tracking_number"]["label"]) == (
        NUM,
        "Main line",
    )
    assert item["last_message_preview"].startswith("Hi, this is Bob from Acme.")
    detail = api(BOB).get(f"/conversations/{item['id']}").json
    (message,) = detail["messages"]
    assert message["body"] == "Hi, this is Bob from Acme.\n\nReply STOP to opt out."
    assert message["sent_by"]["email"] == BOB
    assert [e["type"] for e in detail["events"]] == ["claimed"]
    assert item["id"] in api(BOB).tab_ids("active")


def test_an_opted_out_pair_is_409_opted_out(app, acme, api, client):
    text_in(client, MOBILE, NUM, "STOP")
    before = count(app, Message)
    r = api(BOB).post("/conversations", json=START)
    assert r.status_code == 409
    assert r.json["error"]["code"] == "opted_out"
    assert count(app, Message) == before


def test_someone_elses_conversation_is_409_already_claimed(app, acme, api):
    assert api("cat@acme.test").post("/conversations", json=START).status_code == 201
    r = api(BOB).post("/conversations", json={**START, "body": "Me too"})
    assert r.status_code == 409
    assert r.json["error"] == {
        "code": "already_claimed",
        "message": "Already claimed by Cat Tester.",
    }


BAD = [
    pytest.param({}, {"from", "to", "body"}, id="no-fields"),
    pytest.param({k: v for k, v in START.items() if k != "from"}, {"from"}, id="no-from"),
    pytest.param({k: v for k, v in START.items() if k != "to"}, {"to"}, id="no-to"),
    pytest.param({k: v for k, v in START.items() if k != "body"}, {"body"}, id="no-body"),
    pytest.param({**START, "claim": True}, {"claim"}, id="unknown-field"),
    pytest.param({**START, "from_": NUM}, {"from_"}, id="from-by-its-python-name"),
    pytest.param({**START, "from": 15005550101}, {"from"}, id="from-a-number"),
    pytest.param({**START, "from": "+15005550199"}, {"from"}, id="from-not-ours"),
    pytest.param({**START, "from": "x" * 1000}, {"from"}, id="from-1000-chars"),
    pytest.param({**START, "to": "+442079460000"}, {"to"}, id="to-uk-landline"),
    pytest.param({**START, "to": "+19005550123"}, {"to"}, id="to-premium-rate"),
    pytest.param({**START, "to": "+449098790000"}, {"to"}, id="to-uk-premium-rate"),
    pytest.param({**START, "to": "+18005550123"}, {"to"}, id="to-toll-free"),
    pytest.param({**START, "to": "+15005550199"}, {"to"}, id="to-1500-non-geographic"),
    pytest.param({**START, "to": "call me maybe"}, {"to"}, id="to-garbage"),
    pytest.param({**START, "to": "5" * 1000}, {"to"}, id="to-1000-chars"),
    pytest.param({**START, "to": "+1555\x000100123"}, {"to"}, id="to-nul"),
    pytest.param({**START, "to": None}, {"to"}, id="to-null"),
    pytest.param({**START, "body": ""}, {"body"}, id="body-empty"),
    pytest.param({**START, "body": "x" * 1601}, {"body"}, id="body-1601-chars"),
    pytest.param({**START, "body": "x" * 1590}, {"body"}, id="body-no-room-for-the-line"),
    pytest.param({**START, "body": "a\x00b"}, {"body"}, id="body-nul"),
    pytest.param({**START, "consent": "yes"}, {"consent"}, id="consent-yes"),
    pytest.param({**START, "consent": 1}, {"consent"}, id="consent-1"),
    pytest.param({**START, "consent": False}, {"consent"}, id="consent-false"),
    pytest.param({k: v for k, v in START.items() if k != "consent"}, {"consent"}, id="no-consent"),
]


@pytest.mark.parametrize(("body", "fields"), BAD)
def test_bad_input_is_422_naming_the_field_with_nothing_written(app, acme, api, body, fields):
    r = api(BOB).post("/conversations", json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "invalid"
    assert set(r.json["error"]["fields"]) == fields
    assert nothing_written(app)
    assert sent_to(app, MOBILE) == []


@pytest.mark.parametrize(
    ("to", "reason"),
    [
        ("+442079460000", "That is a landline."),
        ("+19005550123", "That is a premium-rate number."),
        ("+18005550123", "That is a toll-free number."),
        ("garbage", "That is not a phone number."),
    ],
)
def test_a_refused_phone_says_what_kind_of_number_it_is(app, acme, api, to, reason):
    r = api(BOB).post("/conversations", json={**START, "to": to})
    assert r.json["error"]["fields"]["to"] == [
        f"{reason} Enter a mobile number, e.g. (555) 010-0123."
    ]


def test_another_accounts_number_is_422_from(app, acme, api):
    acme.number("Other Co", OTHER_NUM, sms_users=[EVE], label="Other line")
    r = api(BOB).post("/conversations", json={**START, "from": OTHER_NUM})
    assert r.status_code == 422
    assert r.json["error"]["fields"] == {"from": ["Not one of the numbers you can text from."]}
    r = api(EVE).post("/conversations", json=START)
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) == {"from"}
    assert nothing_written(app)
    assert api(EVE).post("/conversations", json={**START, "from": OTHER_NUM}).status_code == 201


def test_the_body_is_json_or_422(app, acme, api):
    r = api(BOB).post("/conversations", data="from=me", content_type="text/plain")
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) == {"_schema"}
