"""The portal taps its user on the shoulder, in Chromium: the tab's title counts the open
conversations with unread texts; once the user allowed notifications from their profile (the
portal never asks on its own), a new text shows as a browser notification naming the contact,
and clicking it opens the thread; the text is read out by a live region too."""

import re

from playwright.sync_api import expect

from tests.support import CUSTOMER, NUM, text_in

BOB = "bob@acme.test"
# The browser's notifications, recorded as they are shown: headless Chromium draws none.
RECORD = """
window.__shown = [];
window.Notification = class extends window.Notification {
  constructor(title, options) {
    super(title, options);
    window.__shown.push({title: title, body: options.body});
    window.__last = this;
  }
};
"""


def test_the_title_counts_unread_and_a_new_text_is_a_notification_that_opens_it(
    acme, client, open_as, live_server
):
    page = open_as(BOB, script=RECORD)
    assert page.evaluate("Notification.permission") == "default", "never asked on load"
    expect(page).to_have_title("Active · SMS Conversations")

    page.goto(f"{live_server}/profile")
    expect(page.locator("#notifications-state")).to_contain_text("Off")
    page.context.grant_permissions(["notifications"], origin=live_server)
    page.get_by_role("button", name="Show a browser notification for each new text").click()
    expect(page.locator("#notifications-state")).to_contain_text("On:")
    page.get_by_label("Play a short tone for each new text (this device only)").check()

    page.goto(f"{live_server}/conversations")
    text_in(client, CUSTOMER, NUM, "Is anyone there? The basement is flooding")
    expect(page).to_have_title("(1) Active · SMS Conversations")
    expect(page.locator("#announcer")).to_contain_text("New text from (500) 555-0199")
    shown = page.evaluate("window.__shown")
    assert shown == [
        {
            "title": "New text from (500) 555-0199",
            "body": "Is anyone there? The basement is flooding",
        }
    ]
    page.evaluate("window.__last.onclick()")
    expect(page).to_have_url(re.compile(r"/conversations/\d+$"))
    expect(page.locator("#timeline")).to_contain_text("The basement is flooding")
