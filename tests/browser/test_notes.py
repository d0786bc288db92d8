"""The composer's Note mode in Chromium, keyboard only: the shortcut, the @ picker, the note in
the thread with its mention; and a hostile note rendered as text (SPEC §2.10)."""

import re

import pytest
from playwright.sync_api import expect

from tests.support import CUSTOMER, NUM, text_in

SIZES = [(1280, 800), (375, 812)]


@pytest.fixture
def opened(acme, api, client, live_server, open_as):
    """`opened(width, height)`: Bob's page on a conversation he claimed, Ann a teammate too."""
    acme.user("Acme Plumbing", "ann@acme.test", first="Ann")
    text_in(client, CUSTOMER, NUM, "Can you quote for a new sink?")
    (item,) = api("bob@acme.test").tab("active")
    assert api("bob@acme.test").post(f"/conversations/{item['id']}/claim").status_code == 200

    def opened(width: int, height: int):
        page = open_as("bob@acme.test", width=width, height=height)
        page.goto(f"{live_server}/conversations/{item['id']}")
        return page

    return opened


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_a_note_with_a_mention_by_keyboard_only(opened, width, height):
    page = opened(width, height)
    body = page.locator("#body")
    in_view = "(() => { const r = document.getElementById('composer').getBoundingClientRect();"
    in_view += " return r.top >= 0 && r.bottom <= innerHeight; })()"
    assert page.evaluate(in_view), "the composer is in view as the thread opens"
    page.keyboard.press("Control+Alt+n")
    expect(body).to_be_focused()
    expect(page.locator("#mode-note")).to_be_checked()
    expect(page.locator("#composer button", has_text="Add note")).to_be_visible()
    expect(page.locator("#body-count")).to_be_hidden()
    expect(body).to_have_attribute("placeholder", re.compile("seen only by your team"))

    page.keyboard.type("@an")
    listbox = page.get_by_role("listbox", name="Mention a teammate")
    expect(listbox.get_by_role("option")).to_have_text(
        [re.compile("^Ann Tester"), re.compile("^Dan Tester")]
    )
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(body).to_have_value("@Dan Tester ")
    page.keyboard.type("can you quote? Back in @an")
    page.keyboard.press("Escape")  # "@an" stays a word: Ann was not picked
    page.keyboard.press("Enter")

    expect(page.locator("#action-status")).to_have_text("Note added.")
    note = page.locator("#timeline .note").last
    expect(note).to_contain_text("@Dan Tester can you quote? Back in @an")
    expect(note.locator("mark.mention")).to_have_text(["@Dan Tester"])
    expect(page.locator(".thread-head")).to_contain_text("Participants: Dan Tester")
    expect(page.locator("#timeline")).to_contain_text("Bob Tester added Dan Tester")
    assert page.evaluate("document.body.scrollWidth <= innerWidth")


def test_the_shortcut_switches_back_and_a_mention_deleted_is_not_sent(opened):
    page = opened(1280, 800)
    body = page.locator("#body")
    page.keyboard.press("Control+Alt+n")
    page.keyboard.type("@dan")
    page.keyboard.press("Enter")
    expect(body).to_have_value("@Dan Tester ")
    page.keyboard.press("Control+a")
    page.keyboard.type("never mind")
    page.keyboard.press("Control+Alt+n")
    expect(page.locator("#mode-text")).to_be_checked()
    expect(page.locator("#body-count")).to_be_visible()
    page.keyboard.type("@da")
    expect(page.get_by_role("listbox", name="Mention a teammate")).to_be_hidden()
    page.keyboard.press("Control+a")
    page.keyboard.type("Noted")
    page.keyboard.press("Control+Alt+n")
    page.keyboard.press("Enter")
    expect(page.locator("#action-status")).to_have_text("Note added.")
    expect(page.locator(".thread-head")).not_to_contain_text("Participants")


def test_a_hostile_note_renders_as_text(opened):
    page = opened(1280, 800)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    attack = '<img src=x onerror=alert(1)><script>alert("note")</script>'
    page.keyboard.press("Control+Alt+n")
    page.keyboard.type(attack)
    page.keyboard.press("Enter")
    expect(page.locator("#action-status")).to_have_text("Note added.")
    expect(page.locator("#timeline .note .body").last).to_have_text(attack)
    assert page.locator("#thread img").count() == 0
    assert dialogs == []


def test_a_note_can_be_written_where_no_text_can_be_sent(acme, api, client, live_server, open_as):
    text_in(client, CUSTOMER, NUM, "Hello?")
    (item,) = api("bob@acme.test").tab("active")
    api("bob@acme.test").post(f"/conversations/{item['id']}/claim")
    page = open_as("cat@acme.test")  # not the claimer: cannot text
    page.goto(f"{live_server}/conversations/{item['id']}")
    body = page.locator("#body")
    expect(body).to_be_disabled()
    page.keyboard.press("Control+Alt+n")
    expect(body).to_be_enabled()
    expect(body).to_be_focused()
    page.keyboard.type("Bob is on it")
    page.keyboard.press("Control+Alt+n")
    expect(body).to_be_disabled()
    expect(page.locator("#composer-reason")).to_be_visible()
    page.keyboard.press("Control+Alt+n")
    expect(body).to_have_value("Bob is on it")
    page.keyboard.press("Enter")
    expect(page.locator("#action-status")).to_have_text("Note added.")
    expect(page.locator("#timeline .note").last).to_contain_text("Bob is on it")


def test_note_mode_and_its_draft_outlive_a_live_redraw(acme, api, client, live_server, open_as):
    text_in(client, CUSTOMER, NUM, "Hello?")
    (item,) = api("bob@acme.test").tab("active")
    api("bob@acme.test").post(f"/conversations/{item['id']}/claim")
    page = open_as("cat@acme.test")  # cannot text: Text mode draws the box disabled
    page.goto(f"{live_server}/conversations/{item['id']}")
    page.keyboard.press("Control+Alt+n")
    page.keyboard.type("Half a note @da")
    page.keyboard.press("Enter")
    text_in(client, CUSTOMER, NUM, "Anyone there?")
    expect(page.locator("#timeline")).to_contain_text("Anyone there?")
    body = page.locator("#body")
    expect(page.locator("#mode-note")).to_be_checked()
    expect(body).to_be_enabled()
    expect(body).to_be_focused()
    expect(body).to_have_value("Half a note @Dan Tester ")
    page.keyboard.type("please")
    page.keyboard.press("Enter")
    expect(page.locator("#action-status")).to_have_text("Note added.")
    expect(page.locator("#timeline .note mark.mention")).to_have_text(["@Dan Tester"])
