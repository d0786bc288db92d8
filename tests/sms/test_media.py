"""Inbound MMS media: fetched only from this Twilio account's media at api.twilio.com (its
redirect followed over HTTPS only, without our credentials), never from a URL a request names;
served as a picture, sound or video with its stored type, anything else as a download."""

import itertools

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import MessageMedia
from app.sms import MediaRefused, MediaUnavailable
from app.storage import parsed, storage
from tests.support import BASE_URL, CUSTOMER, NUM, sign
from tests.support.twilio_fake import (
    API_HOST,
    MEDIA_HOST,
    FakeTwilio,
    twilio,  # noqa: F401 (a fixture)
)
from tests.support.waiting import jobs_settled

PNG = b"\x89PNG\r\n\x1a\n" + b"picture-bytes" * 10
_sids = itertools.count(1)


def mms(client, *media: tuple[str, str]):
    """A signed inbound MMS to Main line with these (URL, content type)."""
    path = "/webhooks/twilio/sms"
    sid = f"SM{next(_sids):032d}"
    params = {"MessageSid": sid, "From": CUSTOMER, "To": NUM, "Body": "See this"}
    params["NumMedia"] = str(len(media))
    for i, (url, kind) in enumerate(media):
        params[f"MediaUrl{i}"], params[f"MediaContentType{i}"] = url, kind
    r = client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
    )
    assert r.status_code == 200


def media_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(MessageMedia.id).order_by(MessageMedia.position)))


def test_a_picture_is_fetched_with_our_credentials_and_its_store_without_them(
    app,
    acme,
    client,
    browser,
    twilio,  # noqa: F811
):
    mms(client, (twilio.add_media("image/png", PNG), "image/png"))
    (media_id,) = media_ids(app)
    r = browser("bob@acme.test").client.get(f"/media/{media_id}")
    assert (r.status_code, r.mimetype, r.data) == (200, "image/png", PNG)
    assert r.headers["Content-Disposition"] == "inline"
    assert r.headers["Cache-Control"] == "private, max-age=3600", "kept by the user's browser only"
    assert [(req.host, req.user) for req in twilio.calls("GET", "")] == [
        (API_HOST, twilio.account_sid),
        (MEDIA_HOST, None),
    ], "the credentials go to api.twilio.com only, not to where it redirects"


@pytest.mark.parametrize(
    "stored, served, disposition",
    [
        ("image/jpeg", "image/jpeg", "inline"),
        ("audio/mpeg", "audio/mpeg", "inline"),
        ("video/mp4", "video/mp4", "inline"),
        ("text/html", "application/octet-stream", "attachment"),
        ("text/html; charset=utf-8", "application/octet-stream", "attachment"),
        ("image/svg+xml", "application/octet-stream", "attachment"),
        ("application/pdf", "application/octet-stream", "attachment"),
        ("text/vcard", "application/octet-stream", "attachment"),
    ],
)
def test_media_is_served_with_its_stored_type_only_as_a_picture_sound_or_video(
    app,
    acme,
    client,
    browser,
    twilio,  # noqa: F811
    stored,
    served,
    disposition,
):
    body = b"<html><script>alert(1)</script></html>"
    mms(client, (twilio.add_media(stored, body), stored))
    (media_id,) = media_ids(app)
    r = browser("bob@acme.test").client.get(f"/media/{media_id}")
    assert r.status_code == 200 and r.data == body
    assert r.mimetype == served
    assert r.headers["Content-Disposition"].split(";")[0] == disposition
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def other_account_media() -> str:
    return (
        f"https://{API_HOST}/2010-04-01/Accounts/AC{'2' * 32}/Messages/MM{'3' * 32}"
        f"/Media/ME{'4' * 32}"
    )


def refused_urls(fake: FakeTwilio) -> list[str]:
    """URLs that are not this account's media at api.twilio.com, however close."""
    good = fake.add_media("image/png", PNG)
    path = good.removeprefix(f"https://{API_HOST}")
    return [
        good.replace("https://", "http://"),
        f"https://evil.example{path}",
        f"https://{API_HOST}.evil.example{path}",
        f"https://{API_HOST}:8443{path}",
        f"https://user:pass@{API_HOST}{path}",
        f"{good}?x=1",
        other_account_media(),
        f"https://{API_HOST}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
        good.replace("/Media/", "/Media/../../"),
        fake.url + path,
        "file:///etc/passwd",
        "",
    ]


def test_a_url_not_of_this_accounts_media_is_refused_before_any_request(
    twilio,  # noqa: F811
):
    provider = twilio.provider()
    for url in refused_urls(twilio):
        with pytest.raises(MediaRefused):
            provider.fetch_media(url)
    assert twilio.requests == []


def test_a_redirect_to_plain_http_is_not_followed(twilio):  # noqa: F811
    url = twilio.add_media("image/png", PNG, location=f"http://{MEDIA_HOST}/AC1/ME1")
    with pytest.raises(MediaUnavailable, match="HTTPS"):
        twilio.provider().fetch_media(url)
    assert [r.host for r in twilio.requests] == [API_HOST]


def test_endless_redirects_stop_after_a_few_hops(twilio):  # noqa: F811
    url = twilio.add_media("image/png", PNG)
    twilio.media[url.removeprefix(f"https://{API_HOST}")] = url  # to itself
    with pytest.raises(MediaUnavailable, match="too many"):
        twilio.provider().fetch_media(url)
    assert len(twilio.requests) == 4


def test_media_larger_than_the_limit_is_refused(twilio):  # noqa: F811
    provider = twilio.provider(max_media_bytes=len(PNG))
    assert provider.fetch_media(twilio.add_media("image/png", PNG)) == PNG
    with pytest.raises(MediaUnavailable, match="larger than"):
        provider.fetch_media(twilio.add_media("image/png", PNG + b"!"))


def test_the_portal_never_fetches_a_url_the_webhook_named_elsewhere(
    app,
    acme,
    client,
    browser,
    twilio,  # noqa: F811
):
    mms(
        client, (twilio.url + "/internal/secret", "image/png"), (other_account_media(), "image/png")
    )
    bob = browser("bob@acme.test")
    for media_id in media_ids(app):
        r = bob.client.get(f"/media/{media_id}")
        assert r.status_code == 404
        assert "not kept by the carrier" in r.text
    assert twilio.calls("GET", "") == []


def test_with_the_simulated_carrier_no_media_url_is_fetched(app, acme, client, browser):
    elsewhere = FakeTwilio().start()
    try:
        mms(client, (elsewhere.add_media("image/png", PNG), "image/png"))
        mms(client, (elsewhere.url + "/2010-04-01/anything", "image/png"))
        bob = browser("bob@acme.test")
        for media_id in media_ids(app):
            assert bob.client.get(f"/media/{media_id}").status_code == 404
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_the_carrier_out_of_reach_is_a_502_saying_so_until_it_is_back(
    app,
    acme,
    client,
    browser,
    twilio,  # noqa: F811
):
    url = twilio.add_media("image/png", PNG)
    twilio.refuse()
    mms(client, (url, "image/png"))  # its picture cannot be fetched to be kept
    assert jobs_settled()
    (media_id,) = media_ids(app)
    bob = browser("bob@acme.test")
    r = bob.client.get(f"/media/{media_id}")
    assert r.status_code == 502
    assert "could not be fetched from the carrier" in r.text
    twilio.resume()
    assert bob.client.get(f"/media/{media_id}").data == PNG  # fetched, and kept now
    twilio.refuse()
    assert bob.client.get(f"/media/{media_id}").data == PNG


def test_pictures_are_kept_once_and_shown_after_the_carrier_deleted_them(
    app,
    acme,
    client,
    browser,
    twilio,  # noqa: F811
):
    files = [(f"image/{kind}", PNG + kind.encode()) for kind in ("png", "jpeg", "gif")]
    mms(client, *((twilio.add_media(kind, data), kind) for kind, data in files))
    assert jobs_settled()
    fetched = len(twilio.calls("GET", ""))
    assert fetched == 2 * len(files)  # each once, its redirect followed
    twilio.media.clear()  # deleted at Twilio
    bob = browser("bob@acme.test")
    for media_id, (kind, data) in zip(media_ids(app), files, strict=True):
        for _ in range(2):
            r = bob.client.get(f"/media/{media_id}")
            assert (r.status_code, r.mimetype, r.data) == (200, kind, data)
    assert len(twilio.calls("GET", "")) == fetched


def test_with_storage_url_pictures_are_kept_in_the_bucket(
    app,
    acme,
    client,
    browser,
    twilio,  # noqa: F811
    s3,
    monkeypatch,
    tmp_path,
):
    s3_client, bucket = s3
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{bucket}/media")
    monkeypatch.setitem(app.extensions, "storage", parsed(app.config["STORAGE_URL"], tmp_path))
    mms(client, (twilio.add_media("image/png", PNG), "image/png"))
    assert jobs_settled()
    (media_id,) = media_ids(app)
    with app.app_context():
        key = db.session.get(MessageMedia, media_id).storage_key
    kept = s3_client.get_object(Bucket=bucket, Key=f"media/{key}")
    assert (kept["ContentType"], kept["Body"].read()) == ("image/png", PNG)
    twilio.media.clear()
    r = browser("bob@acme.test").client.get(f"/media/{media_id}")
    assert (r.status_code, r.data) == (200, PNG)


def test_a_file_gone_from_storage_is_a_404_saying_so(
    app,
    acme,
    client,
    browser,
    twilio,  # noqa: F811
):
    mms(client, (twilio.add_media("image/png", PNG), "image/png"))
    assert jobs_settled()
    (media_id,) = media_ids(app)
    with app.app_context():
        storage().delete(db.session.get(MessageMedia, media_id).storage_key)
    r = browser("bob@acme.test").client.get(f"/media/{media_id}")
    assert r.status_code == 404
    assert "This file is no longer kept." in r.text
    assert client.get(f"/dev/phone/media/{media_id}").status_code == 404
