"""The inbound webhook's hot path (SPEC §5): the SQL statements a text costs before the provider
has its answer are pinned, so a change that adds a query to every text is seen in review."""

import pytest
from sqlalchemy import func, select

from app import create_app, tasks
from app.extensions import db
from app.models import Consent, Conversation, Message
from tests.support import BASE_URL, CUSTOMER, NUM, settings, sign, text_in
from tests.support.processes import empty_redis, queued
from tests.support.sql import statements

REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own, flushed before and after


@pytest.fixture
def with_workers(app):
    """The app as production runs it: jobs go to Redis for workers (none runs here)."""
    with empty_redis(REDIS_URL, "the production hot path test") as url:
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        web = create_app(settings(SQLALCHEMY_DATABASE_URI=uri, REDIS_URL=url))
        yield web
        with web.app_context():
            db.engine.dispose()


def test_with_workers_a_text_costs_one_insert_before_its_answer(acme, with_workers):
    # The first text of a contact and a next one alike: the text is stored in one INSERT (its
    # number found inside it), on a connection the pool checks first; contact, consent and
    # conversation are a worker's, moments later.
    client = with_workers.test_client()
    # A server that has answered before: its pool holds a connection, which it pings when it
    # hands it out again (a new process's very first text skips the ping).
    assert text_in(client, "+15005550177", NUM, "Earlier").status_code == 200
    with statements(with_workers) as seen:
        assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
        assert seen == ["PING", "INSERT"]
        seen.clear()
        assert (
            text_in(client, CUSTOMER, NUM, "Are you there?", sid="SM" + "1" * 32).status_code == 200
        )
        assert seen == ["PING", "INSERT"]
        seen.clear()
        # The provider retries: nothing new is stored; the number and the stored text are read.
        assert (
            text_in(client, CUSTOMER, NUM, "Are you there?", sid="SM" + "1" * 32).status_code == 200
        )
        assert seen == ["PING", "INSERT", "PING", "BEGIN", "SELECT", "SELECT", "ROLLBACK"]
        seen.clear()
        assert text_in(client, CUSTOMER, "+15005550999", "Hello").status_code == 200
        assert seen == ["PING", "INSERT", "PING", "BEGIN", "SELECT", "ROLLBACK"]


def test_with_workers_the_texts_of_one_window_enqueue_one_filing_job(app, acme):
    # A web process gathers the texts it stores in its filing window for one job, which files
    # them all, the opt-out Twilio answered itself included.
    with empty_redis(REDIS_URL, "the filing window test") as url:
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        web = create_app(
            settings(SQLALCHEMY_DATABASE_URI=uri, REDIS_URL=url, INBOUND_FILING_WINDOW=60)
        )
        client = web.test_client()
        for body in ("Hi, my sink is leaking", "Are you there?"):
            assert text_in(client, CUSTOMER, NUM, body).status_code == 200
        params = {"MessageSid": "SM" + "7" * 32, "From": CUSTOMER, "To": NUM, "Body": "Arrêt"}
        params["OptOutType"] = "STOP"
        path = "/webhooks/twilio/sms"
        headers = {"X-Twilio-Signature": sign(BASE_URL + path, params)}
        assert client.post(path, data=params, headers=headers).status_code == 200
        assert queued(url) == 1
        with web.app_context():
            assert db.session.scalar(select(func.count(Conversation.id))) == 0
            tasks.file_waiting_texts()  # what the worker runs
            conversation = db.session.scalar(select(Conversation))
            texts = db.session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.id)
            ).all()
            # Twilio answered the STOP: the pair is opted out, and no answer of ours went out.
            assert [(m.direction, m.purpose) for m in texts] == [
                ("inbound", None),
                ("inbound", None),
                ("inbound", None),
                ("outbound", "opt_in"),
            ]
            assert db.session.scalar(select(Consent.state)) == "opted_out"
            db.session.remove()
            db.engine.dispose()


def test_embedded_a_text_is_filed_before_its_answer_in_few_statements(app, acme, client):
    # No worker: the same process files the text before answering, so it shows at once.
    with statements(app) as seen:
        assert text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking").status_code == 200
        first = list(seen)
        seen.clear()
        assert text_in(client, CUSTOMER, NUM, "Are you there?").status_code == 200
    # Stored (a pinged connection, one INSERT), then, on the session's pinged connection, in one
    # transaction, locked and filed: the number read with its account (whose switches, the
    # after-hours reply's among them, cost no statement of their own), contact, consent (and
    # its event), the conversation, the welcome queued, and a notification for each of the
    # number's two SMS users (both paces made, locked and set in three statements); a next text
    # finds them all and counts itself for the next notification.
    assert first[:4] == seen[:4] == ["PING", "INSERT", "PING", "BEGIN"], (first, seen)
    assert first[-1] == seen[-1] == "COMMIT", (first, seen)
    assert (len(first), len(seen)) == (24, 16), (first, seen)
