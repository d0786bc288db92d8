"""The inbound webhook: signatures, exactly-once storage, inactive and unknown numbers."""

import functools
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app import create_app, tasks
from app.config import webhook_token
from app.extensions import db
from app.models import Contact, Conversation, EarlyStatus, Message, TrackingNumber
from app.services import inbound
from tests.support import BASE_URL, CUSTOMER, NUM, settings, sign, text_in
from tests.support.race import at_once

OTHER = "+15005550198"


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_signed_text_is_stored_and_answered_with_empty_twiml(app, acme, client):
    r = text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking")
    assert r.status_code == 200
    assert r.mimetype == "text/xml"
    assert b"<Response></Response>" in r.data
    assert (
        count(
            app, Message, Message.direction == "inbound", Message.body == "Hi, my sink is leaking"
        )
        == 1
    )
    assert count(app, Conversation) == 1


def test_first_text_gets_the_opt_in_message_through_the_outbound_path(app, acme, client, api):
    text_in(client, CUSTOMER, NUM, "Hello")
    (item,) = api("bob@acme.test").tab("active")
    messages = api("bob@acme.test").get(f"/conversations/{item['id']}").json["messages"]
    auto = [m for m in messages if m["direction"] == "outbound"]
    assert [m["kind"] for m in auto] == ["auto"]
    assert auto[0]["body"].startswith(
        "Welcome to Acme Plumbing! Messages and data rates may apply."
    )
    assert auto[0]["status"] == "delivered"
    text_in(client, CUSTOMER, NUM, "Hello again")
    messages = api("bob@acme.test").get(f"/conversations/{item['id']}").json["messages"]
    assert sum(m["direction"] == "outbound" for m in messages) == 1, (
        "opt-in sent only on the first text"
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, {"X-Twilio-Signature": ""}],
    ids=["missing", "wrong", "empty"],
)
def test_bad_signature_is_refused_and_nothing_stored(app, acme, client, headers):
    params = {"MessageSid": "SM1", "From": CUSTOMER, "To": NUM, "Body": "forged"}
    r = client.post("/webhooks/twilio/sms", data=params, headers=headers)
    assert r.status_code == 403
    assert count(app, Message) == 0


def test_signature_over_another_url_is_refused(app, acme, client):
    params = {"MessageSid": "SM1", "From": CUSTOMER, "To": NUM, "Body": "replayed"}
    signature = sign("http://attacker.example/webhooks/twilio/sms", params)
    r = client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert r.status_code == 403
    assert count(app, Message) == 0


def test_signature_covers_the_raw_query_string_with_percent_escapes(app, acme, client):
    path = "/webhooks/twilio/sms?src=" + quote("Joe's")  # src=Joe%27s
    assert "%27" in path
    params = {"MessageSid": "SM" + "1" * 32, "From": CUSTOMER, "To": NUM, "Body": "from a campaign"}
    r = client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
    )
    assert r.status_code == 200
    assert count(app, Message, Message.body == "from a campaign") == 1


def test_the_same_message_sid_twice_is_stored_once(app, acme, client):
    sid = "SM" + "ab" * 16
    assert text_in(client, CUSTOMER, NUM, "second text", sid=sid).status_code == 200
    assert text_in(client, CUSTOMER, NUM, "second text", sid=sid).status_code == 200
    assert count(app, Message, Message.provider_sid == sid) == 1


def test_text_to_an_inactive_number_is_kept_without_a_conversation(app, acme, world, client):
    world.number("Acme Plumbing", "+15005550102", sms_users=["bob@acme.test"], active=False)
    r = text_in(client, CUSTOMER, "+15005550102", "anyone there?")
    assert r.status_code == 200
    assert b"<Response></Response>" in r.data
    # Kept for audit, marked so that no filing job takes it for a text still waiting.
    kept = (Message.body == "anyone there?", Message.conversation_id.is_(None))
    assert count(app, Message, *kept, Message.status == "ignored") == 1
    assert count(app, Conversation) == 0


def test_text_to_an_unknown_number_is_answered_and_dropped(app, acme, client):
    r = text_in(client, CUSTOMER, "+15005550999", "wrong number")
    assert r.status_code == 200
    assert r.mimetype == "text/xml"
    assert count(app, Message) == 0


def test_the_inbound_text_webhook_takes_only_post(client):
    r = client.get("/webhooks/twilio/sms")
    assert (r.status_code, r.headers["Allow"]) == (405, "POST")


def test_a_text_that_cannot_be_stored_is_not_answered_as_received(tmp_path, caplog):
    # The database is out of reach: the provider is told 500, never that the text was kept.
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'sms.db'}"
    client = create_app(settings(SQLALCHEMY_DATABASE_URI=missing)).test_client()
    r = text_in(client, CUSTOMER, NUM, "Is anyone there?")
    assert r.status_code == 500
    assert b"<Response>" not in r.data
    assert "unhandled error on POST /webhooks/twilio/sms" in caplog.text


@pytest.mark.parametrize("body", ["", "Café ☕ 👍🏽 — ok?", "x" * 1600, "line one\nline two"])
def test_any_body_is_stored_as_sent(app, acme, client, api, body):
    assert text_in(client, CUSTOMER, NUM, body).status_code == 200
    (item,) = api("bob@acme.test").tab("active")
    messages = api("bob@acme.test").get(f"/conversations/{item['id']}").json["messages"]
    assert messages[0]["direction"] == "inbound"
    assert messages[0]["body"] == body


def test_status_callback_moves_a_text_forward_only(app, acme, client, api, conversation_id):
    with app.app_context():
        sid = db.session.scalar(select(Message.provider_sid).where(Message.direction == "outbound"))
    path = "/webhooks/twilio/status"
    for status in ("sent", "failed"):
        params = {"MessageSid": sid, "MessageStatus": status}
        r = client.post(
            path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
        )
        assert r.status_code == 204
    messages = api("bob@acme.test").get(f"/conversations/{conversation_id}").json["messages"]
    assert [m["status"] for m in messages if m["direction"] == "outbound"] == ["delivered"]
    r = client.post(path, data={"MessageSid": sid, "MessageStatus": "failed"})
    assert r.status_code == 403


def signed_post(client, path: str, params: dict):
    return client.post(
        path, data=params, headers={"X-Twilio-Signature": sign(BASE_URL + path, params)}
    )


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        (("To",), "To"),
        (("From",), "From"),
        (("MessageSid", "SmsSid"), "MessageSid/SmsSid"),
    ],
)
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_a_signed_text_without_a_required_field_gets_400_naming_it_and_nothing_is_stored(
    app, acme, client, left_out, named, how
):
    sid = "SM" + "7" * 32
    params = {"MessageSid": sid, "SmsSid": sid, "From": CUSTOMER, "To": NUM, "Body": "Hello"}
    for field in left_out:
        if how == "absent":
            del params[field]
        else:
            params[field] = ""
    r = signed_post(client, "/webhooks/twilio/sms", params)
    assert r.status_code == 400
    assert r.mimetype == "text/plain"
    assert f"has no {named}" in r.text
    assert count(app, Message) == 0
    assert count(app, Contact) == 0


def test_a_text_with_only_the_older_sms_sid_is_stored(app, acme, client):
    params = {"SmsSid": "SM" + "8" * 32, "From": CUSTOMER, "To": NUM, "Body": "old style"}
    assert signed_post(client, "/webhooks/twilio/sms", params).status_code == 200
    assert count(app, Message, Message.provider_sid == "SM" + "8" * 32) == 1


@pytest.mark.parametrize("left_out", ["MessageSid", "MessageStatus"])
def test_a_signed_status_callback_without_sid_or_status_gets_400_naming_it(
    app, acme, client, left_out
):
    params = {"MessageSid": "SM" + "6" * 32, "MessageStatus": "delivered"}
    del params[left_out]
    r = signed_post(client, "/webhooks/twilio/status", params)
    assert r.status_code == 400
    assert r.mimetype == "text/plain"
    assert r.text == f"The status callback has no {left_out}."
    assert count(app, EarlyStatus) == 0


def test_with_no_auth_token_the_simulator_checks_webhooks_with_a_token_of_its_own(
    app, acme, tmp_path
):
    token_file = tmp_path / "instance" / "webhook-token"
    config = settings(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SMS_PROVIDER="simulator",
        TWILIO_AUTH_TOKEN="",
        WEBHOOK_TOKEN_FILE=token_file,
    )
    client = create_app(config).test_client()
    path = "/webhooks/twilio/sms"
    params = {"MessageSid": "SM" + "4" * 32, "From": CUSTOMER, "To": NUM, "Body": "forged?"}
    forged = RequestValidator("").compute_signature(BASE_URL + path, params)
    r = client.post(path, data=params, headers={"X-Twilio-Signature": forged})
    assert r.status_code == 403
    assert count(app, Message) == 0
    assert token_file.stat().st_mode & 0o777 == 0o600, "readable by the app's user only"
    token = token_file.read_text().strip()
    assert len(token) >= 32
    signed = RequestValidator(token).compute_signature(BASE_URL + path, params)
    r = client.post(path, data=params, headers={"X-Twilio-Signature": signed})
    assert r.status_code == 200
    assert count(app, Message, Message.body == "forged?") == 1
    # Another process of the same installation checks with the same token.
    again = create_app(config).test_client()
    params["MessageSid"] = "SM" + "3" * 32
    signed = RequestValidator(token).compute_signature(BASE_URL + path, params)
    assert again.post(path, data=params, headers={"X-Twilio-Signature": signed}).status_code == 200


def test_processes_starting_together_make_one_webhook_token(tmp_path):
    path = tmp_path / "instance" / "webhook-token"
    tokens: list[str] = []
    assert at_once(None, [lambda: tokens.append(webhook_token(path))] * 8) == []
    assert len(tokens) == 8
    assert set(tokens) == {path.read_text().strip()}
    assert [p.name for p in path.parent.iterdir()] == ["webhook-token"]


def test_with_twilio_and_no_auth_token_a_webhook_signed_with_an_empty_key_is_refused(app, acme):
    client = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            SMS_PROVIDER="twilio",
            TWILIO_ACCOUNT_SID="AC" + "1" * 32,
            TWILIO_AUTH_TOKEN="",
        )
    ).test_client()
    path = "/webhooks/twilio/sms"
    params = {"MessageSid": "SM" + "4" * 32, "From": CUSTOMER, "To": NUM, "Body": "forged?"}
    forged = RequestValidator("").compute_signature(BASE_URL + path, params)
    assert client.post(path, data=params, headers={"X-Twilio-Signature": forged}).status_code == 403
    status = {"MessageSid": "SM" + "4" * 32, "MessageStatus": "delivered"}
    forged = RequestValidator("").compute_signature(BASE_URL + "/webhooks/twilio/status", status)
    r = client.post("/webhooks/twilio/status", data=status, headers={"X-Twilio-Signature": forged})
    assert r.status_code == 403
    assert count(app, Message) == 0
    assert count(app, EarlyStatus) == 0


def test_hmac_sha256_signed_webhooks_are_accepted_with_the_shared_key(
    app, acme, client, monkeypatch
):
    from twilio.request_validator import RequestValidator

    monkeypatch.setitem(app.config, "TWILIO_WEBHOOK_SIGNING_KEY", "shared-key-123")
    path = "/webhooks/twilio/sms"
    params = {"MessageSid": "SM" + "5" * 32, "From": CUSTOMER, "To": NUM, "Body": "sha256 signed"}
    settings = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    good = RequestValidator("shared-key-123").compute_signature(
        BASE_URL + path, params, "HMAC_SHA256"
    )
    headers = {"X-Twilio-Signature": good, "X-Twilio-Webhooks-Signature-Settings": settings}
    assert client.post(path, data=params, headers=headers).status_code == 200
    sha1 = RequestValidator("shared-key-123").compute_signature(BASE_URL + path, params)
    headers["X-Twilio-Signature"] = sha1  # right key, wrong algorithm
    assert client.post(path, data=params, headers=headers).status_code == 403
    assert count(app, Message, Message.body == "sha256 signed") == 1


def test_a_text_stored_but_never_filed_is_filed_when_the_provider_retries(app, acme, client):
    """The webhook stored a text and died before its job was enqueued; Twilio, without an
    answer, sends it again: nothing new is stored, and the text is filed."""
    sid = "SM" + "cd" * 16
    with app.app_context():
        number = TrackingNumber.by_number(NUM)
        inbound.new_text(number, CUSTOMER, "Is anyone there?", sid)
        db.session.commit()
    assert count(app, Conversation) == 0
    assert text_in(client, CUSTOMER, NUM, "Is anyone there?", sid=sid).status_code == 200
    assert count(app, Message, Message.provider_sid == sid) == 1
    assert count(app, Message, Message.provider_sid == sid, Message.conversation_id.is_(None)) == 0
    assert count(app, Conversation) == 1


def test_texts_of_a_new_contact_filed_at_once_open_one_conversation(postgres, acme):
    """Ten texts of a new contact stored together, their jobs run at the same instant: one
    contact, one conversation holding all ten, one opt-in answer."""
    app = postgres
    with app.app_context():
        number = TrackingNumber.by_number(NUM)
        texts = [inbound.new_text(number, CUSTOMER, f"Text {i}", f"SM{i:032d}") for i in range(10)]
        db.session.commit()
        ids = [m.id for m in texts]
    assert at_once(app, [functools.partial(inbound.take_in, i) for i in ids]) == []
    assert count(app, Contact) == 1
    assert count(app, Conversation) == 1
    assert count(app, Message, Message.conversation_id.is_(None)) == 0
    assert count(app, Message, Message.direction == "outbound", Message.purpose == "opt_in") == 1


def test_texts_filed_out_of_order_keep_the_latest_as_the_preview(app, acme):
    with app.app_context():
        number = TrackingNumber.by_number(NUM)
        first = inbound.new_text(number, CUSTOMER, "My sink is leaking", "SM" + "1" * 32)
        db.session.flush()
        second = inbound.new_text(number, CUSTOMER, "It's getting worse", "SM" + "2" * 32)
        first.created_at -= timedelta(seconds=10)  # came ten seconds ago, the second five
        second.created_at -= timedelta(seconds=5)
        db.session.commit()
        ids = first.id, second.id
    with app.app_context():
        inbound.take_in(ids[1])
        inbound.take_in(ids[0])
        conversation = db.session.scalar(select(Conversation))
        assert conversation.last_message_preview == "It's getting worse"
        # Filed now, not when the texts came: a portal that looked in between still hears of it.
        assert conversation.updated_at > conversation.last_inbound_at
        db.session.remove()


def test_a_filing_job_files_every_waiting_text_oldest_first(app, acme, world):
    """With workers, the webhook only stores; one filing job takes all the texts waiting."""
    world.number("Acme Plumbing", "+15005550102", sms_users=["bob@acme.test"], active=False)
    with app.app_context():
        number = TrackingNumber.by_number(NUM)
        for phone, body in [(CUSTOMER, "Sink leaking"), (OTHER, "Quote?"), (CUSTOMER, "Urgent")]:
            inbound.new_text(number, phone, body)
        off = TrackingNumber.by_number("+15005550102")
        inbound.new_text(off, CUSTOMER, "to a number whose SMS is off")
        db.session.commit()
        tasks.file_waiting_texts()
        db.session.remove()
    assert count(app, Message, Message.status == "received", Message.conversation_id.is_(None)) == 0
    assert count(app, Message, Message.status == "ignored") == 1
    with app.app_context():
        conversations = db.session.scalars(select(Conversation).order_by(Conversation.id)).all()
        assert [c.contact.phone for c in conversations] == [CUSTOMER, OTHER]
        assert [c.last_message_preview for c in conversations] == ["Urgent", "Quote?"]
        db.session.remove()
    # A second run finds nothing left to do.
    with app.app_context():
        tasks.file_waiting_texts()
        db.session.remove()
    assert count(app, Conversation) == 2
    assert count(app, Message, Message.direction == "outbound", Message.purpose == "opt_in") == 2


def test_filing_jobs_side_by_side_file_each_text_once(postgres, acme):
    """Two workers' filing jobs at the same instant over texts of five contacts: each text is
    filed once, one conversation and one opt-in answer per contact."""
    app = postgres
    phones = [f"+1500555{i:04d}" for i in range(5)]
    with app.app_context():
        number = TrackingNumber.by_number(NUM)
        for i in range(30):
            inbound.new_text(number, phones[i % 5], f"Text {i}")
        db.session.commit()
    assert at_once(app, [tasks.file_waiting_texts] * 2) == []
    assert count(app, Message, Message.conversation_id.is_(None)) == 0
    assert count(app, Conversation) == 5
    with app.app_context():
        per_conversation = db.session.execute(
            select(Conversation.id, func.count(Message.id))
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Message.direction == "inbound")
            .group_by(Conversation.id)
        ).all()
        db.session.remove()
    assert sorted(n for _, n in per_conversation) == [6] * 5
    assert count(app, Message, Message.direction == "outbound", Message.purpose == "opt_in") == 5
