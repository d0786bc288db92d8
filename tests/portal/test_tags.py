"""Tags and filters in the portal (SPEC §2.10, §2.11): the admin page, the thread's chips with
their Add and Remove forms (no script needed), the list's chips, and a list filtered by number,
tag, unread and mine that keeps its filters in every link."""

import re

import pytest

from app.models import Tag
from tests.support import NUM, count, text_in
from tests.support.sql import statements

ADMIN, BOB, CAT = "admin@acme.test", "bob@acme.test", "cat@acme.test"
OTHER_NUM = "+15005550102"


def timeline(page: str) -> str:
    return re.search(r'<ol class="timeline" id="timeline".*?</ol>', page, re.S).group(0)


def thread_tags(page: str) -> list[str]:
    bar = re.search(r'<div class="tag-bar">.*?</div>', page, re.S).group(0)
    return re.findall(r'<li class="tag tag-\w+">([^<]*)', bar)


def list_rows(page: str) -> list[str]:
    return re.findall(r'<span class="preview">([^<]*)</span>', page)


@pytest.fixture
def tag_ids(app, acme, browser) -> dict[str, int]:
    admin = browser(ADMIN)
    for name, color in (("VIP", "purple"), ("Quote", "green")):
        page = admin.post("/admin/tags", name=name, color=color).text
        assert f"Tag “{name}” saved." in page
    with app.app_context():
        return {t.name: t.id for t in Tag.query.all()}


def test_an_admin_adds_edits_and_deletes_tags_on_their_page(app, acme, browser, tag_ids):
    admin = browser(ADMIN)
    page = admin.get("/admin/tags").text
    assert re.search(r'<span class="tag tag-purple">VIP</span>', page)
    assert 'href="/admin/tags"' in page, "the admin menu links the page"
    page = admin.post(f"/admin/tags/{tag_ids['VIP']}", name="Gold", color="yellow").text
    assert "Tag “Gold” saved." in page and '<span class="tag tag-yellow">Gold</span>' in page
    page = admin.post(f"/admin/tags/{tag_ids['Quote']}/delete").text
    assert "Tag “Quote” deleted" in page and "tag-green" not in page.split('id="tag-form"')[0]
    assert count(app, Tag) == 1


@pytest.mark.parametrize(
    "form, message",
    [
        ({"name": "vip", "color": "blue"}, "A tag named “vip” exists already."),
        ({"name": "", "color": "blue"}, "Required."),
        ({"name": "x" * 41, "color": "blue"}, "At most 40 characters (41 given)."),
        ({"name": "New", "color": "black"}, "One of gray, red, orange"),
    ],
)
def test_a_bad_tag_is_refused_on_the_page_naming_the_field(
    app, acme, browser, tag_ids, form, message
):
    r = browser(ADMIN).post("/admin/tags", **form)
    assert r.status_code == 422 and message in r.text
    assert count(app, Tag) == 2


def test_only_admins_open_the_tags_page(acme, browser, tag_ids):
    bob = browser(BOB)
    assert bob.get("/admin/tags").status_code == 403
    assert bob.post("/admin/tags", name="Mine", color="red").status_code == 403
    assert bob.post(f"/admin/tags/{tag_ids['VIP']}/delete").status_code == 403


def test_another_accounts_admin_finds_no_such_tag(acme, world, browser, tag_ids):
    world.user("Other Co", "olga@other.test", "admin", first="Olga")
    assert browser("olga@other.test").get(f"/admin/tags/{tag_ids['VIP']}").status_code == 404


def test_whoever_can_reply_tags_from_the_thread_and_the_thread_says_so(
    acme, browser, tag_ids, conversation_id
):
    bob = browser(BOB)
    page = bob.post(f"/conversations/{conversation_id}/claim").text
    assert re.search(r'<select id="tag-add" name="tag_id"', page), "an Add tag form"
    page = bob.post(f"/conversations/{conversation_id}/tags", tag_id=str(tag_ids["VIP"])).text
    assert "Tag added." in page and thread_tags(page) == ["VIP"]
    assert "Bob Tester tagged it “VIP”" in timeline(page)
    assert re.search(r'<span class="tag tag-purple">VIP</span>', page.split('id="thread"')[0])
    assert 'aria-label="Remove the tag VIP"' in page
    page = bob.post(f"/conversations/{conversation_id}/tags/{tag_ids['VIP']}/remove").text
    assert "Tag removed." in page and thread_tags(page) == []
    assert "Bob Tester removed the tag “VIP”" in timeline(page)


def test_someone_else_sees_the_tags_of_a_claimed_conversation_but_cannot_change_them(
    acme, api, browser, tag_ids, conversation_id
):
    api(BOB).post(f"/conversations/{conversation_id}/claim")
    api(BOB).post(f"/conversations/{conversation_id}/tags", json={"tag_id": tag_ids["VIP"]})
    cat = browser(CAT)
    page = cat.get(f"/conversations/{conversation_id}").text
    assert thread_tags(page) == ["VIP"]
    assert 'id="tag-add"' not in page and "Remove the tag" not in page
    page = cat.post(f"/conversations/{conversation_id}/tags", tag_id=str(tag_ids["Quote"])).text
    assert "Only Bob Tester and participants can change its tags." in page
    assert thread_tags(page) == ["VIP"]


@pytest.mark.parametrize("tag_id", ["", "abc", "999999", "2147483648"])
def test_a_bad_tag_in_the_thread_form_is_refused_naming_the_field(
    acme, browser, tag_ids, conversation_id, tag_id
):
    page = browser(BOB).post(f"/conversations/{conversation_id}/tags", tag_id=tag_id).text
    assert "tag_id" in page and "Tag added." not in page


@pytest.fixture
def listed(acme, world, client, api, tag_ids) -> None:
    """Three conversations Bob sees: one tagged VIP and claimed by him, one he read, one on
    Second line."""
    world.number("Acme Plumbing", OTHER_NUM, label="Second line", sms_users=[BOB])
    text_in(client, "+15005550111", NUM, "Tagged and claimed")
    text_in(client, "+15005550112", NUM, "Read already")
    text_in(client, "+15005550113", OTHER_NUM, "On the second line")
    ids = {c["last_message_preview"]: c["id"] for c in api(BOB).tab("active")}
    tagged = ids["Tagged and claimed"]
    api(BOB).post(f"/conversations/{tagged}/claim")
    api(BOB).post(f"/conversations/{tagged}/tags", json={"tag_id": tag_ids["VIP"]})
    api(BOB).get(f"/conversations/{ids['Read already']}")
    api(BOB).get(f"/conversations/{tagged}")


def test_the_list_is_filtered_from_the_url_and_keeps_its_filters_in_its_links(
    listed, browser, tag_ids
):
    bob = browser(BOB)
    page = bob.get("/conversations").text
    assert sorted(list_rows(page)) == ["On the second line", "Read already", "Tagged and claimed"]
    assert re.search(r'<span class="tag tag-purple">VIP</span>', page), "chips in the list"
    page = bob.get(f"/conversations?tag={tag_ids['VIP']}").text
    assert list_rows(page) == ["Tagged and claimed"]
    assert f'<option value="{tag_ids["VIP"]}" selected>VIP</option>' in page
    row_link = re.search(r'<a href="(/conversations/\d+\?[^"]*)" data-conversation', page)[1]
    assert f"tag={tag_ids['VIP']}" in row_link, "opening a row keeps the filter"
    assert f"tag={tag_ids['VIP']}" in re.search(r'data-changes-url="([^"]*)"', page)[1]
    assert list_rows(bob.get("/conversations?number=%2B15005550102").text) == ["On the second line"]
    assert list_rows(bob.get("/conversations?unread=1").text) == ["On the second line"]
    assert list_rows(bob.get("/conversations?mine=1&number=%2B15005550101").text) == [
        "Tagged and claimed"
    ]
    page = bob.get(f"/conversations?mine=1&tag={tag_ids['Quote']}").text
    assert list_rows(page) == [] and "No conversation here matches the filters." in page


def test_an_action_in_a_filtered_thread_comes_back_to_the_filtered_list(
    listed, api, browser, tag_ids
):
    bob = browser(BOB)
    page = bob.get(f"/conversations?tag={tag_ids['VIP']}").text
    thread_url = re.search(r'<a href="(/conversations/\d+\?[^"]*)" data-conversation', page)[1]
    page = bob.get(thread_url.replace("&amp;", "&")).text
    action = re.search(r'action="(/conversations/\d+/tags/\d+/remove\?[^"]*)"', page)[1]
    assert f"tag={tag_ids['VIP']}" in action
    page = bob.post(action.replace("&amp;", "&")).text
    assert "Tag removed." in page and list_rows(page) == []


def test_a_bookmarked_filter_naming_a_deleted_tag_shows_every_conversation_and_why(
    listed, browser, tag_ids
):
    browser(ADMIN).post(f"/admin/tags/{tag_ids['VIP']}/delete")
    r = browser(BOB).get(f"/conversations?tag={tag_ids['VIP']}")
    assert r.status_code == 200
    assert "No tag of your account has this id." in r.text
    assert len(list_rows(r.text)) == 3


@pytest.mark.parametrize("query", ["tag=%27", "number=%25", "unread=yes", "mine=%00", "tag=-1"])
def test_a_garbled_filter_is_never_a_server_error(listed, browser, query):
    r = browser(BOB).get(f"/conversations?{query}")
    assert r.status_code == 200 and "name nothing of yours" in r.text


def test_a_list_asks_as_much_however_many_of_its_rows_are_tagged_claimed_or_read(
    app, client, browser, tag_ids
):
    """Each row's contact, number, claimer, tags and unread mark come with the page's own
    queries: a list of five costs what a list of one does."""
    bob = browser(BOB)

    def listed_as_bob() -> tuple[str, list]:
        bob.get("/conversations")
        with statements(app) as seen:
            page = bob.get("/conversations").text
        return page, seen

    def new_conversation(phone: str, body: str) -> int:
        text_in(client, phone, NUM, body)
        page = bob.get("/conversations").text
        return int(re.search(r'data-conversation="(\d+)"', page)[1])

    first = new_conversation("+15005550111", "One")
    bob.post(f"/conversations/{first}/tags", tag_id=str(tag_ids["VIP"]))
    page, one = listed_as_bob()
    assert list_rows(page) == ["One"]
    for n, phone in enumerate(("+15005550112", "+15005550113", "+15005550114", "+15005550115")):
        conversation_id = new_conversation(phone, f"Text {n}")
        if n % 2:
            bob.post(f"/conversations/{conversation_id}/claim")
            for name in ("Quote", "VIP"):
                bob.post(f"/conversations/{conversation_id}/tags", tag_id=str(tag_ids[name]))
    page, five = listed_as_bob()
    assert len(list_rows(page)) == 5
    assert page.count('class="row-item unread') == 2, "the three Bob acted in are read"
    assert re.findall(r'<span class="tag tag-\w+">(\w+)</span>', page) == [
        *("Quote", "VIP") * 2,
        "VIP",
    ]
    assert page.count("<span>Bob Tester</span>") == 2 and page.count("<span>Unclaimed</span>") == 3
    assert len(five) == len(one), (one, five)
