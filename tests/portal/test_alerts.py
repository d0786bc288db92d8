"""An open portal is told of each new text its user would be notified of (SPEC §2.6, §2.5): the
live update carries them, and only them."""

import json
import re

from app.extensions import db
from app.models import User
from tests.support import CUSTOMER, NUM, text_in

BOB, CAT, DAN = "bob@acme.test", "cat@acme.test", "dan@acme.test"


def stamp(browser_) -> str:
    page = browser_.get("/conversations").text
    return re.search(r'data-since="([^"]*)"', page)[1]


def alerts(browser_, since: str) -> list[dict]:
    r = browser_.client.get("/conversations/changes", query_string={"since": since})
    return json.loads(r.text)["alerts"] if r.status_code == 200 else []


def test_a_new_text_is_told_to_the_numbers_sms_users_while_unclaimed(acme, client, browser):
    bob, dan = browser(BOB), browser(DAN)
    before_bob, before_dan = stamp(bob), stamp(dan)
    long = "My kitchen sink is leaking under the cabinet and the floor is getting wet " * 3
    text_in(client, CUSTOMER, NUM, long)
    (told,) = alerts(bob, before_bob)
    assert told["title"] == "New text from (500) 555-0199"
    assert told["body"] == long[:100] + "…"
    assert re.fullmatch(r"/conversations/\d+", told["url"])
    assert alerts(dan, before_dan) == []  # no SMS user of Main line


def test_once_claimed_only_the_claimer_and_participants_are_told(acme, client, api, browser):
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api(BOB).tab("active")
    api(BOB).post(f"/conversations/{item['id']}/claim")
    bob, cat = browser(BOB), browser(CAT)
    before_bob, before_cat = stamp(bob), stamp(cat)
    text_in(client, CUSTOMER, NUM, "Are you coming?")
    assert [a["body"] for a in alerts(bob, before_bob)] == ["Are you coming?"]
    assert alerts(cat, before_cat) == []


def test_a_paused_user_is_told_of_nothing(app, acme, client, browser):
    with app.app_context():
        User.by_email(BOB).notifications_paused = True
        db.session.commit()
    bob = browser(BOB)
    before = stamp(bob)
    text_in(client, CUSTOMER, NUM, "Hello")
    assert alerts(bob, before) == []


def test_a_since_that_is_no_stamp_tells_of_nothing(acme, client, browser):
    bob = browser(BOB)
    text_in(client, CUSTOMER, NUM, "Hello")
    for since in ("garbage", "2026-13-45T99:00:00~abc", "\x00"):
        r = bob.client.get("/conversations/changes", query_string={"since": since})
        assert r.status_code == 200 and json.loads(r.text)["alerts"] == []
