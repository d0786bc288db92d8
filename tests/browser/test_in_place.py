"""Actions in the thread answer in place (SPEC §2.6), in Chromium at desktop and phone size: no
page is loaded again, the draft and focus are kept, a refused send keeps its draft and says why
once, by the composer; without scripts the same forms post as pages do."""

import pytest
from playwright.sync_api import expect

from tests.support import CUSTOMER, NUM, text_in

BOB, CAT = "bob@acme.test", "cat@acme.test"
SIZES = [pytest.param(1280, 800, id="desktop"), pytest.param(375, 812, id="phone")]
LOADS = "performance.getEntriesByType('navigation').length + ':' + (window.__same || 'reloaded')"


@pytest.mark.parametrize("width, height", SIZES)
def test_claim_and_send_tag_and_close_answer_in_place(
    acme, client, api, open_as, live_server, width, height
):
    text_in(client, CUSTOMER, NUM, "My sink is leaking")
    vip = api("admin@acme.test").post("/tags", json={"name": "VIP"}).json["id"]
    (item,) = api(BOB).tab("active")
    page = open_as(BOB, width, height)
    page.goto(f"{live_server}/conversations/{item['id']}")
    page.evaluate("window.__same = 'this page'")
    loads = page.evaluate(LOADS)

    page.fill("#body", "On our way, 20 minutes.")
    page.get_by_role("button", name="Claim and send").click()
    expect(page.locator("#action-status")).to_have_text("Text sent.")
    expect(page.locator("#timeline")).to_contain_text("On our way, 20 minutes.")
    expect(page.locator("#timeline")).to_contain_text("Bob Tester claimed the conversation")
    expect(page.locator("#body")).to_be_focused()
    expect(page.locator("#body")).to_have_value("")
    expect(page.locator("#body")).to_be_in_viewport()
    expect(page.locator(f'#list [data-conversation="{item["id"]}"]')).to_contain_text("Bob Tester")

    page.fill("#body", "A draft for later")
    page.select_option("#tag-add", str(vip))
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator("#action-status")).to_have_text("Tag added.")
    expect(page.get_by_role("list", name="Tags")).to_contain_text("VIP")
    expect(page.locator("#body")).to_have_value("A draft for later")

    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.locator("#action-status")).to_have_text("Conversation closed.")
    expect(page.locator(".thread-head")).to_contain_text("Closed")
    assert page.evaluate(LOADS) == loads, "no page was loaded again"


@pytest.mark.parametrize("width, height", SIZES)
def test_a_refused_send_keeps_the_draft_and_says_why_once(
    acme, client, api, open_as, live_server, width, height
):
    text_in(client, CUSTOMER, NUM, "My sink is leaking")
    (item,) = api(BOB).tab("active")
    page = open_as(CAT, width, height)
    page.goto(f"{live_server}/conversations/{item['id']}")
    page.route("**/conversations/changes*", lambda route: route.abort())  # not told yet
    page.evaluate("window.__same = 'this page'")
    loads = page.evaluate(LOADS)
    page.fill("#body", "I can come at noon.")
    api(BOB).post(f"/conversations/{item['id']}/claim")  # Bob was faster

    page.get_by_role("button", name="Claim and send").click()
    reason = page.locator("#composer #action-status")
    expect(reason).to_have_text("Already claimed by Bob Tester.")
    expect(page.get_by_text("Already claimed by Bob Tester.")).to_have_count(1)
    expect(page.locator("#body")).to_have_value("I can come at noon.")
    assert page.evaluate(LOADS) == loads, "no page was loaded again"


def test_without_scripts_every_action_posts_as_a_page(acme, client, api, open_as, live_server):
    text_in(client, CUSTOMER, NUM, "My sink is leaking")
    (item,) = api(BOB).tab("active")
    page = open_as(BOB, java_script_enabled=False)
    page.goto(f"{live_server}/conversations/{item['id']}")
    page.fill("#body", "On our way.")
    page.get_by_role("button", name="Claim and send").click()
    expect(page.locator(".alert-success")).to_have_text("Text sent.")
    expect(page.locator("#timeline")).to_contain_text("On our way.")
