"""Send later in Chromium, at desktop and phone size: the composer's quick pick schedules the text
in place, the thread lists it with its time, and it is cancelled in place too."""

import pytest
from playwright.sync_api import expect

from tests.support import CUSTOMER, NUM, sent_to, text_in
from tests.support.axe import serious_violations

BOB = "bob@acme.test"
SIZES = [pytest.param(1280, 800, id="desktop"), pytest.param(375, 812, id="phone")]
LOADS = "performance.getEntriesByType('navigation').length + ':' + (window.__same || 'reloaded')"


@pytest.mark.parametrize("width, height", SIZES)
def test_send_later_schedules_and_cancels_in_place(
    app, acme, client, api, open_as, live_server, width, height
):
    text_in(client, CUSTOMER, NUM, "When can you come?")
    (item,) = api(BOB).tab("active")
    api(BOB).post(f"/conversations/{item['id']}/claim")
    page = open_as(BOB, width, height)
    page.goto(f"{live_server}/conversations/{item['id']}")
    page.evaluate("window.__same = 'this page'")
    loads = page.evaluate(LOADS)

    page.fill("#body", "Reminder: we come tomorrow at 9.")
    page.get_by_text("Send later").click()
    page.get_by_role("button", name="In 1 hour").click()
    expect(page.locator("#action-status")).to_contain_text("Text scheduled for")
    scheduled = page.get_by_role("region", name="Scheduled")
    expect(scheduled).to_contain_text("Reminder: we come tomorrow at 9.")
    expect(scheduled).to_contain_text("leaves")
    expect(page.locator("#body")).to_have_value("")
    expect(page.locator("#timeline")).not_to_contain_text("Reminder: we come tomorrow")
    assert serious_violations(page) == []

    scheduled.get_by_role("button", name="Cancel this text").click()
    expect(page.locator("#action-status")).to_have_text("Scheduled text cancelled.")
    expect(page.get_by_role("region", name="Scheduled")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Cancelled by Bob Tester.")
    assert page.evaluate(LOADS) == loads, "no page was loaded again"
    assert "Reminder: we come tomorrow at 9." not in sent_to(app, CUSTOMER)
