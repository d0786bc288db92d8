"""Pictures and files sent with a text (SPEC §2.13, §3): one MMS, kept in storage, fetched by the
provider from a signed address that expires within the hour; bad files refused before anything
is kept or sent."""

import io
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import MessageMedia
from app.storage import parsed
from tests.support import BASE_URL, seen_by_admin
from tests.support.twilio_fake import twilio  # noqa: F401 (a fixture)

BOB = "bob@acme.test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"leak photo" * 50
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg" * 100
GIF = b"GIF89a" + b"gif" * 10
PDF = b"%PDF-1.7\n" + b"quote: $240\n" * 20
VCARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Acme Plumbing\r\nTEL:+15005550101\r\nEND:VCARD\r\n"
MB = 1024 * 1024


def files(*named: tuple[str, bytes]) -> list:
    return [(io.BytesIO(data), name) for name, data in named]


def send(api, conversation_id: int, *named, body="Your quote", claim=True):
    form = {"body": body, "claim": "true" if claim else "false", "files": files(*named)}
    return api(BOB).post(
        f"/conversations/{conversation_id}/messages", data=form, content_type="multipart/form-data"
    )


def opened(api, email: str, url: str):
    """A medium's `url` (in the app, not under /api/v1) opened with the user's token."""
    caller = api(email)
    return caller.client.get(url, headers={"Authorization": f"Bearer {caller.token}"})


def kept(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MessageMedia))


def test_a_photo_and_a_pdf_go_as_one_mms_fetched_by_signed_address(
    app,
    api,
    client,
    conversation_id,
    twilio,  # noqa: F811
):
    r = send(api, conversation_id, ("leak.png", PNG), ("quote.pdf", PDF))
    assert r.status_code == 201, r.get_json()
    media = r.json["media"]
    assert [m["content_type"] for m in media] == ["image/png", "application/pdf"]
    (create,) = twilio.creates()
    assert create.form["Body"] == "Your quote"
    shared = create.lists["MediaUrl"]
    assert len(shared) == 2 and all(u.startswith(f"{BASE_URL}/media/shared/") for u in shared)
    # The provider fetches each without a session; the agent's own see them through the app.
    photo, quote = (client.get(u.removeprefix(BASE_URL)) for u in shared)
    assert (photo.status_code, photo.mimetype, photo.data) == (200, "image/png", PNG)
    assert (quote.status_code, quote.data) == (200, PDF)
    assert quote.headers["Content-Disposition"].startswith("attachment")
    assert quote.mimetype == "application/octet-stream", "never shown as a page"
    assert opened(api, BOB, media[0]["url"]).data == PNG
    detail = api(BOB).get(f"/conversations/{conversation_id}").json
    assert detail["messages"][-1]["media"] == media
    assert opened(api, "eve@other.test", media[0]["url"]).status_code == 404


def test_an_mms_may_have_no_text_and_every_kind_is_taken(
    app,
    api,
    conversation_id,
    twilio,  # noqa: F811
):
    named = [("a.jpg", JPEG), ("b.gif", GIF), ("card.vcf", VCARD), ("c.png", PNG)]
    r = send(api, conversation_id, *named, body="")
    assert r.status_code == 201, r.get_json()
    assert [m["content_type"] for m in r.json["media"]] == [
        "image/jpeg",
        "image/gif",
        "text/vcard",
        "image/png",
    ]
    (create,) = twilio.creates()
    assert "Body" not in create.form and len(create.lists["MediaUrl"]) == 4


def test_the_signed_address_expires_within_the_hour_and_cannot_be_forged(
    app,
    api,
    client,
    conversation_id,
    twilio,  # noqa: F811
):
    assert send(api, conversation_id, ("leak.png", PNG)).status_code == 201
    (address,) = twilio.creates()[0].lists["MediaUrl"]
    path = address.removeprefix(BASE_URL)
    assert client.get(path[:-2] + "xx").status_code == 404
    assert client.get("/media/shared/1").status_code == 404
    with time_machine.travel(timedelta(minutes=61)):
        assert client.get(path).status_code == 404


BAD_FILES = [
    pytest.param([("big.jpg", JPEG + b"\x00" * (6 * MB))], id="6-MB"),
    pytest.param(
        [("a.png", PNG + b"\x00" * (3 * MB)), ("b.png", PNG + b"\x00" * (3 * MB))], id="6-MB-in-two"
    ),
    pytest.param([(f"{n}.png", PNG) for n in range(11)], id="11-files"),
    pytest.param(
        [("setup.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500)], id="exe-named-jpg"
    ),
    pytest.param([("page.png", b"<html><script>alert(1)</script></html>")], id="html-named-png"),
    pytest.param([("empty.png", b"")], id="empty"),
    pytest.param([("../../x.png", PNG)], id="dot-dot-name"),
    pytest.param([("<script>.png", PNG)], id="script-name"),
    pytest.param([("ok.png", PNG), ("bad\x00.png", PNG)], id="nul-in-name"),
    pytest.param([(".htaccess", PNG)], id="hidden-name"),
    pytest.param([("x" * 252 + ".png", PNG)], id="256-character-name"),
]


@pytest.mark.parametrize("named", BAD_FILES)
def test_bad_files_are_refused_naming_files_and_nothing_is_kept_or_sent(
    app,
    api,
    conversation_id,
    named,
    twilio,  # noqa: F811
):
    before = seen_by_admin(api, conversation_id)
    r = send(api, conversation_id, *named)
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.json["error"]["code"] == "invalid"
    assert "files" in r.json["error"]["fields"]
    assert kept(app) == 0
    assert twilio.creates() == []
    assert seen_by_admin(api, conversation_id) == before  # not claimed either


def test_a_request_larger_than_any_mms_is_413(api, conversation_id):
    r = send(api, conversation_id, ("huge.jpg", JPEG + b"\x00" * (17 * MB)))
    assert r.status_code == 413
    assert r.json["error"]["code"] == "too_large"


def test_files_sent_as_text_fields_are_refused(api, conversation_id):
    r = api(BOB).post(
        f"/conversations/{conversation_id}/messages",
        data={"body": "Hi", "claim": "true", "files": "not a file"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "files" in r.json["error"]["fields"]


def test_the_portal_sends_files_and_says_why_it_refuses_one(
    app,
    browser,
    conversation_id,
    twilio,  # noqa: F811
):
    bob = browser(BOB)
    url = f"/conversations/{conversation_id}/messages"
    refused = bob.client.post(
        url,
        data={
            "csrf_token": bob.token(),
            "claim": "1",
            "body": "",
            "files": files(("a.jpg", b"MZ")),
        },
        headers={"X-Requested-With": "fetch", "Accept": "application/json"},
    )
    assert refused.status_code == 422
    assert refused.json["error"]["message"] == (
        "Some files cannot be sent: a.jpg is not a JPEG, PNG or GIF picture, a PDF or a vCard."
    )
    page = bob.post(url, claim="1", body="", files=files(("leak.png", PNG)))
    assert "Text sent." in page.text
    with app.app_context():
        (item,) = db.session.scalars(select(MessageMedia)).all()
        assert (item.filename, item.content_type, item.size) == ("leak.png", "image/png", len(PNG))
    assert (
        f'<img class="mms" src="/media/{item.id}" alt="Picture 1 sent by Bob Tester"' in page.text
    )
    (create,) = twilio.creates()
    assert len(create.lists["MediaUrl"]) == 1 and "Body" not in create.form


def test_with_storage_url_an_agents_files_sit_in_the_bucket(
    app,
    api,
    client,
    conversation_id,
    s3,
    monkeypatch,
    tmp_path,
    twilio,  # noqa: F811
):
    s3_client, bucket = s3
    monkeypatch.setitem(app.extensions, "storage", parsed(f"s3://{bucket}/acme", tmp_path))
    r = send(api, conversation_id, ("quote.pdf", PDF))
    assert r.status_code == 201, r.get_json()
    (listed,) = s3_client.list_objects_v2(Bucket=bucket)["Contents"]
    assert listed["Key"].startswith("acme/")
    assert s3_client.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read() == PDF
    (address,) = twilio.creates()[0].lists["MediaUrl"]
    assert client.get(address.removeprefix(BASE_URL)).data == PDF
