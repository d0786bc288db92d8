"""Admin → Saved replies: the replies the account shares, managed by its admins (SPEC §2.10)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SavedReply

ADMIN, BOB, EVE = "admin@acme.test", "bob@acme.test", "eve@other.test"
PAGE = "/admin/saved-replies"


def replies(app) -> list[tuple[str, str, bool]]:
    with app.app_context():
        rows = db.session.scalars(select(SavedReply).order_by(SavedReply.id))
        return [(r.title, r.body, r.shared) for r in rows]


@pytest.fixture
def admin(acme, browser):
    return browser(ADMIN)


def test_an_admin_adds_edits_and_deletes_a_shared_reply(app, admin):
    page = admin.post(PAGE, title="Running late", body="Hi {contact_first_name},\r\nlate!")
    assert "Saved reply “Running late” saved." in page.text
    assert replies(app) == [("Running late", "Hi {contact_first_name},\nlate!", True)]
    with app.app_context():
        reply_id = db.session.scalar(select(SavedReply.id))
    assert f'href="/admin/saved-replies/{reply_id}#reply-form"' in page.text

    form = admin.get(f"{PAGE}/{reply_id}").text
    assert "Edit “Running late”" in form and 'value="Running late"' in form
    page = admin.post(f"{PAGE}/{reply_id}", title="Late", body="Sorry, late!")
    assert "Saved reply “Late” saved." in page.text
    assert replies(app) == [("Late", "Sorry, late!", True)]

    page = admin.post(f"{PAGE}/{reply_id}/delete")
    assert "Saved reply “Late” deleted." in page.text
    assert replies(app) == []


def test_the_page_lists_the_variables(admin):
    page = admin.get(PAGE).text
    for name in (
        "contact_first_name",
        "contact_name",
        "agent_first_name",
        "company",
        "number_label",
    ):
        assert "{" + name + "}" in page


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"title": "", "body": "Hi"}, "title", "Required."),
        ({"title": "x" * 81, "body": "Hi"}, "title", "At most 80 characters (81 given)."),
        ({"title": "a\nb", "body": "Hi"}, "title", "No line breaks or control characters."),
        ({"title": "Late", "body": ""}, "body", "Required."),
        ({"title": "Late", "body": "x" * 1601}, "body", "At most 1,600 characters (1,601 given)."),
        ({"title": "Late", "body": "Hi {contact_frist_name}"}, "body", "Not a variable"),
    ],
)
def test_a_bad_reply_is_shown_again_with_the_fields_message(app, admin, form, field, message):
    r = admin.client.post(PAGE, data={"csrf_token": admin.token(), **form})
    assert r.status_code == 422
    assert f'id="reply-{field}-error">{message}' in r.text
    assert replies(app) == []


def test_a_refused_edit_keeps_what_was_typed_and_changes_nothing(app, admin):
    admin.post(PAGE, title="Late", body="Sorry!")
    with app.app_context():
        reply_id = db.session.scalar(select(SavedReply.id))
    r = admin.client.post(
        f"{PAGE}/{reply_id}", data={"csrf_token": admin.token(), "title": "", "body": "Typed"}
    )
    assert r.status_code == 422
    assert ">Typed</textarea>" in r.text
    assert replies(app) == [("Late", "Sorry!", True)]


def test_an_agent_gets_403(acme, browser):
    bob = browser(BOB)
    assert bob.client.get(PAGE).status_code == 403
    r = bob.client.post(PAGE, data={"csrf_token": bob.token(), "title": "A", "body": "B"})
    assert r.status_code == 403
    assert "Saved replies" not in bob.get("/conversations").text.split("<main>")[0]


def test_a_personal_reply_or_another_accounts_is_not_found_here(app, acme, api, browser, admin):
    own = api(ADMIN).post("/saved-replies", json={"title": "Mine", "body": "x"}).json["id"]
    other = api(EVE).post("/saved-replies", json={"title": "Theirs", "body": "y", "shared": True})
    for reply_id in (own, other.json["id"]):
        assert admin.client.get(f"{PAGE}/{reply_id}").status_code == 404
        r = admin.client.post(f"{PAGE}/{reply_id}/delete", data={"csrf_token": admin.token()})
        assert r.status_code == 404
    assert "Mine" not in admin.get(PAGE).text
    assert [title for title, _, _ in replies(app)] == ["Mine", "Theirs"]


def test_titles_and_bodies_are_shown_as_text(admin):
    attack = "<script>alert(1)</script>"
    admin.post(PAGE, title=attack, body=attack)
    page = admin.get(PAGE).text
    assert attack not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
