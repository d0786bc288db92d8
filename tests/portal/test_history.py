"""A thread's history: the contact's earlier conversations on that number, each shown only to
those who could open it (SPEC §2.3, §2.6)."""

import pytest

from tests.support import CUSTOMER, NUM, text_in


def user_id(api, email: str) -> int:
    (found,) = [
        u["id"] for u in api("admin@acme.test").get("/users").json["items"] if u["email"] == email
    ]
    return found


def visit(client, api, words: str, participant: int | None, close: bool = True) -> int:
    """The customer texts `words`; Bob claims (and brings the participant in); then closes."""
    bob = api("bob@acme.test")
    assert text_in(client, CUSTOMER, NUM, words).status_code == 200
    (item,) = bob.tab("active")
    assert bob.post(f"/conversations/{item['id']}/claim").status_code == 200
    if participant:
        r = bob.post(f"/conversations/{item['id']}/participants", json={"user_id": participant})
        assert r.status_code in (200, 201), r.text
    if close:
        assert bob.post(f"/conversations/{item['id']}/close").status_code == 200
    return item["id"]


@pytest.fixture
def three_visits(acme, client, api) -> int:
    """Three conversations of one customer on Main line: Dan (no SMS user of it) was brought
    into the first and the third, not the second. The third, open, is returned."""
    dan = user_id(api, "dan@acme.test")
    visit(client, api, "First visit: the boiler", dan)
    visit(client, api, "Second visit: my door code is 4711", None)
    return visit(client, api, "Third visit: the sink", dan, close=False)


def test_a_participant_sees_only_the_earlier_conversations_they_could_open(three_visits, browser):
    dan = browser("dan@acme.test")
    page = dan.get(f"/conversations/{three_visits}").text
    assert "Third visit: the sink" in page
    assert "1 earlier conversation with this contact" in page
    assert "First visit: the boiler" in page
    assert "4711" not in page, "the second conversation answers Dan 404: its texts stay hidden"


@pytest.mark.parametrize("email", ["bob@acme.test", "admin@acme.test"])
def test_an_sms_user_of_the_number_and_an_admin_see_every_earlier_conversation(
    three_visits, browser, email
):
    page = browser(email).get(f"/conversations/{three_visits}").text
    assert "2 earlier conversations with this contact" in page
    assert "First visit: the boiler" in page
    assert "Second visit: my door code is 4711" in page


def test_the_live_update_of_the_thread_keeps_the_same_history(three_visits, browser):
    dan = browser("dan@acme.test")
    answer = dan.client.get(f"/conversations/changes?selected={three_visits}").json
    assert "First visit: the boiler" in answer["thread"]
    assert "4711" not in answer["thread"]
