"""Without Redis (the embedded default): a job that fails on an error nobody foresaw is not left
waiting for ever, nor tried again. Its text or notification ends failed at once, with the id its
error was logged under, and the thread shows it."""

import re

from sqlalchemy import select

from app import tasks
from app.extensions import db
from app.models import Account, Contact
from tests.support import CUSTOMER, NUM, notifications, text_in

BOB, CAT = "bob@acme.test", "cat@acme.test"
LOGGED = re.compile(r"could not be sent \(error logged as ([0-9a-f]{12})\)")


def test_a_reply_the_provider_answers_garbled_ends_failed_at_once_naming_its_logged_error(
    app,
    acme,
    client,
    api,
    browser,
    caplog,
    twilio,  # noqa: F811
):
    assert text_in(client, CUSTOMER, NUM, "Is anyone there?").status_code == 200
    twilio.garble(CUSTOMER)  # a proxy in the way answers with its own page from now on
    bob = api(BOB)
    (item,) = bob.tab("active")
    path = f"/conversations/{item['id']}"
    r = bob.post(f"{path}/messages", json={"body": "Yes! How can we help?", "claim": True})
    assert r.status_code == 201

    (reply,) = [m for m in bob.get(path).json["messages"] if m["body"] == "Yes! How can we help?"]
    assert reply["status"] == "failed"
    logged = LOGGED.fullmatch(reply["error_message"])
    assert logged, reply["error_message"]
    error_id = logged.group(1)
    assert f"logged as {error_id}" in caplog.text
    assert "Expecting value" in caplog.text, "the error itself is logged"
    sent = [c for c in twilio.creates() if c.form["Body"] == "Yes! How can we help?"]
    assert len(sent) == 1, "tried again"
    page = browser(BOB).get(path).text
    assert f"failed: could not be sent (error logged as {error_id})" in page


def test_a_notification_whose_email_cannot_be_built_ends_failed_naming_its_logged_error(
    app, acme, client, smtp, api, browser, caplog
):
    with app.app_context():
        # A name from before names were kept to one line: it would put a header in the e-mail.
        account_id = db.session.scalar(select(Account.id).where(Account.name == "Acme Plumbing"))
        db.session.add(Contact(account_id=account_id, phone=CUSTOMER, name="Ann\r\nBcc: x@y.test"))
        db.session.commit()
    assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200

    found = notifications(app)
    assert set(found) == {(BOB, "email"), (CAT, "email")}
    for status, error in found.values():
        assert status == "failed"
        assert LOGGED.fullmatch(error), error
        assert f"logged as {LOGGED.fullmatch(error).group(1)}" in caplog.text
    assert smtp.messages == []
    (item,) = api(CAT).tab("active")
    page = browser(CAT).get(f"/conversations/{item['id']}").text
    bob_error = found[(BOB, "email")][1]
    assert f"E-mail notification to Bob Tester failed: {bob_error}" in page


def test_a_timed_out_reply_whose_lookup_is_answered_garbled_ends_failed_naming_its_logged_error(
    app,
    acme,
    client,
    api,
    caplog,
    twilio,  # noqa: F811
):
    assert text_in(client, CUSTOMER, NUM, "Is anyone there?").status_code == 200
    twilio.stall(CUSTOMER, seconds=2)  # Twilio takes the reply, but answers too late
    bob = api(BOB)
    (item,) = bob.tab("active")
    path = f"/conversations/{item['id']}"
    r = bob.post(f"{path}/messages", json={"body": "On my way", "claim": True})
    assert r.status_code == 201
    (reply,) = [m for m in bob.get(path).json["messages"] if m["body"] == "On my way"]
    assert reply["status"] == "unknown"
    twilio.garble(CUSTOMER)  # and the lookup of it gets a proxy's page

    with app.app_context():
        tasks.reconcile_message.delay(r.json["id"])  # as it runs 30 s after the timeout

    (reply,) = [m for m in bob.get(path).json["messages"] if m["body"] == "On my way"]
    assert reply["status"] == "failed"
    assert "it may or may not have reached the contact" in reply["error_message"]
    logged = re.search(r"\(error logged as ([0-9a-f]{12})\)", reply["error_message"])
    assert logged, reply["error_message"]
    assert f"logged as {logged.group(1)}" in caplog.text
    assert len(twilio.calls("GET", r"/Messages\.json$")) == 1, "asked again"
