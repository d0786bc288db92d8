"""Live updates: an open portal asks "anything since?" and gets 204, or the list and thread anew."""

from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import Conversation
from tests.support import CUSTOMER, NUM, text_in
from tests.support.sql import statements


def test_nothing_new_is_204_and_a_new_text_redraws_list_and_thread(app, acme, client, browser, api):
    text_in(client, CUSTOMER, NUM, "First text")
    (item,) = api("bob@acme.test").tab("active")
    bob = browser("bob@acme.test")
    url = f"/conversations/changes?tab=active&selected={item['id']}"
    first = bob.client.get(url)
    assert first.status_code == 200
    since = first.json["since"]
    assert "First text" in first.json["list"] and "First text" in first.json["thread"]
    assert bob.client.get(f"{url}&since={since}").status_code == 204
    text_in(client, CUSTOMER, NUM, "Second text")
    again = bob.client.get(f"{url}&since={since}")
    assert again.status_code == 200
    assert "Second text" in again.json["list"] and "Second text" in again.json["thread"]
    assert again.json["since"] > since


def test_a_claim_by_someone_else_is_a_change(app, acme, client, browser, api):
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api("bob@acme.test").tab("active")
    cat = browser("cat@acme.test")
    since = cat.client.get("/conversations/changes?tab=active").json["since"]
    api("bob@acme.test").post(f"/conversations/{item['id']}/claim")
    answer = cat.client.get(f"/conversations/changes?tab=active&since={since}")
    assert answer.status_code == 200
    assert "No conversations here." in answer.json["list"]


def test_a_conversation_one_may_no_longer_see_says_so(app, acme, client, browser, api):
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api("bob@acme.test").tab("active")
    bob = api("bob@acme.test")
    bob.post(f"/conversations/{item['id']}/claim")
    users = {u["email"]: u["id"] for u in bob.get("/users").json["items"]}
    bob.post(f"/conversations/{item['id']}/participants", json={"user_id": users["dan@acme.test"]})
    dan = browser("dan@acme.test")
    bob("DELETE", f"/conversations/{item['id']}/participants/{users['dan@acme.test']}")
    answer = dan.client.get(f"/conversations/changes?tab=active&selected={item['id']}")
    assert "no longer yours to see" in answer.json["thread"]
    assert "Hello" not in answer.json["thread"]


def test_changes_need_a_login(client, acme):
    assert client.get("/conversations/changes").status_code == 302


def test_a_change_that_commits_after_a_later_one_is_not_missed(app, acme, client, browser, api):
    """Two changes at once: the one stamped first commits last, after the page took the stamp."""
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api("bob@acme.test").tab("active")
    bob = browser("bob@acme.test")
    since = bob.client.get("/conversations/changes?tab=active").json["since"]
    with app.app_context():
        latest = db.session.get(Conversation, item["id"]).updated_at
    text_in(client, "+15005550142", NUM, "Are you open today?")
    with app.app_context():  # its stamp: a moment before the latest the page has
        db.session.execute(
            update(Conversation)
            .where(Conversation.id != item["id"])
            .values(updated_at=latest - timedelta(seconds=1))
        )
        db.session.commit()
    answer = bob.client.get(f"/conversations/changes?tab=active&since={since}")
    assert answer.status_code == 200
    assert "Are you open today?" in answer.json["list"]
    # And one more, on the same conversation as the latest, whose earlier stamp wins the row.
    since = answer.json["since"]
    with app.app_context():
        db.session.execute(
            update(Conversation)
            .where(Conversation.id == item["id"])
            .values(updated_at=latest - timedelta(seconds=2))
        )
        db.session.commit()
    again = bob.client.get(f"/conversations/changes?tab=active&since={since}")
    assert again.status_code == 200
    since = again.json["since"]
    assert bob.client.get(f"/conversations/changes?tab=active&since={since}").status_code == 204


def test_an_unchanged_poll_is_204_after_the_login_and_one_indexed_query(
    app, acme, client, browser, api
):
    """What every open portal costs every two seconds while nothing happens: the session's user,
    then the change stamp; no rendering, no other statement (SPEC §5 pins the hot paths)."""
    text_in(client, CUSTOMER, NUM, "First text")
    (item,) = api("bob@acme.test").tab("active")
    bob = browser("bob@acme.test")
    url = f"/conversations/changes?tab=active&selected={item['id']}"
    since = bob.client.get(url).json["since"]
    bob.client.get(f"{url}&since={since}")  # the pool's connection has served once
    with statements(app) as seen:
        answer = bob.client.get(f"{url}&since={since}")
    assert (answer.status_code, answer.data) == (204, b"")
    # The pool's liveness check, the transaction the session opens, the user, the stamp; the
    # request's end hands the connection back.
    assert seen == ["PING", "BEGIN", "SELECT", "SELECT", "ROLLBACK"]
