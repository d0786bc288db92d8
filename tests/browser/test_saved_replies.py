"""Saved replies in the composer, in Chromium, by keyboard only: `/` and a word, or the button,
opens the picker; the reply goes in filled in, and the counter counts it (SPEC §2.10)."""

import io

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Contact, User
from app.services import saved_replies
from tests.browser.test_mms import PNG
from tests.support import CUSTOMER, NUM, text_in

ADMIN, BOB = "admin@acme.test", "bob@acme.test"
LATE = (
    "Hi {contact_first_name}, this is {agent_first_name} from {company}: "
    "running about 15 minutes late, sorry!"
)
LATE_FILLED = "Hi Wendy, this is Bob from Acme Plumbing: running about 15 minutes late, sorry!"
SIZES = [pytest.param(1280, 800, id="desktop"), pytest.param(375, 812, id="phone")]


def seed(app, replies: list[tuple[str, str, str]]) -> None:
    """The contact (if there is one) is Wendy Walker; `replies` are (author's e-mail, title,
    body), an admin's shared."""
    with app.app_context():
        for contact in db.session.scalars(select(Contact)):
            contact.name = "Wendy Walker"
        db.session.commit()
        for email, title, body in replies:
            author = User.by_email(email)
            data = {"title": title, "body": body, "shared": author.is_admin}
            saved_replies.create(author, data)


@pytest.fixture
def composer(app, acme, conversation_id, open_as, live_server):
    """`composer(width, height)`: Bob's page of the conversation, the focus in the composer."""

    def open_composer(width: int, height: int):
        page = open_as(BOB, width, height)
        page.goto(f"{live_server}/conversations/{conversation_id}")
        page.focus("#body")
        return page

    return open_composer


def picker(page):
    return page.get_by_role("listbox", name="Saved replies")


@pytest.mark.parametrize("width, height", SIZES)
def test_slash_and_a_word_inserts_the_filled_in_reply(app, composer, width, height):
    seed(
        app,
        [
            (ADMIN, "Running late", LATE),
            (ADMIN, "Quote follow-up", "Any questions about the quote?"),
            (BOB, "On my way", "{agent_first_name} here, on my way."),
        ],
    )
    page = composer(width, height)
    page.keyboard.type("/run")
    expect(picker(page)).to_be_visible()
    options = picker(page).get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Running late")
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")

    expect(picker(page)).to_be_hidden()
    expect(page.locator("#body")).to_have_value(LATE_FILLED)
    expect(page.locator("#body-count")).to_have_text(
        f"{len(LATE_FILLED)} characters · 1 SMS segment (GSM-7)"
    )
    expect(page.locator("#timeline")).not_to_contain_text("running about 15 minutes")  # not sent
    assert page.evaluate("document.body.scrollWidth <= innerWidth")

    # Esc closes the list and leaves the text as typed.
    page.keyboard.type(" /quo")
    expect(picker(page).locator(".picker-label")).to_have_text(["Quote follow-up"])
    page.keyboard.press("Escape")
    expect(picker(page)).to_be_hidden()
    expect(page.locator("#body")).to_have_value(LATE_FILLED + " /quo")


@pytest.mark.parametrize("width, height", SIZES)
def test_the_button_inserts_a_reply_at_the_caret(app, composer, width, height):
    seed(
        app,
        [
            (ADMIN, "Running late", LATE),
            (ADMIN, "Quote follow-up", "Any questions about the quote?"),
            (BOB, "On my way", "{agent_first_name} here, on my way."),
        ],
    )
    page = composer(width, height)
    page.keyboard.type("Hello! ")
    page.keyboard.press("Tab")
    expect(page.locator("#saved-replies-button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(picker(page)).to_be_visible()
    expect(page.locator("#body")).to_be_focused()
    titles = picker(page).locator(".picker-label")
    expect(titles).to_have_text(["Quote follow-up", "Running late", "On my way"])
    assert page.evaluate("document.body.scrollWidth <= innerWidth")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#body")).to_have_value("Hello! Bob here, on my way.")
    expect(page.locator("#body-count")).to_have_text("27 characters · 1 SMS segment (GSM-7)")


def test_a_hostile_reply_shows_as_text_in_the_picker_and_the_pages(
    app, composer, open_as, live_server
):
    attack = "<img src=x onerror=alert(1)>"
    seed(app, [(ADMIN, attack, attack), (BOB, attack, attack)])
    page = composer(1280, 800)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.keyboard.type("/")
    expect(picker(page).locator(".picker-label")).to_have_text([attack, attack])
    expect(picker(page).locator(".picker-detail")).to_have_text([attack, attack])
    page.keyboard.press("Enter")
    expect(page.locator("#body")).to_have_value(attack)

    page.goto(f"{live_server}/profile")
    expect(page.locator("#saved-replies .reply-title")).to_have_text([attack])
    expect(page.locator("#saved-replies .reply-body")).to_have_text([attack])
    admin = open_as(ADMIN)
    admin.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    admin.goto(f"{live_server}/admin/saved-replies")
    expect(admin.locator("#saved-replies .reply-title")).to_have_text([attack])
    for shown in (page, admin):
        assert shown.locator("main img").count() == 0
    assert dialogs == []


def test_the_picker_works_again_once_a_new_text_redraws_the_thread(app, client, composer):
    seed(app, [(ADMIN, "Running late", LATE)])
    page = composer(1280, 800)
    text_in(client, CUSTOMER, NUM, "Are you still coming?")
    expect(page.locator("#timeline")).to_contain_text("Are you still coming?")
    page.focus("#body")
    page.keyboard.type("/late")
    expect(picker(page).locator(".picker-label")).to_have_text(["Running late"])
    page.keyboard.press("Tab")
    expect(page.locator("#body")).to_have_value(LATE_FILLED)


@pytest.mark.parametrize("email, path", [(ADMIN, "/admin/saved-replies"), (BOB, "/profile")])
def test_the_pages_stack_the_replies_on_a_phone(app, acme, open_as, live_server, email, path):
    long_word = "x" * 300  # one word longer than the screen is wide
    seed(app, [(email, "A title of some length for a phone " * 2, f"Hi {long_word} " * 3)])
    page = open_as(email, 375, 812)
    page.goto(f"{live_server}{path}")
    expect(page.locator("#saved-replies .reply-title")).to_have_count(1)
    expect(page.locator("#saved-replies thead")).to_be_hidden()
    assert page.evaluate("document.body.scrollWidth <= innerWidth")
    page.get_by_role("link", name="Edit").click()
    expect(page.locator("#reply-title")).to_have_value(
        ("A title of some length for a phone " * 2).strip()
    )
    assert page.evaluate("document.body.scrollWidth <= innerWidth")


def test_a_reply_with_a_picture_attaches_it_with_its_text(app, composer, api, conversation_id):
    with app.app_context():
        admin = User.by_email(ADMIN)
        picture = FileStorage(io.BytesIO(PNG), filename="map.png")
        saved_replies.create(
            admin,
            {"title": "Directions", "body": "Here is how to find us", "shared": True},
            [picture],
        )
    page = composer(1280, 800)
    page.keyboard.type("/direc")
    expect(picker(page)).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#body")).to_have_value("Here is how to find us")
    expect(page.locator("#attachments .attachment-name")).to_have_text(["map.png · 1 KB"])
    expect(page.locator("#body-count")).to_have_text("22 characters · MMS with 1 file")
    page.get_by_role("button", name="Claim and send").click()
    expect(page.locator("#action-status")).to_have_text("Text sent.")
    sent = page.locator("#timeline img[alt='Picture 1 sent by Bob Tester']")
    expect(sent).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", sent.element_handle()) == 1
    (message,) = [
        m for m in api(BOB).get(f"/conversations/{conversation_id}").json["messages"] if m["media"]
    ]
    assert message["body"] == "Here is how to find us"
