"""TwilioProvider through the real `twilio` SDK against the fake Twilio of tests/twilio_fake.py:
what reaches Twilio, how its errors are sorted, and what the app makes of them."""

from datetime import UTC, datetime, timedelta

import pytest

from app import tasks
from app.extensions import db
from app.models import Message
from app.services import outbound
from app.sms import ActivationError, Reason, SendError
from app.sms.twilio import UnknownOutcome
from tests.support import CUSTOMER, NUM, text_in
from tests.support.twilio_fake import (
    ACCOUNT_SID,
    API_HOST,
    MESSAGING_HOST,
    SERVICE,
    STATUS_CALLBACK,
    FakeTwilio,
    twilio,  # noqa: F401 (a fixture)
    twilio_service,  # noqa: F401 (a fixture)
)
from tests.support.waiting import eventually, jobs_settled

WEBHOOK = "https://inbox.example/webhooks/twilio/sms"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
OTHER_NUM = "+15005550102"
STRANGER = "+15005550177"


@pytest.fixture
def fake():
    """The fake Twilio alone (no app), with Main line (NUM) in its account."""
    server = FakeTwilio().start()
    server.add_number(NUM)
    yield server
    server.stop()


@pytest.fixture
def provider(fake):
    return fake.provider(webhook_url=WEBHOOK)


@pytest.fixture
def service_provider(fake):
    """A provider whose numbers sit in a Messaging Service."""
    return fake.provider(webhook_url=WEBHOOK, messaging_service_sid=SERVICE)


def open_conversation(client, api) -> int:
    """A customer texts Main line; returns the conversation's id."""
    assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
    (item,) = api("bob@acme.test").tab("active")
    return item["id"]


def sent(fake: FakeTwilio, body: str) -> list:
    """The message creates the fake received with this body."""
    return [r for r in fake.creates() if r.form.get("Body") == body]


def thread(api, conversation_id: int) -> dict:
    r = api("admin@acme.test").get(f"/conversations/{conversation_id}")
    assert r.status_code == 200
    return r.json


def texts(api, conversation_id: int, body: str) -> list[dict]:
    """The conversation's texts with this body, as the admin sees them."""
    return [m for m in thread(api, conversation_id)["messages"] if m["body"] == body]


def reply(api, conversation_id: int, body: str) -> None:
    """Bob replies (claiming the conversation if nobody has)."""
    r = api("bob@acme.test").post(
        f"/conversations/{conversation_id}/messages", json={"body": body, "claim": True}
    )
    assert r.status_code == 201, r.json


def settle(app, message_id: int) -> Message:
    """Run what the delayed reconcile job runs; the text afterwards."""
    with app.app_context():
        outbound.reconcile(message_id)
        message = db.session.get(Message, message_id)
        db.session.expunge(message)
        db.session.remove()
    return message


# -- sending: what reaches Twilio ---------------------------------------------------------------


def test_a_reply_reaches_twilio_with_to_from_body_and_status_callback(
    twilio,  # noqa: F811
    acme,
    client,
    api,
    app,
):
    conversation_id = open_conversation(client, api)

    r = api("bob@acme.test").post(
        f"/conversations/{conversation_id}/messages", json={"body": "On my way", "claim": True}
    )

    assert r.status_code == 201, r.json
    (request,) = sent(twilio, "On my way")
    assert (request.host, request.path, request.user) == (API_HOST, MESSAGES_PATH, ACCOUNT_SID)
    assert request.form == {
        "To": CUSTOMER,
        "From": NUM,
        "Body": "On my way",
        "StatusCallback": STATUS_CALLBACK,
    }
    (message,) = [m for m in thread(api, conversation_id)["messages"] if m["body"] == "On my way"]
    assert message["status"] == "queued"
    with app.app_context():
        assert db.session.get(Message, message["id"]).provider_sid == twilio.messages[-1]["sid"]
        db.session.remove()


def test_with_a_messaging_service_a_reply_names_the_service_not_the_number(
    twilio,  # noqa: F811
    twilio_service,  # noqa: F811 (the app sends through the service)
    acme,
    client,
    api,
):
    conversation_id = open_conversation(client, api)

    r = api("bob@acme.test").post(
        f"/conversations/{conversation_id}/messages", json={"body": "On my way", "claim": True}
    )

    assert r.status_code == 201, r.json
    (request,) = sent(twilio, "On my way")
    assert request.form == {
        "To": CUSTOMER,
        "MessagingServiceSid": SERVICE,
        "Body": "On my way",
        "StatusCallback": STATUS_CALLBACK,
    }
    (message,) = [m for m in thread(api, conversation_id)["messages"] if m["body"] == "On my way"]
    assert message["status"] == "accepted"


def test_send_returns_twilios_sid_and_status(fake, provider):
    result = provider.send(NUM, CUSTOMER, "Hello")

    (message,) = fake.messages
    assert (result.sid, result.status) == (message["sid"], "queued")
    assert result.sid.startswith("SM")


# -- sending: Twilio's errors, sorted -----------------------------------------------------------


def test_an_unsubscribed_recipient_is_a_final_refusal(fake, provider):
    fake.fail(CUSTOMER, 21610, 400, "Attempt to send to unsubscribed recipient")

    with pytest.raises(SendError) as refused:
        provider.send(NUM, CUSTOMER, "Hello")

    assert refused.value.code == "21610"
    assert not refused.value.retryable
    assert "unsubscribed" in refused.value.message
    assert not isinstance(refused.value, UnknownOutcome)


@pytest.mark.parametrize("code", [21211, 21614, 21635])
def test_a_number_that_cannot_take_texts_is_a_final_refusal(fake, provider, code):
    fake.fail(CUSTOMER, code, 400, "The 'To' number is not a valid phone number.")

    with pytest.raises(SendError) as refused:
        provider.send(NUM, CUSTOMER, "Hello")

    assert refused.value.code == str(code)
    assert not refused.value.retryable
    assert refused.value.message.startswith("Not a textable number")


@pytest.mark.parametrize(("code", "status"), [(20429, 429), (20500, 500), (None, 500), (None, 503)])
def test_rate_limits_and_server_errors_may_pass(fake, provider, code, status):
    fake.fail(CUSTOMER, code, status, "Try again later")

    with pytest.raises(SendError) as failed:
        provider.send(NUM, CUSTOMER, "Hello")

    assert failed.value.retryable
    assert len(fake.creates()) == 1  # the SDK itself did not retry


def test_a_refused_connection_may_pass(fake, provider):
    fake.refuse()

    with pytest.raises(SendError) as failed:
        provider.send(NUM, CUSTOMER, "Hello")

    assert failed.value.retryable
    assert failed.value.code == "connection"
    assert not isinstance(failed.value, UnknownOutcome)


@pytest.mark.parametrize(
    ("code", "status", "meaning"),
    [
        (21610, 400, Reason.UNSUBSCRIBED),
        (21211, 400, Reason.INVALID_NUMBER),
        (21614, 400, Reason.NOT_TEXTABLE),
        (30034, 400, Reason.UNVERIFIED_SENDER),
        (21999, 400, Reason.UNKNOWN),
        (None, 400, Reason.UNKNOWN),
        (20429, 429, Reason.RATE_LIMITED),
        (None, 429, Reason.RATE_LIMITED),
        (20500, 500, Reason.UNAVAILABLE),
    ],
)
def test_a_refusal_says_what_it_means_without_twilios_numbers(
    fake, provider, code, status, meaning
):
    fake.fail(CUSTOMER, code, status, "Refused")

    with pytest.raises(SendError) as refused:
        provider.send(NUM, CUSTOMER, "Hello")

    assert refused.value.reason == meaning
    assert refused.value.code == str(code or status)  # Twilio's own, kept as the error code
    assert refused.value.retryable is (meaning in (Reason.RATE_LIMITED, Reason.UNAVAILABLE))


def test_twilio_out_of_reach_means_unavailable(fake, provider):
    fake.refuse()

    with pytest.raises(SendError) as failed:
        provider.send(NUM, CUSTOMER, "Hello")

    assert failed.value.reason == Reason.UNAVAILABLE


def test_twilio_silent_after_the_request_means_no_answer(fake, provider):
    fake.stall(CUSTOMER, seconds=3)

    with pytest.raises(UnknownOutcome) as silent:
        provider.send(NUM, CUSTOMER, "Hello")

    assert silent.value.reason == Reason.NO_ANSWER


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("30003", "The phone is unreachable (off or out of coverage)."),
        ("21610", "The recipient has unsubscribed from this number (STOP)."),
        ("30999", "Twilio error 30999."),
    ],
)
def test_the_provider_puts_a_delivery_error_code_in_words(provider, code, words):
    assert provider.reason(code) == words


def test_a_read_timeout_is_an_unknown_outcome_and_nothing_is_sent_twice(fake, provider):
    fake.stall(CUSTOMER, seconds=3)

    with pytest.raises(UnknownOutcome) as unknown:
        provider.send(NUM, CUSTOMER, "Hello")

    assert not fake.stall_over.is_set()  # the 1 s client timeout, not the 3 s stall
    assert not unknown.value.retryable
    assert len(fake.creates()) == 1
    (taken,) = fake.messages  # Twilio took it although the client never heard
    assert taken["to"] == CUSTOMER


def test_a_read_timeout_after_the_headers_is_an_unknown_outcome_too(fake, provider):
    """Twilio answered 201 but the body did not come in time: it has the text all the same."""
    fake.stall(CUSTOMER, seconds=3, after_headers=True)

    with pytest.raises(UnknownOutcome):
        provider.send(NUM, CUSTOMER, "Hello")

    assert len(fake.creates()) == 1


def test_find_looks_up_a_text_taken_before_a_timeout(fake, provider):
    since = datetime.now(UTC) - timedelta(minutes=1)
    fake.stall(CUSTOMER, seconds=2)
    with pytest.raises(UnknownOutcome):
        provider.send(NUM, CUSTOMER, "Hello")

    (found,) = provider.find(NUM, CUSTOMER, "Hello", since)

    (taken,) = fake.messages
    assert (found.sid, found.status) == (taken["sid"], "queued")
    (lookup,) = fake.calls("GET", r"/Messages\.json$")
    assert lookup.query["To"] == CUSTOMER
    assert lookup.query["From"] == NUM
    assert "DateSent>" not in lookup.query, "a text still queued at Twilio has no send date"
    assert len(fake.creates()) == 1


def test_find_ignores_other_pairs_other_bodies_and_older_texts(fake, provider):
    fake.add_number(OTHER_NUM)
    provider.send(OTHER_NUM, CUSTOMER, "Hello")
    provider.send(NUM, STRANGER, "Hello")
    provider.send(NUM, CUSTOMER, "Something else")
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)

    assert provider.find(NUM, CUSTOMER, "Hello", a_minute_ago) == []
    provider.send(NUM, CUSTOMER, "Hello")
    assert provider.find(NUM, CUSTOMER, "Hello", datetime.now(UTC) + timedelta(minutes=1)) == []
    (found,) = provider.find(NUM, CUSTOMER, "Hello", a_minute_ago)
    assert found.sid == fake.messages[-1]["sid"]


def test_find_lists_the_texts_oldest_first(fake, provider):
    first, second = provider.send(NUM, CUSTOMER, "Hello"), provider.send(NUM, CUSTOMER, "Hello")

    found = provider.find(NUM, CUSTOMER, "Hello", datetime.now(UTC) - timedelta(minutes=1))

    assert [f.sid for f in found] == [first.sid, second.sid]


def test_with_a_messaging_service_find_asks_by_to_and_matches_the_service(fake, service_provider):
    """A service's text goes out from a number of its pool: not known when Twilio takes it."""
    fake.add_number(OTHER_NUM)
    fake.add_service(SERVICE)
    service_provider.activate(OTHER_NUM)  # the pool's number, not the tracking number
    since = datetime.now(UTC) - timedelta(minutes=1)
    fake.provider().send(NUM, CUSTOMER, "Hello")  # the same text, but not through the service
    fake.stall(CUSTOMER, seconds=2)
    with pytest.raises(UnknownOutcome):
        service_provider.send(NUM, CUSTOMER, "Hello")

    (found,) = service_provider.find(NUM, CUSTOMER, "Hello", since)

    taken = fake.messages[-1]
    assert (taken["from"], taken["messaging_service_sid"]) == (OTHER_NUM, SERVICE)
    assert found.sid == taken["sid"]
    lookup = fake.calls("GET", r"/Messages\.json$")[-1]
    assert lookup.query["To"] == CUSTOMER
    assert "From" not in lookup.query


# -- what the app makes of Twilio's answers -----------------------------------------------------


NOT_TEXTABLE = "Not a textable number"
UNSUBSCRIBED = "The recipient has unsubscribed from this number (STOP)."


@pytest.mark.parametrize(
    ("code", "reason", "opted_out"),
    [
        (21211, NOT_TEXTABLE, False),
        (21614, NOT_TEXTABLE, False),
        (21635, NOT_TEXTABLE, False),
        (21610, UNSUBSCRIBED, True),
    ],
)
def test_a_final_refusal_fails_the_reply_once_with_the_reason(
    twilio,  # noqa: F811
    acme,
    client,
    api,
    app,
    code,
    reason,
    opted_out,
):
    conversation_id = open_conversation(client, api)
    twilio.fail(CUSTOMER, code, 400, "Refused")

    reply(api, conversation_id, "On my way")

    (message,) = texts(api, conversation_id, "On my way")
    assert (message["status"], message["error_code"]) == ("failed", str(code))
    assert message["error_message"].startswith(reason)
    events = [e["type"] for e in thread(api, conversation_id)["events"]]
    assert ("opted_out" in events) is opted_out
    assert jobs_settled(), "a retry still waits"  # every retry timer has fired and run
    assert len(sent(twilio, "On my way")) == 1, "not tried again"
    twilio.failures.clear()
    again = api("bob@acme.test").post(
        f"/conversations/{conversation_id}/messages", json={"body": "Hello?"}
    )
    if opted_out:
        assert again.status_code == 409
        assert again.json["error"]["code"] == "opted_out"
        assert sent(twilio, "Hello?") == []
    else:  # the number is no good, but the contact's consent stands
        assert again.status_code == 201, again.json
        assert len(sent(twilio, "Hello?")) == 1


@pytest.mark.parametrize(
    "failure", ["429 (20429)", "500", "503", "refused connection"], ids=lambda f: f.split()[0]
)
def test_a_passing_failure_is_tried_again_until_the_reply_goes_out_once(
    twilio,  # noqa: F811
    acme,
    client,
    api,
    app,
    failure,
):
    conversation_id = open_conversation(client, api)
    if failure == "refused connection":
        twilio.refuse()
    else:
        status = int(failure.split()[0])
        twilio.fail(CUSTOMER, 20429 if status == 429 else None, status, "Try later", times=1)

    reply(api, conversation_id, "On my way")
    if failure == "refused connection":
        assert texts(api, conversation_id, "On my way")[0]["status"] == "queued"
        twilio.resume()

    def taken_by_twilio():
        return any(m["body"] == "On my way" for m in twilio.messages)

    assert eventually(taken_by_twilio, seconds=5), texts(api, conversation_id, "On my way")
    assert jobs_settled(), "a retry still waits"  # every retry timer has fired and run
    (taken,) = [m for m in twilio.messages if m["body"] == "On my way"]
    refused_by_twilio = 0 if failure == "refused connection" else 1
    assert len(sent(twilio, "On my way")) == 1 + refused_by_twilio
    (message,) = texts(api, conversation_id, "On my way")
    assert message["status"] == "queued"
    with app.app_context():
        assert db.session.get(Message, message["id"]).provider_sid == taken["sid"]
        db.session.remove()


def test_a_reply_whose_send_timed_out_is_unknown_then_found_not_resent(
    twilio,  # noqa: F811
    acme,
    client,
    api,
    app,
):
    conversation_id = open_conversation(client, api)
    twilio.stall(CUSTOMER, seconds=2)

    reply(api, conversation_id, "On my way")

    (message,) = texts(api, conversation_id, "On my way")
    assert message["status"] == "unknown"
    stored = settle(app, message["id"])
    assert (stored.status, stored.provider_sid) == ("queued", twilio.messages[-1]["sid"])
    assert len(sent(twilio, "On my way")) == 1


def test_through_a_messaging_service_a_timed_out_reply_is_found_not_resent(
    acme,  # first: Main line is turned on before the service is there
    twilio,  # noqa: F811
    twilio_service,  # noqa: F811 (the app sends through the service)
    client,
    api,
    app,
):
    twilio.add_number(OTHER_NUM)
    for number in (OTHER_NUM, NUM):  # the service's pool: texts go out from the first
        app.extensions["sms"].activate(number)
    conversation_id = open_conversation(client, api)
    twilio.stall(CUSTOMER, seconds=2)

    reply(api, conversation_id, "On my way")

    (message,) = texts(api, conversation_id, "On my way")
    assert message["status"] == "unknown"
    stored = settle(app, message["id"])
    (taken,) = [m for m in twilio.messages if m["body"] == "On my way"]
    assert taken["from"] == OTHER_NUM
    assert (stored.status, stored.provider_sid) == ("accepted", taken["sid"])
    assert len(sent(twilio, "On my way")) == 1


def test_two_timed_out_replies_alike_settle_on_two_texts(
    twilio,  # noqa: F811
    acme,
    client,
    api,
    app,
):
    conversation_id = open_conversation(client, api)
    twilio.stall(CUSTOMER, seconds=2)

    reply(api, conversation_id, "On my way")
    reply(api, conversation_id, "On my way")

    first, second = texts(api, conversation_id, "On my way")
    assert (first["status"], second["status"]) == ("unknown", "unknown")
    sids = {settle(app, first["id"]).provider_sid, settle(app, second["id"]).provider_sid}
    assert sids == {m["sid"] for m in twilio.messages if m["body"] == "On my way"}
    assert len(sids) == 2
    assert len(sent(twilio, "On my way")) == 2, "nothing sent again"


def test_a_timed_out_reply_that_cannot_be_looked_up_ends_failed_saying_so(
    twilio,  # noqa: F811
    acme,
    client,
    api,
    app,
):
    conversation_id = open_conversation(client, api)
    twilio.stall(CUSTOMER, seconds=2)
    reply(api, conversation_id, "On my way")
    (message,) = texts(api, conversation_id, "On my way")
    twilio.refuse()  # Twilio cannot be asked from now on

    with app.app_context():
        tasks.reconcile_message.delay(message["id"])  # as it runs 30 s after the timeout

    def given_up():
        return texts(api, conversation_id, "On my way")[0]["status"] == "failed"

    assert eventually(given_up, seconds=5), texts(api, conversation_id, "On my way")
    (message,) = texts(api, conversation_id, "On my way")
    assert "it may or may not have reached the contact" in message["error_message"]
    assert len(sent(twilio, "On my way")) == 1


# -- activation ---------------------------------------------------------------------------------


def test_activate_points_the_numbers_sms_url_at_the_app(fake, provider):
    fake.number(NUM)["sms_url"] = "https://old.example/sms"

    provider.activate(NUM)

    assert fake.number(NUM)["sms_url"] == WEBHOOK
    assert fake.number(NUM)["sms_method"] == "POST"
    (update,) = fake.calls("POST", r"/IncomingPhoneNumbers/PN\w+\.json$")
    assert update.host == API_HOST
    assert update.form == {"SmsUrl": WEBHOOK, "SmsMethod": "POST"}
    (lookup,) = fake.calls("GET", r"/IncomingPhoneNumbers\.json$")
    assert lookup.query["PhoneNumber"] == NUM


def test_activating_a_number_outside_the_account_says_why(fake, provider):
    with pytest.raises(ActivationError) as refused:
        provider.activate(OTHER_NUM)

    assert str(refused.value) == (
        f"{OTHER_NUM} is not a number of this Twilio account: buy or port it there first."
    )
    assert fake.calls("POST", r"IncomingPhoneNumbers") == []


def test_activating_when_twilio_is_unreachable_says_why(fake, provider):
    fake.refuse()

    with pytest.raises(ActivationError, match="Twilio could not be reached"):
        provider.activate(NUM)


def test_deactivate_clears_the_numbers_sms_url(fake, provider):
    provider.activate(NUM)

    provider.deactivate(NUM)

    assert fake.number(NUM)["sms_url"] == ""
    assert fake.calls("POST", r"/IncomingPhoneNumbers/PN\w+\.json$")[-1].form == {"SmsUrl": ""}


def test_with_a_messaging_service_activation_adds_and_removes_the_number(fake, service_provider):
    sid = fake.number(NUM)["sid"]

    service_provider.activate(NUM)

    assert (SERVICE, sid) in fake.service_numbers
    (add,) = fake.calls("POST", rf"^/v1/Services/{SERVICE}/PhoneNumbers$")
    assert (add.host, add.form) == (MESSAGING_HOST, {"PhoneNumberSid": sid})
    assert fake.number(NUM)["sms_url"] == ""  # the service routes its texts, not the number

    service_provider.deactivate(NUM)

    assert fake.service_numbers == {}
    (remove,) = fake.calls("DELETE", rf"^/v1/Services/{SERVICE}/PhoneNumbers/{sid}$")
    assert remove.host == MESSAGING_HOST


def test_a_refusal_by_twilio_on_activation_is_readable(fake, service_provider):
    service_provider.activate(NUM)

    with pytest.raises(ActivationError) as refused:
        service_provider.activate(NUM)

    assert "Twilio refused" in str(refused.value)
    assert "already in the Messaging Service" in str(refused.value)
    assert "21710" in str(refused.value)


def test_numbers_lists_each_number_with_its_sms_url(fake, provider):
    fake.add_number(OTHER_NUM, sms_url="https://elsewhere.example/sms")
    provider.activate(NUM)

    assert sorted(provider.numbers()) == [
        (NUM, WEBHOOK),
        (OTHER_NUM, "https://elsewhere.example/sms"),
    ]
