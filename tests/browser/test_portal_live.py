"""The portal in Chromium: agents follow each other live; escaping, phone size, keyboard only."""

import re
from urllib.parse import urlencode

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Contact
from tests.support import CUSTOMER, NUM, text_in
from tests.support.events import events_server
from tests.support.waiting import eventually


def row(page, text: str):
    return page.locator("#list .row-item", has_text=text)


def test_two_agents_follow_each_other_without_reloading(acme, client, open_as, live_server):
    bob, cat = open_as("bob@acme.test"), open_as("cat@acme.test")
    text_in(client, CUSTOMER, NUM, "My sink is leaking")
    for page in (bob, cat):
        expect(row(page, "My sink is leaking")).to_be_visible()
        expect(page.locator(".nav-link.active .badge")).to_have_text(re.compile("^1"))

    row(bob, "My sink is leaking").click()
    expect(bob).to_have_url(re.compile(r"/conversations/\d+"))
    bob.wait_for_load_state()  # its scripts have run: the claim answers in place
    bob.click("#claim")
    expect(bob.locator("#action-status")).to_have_text("You claimed the conversation.")
    expect(row(cat, "My sink is leaking")).to_have_count(0)
    cat.click(".nav-link:has-text('Team')")
    expect(row(cat, "My sink is leaking")).to_contain_text("Bob Tester")

    # Cat opens a second text; her screen has not heard yet that Bob was faster.
    text_in(client, "+15005550188", NUM, "Do you fix boilers?")
    cat.click(".nav-link:has-text('Active')")
    row(cat, "Do you fix boilers?").click()
    expect(cat.locator("#claim")).to_be_visible()  # her page is drawn before Bob claims
    cat.route("**/conversations/changes*", lambda route: route.abort())
    bob.goto(f"{live_server}/conversations")
    row(bob, "Do you fix boilers?").click()
    expect(bob).to_have_url(re.compile(r"/conversations/\d+"))
    bob.wait_for_load_state()
    bob.click("#claim")
    cat.click("#claim")
    expect(cat.locator("#action-status")).to_have_text("Already claimed by Bob Tester.")
    cat.unroute("**/conversations/changes*")

    phone = open_as()
    phone.goto(f"{live_server}/dev/phone?" + urlencode({"phone": CUSTOMER, "number": NUM}))
    bob.click(".nav-link:has-text('Active')")
    # The row is on the page being left too: click it on the new one, or the two loads race.
    expect(bob).to_have_url(re.compile(r"/conversations\?tab=active$"))
    row(bob, "My sink is leaking").click()
    expect(bob).to_have_url(re.compile(r"/conversations/\d+\?tab=active$"))
    bob.wait_for_load_state()  # its scripts have run: Enter sends, not a new line
    bob.fill("#body", "On our way, 20 minutes.")
    bob.press("#body", "Enter")
    expect(bob.locator("#timeline")).to_contain_text("On our way, 20 minutes.")
    expect(phone.locator("#phone-thread")).to_contain_text("On our way, 20 minutes.")


def test_with_the_events_process_a_portal_is_told_instead_of_asking(
    acme, client, postgres, open_as, live_server
):
    with events_server(postgres, upstream=live_server) as (url, hub):
        bob = open_as("bob@acme.test", base=url)
        asked = []
        bob.on("request", lambda r: asked.append(r.url) if "/changes" in r.url else None)
        assert eventually(lambda: hub.open == 1)  # the page's stream
        # Told, not asking every two seconds: once when its stream opened, then not while
        # nothing changes.
        bob.wait_for_timeout(5000)
        assert len(asked) <= 1
        text_in(client, CUSTOMER, NUM, "My sink is leaking")
        expect(row(bob, "My sink is leaking")).to_be_visible()
        expect(bob.locator(".nav-link.active .badge")).to_have_text(re.compile("^1"))
        bob.close()


def test_hostile_text_and_name_render_as_text(app, acme, client, open_as):
    attack = "<img src=x onerror=alert(1)>"
    text_in(client, CUSTOMER, NUM, attack)
    with app.app_context():
        db.session.scalar(select(Contact)).name = attack
        db.session.commit()
    page = open_as("bob@acme.test")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.reload()
    row(page, attack).click()
    expect(page.locator("#thread h1")).to_have_text(attack)
    expect(page.locator("#timeline .body").first).to_have_text(attack)
    assert page.locator("#list img, #thread img").count() == 0
    page.wait_for_timeout(2500)  # let a live update redraw the page once
    assert dialogs == []
    assert page.locator("#list img, #thread img").count() == 0


def test_phone_sized_screen_has_no_horizontal_scroll_and_reaches_the_composer(
    acme, client, open_as
):
    text_in(
        client,
        CUSTOMER,
        NUM,
        "A long text " * 30 + "withaverylongwordthatmightoverflowthescreen" * 3,
    )
    page = open_as("bob@acme.test", width=375, height=812)

    def too_wide():
        return page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.checkVisibility())
                .filter(e => { const r = e.getBoundingClientRect();
                               return r.right > innerWidth + 1 || r.left < -1; })
                .map(e => e.tagName + "." + e.className)"""
        )

    assert too_wide() == []
    row(page, "A long text").click()
    expect(page.locator("#list")).to_be_hidden()
    expect(page.locator(".back")).to_be_visible()
    assert too_wide() == []
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert too_wide() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    body = page.locator("#body")
    body.scroll_into_view_if_needed()
    expect(body).to_be_visible()
    expect(body).to_be_enabled()
    body.fill("Coming today")
    expect(page.locator("#body-count")).to_have_text("12 characters · 1 SMS segment (GSM-7)")


def test_keyboard_only_open_claim_type_and_send(acme, client, open_as):
    text_in(client, CUSTOMER, NUM, "Can you come Friday?")
    page = open_as("bob@acme.test")

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#list .row-item a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/conversations/\d+"))
    tab_to("#claim")
    page.keyboard.press("Enter")
    expect(page.locator("#action-status")).to_have_text("You claimed the conversation.")
    tab_to("#body")
    page.keyboard.type("Yes, Friday at 9.")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("See you then!")
    page.keyboard.press("Enter")
    expect(page.locator("#action-status")).to_have_text("Text sent.")
    expect(page.locator("#timeline .bubble.outbound").last).to_contain_text(
        "Yes, Friday at 9.\nSee you then!"
    )
