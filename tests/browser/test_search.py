"""Search in Chromium, by keyboard, at desktop and phone size: the box above the list finds an
old text, the result shows the words marked, and the thread opens at the text found, not at its
end."""

import pytest
from playwright.sync_api import expect

from tests.support import CUSTOMER, NUM, text_in

BOB = "bob@acme.test"
SIZES = [pytest.param(1280, 800, id="desktop"), pytest.param(375, 812, id="phone")]


@pytest.mark.parametrize("width, height", SIZES)
def test_a_word_of_an_old_text_opens_the_thread_at_it(
    acme, client, api, open_as, live_server, width, height
):
    text_in(client, CUSTOMER, NUM, "The water heater in the garage is making a rumbling noise")
    (item,) = api(BOB).tab("active")
    api(BOB).post(f"/conversations/{item['id']}/claim")
    for i in range(30):  # enough texts after it that the thread's end is far below
        api(BOB).post(f"/conversations/{item['id']}/messages", json={"body": f"Update {i}"})
    text_in(client, "+15005550123", NUM, "Unrelated question about a faucet")

    page = open_as(BOB, width, height)
    page.goto(f"{live_server}/conversations")
    page.focus("#search")
    page.keyboard.type("rumbling </>")
    page.keyboard.press("Enter")
    expect(page.locator("#list .excerpt")).to_have_count(1)
    expect(page.locator("#list .excerpt mark")).to_have_text("rumbling")
    assert "q=rumbling" in page.url
    assert page.evaluate("document.body.scrollWidth <= innerWidth")

    page.locator("#list .row-item a").first.focus()
    page.keyboard.press("Enter")
    found = page.locator("#timeline .bubble", has_text="rumbling noise")
    expect(found).to_be_in_viewport()
    expect(page.locator("#timeline .bubble", has_text="Update 29")).not_to_be_in_viewport()
    expect(page.locator("#thread .back")).to_have_text("← Back to the results")
