"""The demo flow with Twilio as the provider (the fake behind the real SDK): a text comes in,
an agent claims and replies, Twilio's callbacks report delivery; and inbound MMS pictures."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import create_app, tasks
from app.extensions import db
from app.models import EarlyStatus, MessageMedia
from app.models.base import utcnow
from tests.support import BASE_URL, CUSTOMER, NUM, Api, Client, settings, sign, text_in
from tests.support.twilio_fake import (
    SERVICE,
    RewritingClient,
    twilio,  # noqa: F401 (a fixture)
    twilio_service,  # noqa: F401 (a fixture)
)

WEBHOOK = f"{BASE_URL}/webhooks/twilio/sms"

PNG = b"\x89PNG\r\n\x1a\n" + b"picture-bytes" * 10


def callback(client, sid: str, status: str, error_code: str | None = None):
    path = "/webhooks/twilio/status"
    params = {"MessageSid": sid, "MessageStatus": status}
    if error_code:
        params["ErrorCode"] = error_code
    return client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
    )


@pytest.fixture
def twilio_app(app, twilio):  # noqa: F811
    """The app as SMS_PROVIDER=twilio builds it (create_app, the provider from the settings), on
    the test database, with only the SDK's HTTP client sent to the fake Twilio."""
    built = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            SMS_PROVIDER="twilio",
            TWILIO_ACCOUNT_SID=twilio.account_sid,
            TWILIO_AUTH_TOKEN=twilio.auth_token,
        )
    )
    built.test_client_class = Client
    built.extensions["sms"].client.http_client = RewritingClient(twilio.url, timeout=5)
    yield built
    with built.app_context():
        db.engine.dispose()


def test_text_in_claim_reply_and_delivered_with_sms_provider_twilio(
    twilio_app,
    acme,
    twilio,  # noqa: F811
):
    client = twilio_app.test_client()
    assert text_in(client, CUSTOMER, NUM, "Is anyone there?").status_code == 200
    opt_in = twilio.creates()[0]
    assert (opt_in.form["To"], opt_in.form["From"]) == (CUSTOMER, NUM)
    assert opt_in.form["Body"].startswith("Welcome to Acme Plumbing!")
    assert opt_in.user == twilio.account_sid
    bob = Api(client, acme.tokens["bob@acme.test"])
    (item,) = bob.tab("active")
    assert (
        bob.post(
            f"/conversations/{item['id']}/messages",
            json={"body": "Yes! How can we help?", "claim": True},
        ).status_code
        == 201
    )
    reply = twilio.creates()[-1]
    assert reply.form == {
        "To": CUSTOMER,
        "From": NUM,
        "Body": "Yes! How can we help?",
        "StatusCallback": f"{BASE_URL}/webhooks/twilio/status",
    }
    sid = next(m["sid"] for m in twilio.messages if m["body"] == "Yes! How can we help?")
    for status in ("sent", "delivered", "sending"):  # out of order: never backwards
        assert callback(client, sid, status).status_code == 204
    sent = bob.get(f"/conversations/{item['id']}").json["messages"][-1]
    assert (sent["body"], sent["status"]) == ("Yes! How can we help?", "delivered")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("30006", "A landline, or a number that cannot take texts."),
        ("30032", "Blocked: the sending toll-free number is not verified for texting yet."),
    ],
)
def test_failed_delivery_shows_the_reason(app, acme, client, api, twilio, code, reason):  # noqa: F811
    text_in(client, CUSTOMER, NUM, "Hi")
    bob = api("bob@acme.test")
    (item,) = bob.tab("active")
    bob.post(f"/conversations/{item['id']}/messages", json={"body": "Hello", "claim": True})
    sid = next(m["sid"] for m in twilio.messages if m["body"] == "Hello")
    callback(client, sid, "undelivered", code)
    sent = bob.get(f"/conversations/{item['id']}").json["messages"][-1]
    assert (sent["status"], sent["error_code"], sent["error_message"]) == (
        "undelivered",
        code,
        reason,
    )


def test_a_callback_that_outruns_twilios_answer_is_applied_when_the_sid_is_stored(
    app,
    acme,
    client,
    api,
    twilio,  # noqa: F811
):
    text_in(client, CUSTOMER, NUM, "Hi")
    bob = api("bob@acme.test")
    (item,) = bob.tab("active")
    sid = twilio.reserve_sid()  # the SID Twilio gives the reply
    assert callback(client, sid, "undelivered", "30003").status_code == 204

    bob.post(f"/conversations/{item['id']}/messages", json={"body": "On our way", "claim": True})

    assert next(m["sid"] for m in twilio.messages if m["body"] == "On our way") == sid
    sent = bob.get(f"/conversations/{item['id']}").json["messages"][-1]
    assert (sent["body"], sent["status"], sent["error_code"], sent["error_message"]) == (
        "On our way",
        "undelivered",
        "30003",
        "The phone is unreachable (off or out of coverage).",
    )


def test_callbacks_for_texts_never_stored_are_let_go_after_a_day(app, acme, client):
    """Notification texts get delivery callbacks too; no text of a conversation takes them. The
    beat's sweep lets them go."""
    for status in ("sent", "delivered"):
        assert callback(client, "SM" + "a" * 32, status).status_code == 204
    with app.app_context():
        db.session.execute(update(EarlyStatus).values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    assert callback(client, "SM" + "b" * 32, "sent").status_code == 204

    with app.app_context():
        tasks.send_stalled()
        kept = db.session.scalars(select(EarlyStatus.provider_sid)).all()
        assert kept == ["SM" + "b" * 32]
        db.session.remove()


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


def test_twilio_check_with_a_messaging_service_checks_its_webhook_and_numbers(
    acme,  # first: Main line is turned on before the service is there
    app,
    twilio,  # noqa: F811
    twilio_service,  # noqa: F811 (the app sends through the service)
):
    twilio.services[SERVICE]["inbound_request_url"] = "https://old-host.example/sms"
    runner = app.test_cli_runner()
    r = runner.invoke(args=["twilio-check"])
    assert r.exit_code == 1, r.output
    assert (
        f"Messaging Service {SERVICE}: 0 number(s), "
        "incoming-message webhook: https://old-host.example/sms"
    ) in r.output
    assert (
        f"PROBLEM Messaging Service {SERVICE}: incoming-message webhook is "
        f"https://old-host.example/sms, should be {WEBHOOK}"
    ) in r.output
    assert f"PROBLEM {NUM} (Main line): not in Messaging Service {SERVICE}" in r.output
    twilio.services[SERVICE]["inbound_request_url"] = WEBHOOK
    app.extensions["sms"].activate(NUM)
    r = runner.invoke(args=["twilio-check"])
    assert r.exit_code == 0, r.output
    assert f"Messaging Service {SERVICE}: 1 number(s), incoming-message webhook: {WEBHOOK}" in (
        r.output
    )
    assert "All active numbers point here." in r.output
    # A service may leave inbound texts to each number's own webhook: then that one counts.
    twilio.services[SERVICE]["use_inbound_webhook_on_number"] = True
    r = runner.invoke(args=["twilio-check"])
    assert r.exit_code == 1, r.output
    assert f"PROBLEM {NUM} (Main line): webhook is (none), should be {WEBHOOK}" in r.output


def test_behind_a_proxy_a_webhook_is_checked_against_the_public_url_and_logged_with_its_sender(
    app, acme, caplog
):
    proxied = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            PUBLIC_BASE_URL="https://sms.example.com",
            PROXY_FIX=1,
        )
    )
    proxied.test_client_class = Client
    path = "/webhooks/twilio/sms"
    params = {"MessageSid": "SM" + "6" * 32, "From": CUSTOMER, "To": NUM, "Body": "via proxy"}
    with caplog.at_level(logging.INFO, logger="app.requests"):
        r = proxied.test_client().post(
            path,
            data=params,
            base_url="http://10.0.0.5:8000",
            environ_base={"REMOTE_ADDR": "10.0.0.5"},  # the proxy
            headers={
                "X-Twilio-Signature": sign("https://sms.example.com" + path, params),
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "sms.example.com",
                "X-Forwarded-For": "54.0.0.1",  # Twilio
            },
        )
    assert r.status_code == 200
    (line,) = [r for r in caplog.records if r.name == "app.requests"]
    assert (line.path, line.remote_addr) == (path, "54.0.0.1")
    with proxied.app_context():
        db.engine.dispose()
