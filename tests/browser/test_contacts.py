"""Contacts in Chromium: a hostile name and notes stay text everywhere they show, and the contact
panel keeps what an agent is typing while the thread is redrawn live."""

import re

from playwright.sync_api import expect

from app import phones
from tests.support import CUSTOMER, NUM, text_in

ATTACK = "<img src=x onerror=alert(1)>"


def test_a_hostile_name_and_notes_render_as_text(acme, client, open_as, live_server):
    text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking")
    page = open_as("bob@acme.test")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.locator("#list .row-item").first.click()
    page.click("#contact-panel summary")
    page.fill("#contact-name", ATTACK)
    page.fill("#contact-notes", f"Notes: {ATTACK}")
    page.click("#contact-panel button")
    expect(page.locator("#action-status")).to_have_text("Contact saved.")

    expect(page.locator("#list .row-item .contact")).to_have_text(ATTACK)
    expect(page.locator("#list .row-item .contact-phone")).to_have_text(phones.pretty(CUSTOMER))
    expect(page.locator("#thread h1")).to_have_text(ATTACK)
    expect(page.locator("#timeline .bubble.inbound .meta").first).to_contain_text(ATTACK)
    page.click("#contact-panel summary")
    expect(page.locator("#contact-name")).to_have_value(ATTACK)
    expect(page.locator("#contact-notes")).to_have_value(f"Notes: {ATTACK}")

    page.click("#thread h1 a")
    page.wait_for_url(re.compile(r"/contacts/\d+$"))
    expect(page.locator("h1")).to_have_text(ATTACK)
    expect(page).to_have_title(re.compile(re.escape(ATTACK)))
    expect(page.locator("#contact-notes")).to_have_value(f"Notes: {ATTACK}")
    expect(page.locator("#contact-conversations")).to_contain_text("Hi, my sink is leaking")
    assert page.locator("main img").count() == 0
    page.go_back()
    expect(page.locator("#thread h1")).to_have_text(ATTACK)
    assert page.locator("#list img, #thread img").count() == 0
    assert dialogs == []


def test_the_contact_panel_keeps_a_draft_while_the_thread_is_redrawn(acme, client, open_as):
    text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking")
    page = open_as("bob@acme.test")
    page.locator("#list .row-item").first.click()
    page.click("#contact-panel summary")
    page.fill("#contact-name", "Wendy Visitor")
    page.fill("#contact-notes", "Gate code 4411.")
    text_in(client, CUSTOMER, NUM, "Are you coming today?")
    expect(page.locator("#timeline")).to_contain_text("Are you coming today?")
    expect(page.locator("#contact-panel")).to_have_attribute("open", "")
    expect(page.locator("#contact-name")).to_have_value("Wendy Visitor")
    expect(page.locator("#contact-notes")).to_have_value("Gate code 4411.")
    expect(page.locator("#contact-notes")).to_be_focused()
    page.click("#contact-panel button")
    expect(page.locator("#action-status")).to_have_text("Contact saved.")
    expect(page.locator("#thread h1")).to_have_text("Wendy Visitor")
