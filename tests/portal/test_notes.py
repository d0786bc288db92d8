"""Notes in the portal's thread: added from the composer's form, drawn unlike texts, never sent
nor counted as a text (SPEC §2.10)."""

import re
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import Conversation, Note, User
from app.services import reports
from tests.support import CUSTOMER, NUM, count, text_in
from tests.support.sql import statements


def user_id(app, email: str) -> int:
    with app.app_context():
        return User.by_email(email).id


def timeline(page: str) -> str:
    return re.search(r'<ol class="timeline" id="timeline".*?</ol>', page, re.S).group(0)


def test_a_note_shows_in_the_thread_with_its_mention_marked(app, acme, browser, conversation_id):
    bob = browser("bob@acme.test")
    dan = user_id(app, "dan@acme.test")
    page = bob.post(
        f"/conversations/{conversation_id}/notes",
        body="@Dan Tester can you call them?\r\nThey prefer mornings.",
        mentions=str(dan),
    ).text
    assert "Note added." in page
    thread = timeline(page)
    note = re.search(r'<li class="note".*?</li>', thread, re.S).group(0)
    assert "Internal note by Bob Tester" in note
    assert '<mark class="mention">@Dan Tester</mark> can you call them?\nThey prefer' in note
    assert "Bob Tester added Dan Tester" in thread
    assert thread.index("Hi, my sink is leaking") < thread.index("can you call them?")
    assert "status-" not in note and "segment" not in note, "no delivery state, no count"


def test_a_note_can_be_added_where_no_text_can_be_sent(app, acme, browser, api, conversation_id):
    api("bob@acme.test").post(f"/conversations/{conversation_id}/claim")
    cat = browser("cat@acme.test")  # an SMS user of the number, not the claimer
    page = cat.get(f"/conversations/{conversation_id}").text
    assert re.search(r'<textarea id="body"[^>]*\bdisabled\b', page), "Cat cannot text"
    assert 'data-note-action="/conversations/' in page, "the composer's note mode"
    assert re.search(r"<noscript>\s*<form[^>]*/notes", page), "and a note form without scripts"
    page = cat.post(f"/conversations/{conversation_id}/notes", body="Bob has this one.").text
    assert "Note added." in page and "Bob has this one." in timeline(page)


def test_a_bad_note_is_refused_with_the_reason(app, acme, browser, conversation_id):
    bob = browser("bob@acme.test")
    page = bob.post(f"/conversations/{conversation_id}/notes", body="   ").text
    assert "body: Write a note." in page
    page = bob.post(f"/conversations/{conversation_id}/notes", body="hi", mentions="x").text
    assert "mentions:" in page and "Note added." not in page


def test_a_note_is_html_escaped(app, acme, browser, conversation_id):
    bob = browser("bob@acme.test")
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    page = bob.post(f"/conversations/{conversation_id}/notes", body=payload).text
    assert payload not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x" in timeline(page)


def test_the_teammates_to_mention_are_in_the_page_as_data(app, acme, browser, world, api):
    world.user("Acme Plumbing", "zed@acme.test", first="</script><b>Zed")
    text_in(browser("bob@acme.test").client, CUSTOMER, NUM, "Hello")
    (item,) = api("bob@acme.test").tab("active")
    page = browser("bob@acme.test").get(f"/conversations/{item['id']}").text
    island = re.search(
        r'<script type="application/json" id="mentionable">(.*?)</script>', page, re.S
    ).group(1)
    assert '"label": "Bob Tester"' in island and '"detail": "bob@acme.test"' in island
    assert "\\u003c/script\\u003e\\u003cb\\u003eZed Tester" in island, "names escaped"


def test_a_note_is_not_a_text_anywhere(app, acme, client, browser, api, conversation_id):
    def counts():
        with app.app_context():
            admin = User.by_email("admin@acme.test")
            today = date.today()
            summary = reports.report(admin, today - timedelta(days=1), today).summary
            preview = db.session.get(Conversation, conversation_id).last_message_preview
            return summary, preview

    before = counts()
    page = browser("bob@acme.test").post(
        f"/conversations/{conversation_id}/notes", body="Secret: the customer owes us"
    )
    assert "Note added." in page.text
    assert counts() == before
    phone = client.get("/dev/phone/thread", query_string={"phone": CUSTOMER, "number": NUM}).text
    assert "Welcome to Acme Plumbing!" in phone and "Secret" not in phone
    (item,) = api("bob@acme.test").tab("active")
    assert "Secret" not in item["last_message_preview"]
    assert "Secret" not in browser("cat@acme.test").get("/conversations").text, "not in the list"


def test_the_thread_reads_its_notes_in_a_fixed_number_of_statements(
    app, acme, browser, api, conversation_id
):
    bob = browser("bob@acme.test")
    url = f"/conversations/{conversation_id}"
    people = [user_id(app, e) for e in ("cat@acme.test", "dan@acme.test", "ivy@acme.test")]
    mentions = " ".join(f"@{n}" for n in ("Cat Tester", "Dan Tester", "Ivy Tester"))

    def add_notes(how_many: int) -> None:
        for i in range(how_many):
            body = f"note {i} {mentions}"
            r = api("bob@acme.test").post(f"{url}/notes", json={"body": body, "mentions": people})
            assert r.status_code == 201

    def read() -> tuple[str, list]:
        bob.get(url)
        with statements(app) as seen:
            page = bob.get(url).text
        return page, seen

    add_notes(1)
    page, few = read()
    assert page.count('<li class="note"') == 1
    add_notes(5)
    page, many = read()
    assert page.count('<li class="note"') == 6 and page.count('class="mention"') == 18
    assert len(many) == len(few), (few, many)


@pytest.mark.parametrize(
    ("body", "mentions", "field"),
    [
        ("hi", ["99999999999999999999"], "mentions"),
        ("hi", ["2147483648"], "mentions"),
        ("hi", ["²"], "mentions"),
        ("hi", ["-1"], "mentions"),
        ("hi", ["0"], "mentions"),
        ("hi", ["1.5"], "mentions"),
        ("hi", ["2147483647"], "mentions"),
        ("a\x00b", [], "body"),
        ("x" * 1601, [], "body"),
    ],
)
def test_bad_note_forms_are_refused_on_the_thread_naming_the_field(
    app, acme, browser, conversation_id, body, mentions, field
):
    r = browser("bob@acme.test").post(
        f"/conversations/{conversation_id}/notes", body=body, mentions=mentions
    )
    assert r.status_code == 200, r.text
    assert f"{field}: " in r.text and "Note added." not in r.text
    assert count(app, Note) == 0


def test_a_note_on_a_conversation_one_may_not_see_is_404(app, acme, browser, conversation_id):
    r = browser("dan@acme.test").post(f"/conversations/{conversation_id}/notes", body="hello")
    assert r.status_code == 404
    assert count(app, Note) == 0
