"""Bad input to the portal's live updates and forms: a 4xx (or a refusal on the thread) naming the
field, never a 500, nothing changed (SPEC §5)."""

import pytest

from tests.support import seen_by_admin

ADMIN, BOB = "admin@acme.test", "bob@acme.test"
NOT_IDS = [
    pytest.param("99999999999999999999", id="beyond-int64"),
    pytest.param("2147483648", id="beyond-int32"),
    pytest.param("²", id="superscript-two"),
    pytest.param("abc", id="word"),
    pytest.param("-1", id="negative"),
    pytest.param("0", id="zero"),
    pytest.param("1.5", id="decimal"),
]


@pytest.mark.parametrize("selected", NOT_IDS)
def test_changes_with_a_selected_that_is_no_id_is_422_naming_it(conversation_id, browser, selected):
    r = browser(BOB).client.get(
        "/conversations/changes", query_string={"tab": "active", "selected": selected}
    )
    assert r.status_code == 422, r.text
    assert "selected" in r.text


def test_changes_of_a_conversation_one_cannot_see_still_says_it_is_gone(conversation_id, browser):
    r = browser(BOB).client.get(
        "/conversations/changes", query_string={"tab": "active", "selected": "2147483647"}
    )
    assert r.status_code == 200
    assert "no longer yours to see" in r.json["thread"]


@pytest.mark.parametrize("user_id", NOT_IDS)
@pytest.mark.parametrize("action", ["reassign", "participants"])
def test_a_user_id_that_is_no_id_is_refused_on_the_thread(
    api, conversation_id, browser, action, user_id
):
    assert api(BOB).post(f"/conversations/{conversation_id}/claim").status_code == 200
    before = seen_by_admin(api, conversation_id)
    r = browser(ADMIN).post(f"/conversations/{conversation_id}/{action}", user_id=user_id)
    assert r.status_code == 200, r.text
    assert "user_id" in r.text and "Not a valid id" in r.text
    assert seen_by_admin(api, conversation_id) == before
