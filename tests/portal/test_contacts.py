"""Contacts in the portal (SPEC §2.9): the thread's contact panel, name first and phone beneath in
lists and threads, and the contact page with what the user may see of the contact."""

import re

import pytest

from app import phones
from tests.support import CUSTOMER, NUM, text_in
from tests.support.sql import statements

BOB, CAT, DAN, EVE = "bob@acme.test", "cat@acme.test", "dan@acme.test", "eve@other.test"
OTHER = "+15005550188"
SIDE = "+15005550102"  # Cat's number only


def ids(api, email=BOB) -> dict[str, int]:
    """Each open conversation of Active as the customer's phone → (conversation, contact) ids."""
    return {c["contact"]["phone"]: (c["id"], c["contact"]["id"]) for c in api(email).tab("active")}


@pytest.fixture
def thread(acme, client, api) -> tuple[int, int]:
    """(conversation id, contact id) of the customer's conversation on Main line."""
    text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking")
    return ids(api)[CUSTOMER]


def rows(page: str) -> list[str]:
    """The list's rows, as HTML."""
    return re.findall(r'<li class="row-item.*?</li>', page, re.S)


def text_of(html: str) -> str:
    """What a row says as one reads it down: tags, times and the unread mark dropped, spaces
    collapsed."""
    html = re.sub(r"<time.*?</time>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).removeprefix("Unread: ")


def test_the_contact_panel_saves_the_name_and_notes(acme, browser, thread):
    conversation_id, _ = thread
    bob = browser(BOB)
    page = bob.post(
        f"/conversations/{conversation_id}/contact",
        name="  Wendy Visitor ",
        notes="Gate code 4411.\nThe dog is friendly.",
    ).text
    assert "Contact saved." in page
    assert re.search(r"<h1[^>]*><a [^>]*>Wendy Visitor</a></h1>", page)
    assert ">Gate code 4411.\nThe dog is friendly.</textarea>" in page
    assert 'value="Wendy Visitor"' in page
    page = browser(CAT).get(f"/conversations/{conversation_id}").text
    assert "Wendy Visitor" in page and "Gate code 4411." in page
    page = bob.post(f"/conversations/{conversation_id}/contact", name="", notes="").text
    assert "Contact saved." in page
    assert "Wendy Visitor" not in page and "Gate code" not in page
    assert re.search(rf"<h1[^>]*><a [^>]*>{re.escape(phones.pretty(CUSTOMER))}</a></h1>", page)


@pytest.mark.parametrize(
    "form, message",
    [
        ({"name": "x" * 121, "notes": ""}, "name: At most 120 characters (121 given)."),
        ({"name": "Wendy\nVisitor", "notes": ""}, "name: No line breaks or control characters."),
        ({"name": "Wendy", "notes": "x" * 2001}, "notes: At most 2,000 characters (2,001 given)."),
        ({}, "Send the name, the notes, or both."),
    ],
)
def test_a_bad_change_in_the_panel_is_refused_with_the_field_s_message(
    acme, browser, thread, form, message
):
    conversation_id, contact_id = thread
    bob = browser(BOB)
    r = bob.post(f"/conversations/{conversation_id}/contact", **form)
    assert r.status_code == 200
    assert message in r.text
    assert "Contact saved." not in r.text
    assert "Wendy" not in bob.get(f"/contacts/{contact_id}").text


def test_rows_and_the_header_show_the_name_then_the_phone(acme, client, browser, thread):
    conversation_id, _ = thread
    bob = browser(BOB)
    (row,) = rows(bob.get("/conversations").text)
    assert text_of(row).startswith(phones.pretty(CUSTOMER))  # no name: the phone alone
    assert text_of(row).count(phones.pretty(CUSTOMER)) == 1
    bob.post(f"/conversations/{conversation_id}/contact", name="Wendy Visitor", notes="")
    page = bob.get(f"/conversations/{conversation_id}").text
    (row,) = rows(page)
    assert text_of(row).startswith(f"Wendy Visitor {phones.pretty(CUSTOMER)}")
    head = text_of(re.search(r'<header class="thread-head">.*?</header>', page, re.S).group(0))
    assert f"Wendy Visitor {phones.pretty(CUSTOMER)} To Main line" in head
    inbound = re.search(r'<li class="bubble inbound.*?</li>', page, re.S).group(0)
    assert "Wendy Visitor ·" in text_of(inbound)


def test_two_contacts_of_one_name_show_their_own_phones(acme, client, browser, api, thread):
    text_in(client, OTHER, NUM, "Me too, the boiler")
    bob = browser(BOB)
    for conversation_id, _ in ids(api).values():
        bob.post(f"/conversations/{conversation_id}/contact", name="Wendy Visitor", notes="")
    listed = [text_of(row) for row in rows(bob.get("/conversations").text)]
    assert len(listed) == 2
    for phone in (CUSTOMER, OTHER):
        named = [row for row in listed if row.startswith(f"Wendy Visitor {phones.pretty(phone)} ")]
        assert len(named) == 1, listed


def test_the_header_links_the_contact_page(acme, browser, thread):
    conversation_id, contact_id = thread
    page = browser(BOB).get(f"/conversations/{conversation_id}").text
    assert re.search(rf'<h1[^>]*><a class="contact-link" href="/contacts/{contact_id}">', page)


def test_the_contact_page_shows_what_the_user_may_see(acme, client, browser, api, thread):
    conversation_id, contact_id = thread
    acme.number("Acme Plumbing", SIDE, sms_users=[CAT], label="Side line")
    text_in(client, CUSTOMER, SIDE, "And the boiler on the side")
    browser(CAT).post(f"/contacts/{contact_id}", name="Wendy Visitor", notes="Gate code 4411.")
    bob = browser(BOB).get(f"/contacts/{contact_id}").text
    assert "Wendy Visitor" in bob and phones.pretty(CUSTOMER) in bob
    assert ">Gate code 4411.</textarea>" in bob
    assert f'href="/conversations/{conversation_id}?tab=active"' in bob
    assert "Hi, my sink is leaking" in bob and "Unclaimed" in bob and "Open" in bob
    assert "Side line" not in bob and "And the boiler" not in bob
    assert "Opted in" in bob and "First text" in bob
    cat = browser(CAT).get(f"/contacts/{contact_id}").text
    conversations = cat[cat.index('id="contact-conversations"') : cat.index('id="consent-title"')]
    assert conversations.index("And the boiler") < conversations.index("Hi, my sink")
    consents = cat[cat.index('id="contact-consents"') :]
    assert "Main line" in consents and "Side line" in consents


@pytest.mark.parametrize("who", [DAN, EVE])
def test_a_contact_the_user_may_not_see_is_404(acme, browser, thread, who):
    _, contact_id = thread
    page = browser(who)
    assert page.get(f"/contacts/{contact_id}").status_code == 404
    r = page.post(f"/contacts/{contact_id}", name="Mallory", notes="")
    assert r.status_code == 404
    assert "Mallory" not in browser(BOB).get(f"/contacts/{contact_id}").text


def test_the_contact_page_saves_and_refuses_with_the_field_s_message(acme, browser, thread):
    _, contact_id = thread
    bob = browser(BOB)
    page = bob.post(f"/contacts/{contact_id}", name="Wendy Visitor", notes="Back gate.").text
    assert "Contact saved." in page
    assert "<h1" in page and "Wendy Visitor" in page and ">Back gate.</textarea>" in page
    page = bob.post(f"/contacts/{contact_id}", name="W" * 121, notes="").text
    assert "name: At most 120 characters (121 given)." in page
    assert ">Back gate.</textarea>" in page, "nothing changed"


def test_the_contact_page_asks_as_much_however_many_conversations_it_lists(
    app, acme, client, browser, api, thread
):
    conversation_id, contact_id = thread
    bob = browser(BOB)
    url = f"/contacts/{contact_id}"
    bob.get(url)
    with statements(app) as one:
        assert bob.get(url).status_code == 200
    api(BOB).post(f"/conversations/{conversation_id}/claim")
    api(BOB).post(f"/conversations/{conversation_id}/close")
    for n in range(2):
        text_in(client, CUSTOMER, NUM, f"Again, number {n}")
        (again, _) = ids(api)[CUSTOMER]
        api(BOB).post(f"/conversations/{again}/messages", json={"body": "On it.", "claim": True})
        api(BOB).post(f"/conversations/{again}/close")
    with statements(app) as three:
        page = bob.get(url).text
    assert page.count('class="row-item') == 3
    assert len(three) == len(one), (one, three)
