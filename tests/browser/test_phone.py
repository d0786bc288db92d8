"""The portal on a phone (375×812, touch) in Chromium: a long thread opens at its newest text with
the composer in view and is there again after a send; Enter makes a new line and the Send button
sends; the top bar is a Menu that opens by keyboard."""

from playwright.sync_api import expect

from tests.support import CUSTOMER, NUM, text_in

BOB = "bob@acme.test"


def phone(open_as):
    """Bob's portal on a touch screen the size of a phone."""
    return open_as(BOB, 375, 812, has_touch=True, is_mobile=True)


def test_a_long_thread_opens_at_its_newest_text_and_enter_is_a_new_line(
    acme, client, api, open_as, live_server
):
    text_in(client, CUSTOMER, NUM, "The first text, far up")
    (item,) = api(BOB).tab("active")
    api(BOB).post(f"/conversations/{item['id']}/claim")
    for i in range(25):
        api(BOB).post(f"/conversations/{item['id']}/messages", json={"body": f"Update {i}"})
    page = phone(open_as)
    page.goto(f"{live_server}/conversations/{item['id']}")
    expect(page.locator("#timeline .bubble", has_text="Update 24")).to_be_in_viewport()
    expect(page.locator("#body")).to_be_in_viewport()
    assert page.evaluate("matchMedia('(pointer: coarse)').matches")

    page.locator("#body").tap()
    page.keyboard.type("On our way.")
    page.keyboard.press("Enter")
    page.keyboard.type("See you soon.")
    expect(page.locator("#body")).to_have_value("On our way.\nSee you soon.")
    page.get_by_role("button", name="Send", exact=True).tap()

    sent = page.locator("#timeline .bubble", has_text="See you soon.")
    expect(sent).to_be_in_viewport()
    expect(page.locator("#body")).to_be_in_viewport()


def test_the_top_bar_is_a_menu_on_a_phone(acme, open_as):
    page = phone(open_as)
    reports = page.get_by_role("link", name="Reports")
    expect(reports).to_be_hidden()
    page.locator("#menu > summary").focus()
    page.keyboard.press("Enter")
    expect(reports).to_be_visible()
    assert page.evaluate("document.body.scrollWidth <= innerWidth")


def test_the_top_bar_shows_every_link_on_a_wide_screen(acme, open_as):
    page = open_as(BOB)
    expect(page.get_by_role("link", name="Reports")).to_be_visible()
    expect(page.locator("#menu > summary")).to_be_hidden()
