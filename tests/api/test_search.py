"""Search over the JSON API (SPEC §2.11, §3 `q`), the same on SQLite (FTS5) and PostgreSQL
(full-text and trigram indexes): a phone in any format or 4+ of its digits, part of a name, words
of texts and notes; among the conversations the caller sees, in every tab; hostile input is text,
never a 500 and never a match across accounts."""

import pytest

from app.services import search
from tests.support import CUSTOMER, NUM, text_in
from tests.support.sql import statements

ADMIN, BOB, CAT, DAN, EVE = (
    "admin@acme.test",
    "bob@acme.test",
    "cat@acme.test",
    "dan@acme.test",
    "eve@other.test",
)
THEIRS = "+15005550177"


def found(api, q, who: str = BOB, **args) -> list[str]:
    """The previews of what a search finds, newest first."""
    r = api(who).get("/conversations", query_string={"q": q, **args})
    assert r.status_code == 200, r.get_json()
    return [c["last_message_preview"] for c in r.json["items"]]


def assert_error(r, status: int, code: str, field: str) -> None:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.json["error"]["code"] == code and field in r.json["error"]["fields"]


@pytest.fixture
def texts(acme, world, client, api) -> dict[str, int]:
    """Wendy (CUSTOMER) on Main line: an old closed conversation about a leaking sink, and an
    open one; Tom about a water heater, with a note; Other Co's contact says the same words."""
    world.number("Other Co", THEIRS, sms_users=[EVE], label="Theirs")
    text_in(client, CUSTOMER, NUM, "My kitchen sink is leaking badly")
    (old,) = api(BOB).tab("active")
    api(BOB).post(f"/conversations/{old['id']}/claim")
    api(BOB).post(f"/conversations/{old['id']}/messages", json={"body": "We fixed the drain."})
    api(BOB).post(f"/conversations/{old['id']}/close")
    text_in(client, CUSTOMER, NUM, "Thanks again, all good now")
    text_in(client, "+15005550123", NUM, "Do you install water heaters?")
    text_in(client, "+15005550199", THEIRS, "My kitchen sink is leaking badly")
    ids = {c["last_message_preview"]: c["id"] for c in api(BOB).tab("active")}
    heater = ids["Do you install water heaters?"]
    api(BOB).post(f"/conversations/{heater}/notes", json={"body": "Ask about the gas valve"})
    api(BOB)(
        "PATCH",
        f"/contacts/{api(BOB).get(f'/conversations/{heater}').json['contact']['id']}",
        json={"name": "Tom O'Brien-Smith"},
    )
    return {"old": old["id"], "open": ids["Thanks again, all good now"], "heater": heater}


def test_a_word_of_an_old_text_finds_its_closed_conversation(texts, api):
    r = api(BOB).get("/conversations", query_string={"q": "sink"})
    (item,) = r.json["items"]
    assert item["id"] == texts["old"] and item["status"] == "closed"
    match = item["match"]
    assert match["kind"] == "text" and match["excerpt"] == "My kitchen sink is leaking badly"
    assert [match["excerpt"][s:e] for s, e in match["marks"]] == ["sink"]


def test_words_are_matched_by_their_stems_and_all_of_them(texts, api):
    assert found(api, "leak") == ["We fixed the drain."]
    assert found(api, "LEAKING Sink") == ["We fixed the drain."]
    assert found(api, "sink heaters") == []
    assert found(api, "drains") == ["We fixed the drain."]  # the business's own texts too


def test_a_word_of_a_note_finds_its_conversation(texts, api):
    r = api(CAT).get("/conversations", query_string={"q": "valve"})
    (item,) = r.json["items"]
    assert item["id"] == texts["heater"] and item["match"]["kind"] == "note"


@pytest.mark.parametrize(
    "q", ["(500) 555-0199", "5005550199", "+15005550199", "+1 500 555 0199", "0199", "5550199"]
)
def test_a_phone_is_found_in_any_format_or_by_four_of_its_digits(texts, api, q):
    assert found(api, q) == ["Thanks again, all good now", "We fixed the drain."]
    r = api(BOB).get("/conversations", query_string={"q": q})
    match = r.json["items"][0]["match"]
    marked = "".join(match["excerpt"][s:e] for s, e in match["marks"])
    assert match["kind"] == "phone" and marked.replace(" ", "").replace("-", "").endswith("0199")


def test_three_digits_are_not_a_phone(texts, api):
    assert found(api, "199") == []


@pytest.mark.parametrize("q", ["tom", "BRIEN-S", "o'brien", "Tom O"])
def test_part_of_a_name_finds_the_contacts_conversations(texts, api, q):
    r = api(BOB).get("/conversations", query_string={"q": q})
    (item,) = r.json["items"]
    assert item["id"] == texts["heater"] and item["match"]["kind"] == "name"


def test_a_search_finds_only_what_the_caller_sees(texts, api):
    assert found(api, "sink", DAN) == []  # no SMS user of Main line
    assert found(api, "sink", EVE) == ["My kitchen sink is leaking badly"]  # their own only
    assert found(api, "0199", EVE) == ["My kitchen sink is leaking badly"]
    assert found(api, "valve", EVE) == [] and found(api, "tom", EVE) == []


def test_a_search_keeps_to_a_tab_and_the_filters_when_asked(texts, api):
    assert found(api, "0199", tab="closed") == ["We fixed the drain."]
    assert found(api, "0199", tab="active") == ["Thanks again, all good now"]
    api(BOB).post(f"/conversations/{texts['open']}/claim")
    both = ["Thanks again, all good now", "We fixed the drain."]
    assert found(api, "0199", mine="1") == both  # Bob had claimed the closed one too
    assert found(api, "0199", mine="1", tab="active") == ["Thanks again, all good now"]
    api(BOB).get(f"/conversations/{texts['open']}")  # read
    assert found(api, "0199", unread="1") == ["We fixed the drain."]
    tag = api(ADMIN).post("/tags", json={"name": "Plumbing"}).json["id"]
    api(BOB).post(f"/conversations/{texts['open']}/tags", json={"tag_id": tag})
    assert found(api, "0199", tag=str(tag)) == ["Thanks again, all good now"]
    assert found(api, "0199", number=THEIRS, who=EVE) == ["My kitchen sink is leaking badly"]


@pytest.mark.parametrize(
    "q",
    [
        "!!!",
        "%",
        "_",
        "'",
        "\\",
        "&|!:*()",
        "sink & !leak",
        "sink:*",
        '"sink',
        "NEAR(sink leak)",
        "sink OR heaters",
        "*",
        "-sink",
        "sink AND",
        "' OR 1=1 --",
        "%_%",
        "é中文",
        "a" * 200,
    ],
)
def test_hostile_queries_are_text_never_a_500_nor_everything(texts, api, q):
    r = api(BOB).get("/conversations", query_string={"q": q})
    assert r.status_code == 200, r.get_data(as_text=True)
    for item in r.json["items"]:  # the words that are words still count, no more
        assert "sink" in q.lower() and item["id"] == texts["old"]


@pytest.mark.parametrize("q, why", [("", "Type something"), ("   ", "Type something")])
def test_an_empty_query_is_422_naming_q(texts, api, q, why):
    r = api(BOB).get("/conversations", query_string={"q": q})
    assert_error(r, 422, "invalid", "q")
    assert why in r.json["error"]["fields"]["q"][0]


def test_a_query_of_1000_characters_is_422_naming_q(texts, api):
    assert_error(
        api(BOB).get("/conversations", query_string={"q": "x" * 1000}), 422, "invalid", "q"
    )


def test_a_query_with_a_nul_is_422_naming_q(texts, api):
    assert_error(
        api(BOB).get("/conversations", query_string={"q": "sink\x00"}), 422, "invalid", "q"
    )


def test_results_come_a_page_at_a_time_newest_first(acme, client, api, app):
    app.config["API_PAGE_SIZE"] = 2
    try:
        for i in range(5):
            text_in(client, f"+1500555{3000 + i}", NUM, f"Leaking pipe number {i}")
        seen, cursor = [], None
        while True:
            args = {"q": "pipe", **({"cursor": cursor} if cursor else {})}
            r = api(BOB).get("/conversations", query_string=args)
            seen += [c["last_message_preview"] for c in r.json["items"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
    finally:
        app.config["API_PAGE_SIZE"] = 50
    assert seen == [f"Leaking pipe number {i}" for i in reversed(range(5))]


def test_a_search_costs_the_same_statements_for_one_result_or_many(acme, client, api, app):
    def searched(q: str) -> list[str]:
        with statements(app) as seen:
            assert api(BOB).get("/conversations", query_string={"q": q}).status_code == 200
        return [s for s in seen if s == "SELECT"]

    text_in(client, CUSTOMER, NUM, "The boiler is leaking")
    one_word, one_phone = searched("boiler"), searched("0199")
    for i in range(8):
        text_in(client, f"+1500555{4000 + i}", NUM, f"Our boiler {i} is leaking")
    assert searched("boiler") == one_word
    assert searched("5554") == one_phone
    # The token and its user; the index of words asked for the texts and the notes, then the
    # texts and names searched (no note has the word; a phone: the phones searched); the page,
    # its tags and its participants; the unread marks; the newest texts matched.
    assert (len(one_word), len(one_phone)) == (WORD_SEARCH, PHONE_SEARCH)


WORD_SEARCH, PHONE_SEARCH = 11, 7


def test_a_common_word_is_found_as_a_rare_one_is(acme, client, api, monkeypatch):
    for i in range(4):
        text_in(client, f"+1500555{5000 + i}", NUM, f"Leaking pipe number {i}")
    rare = found(api, "pipe")
    monkeypatch.setattr(search, "PROBE", 2)  # four texts are now more than a rare word has
    assert found(api, "pipe") == rare == [f"Leaking pipe number {i}" for i in (3, 2, 1, 0)]
