"""Saved replies with pictures and files (SPEC §2.10, §2.13): added on the admin page and the
profile, checked as the composer's files, served to those who may use the reply, removed with it."""

import io
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SavedReply, SavedReplyFile
from app.storage import Missing, storage

ADMIN, BOB = "admin@acme.test", "bob@acme.test"
PNG = b"\x89PNG\r\n\x1a\n" + b"map to the office" * 20
PDF = b"%PDF-1.7\n" + b"price list" * 20


def form(browser, **values):
    return {"csrf_token": browser.token(), "title": "Directions", "body": "Here is how", **values}


def upload(*named):
    return [(io.BytesIO(data), name) for name, data in named]


def files_of(app, title: str) -> list[tuple[str, str, int]]:
    with app.app_context():
        reply = db.session.scalar(select(SavedReply).where(SavedReply.title == title))
        return [(f.filename, f.content_type, f.size) for f in reply.files]


def test_an_admin_shares_a_reply_with_a_map_and_agents_get_it_in_the_composer(
    app, acme, browser, conversation_id
):
    admin = browser(ADMIN)
    r = admin.client.post(
        "/admin/saved-replies",
        data=form(admin, files=upload(("map.png", PNG), ("prices.pdf", PDF))),
        follow_redirects=True,
    )
    assert "Saved reply “Directions” saved." in r.text
    assert "With map.png, prices.pdf" in r.text
    assert files_of(app, "Directions") == [
        ("map.png", "image/png", len(PNG)),
        ("prices.pdf", "application/pdf", len(PDF)),
    ]
    page = browser(BOB).get(f"/conversations/{conversation_id}").text
    start = page.index('id="saved-replies-data">') + len('id="saved-replies-data">')
    (offered,) = json.loads(page[start : page.index("</script>", start)])
    assert [(f["name"], f["type"]) for f in offered["files"]] == [
        ("map.png", "image/png"),
        ("prices.pdf", "application/pdf"),
    ]
    bob = browser(BOB)
    picture = bob.client.get(offered["files"][0]["url"])
    assert (picture.status_code, picture.mimetype, picture.data) == (200, "image/png", PNG)
    assert browser("eve@other.test").client.get(offered["files"][0]["url"]).status_code == 404


@pytest.mark.parametrize(
    "named",
    [
        [("setup.png", b"MZ\x90\x00" + b"\x00" * 100)],
        [("empty.pdf", b"")],
        [("../map.png", PNG)],
        [(f"{n}.png", PNG) for n in range(11)],
    ],
    ids=["exe-named-png", "empty", "dot-dot-name", "11-files"],
)
def test_bad_files_are_refused_naming_files_and_nothing_is_saved(app, acme, browser, named):
    admin = browser(ADMIN)
    r = admin.client.post("/admin/saved-replies", data=form(admin, files=upload(*named)))
    assert r.status_code == 422
    assert 'id="reply-files-error"' in r.text
    with app.app_context():
        assert db.session.scalars(select(SavedReply)).all() == []
        assert db.session.scalars(select(SavedReplyFile)).all() == []


def test_an_agent_edits_their_reply_files_and_deleting_it_deletes_them(app, acme, browser):
    bob = browser(BOB)
    bob.client.post("/profile/saved-replies", data=form(bob, files=upload(("map.png", PNG))))
    with app.app_context():
        reply = db.session.scalar(select(SavedReply))
        reply_id, (first,) = reply.id, [(f.id, f.storage_key) for f in reply.files]
    url = f"/profile/saved-replies/{reply_id}"
    # Ten files in all at most: the one kept counts.
    ten = upload(*((f"{n}.pdf", PDF) for n in range(10)))
    assert bob.client.post(url, data=form(bob, files=ten)).status_code == 422
    r = bob.client.post(
        url,
        data=form(bob, drop=str(first[0]), files=upload(("prices.pdf", PDF))),
        follow_redirects=True,
    )
    assert "Saved reply “Directions” saved." in r.text
    assert files_of(app, "Directions") == [("prices.pdf", "application/pdf", len(PDF))]
    with app.app_context():
        with pytest.raises(Missing):
            storage().get(first[1])
        (kept,) = db.session.scalars(select(SavedReplyFile.storage_key)).all()
    bob.client.post(f"{url}/delete", data={"csrf_token": bob.token()})
    with app.app_context():
        assert db.session.scalars(select(SavedReplyFile)).all() == []
        with pytest.raises(Missing):
            storage().get(kept)


def test_the_api_lists_a_replys_files(app, acme, browser, api):
    admin = browser(ADMIN)
    admin.client.post("/admin/saved-replies", data=form(admin, files=upload(("map.png", PNG))))
    (reply,) = api(BOB).get("/saved-replies").json["items"]
    (file,) = reply["files"]
    assert file["filename"] == "map.png" and file["content_type"] == "image/png"
    assert file["url"].startswith(f"/saved-replies/{reply['id']}/files/")


@pytest.mark.parametrize("path", ["/profile/saved-replies", "/admin/saved-replies"])
@pytest.mark.parametrize("drop", ["²", "0", "x"])
def test_a_file_to_remove_that_names_no_file_is_refused_naming_it(app, acme, browser, path, drop):
    page = browser(ADMIN)
    r = page.client.post(path, data=form(page, drop=drop))
    assert r.status_code == 422
    assert "drop: Not a valid id (" in r.text
    with app.app_context():
        assert db.session.scalars(select(SavedReply)).all() == []
