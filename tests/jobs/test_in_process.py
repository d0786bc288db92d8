"""Without Redis (the embedded default) jobs run in the web process after the response: the webhook
never waits for the mail server, and a refused e-mail is retried, then shown as failed."""

import threading

import pytest
import requests

from tests.support import CUSTOMER, NUM, notifications, text_in
from tests.support.mail import FlakyInbox
from tests.support.waiting import eventually, jobs_settled

BOB, CAT = "bob@acme.test", "cat@acme.test"
ANSWER_WITHIN = 5  # seconds; well under the SMTP server's HOLD_LIMIT


class Http:
    """What `text_in` needs of a client, over real HTTP to a live server."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def post(self, path: str, **kwargs):
        return requests.post(self.base_url + path, timeout=ANSWER_WITHIN, **kwargs)


def test_the_webhook_answers_while_the_mail_server_stalls(app, acme, live_server, mail_to):
    release = threading.Event()
    inbox = mail_to(FlakyInbox(hold=release))
    try:
        try:
            r = text_in(Http(live_server), CUSTOMER, NUM, "Hi, my sink is leaking")
        except requests.Timeout:
            pytest.fail("the webhook waited for the mail server")
        assert r.status_code == 200
        assert inbox.arrived.wait(ANSWER_WITHIN), "the notification never reached the mail server"
        # The answer came while the server still held the e-mail: it never waited for it.
        assert inbox.messages == [], "the server had answered: the webhook waited for it"
    finally:
        release.set()
    assert eventually(lambda: inbox.accepted() == {BOB: 1, CAT: 1}), inbox.messages
    sent = {(BOB, "email"): ("sent", None), (CAT, "email"): ("sent", None)}
    assert eventually(lambda: notifications(app) == sent), notifications(app)
    (message,) = [m for to, m in inbox.messages if to == BOB]
    assert "Main line" in message["Subject"]


def test_a_refused_email_is_delivered_on_the_third_try_exactly_once(app, acme, client, mail_to):
    inbox = mail_to(FlakyInbox(refusals=2))
    assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
    sent = {(BOB, "email"): ("sent", None), (CAT, "email"): ("sent", None)}
    assert eventually(lambda: notifications(app) == sent), notifications(app)
    assert inbox.accepted() == {BOB: 1, CAT: 1}
    assert inbox.attempts == {BOB: 3, CAT: 3}
    assert jobs_settled(), "a retry still waits"  # every retry timer has fired and run
    assert inbox.accepted() == {BOB: 1, CAT: 1}, "an e-mail was sent twice"
    assert inbox.attempts == {BOB: 3, CAT: 3}


def test_an_email_refused_every_time_ends_failed_with_the_reason_shown_in_the_thread(
    app, acme, client, mail_to, api, browser
):
    inbox = mail_to(FlakyInbox(refusals=None))
    assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200

    def settled():
        return {status for status, _ in notifications(app).values()} == {"failed"}

    assert eventually(settled), notifications(app)
    found = notifications(app)
    assert set(found) == {(BOB, "email"), (CAT, "email")}
    for _, error in found.values():
        assert "try again later" in error
    tries = app.config["JOB_MAX_TRIES"]
    assert inbox.attempts == {BOB: tries, CAT: tries}
    assert inbox.accepted() == {}
    (item,) = api(CAT).tab("active")
    page = browser(CAT).get(f"/conversations/{item['id']}").text
    assert "E-mail notification to Bob Tester failed: mail server:" in page
    assert "E-mail notification to Cat Tester failed:" in page and "try again later" in page
    assert browser("eve@other.test").client.get(f"/conversations/{item['id']}").status_code == 404
