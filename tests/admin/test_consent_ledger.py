"""The consent ledger page: every change on the account's numbers, newest first a page at a time,
filtered by number and dates, with the CSV of the same filter; dates out of order are refused
on the page and the download alike."""

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
