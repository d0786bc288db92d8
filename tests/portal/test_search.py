"""Search in the portal (SPEC §2.11): the box above the list finds conversations in every tab,
shows where each matched with the words marked and everything else escaped, links to the text
found, keeps the search in every link and in the live redraw, and says why when it cannot."""

import json
import re

from tests.support import CUSTOMER, NUM, text_in

BOB = "bob@acme.test"


def rows(page: str) -> list[str]:
    return re.findall(r'<span class="excerpt">(.*?)</span>\s*\n', page, re.S)


def test_a_search_shows_each_match_marked_and_escaped_and_links_to_it(acme, client, browser):
    text_in(client, CUSTOMER, NUM, "<script>alert(1)</script> my boiler is leaking")
    text_in(client, "+15005550123", NUM, "Hello there")
    page = browser(BOB).get("/conversations?q=boiler+%3C%3E%26").text
    assert 'value="boiler &lt;&gt;&amp;"' in page
    (excerpt,) = rows(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in excerpt and "<script>" not in excerpt
    assert "<mark>boiler</mark>" in excerpt
    link = re.search(r'<a href="(/conversations/\d+\?[^"]*)" data-conversation', page)[1]
    assert "q=boiler" in link and re.search(r"#text-\d+$", link)
    assert "Newest first, in every tab" in page and 'aria-label="Tabs"' not in page


def test_a_search_finds_closed_conversations_and_says_which_tab(acme, client, api, browser):
    text_in(client, CUSTOMER, NUM, "Is the plumber coming?")
    (item,) = api(BOB).tab("active")
    api(BOB).post(f"/conversations/{item['id']}/claim")
    api(BOB).post(f"/conversations/{item['id']}/close")
    page = browser(BOB).get("/conversations?tab=active&q=plumber").text
    assert len(rows(page)) == 1
    assert '<span class="badge text-bg-light border">Closed</span>' in page


def test_nothing_found_says_so(acme, client, browser):
    text_in(client, CUSTOMER, NUM, "Hello")
    page = browser(BOB).get("/conversations?q=dishwasher").text
    assert "No conversation you can see has a phone, name, text or note matching" in page


def test_a_query_too_long_is_refused_with_the_reason(acme, client, browser):
    text_in(client, CUSTOMER, NUM, "Hello")
    r = browser(BOB).get("/conversations?q=" + "x" * 1000)
    assert r.status_code == 200
    assert "Nothing was searched: At most 200 characters (1,000 given)." in r.text


def test_the_live_redraw_keeps_the_search(acme, client, browser):
    text_in(client, CUSTOMER, NUM, "My boiler is leaking")
    bob = browser(BOB)
    page = bob.get("/conversations?q=boiler").text
    changes = re.search(r'data-changes-url="([^"]*)"', page)[1].replace("&amp;", "&")
    assert "q=boiler" in changes
    text_in(client, "+15005550123", NUM, "Something else entirely")
    answer = json.loads(bob.client.get(changes + "&since=before").text)
    assert len(rows(answer["list"])) == 1 and "Something else" not in answer["list"]
