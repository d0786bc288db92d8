"""New text in Chromium on a phone-sized screen: from the inbox to the thread it opens."""

import re

from playwright.sync_api import expect

from tests.support import NUM


def test_new_text_from_the_inbox_on_a_phone_opens_my_thread_with_the_text(acme, open_as):
    page = open_as("bob@acme.test", width=375, height=812)
    button = page.get_by_role("link", name="New text")
    expect(button).to_be_visible()
    assert button.bounding_box()["y"] < 812, "in view without scrolling"
    button.click()
    page.wait_for_url(re.compile(r"/conversations/new$"))
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    expect(page.get_by_label("From", exact=True)).to_have_value(NUM)
    page.get_by_label("To", exact=True).fill("(555) 010-0123")
    page.get_by_label("Message").fill("Hi, it's Bob from Acme Plumbing.")
    expect(page.locator("#body-count")).to_have_text("32 characters · 1 SMS segment (GSM-7)")
    page.get_by_label("This person asked us to text them").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/conversations/\d+$"))
    expect(page.locator(".alert-success")).to_have_text("Text sent. The conversation is yours.")
    expect(page.locator(".thread-head")).to_contain_text("Claimed by Bob Tester")
    expect(page.locator("#timeline .bubble.outbound")).to_contain_text(
        "Hi, it's Bob from Acme Plumbing.\n\nReply STOP to opt out."
    )
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
