"""The portal's New text page: the inbox's button, the form, the thread it leads to, and a refusal
that keeps the draft with each field's message."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import ConsentEvent, Message
from tests.support import NUM, count, sent_to, text_in

PAGE = "/conversations/new"
MOBILE = "+15550100123"  # fictional (area code 555): the simulated carrier takes it
DRAFT = {"from": NUM, "to": "(555) 010-0123", "body": "Hi, Bob from Acme here."}


def test_the_inbox_offers_new_text_and_the_page_offers_the_visible_active_numbers(
    app, acme, browser
):
    acme.number("Acme Plumbing", "+15005550102", active=False, label="Spare line")
    inbox = browser("bob@acme.test").get("/conversations").text
    assert f'href="{PAGE}"' in inbox and ">New text</a>" in inbox
    page = browser("bob@acme.test").get(PAGE).text
    assert re.search(rf'<option value="\{NUM}"[^>]*>Main line · \(500\) 555-0101</option>', page)
    assert "Spare line" not in page, "SMS is off on it"
    assert 'type="tel"' in page and 'autocomplete="off"' in page
    assert "Mobile number, e.g. (555) 010-0123" in page
    assert 'data-segments="body-count"' in page
    assert "followed by the line “Reply STOP to opt out.”" in page
    assert "This person asked us to text them" in page


def test_without_a_number_to_text_from_the_page_says_why_and_has_no_form(app, acme, browser):
    page = browser("dan@acme.test").get(PAGE).text
    assert "You have no number to text from" in page
    assert "Ask an admin to make you an SMS user of one." in page
    assert '<form method="post" novalidate' not in page


def test_sending_opens_the_thread_claimed_by_the_sender_with_the_text(app, acme, browser):
    r = browser("bob@acme.test").post(PAGE, **DRAFT, consent="on")
    assert r.status_code == 200
    assert re.search(r"/conversations/\d+$", r.request.path)
    page = r.text
    assert "Text sent. The conversation is yours." in page
    assert "Claimed by Bob Tester" in page
    assert "Hi, Bob from Acme here.\n\nReply STOP to opt out." in page
    assert sent_to(app, MOBILE) == ["Hi, Bob from Acme here.\n\nReply STOP to opt out."]
    with app.app_context():
        (event,) = db.session.scalars(select(ConsentEvent)).all()
        assert (event.source, event.user.email) == ("agent", "bob@acme.test")


def test_a_refusal_shows_the_page_again_with_the_draft_and_each_fields_message(app, acme, browser):
    bob = browser("bob@acme.test")
    r = bob.post(PAGE, **{**DRAFT, "to": "+44 20 7946 0000"})
    assert r.status_code == 422
    assert "That is a landline. Enter a mobile number" in r.text
    assert 'value="+44 20 7946 0000"' in r.text
    assert ">Hi, Bob from Acme here.</textarea>" in r.text
    r = bob.post(PAGE, **DRAFT)
    assert r.status_code == 422
    assert re.search(r'id="consent-error">Tick that this person asked you to text them.<', r.text)
    assert 'value="(555) 010-0123"' in r.text
    r = bob.post(PAGE, **{**DRAFT, "body": ""}, consent="on")
    assert r.status_code == 422
    assert 'id="body-error">Write a text to send.<' in r.text
    assert "checked" in re.search(r'<input[^>]*id="consent"[^>]*>', r.text).group(0)
    assert count(app, Message) == 0


def test_an_opted_out_person_is_refused_with_409_and_the_draft_kept(app, acme, client, browser):
    text_in(client, MOBILE, NUM, "STOP")
    r = browser("bob@acme.test").post(PAGE, **DRAFT, consent="on")
    assert r.status_code == 409
    assert "This person has opted out of texts from this number." in r.text
    assert ">Hi, Bob from Acme here.</textarea>" in r.text
    (confirmation,) = sent_to(app, MOBILE)
    assert confirmation.startswith("Your request to unsubscribe")
