"""My saved replies on the profile, and the replies the composer offers, filled in for the
conversation (SPEC §2.10)."""

import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Contact, SavedReply

ADMIN, BOB, CAT = "admin@acme.test", "bob@acme.test", "cat@acme.test"
LATE = "Hi {contact_first_name}, this is {agent_first_name} from {company}: running late!"


def own_replies(app, email: str) -> list[tuple[str, str]]:
    from app.models import User

    with app.app_context():
        user = User.by_email(email)
        rows = db.session.scalars(select(SavedReply).where(SavedReply.user_id == user.id))
        return [(r.title, r.body) for r in rows]


def reply_id(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(select(SavedReply.id).where(SavedReply.title == title))


def test_an_agent_adds_edits_and_deletes_their_own_replies_on_the_profile(app, acme, browser):
    bob = browser(BOB)
    assert "My saved replies" in bob.get("/profile").text
    page = bob.post("/profile/saved-replies", title="On my way", body="Bob here,\r\non my way")
    assert "Saved reply “On my way” saved." in page.text
    assert own_replies(app, BOB) == [("On my way", "Bob here,\non my way")]

    found = reply_id(app, "On my way")
    form = bob.get(f"/profile/saved-replies/{found}").text
    assert "Edit “On my way”" in form and 'value="On my way"' in form
    bob.post(f"/profile/saved-replies/{found}", title="Coming", body="Coming now")
    assert own_replies(app, BOB) == [("Coming", "Coming now")]

    page = bob.post(f"/profile/saved-replies/{found}/delete")
    assert "Saved reply “Coming” deleted." in page.text
    assert own_replies(app, BOB) == []


def test_the_profile_lists_only_ones_own_replies(app, acme, browser, api):
    api(ADMIN).post("/saved-replies", json={"title": "Shared one", "body": "x", "shared": True})
    api(CAT).post("/saved-replies", json={"title": "Cat own", "body": "y"})
    api(BOB).post("/saved-replies", json={"title": "Bob own", "body": "z"})
    page = browser(BOB).get("/profile").text
    assert "Bob own" in page
    assert "Shared one" not in page and "Cat own" not in page


@pytest.mark.parametrize(
    "form, field",
    [
        ({"title": "", "body": "Hi"}, "title"),
        ({"title": "x" * 81, "body": "Hi"}, "title"),
        ({"title": "a\r\nb", "body": "Hi"}, "title"),
        ({"title": "Hi", "body": "x" * 1601}, "body"),
        ({"title": "Hi", "body": "{nope}"}, "body"),
    ],
)
def test_a_bad_reply_is_shown_again_with_the_fields_message(app, acme, browser, form, field):
    bob = browser(BOB)
    r = bob.client.post("/profile/saved-replies", data={"csrf_token": bob.token(), **form})
    assert r.status_code == 422
    assert f'id="reply-{field}-error">' in r.text
    assert own_replies(app, BOB) == []


def test_someone_elses_reply_is_not_found_from_the_profile(app, acme, browser, api):
    cats = api(CAT).post("/saved-replies", json={"title": "Cat own", "body": "y"}).json["id"]
    shared = api(ADMIN).post("/saved-replies", json={"title": "S", "body": "x", "shared": True})
    bob = browser(BOB)
    for found in (cats, shared.json["id"]):
        assert bob.client.get(f"/profile/saved-replies/{found}").status_code == 404
        data = {"csrf_token": bob.token(), "title": "Mine", "body": "now"}
        assert bob.client.post(f"/profile/saved-replies/{found}", data=data).status_code == 404
        data = {"csrf_token": bob.token()}
        r = bob.client.post(f"/profile/saved-replies/{found}/delete", data=data)
        assert r.status_code == 404
    assert own_replies(app, CAT) == [("Cat own", "y")]


def composer_replies(html: str) -> list[dict] | None:
    """The replies the page gives the composer, or None when it offers none."""
    found = re.search(
        r'<script type="application/json" id="saved-replies-data">(.*?)</script>', html
    )
    return json.loads(found.group(1)) if found else None


def test_the_composer_offers_the_replies_filled_in_for_the_conversation(
    app, acme, api, browser, conversation_id
):
    with app.app_context():
        db.session.scalar(select(Contact)).name = "Wendy Walker"
        db.session.commit()
    api(ADMIN).post("/saved-replies", json={"title": "Late", "body": LATE, "shared": True})
    api(BOB).post("/saved-replies", json={"title": "Mine", "body": "{number_label} here"})
    api(CAT).post("/saved-replies", json={"title": "Cat's", "body": "Cat here"})
    page = browser(BOB).get(f"/conversations/{conversation_id}").text
    assert 'id="saved-replies-button"' in page
    assert composer_replies(page) == [
        {
            "title": "Late",
            "body": "Hi Wendy, this is Bob from Acme Plumbing: running late!",
            "files": [],
        },
        {"title": "Mine", "body": "Main line here", "files": []},
    ]


def test_a_disabled_composer_offers_no_saved_replies(app, acme, api, browser, conversation_id):
    api(ADMIN).post("/saved-replies", json={"title": "Late", "body": LATE, "shared": True})
    assert api(CAT).post(f"/conversations/{conversation_id}/claim").status_code == 200
    page = browser(BOB).get(f"/conversations/{conversation_id}").text
    assert 'id="composer-reason"' in page
    assert 'id="saved-replies-button"' not in page and composer_replies(page) is None


def test_a_hostile_reply_cannot_end_the_data_island(app, acme, api, browser, conversation_id):
    attack = "</script><script>alert(1)</script>"
    api(BOB).post("/saved-replies", json={"title": attack, "body": attack})
    page = browser(BOB).get(f"/conversations/{conversation_id}").text
    assert attack not in page
    assert composer_replies(page) == [{"title": attack, "body": attack, "files": []}]
