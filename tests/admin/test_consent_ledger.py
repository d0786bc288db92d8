"""The consent ledger page: every change on the account's numbers, newest first a page at a time,
filtered by number and dates, with the CSV of the same filter; dates out of order are refused
on the page and the download alike. Its one setting, one opt-out for the whole account, is an
admin's to change."""

import re

import pytest

from app.admin import consent as ledger_page
from tests.support import NUM, text_in

ADMIN = "admin@acme.test"


def shown(page: str) -> list[str]:
    """The contacts of the rows shown, in order."""
    table = page.split('id="ledger"')[1].split("</table>")[0]
    return re.findall(r'<td data-label="Contact" class="text-nowrap">([^<]*)</td>', table)


def test_the_page_shows_the_changes_newest_first_a_page_at_a_time(
    acme, client, browser, monkeypatch
):
    for i in range(3):
        text_in(client, f"+1500555{6000 + i}", NUM, "Hello")
    text_in(client, "+15005556000", NUM, "STOP")
    monkeypatch.setattr(ledger_page, "PAGE", 3)
    admin = browser(ADMIN)
    page = admin.get("/admin/consent").text
    assert shown(page) == ["(500) 555-6000", "(500) 555-6002", "(500) 555-6001"]
    assert "Opted out" in page.split('id="ledger"')[1].split("</tr>")[1]
    older = re.search(r'<a href="(/admin/consent\?before=\d+)">Older changes</a>', page)[1]
    assert shown(admin.get(older).text) == ["(500) 555-6000"]
    assert 'href="/admin/consent.csv"' in page


def test_the_filter_narrows_the_page_and_the_download_link(acme, world, client, browser):
    text_in(client, "+15005556001", NUM, "Hello")
    page = browser(ADMIN).get("/admin/consent?start=2000-01-01&end=2000-01-31").text
    assert shown(page) == [] and "No consent change matches." in page
    assert 'href="/admin/consent.csv?start=2000-01-01&amp;end=2000-01-31"' in page


@pytest.mark.parametrize("url", ["/admin/consent", "/admin/consent.csv"])
def test_dates_out_of_order_are_refused_naming_to(acme, browser, url):
    r = browser(ADMIN).client.get(url, query_string={"start": "2026-02-01", "end": "2026-01-01"})
    assert r.status_code == 422
    assert "To must not be before From." in r.text


def one_opt_out_ticked(page: str) -> bool:
    """Whether the page's "One opt-out for the whole account" box is ticked."""
    box = re.search(r'<input[^>]*name="opt_out_everywhere"[^>]*>', page)
    assert box, "the page has the setting"
    return " checked" in box[0]


def test_an_admin_turns_one_opt_out_for_the_account_off_and_on(app, acme, browser):
    admin = browser(ADMIN)
    page = admin.get("/admin/consent").text
    assert one_opt_out_ticked(page), "on by default"
    assert "A STOP to one number stops texts from every number of the account" in page
    page = admin.post("/admin/consent/settings").text
    assert "an opt-out stops only its number" in page
    assert not one_opt_out_ticked(page)
    page = admin.post("/admin/consent/settings", opt_out_everywhere="on").text
    assert "One opt-out for the whole account is on." in page
    assert one_opt_out_ticked(admin.get("/admin/consent").text)


def test_an_agent_gets_403_and_the_setting_stays(app, acme, browser):
    bob = browser("bob@acme.test")
    r = bob.client.post("/admin/consent/settings", data={"csrf_token": bob.token()})
    assert r.status_code == 403
    assert one_opt_out_ticked(browser(ADMIN).get("/admin/consent").text)


@pytest.mark.parametrize("value", ["yes", "true", "1", "off", "on\x00", "on " * 400])
def test_a_box_that_is_neither_ticked_nor_unticked_is_422_naming_it(app, acme, browser, value):
    admin = browser(ADMIN)
    r = admin.client.post(
        "/admin/consent/settings",
        data={"csrf_token": admin.token(), "opt_out_everywhere": value},
    )
    assert r.status_code == 422
    assert "opt_out_everywhere: Tick the box or leave it unticked." in r.text
    assert one_opt_out_ticked(admin.get("/admin/consent").text), "nothing was changed"
