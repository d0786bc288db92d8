"""Tags and the list's filters in Chromium, by keyboard, at desktop and phone size: a tag put on
from the thread shows as a chip in the thread and the list; the filter bar narrows the list, puts
its filters in the address, and the list keeps them when it redraws itself for a new text."""

import pytest
from playwright.sync_api import expect

from app.models import User
from app.services import tags
from tests.support import NUM, text_in

ADMIN, BOB = "admin@acme.test", "bob@acme.test"
SIZES = [pytest.param(1280, 800, id="desktop"), pytest.param(375, 812, id="phone")]


@pytest.fixture
def tagged(app, acme):
    with app.app_context():
        admin = User.by_email(ADMIN)
        for name, color in (("Quote", "green"), ("VIP", "purple")):
            tags.create(admin, {"name": name, "color": color})


@pytest.mark.parametrize("width, height", SIZES)
def test_a_tag_is_put_on_by_keyboard_and_shows_in_the_thread_and_the_list(
    tagged, conversation_id, open_as, live_server, width, height
):
    page = open_as(BOB, width, height)
    page.goto(f"{live_server}/conversations/{conversation_id}")
    page.focus("#tag-add")
    page.keyboard.press("ArrowDown")  # Quote → VIP
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add tag")).to_be_focused()
    page.keyboard.press("Enter")

    chips = page.get_by_role("list", name="Tags")
    expect(chips).to_contain_text("VIP")
    expect(page.locator("#timeline")).to_contain_text("Bob Tester tagged it “VIP”")
    expect(page.get_by_role("button", name="Remove the tag VIP")).to_be_visible()
    assert page.evaluate("document.body.scrollWidth <= innerWidth")
    page.goto(f"{live_server}/conversations")
    expect(page.locator("#list .tag-purple")).to_have_text("VIP")


@pytest.mark.parametrize("width, height", SIZES)
def test_the_filtered_list_keeps_its_filter_when_a_new_text_arrives(
    app, tagged, conversation_id, api, client, open_as, live_server, width, height
):
    vip = next(t["id"] for t in api(BOB).get("/tags").json["items"] if t["name"] == "VIP")
    api(BOB).post(f"/conversations/{conversation_id}/tags", json={"tag_id": vip})
    text_in(client, "+15005550123", NUM, "Another customer, untagged")
    page = open_as(BOB, width, height)
    page.goto(f"{live_server}/conversations")
    expect(page.locator("#list .preview")).to_have_count(2)

    page.select_option("#filter-tag", label="VIP")
    page.get_by_role("button", name="Filter").press("Enter")
    expect(page).to_have_url(f"{live_server}/conversations?tab=active&tag={vip}")
    expect(page.locator("#list .preview")).to_have_text(["Hi, my sink is leaking"])
    assert page.evaluate("document.body.scrollWidth <= innerWidth")

    # A new text elsewhere redraws the list: it stays filtered. Then one in the tagged
    # conversation shows in it, so the redraw did happen.
    text_in(client, "+15005550124", NUM, "Yet another, untagged")
    text_in(client, "+15005550199", NUM, "The tagged one again")
    expect(page.locator("#list .preview")).to_have_text(["The tagged one again"])
    expect(page.locator("#filter-tag")).to_have_value(str(vip))
