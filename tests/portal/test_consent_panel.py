"""The thread's consent panel, the "possible opt-out request" banner and its one-click opt-out."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ConsentEvent, Message
from tests.support import CUSTOMER, NUM, text_in


def open_thread(browser, api, email="bob@acme.test"):
    (item,) = api(email).tab("active")
    return browser(email), item["id"]


def test_a_request_to_stop_in_words_shows_a_banner_and_one_click_opts_out(
    app, acme, client, browser, api
):
    text_in(client, CUSTOMER, NUM, "Hi")
    text_in(client, CUSTOMER, NUM, "please stop texting me")
    bob, cid = open_thread(browser, api)
    page = bob.get(f"/conversations/{cid}").text
    assert "Possible opt-out request" in page
    assert "please stop texting me" in page
    page = bob.post(f"/conversations/{cid}/opt-out").text
    assert "The contact is opted out and was told so." in page
    assert "Possible opt-out request" not in page
    assert "Contact opted out" in page
    assert "The contact has opted out of texts from this number." in page, "composer says why"
    assert "Opted out by staff (Bob Tester)" in page, "the ledger names who did it"
    with app.app_context():
        event = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
        assert (event.state, event.source, event.user.email) == (
            "opted_out",
            "admin",
            "bob@acme.test",
        )
        last = db.session.scalars(select(Message).order_by(Message.id.desc())).first()
        assert (last.purpose, last.status) == ("opt_out", "delivered")
    page = bob.post(f"/conversations/{cid}/opt-out").text
    assert "already opted out" in page


@pytest.mark.parametrize("body", ["unsubscribe me please", "please stop texting me"])
def test_a_first_text_asking_to_stop_shows_the_banner(app, acme, client, browser, api, body):
    text_in(client, CUSTOMER, NUM, body)
    bob, cid = open_thread(browser, api)
    page = bob.get(f"/conversations/{cid}").text
    assert "Possible opt-out request" in page
    assert body in page


def test_a_request_answered_by_opting_out_and_back_in_shows_no_banner(
    app, acme, client, browser, api
):
    text_in(client, CUSTOMER, NUM, "Hi")
    text_in(client, CUSTOMER, NUM, "please stop texting me")
    text_in(client, CUSTOMER, NUM, "STOP")
    text_in(client, CUSTOMER, NUM, "START")
    bob, cid = open_thread(browser, api)
    assert "Possible opt-out request" not in bob.get(f"/conversations/{cid}").text
    text_in(client, CUSTOMER, NUM, "no more texts please")
    page = bob.get(f"/conversations/{cid}").text
    assert "Possible opt-out request" in page
    assert "no more texts please" in page


def test_no_banner_for_ordinary_texts(app, acme, client, browser, api):
    text_in(client, CUSTOMER, NUM, "don't stop, the leak is worse")
    bob, cid = open_thread(browser, api)
    page = bob.get(f"/conversations/{cid}").text
    assert "Possible opt-out request" not in page
    assert "Opted in" in page


def test_keyword_opt_out_disables_the_composer_with_the_reason(app, acme, client, browser, api):
    text_in(client, CUSTOMER, NUM, "Hi")
    bob, cid = open_thread(browser, api)
    bob.post(f"/conversations/{cid}/claim")
    text_in(client, CUSTOMER, NUM, "stop")
    page = bob.get(f"/conversations/{cid}").text
    assert "The contact has opted out of texts from this number." in page
    assert re.search(r'<textarea id="body"[^>]*\bdisabled\b', page), "composer disabled"
    assert "Keyword" in page and "stop" in page
