"""The demo flow with Twilio as the provider (the fake behind the real SDK): a text comes in,
an agent claims and replies, Twilio's callbacks report delivery; and inbound MMS pictures."""

from sqlalchemy import select

from app.extensions import db
from app.models import MessageMedia
from tests.conftest import BASE_URL, CUSTOMER, NUM, sign, text_in
from tests.twilio_fake import twilio  # noqa: F401 (the fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"picture-bytes" * 10


def callback(client, sid: str, status: str, error_code: str | None = None):
    path = "/webhooks/twilio/status"
    params = {"MessageSid": sid, "MessageStatus": status}
    if error_code:
        params["ErrorCode"] = error_code
    return client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
    )


def test_text_in_claim_reply_and_delivered_through_twilio(app, acme, client, api, twilio):  # noqa: F811
    assert text_in(client, CUSTOMER, NUM, "Is anyone there?").status_code == 200
    opt_in = twilio.creates()[0]
    assert (opt_in.form["To"], opt_in.form["From"]) == (CUSTOMER, NUM)
    assert opt_in.form["Body"].startswith("Welcome to Acme Plumbing!")
    bob = api("bob@acme.test")
    (item,) = bob.tab("active")
    assert (
        bob.post(
            f"/conversations/{item['id']}/messages",
            json={"body": "Yes! How can we help?", "claim": True},
        ).status_code
        == 201
    )
    reply = twilio.creates()[-1]
    assert reply.form["Body"] == "Yes! How can we help?"
    assert reply.form["StatusCallback"] == f"{BASE_URL}/webhooks/twilio/status"
    sid = next(m["sid"] for m in twilio.messages if m["body"] == "Yes! How can we help?")
    for status in ("sent", "delivered", "sending"):  # out of order: never backwards
        assert callback(client, sid, status).status_code == 204
    sent = bob.get(f"/conversations/{item['id']}").json["messages"][-1]
    assert (sent["body"], sent["status"]) == ("Yes! How can we help?", "delivered")


def test_failed_delivery_shows_the_reason(app, acme, client, api, twilio):  # noqa: F811
    text_in(client, CUSTOMER, NUM, "Hi")
    bob = api("bob@acme.test")
    (item,) = bob.tab("active")
    bob.post(f"/conversations/{item['id']}/messages", json={"body": "Hello", "claim": True})
    sid = next(m["sid"] for m in twilio.messages if m["body"] == "Hello")
    callback(client, sid, "undelivered", "30006")
    sent = bob.get(f"/conversations/{item['id']}").json["messages"][-1]
    assert (sent["status"], sent["error_code"]) == ("undelivered", "30006")
    assert sent["error_message"] == "A landline, or a number that cannot take texts."


def test_mms_pictures_are_stored_and_served_only_to_those_who_see_the_conversation(
    app,
    acme,
    client,
    api,
    browser,
    twilio,  # noqa: F811
):
    first, second = twilio.add_media("image/png", PNG), twilio.add_media("image/jpeg", b"jpeg!")
    path = "/webhooks/twilio/sms"
    params = {
        "MessageSid": "SM" + "9" * 32,
        "From": CUSTOMER,
        "To": NUM,
        "Body": "See the leak",
        "NumMedia": "2",
        "MediaUrl0": first,
        "MediaContentType0": "image/png",
        "MediaUrl1": second,
        "MediaContentType1": "image/jpeg",
    }
    r = client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
    )
    assert r.status_code == 200
    with app.app_context():
        media = db.session.scalars(select(MessageMedia).order_by(MessageMedia.position)).all()
        assert [(m.url, m.content_type) for m in media] == [
            (first, "image/png"),
            (second, "image/jpeg"),
        ]
        ids = [m.id for m in media]
    (item,) = api("bob@acme.test").tab("active")
    bob = browser("bob@acme.test")
    page = bob.get(f"/conversations/{item['id']}").text
    assert f'src="/media/{ids[0]}"' in page and f'src="/media/{ids[1]}"' in page
    assert first not in page, "the provider's URL is never given to the browser"
    picture = bob.client.get(f"/media/{ids[0]}")
    assert (picture.status_code, picture.mimetype, picture.data) == (200, "image/png", PNG)
    assert bob.client.get(f"/media/{ids[1]}").data == b"jpeg!"
    fetched = [r for r in twilio.requests if r.path in twilio.media]
    assert fetched and all(r.user == twilio.account_sid for r in fetched), "fetched with our auth"
    assert browser("dan@acme.test").client.get(f"/media/{ids[0]}").status_code == 404
    assert browser("eve@other.test").client.get(f"/media/{ids[0]}").status_code == 404
    assert client.get(f"/media/{ids[0]}").status_code == 302, "logged out: to the login page"


def test_twilio_check_lists_numbers_and_flags_a_wrong_webhook(app, acme, twilio):  # noqa: F811
    twilio.add_number("+15005550102", sms_url="https://old-host.example/sms")
    runner = app.test_cli_runner()
    twilio.number(NUM)["sms_url"] = f"{BASE_URL}/webhooks/twilio/sms"
    r = runner.invoke(args=["twilio-check"])
    assert r.exit_code == 0, r.output
    assert "Credentials work. 2 number(s)" in r.output
    assert "+15005550102  SMS webhook: https://old-host.example/sms" in r.output
    assert "All active numbers point here." in r.output
    twilio.number(NUM)["sms_url"] = "https://old-host.example/sms"
    r = runner.invoke(args=["twilio-check"])
    assert r.exit_code == 1
    assert f"PROBLEM {NUM} (Main line): webhook is https://old-host.example/sms" in r.output
    twilio.auth_token = "rotated"  # the app's token no longer works
    r = runner.invoke(args=["twilio-check"])
    assert r.exit_code != 0
    assert "Twilio refused the credentials or could not be reached" in r.output


def wait_for(check, seconds: float = 5) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_twilio_outage_is_retried_until_the_text_goes_out_once(app, acme, client, api, twilio):  # noqa: F811
    text_in(client, CUSTOMER, NUM, "Hi")
    bob = api("bob@acme.test")
    (item,) = bob.tab("active")
    twilio.fail(CUSTOMER, 20500, status=500, message="Internal error", times=2)
    bob.post(f"/conversations/{item['id']}/messages", json={"body": "Retry me", "claim": True})

    def taken_by_twilio():
        last = bob.get(f"/conversations/{item['id']}").json["messages"][-1]
        return (
            last["body"] == "Retry me"
            and last["status"] == "queued"
            and any(m["body"] == "Retry me" for m in twilio.messages)
        )

    assert wait_for(taken_by_twilio), "retried with backoff until Twilio took it"
    assert sum(m["body"] == "Retry me" for m in twilio.messages) == 1
    assert len([r for r in twilio.creates() if r.form["Body"] == "Retry me"]) == 3
