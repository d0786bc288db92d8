"""The simulated carrier: /dev/phone texts through the real inbound path; /dev/outbox shows it."""

from tests.support import NUM, csrf_token


def test_phone_text_opens_a_conversation_and_the_reply_reaches_the_phone(app, acme, client, api):
    page = client.get("/dev/phone?phone=%2B15555550123&number=%2B15005550101")
    assert "Main line" in page.text
    r = client.post(
        "/dev/phone?phone=%2B15555550123&number=%2B15005550101",
        data={"body": "Is anyone there?", "csrf_token": csrf_token(page.text)},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "Is anyone there?" in r.text
    assert "Welcome to Acme Plumbing!" in r.text, "the opt-in text shows on the phone"
    bob = api("bob@acme.test")
    (item,) = bob.tab("active")
    assert item["contact"]["phone"] == "+15555550123"
    bob.post(
        f"/conversations/{item['id']}/messages",
        json={"body": "Yes! How can we help?", "claim": True},
    )
    thread = client.get("/dev/phone/thread?phone=%2B15555550123&number=%2B15005550101").text
    assert "Yes! How can we help?" in thread
    outbox = client.get("/dev/outbox").text
    assert "Yes! How can we help?" in outbox and "+15555550123" in outbox
    assert NUM in outbox


def test_the_simulated_carriers_pages_exist_only_with_the_simulator(app):
    from app import create_app
    from tests.support import settings

    real = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            SMS_PROVIDER="twilio",
            TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        )
    )
    client = real.test_client()
    assert client.get("/dev/phone").status_code == 404
    assert client.get("/dev/outbox").status_code == 404
    assert app.test_client().get("/dev/outbox").status_code == 200
