"""With Redis, as in production: a job that fails on an error nobody foresaw is given up at once
by the Celery worker that took it, its row failed with the task's id, and not tried again. Needs
Redis on 127.0.0.1:6379: without it the tests skip loudly, except on CI, where that is a failure."""

import re

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Account, Contact, Message
from tests.support import CUSTOMER, NUM, Api, notifications, settings, text_in
from tests.support.mail import CountingInbox
from tests.support.processes import celery_worker, empty_redis, queued, worker_env
from tests.support.waiting import eventually

REDIS_URL = "redis://127.0.0.1:6379/10"  # a database of its own, flushed before and after
WORKER = celery_worker("--pool=solo", "--concurrency=1", "-Q", "celery")
BOB, CAT = "bob@acme.test", "cat@acme.test"
TASK_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LOGGED = re.compile(rf"could not be sent \(error logged as ({TASK_ID})\)")


@pytest.fixture
def redis_url():
    """Redis database 10, empty; the test skips (fails on CI) when Redis is not running."""
    with empty_redis(REDIS_URL, "the worker's unexpected-error tests") as url:
        yield url


@pytest.fixture
def web(app, redis_url):
    """A web process of the app that enqueues its jobs on Redis."""
    built = create_app(
        settings(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=redis_url)
    )
    yield built
    with built.app_context():
        db.engine.dispose()


def reply_state(app, body: str) -> tuple[str, str | None]:
    with app.app_context():
        row = db.session.execute(
            select(Message.status, Message.error_message).where(Message.body == body)
        ).one()
        db.session.remove()
    return row.status, row.error_message


def test_a_worker_gives_up_at_once_on_a_reply_the_provider_answers_garbled(
    app,
    acme,
    client,
    world,
    web,
    caplog,
    twilio,  # noqa: F811
):
    assert text_in(client, CUSTOMER, NUM, "Is anyone there?").status_code == 200
    twilio.garble(CUSTOMER)
    web.extensions["sms"] = twilio.provider(
        webhook_url=f"{web.config['PUBLIC_BASE_URL']}/webhooks/twilio/sms"
    )
    celery = web.extensions["celery"]
    celery.conf.worker_hijack_root_logger = False  # the test's log capture stays
    bob = Api(web.test_client(), world.tokens[BOB])
    (item,) = bob.tab("active")
    r = bob.post(
        f"/conversations/{item['id']}/messages",
        json={"body": "Yes! How can we help?", "claim": True},
    )
    assert r.status_code == 201
    assert queued(web.config["REDIS_URL"]) >= 1, "the reply's job waits on Redis for a worker"

    # Celery's own worker, in a thread of this process: it reaches the fake Twilio as the app does.
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        assert eventually(lambda: reply_state(app, "Yes! How can we help?")[0] != "queued", 30)
        assert eventually(lambda: queued(web.config["REDIS_URL"]) == 0)

    status, reason = reply_state(app, "Yes! How can we help?")
    assert status == "failed"
    logged = LOGGED.fullmatch(reason)
    assert logged, reason
    assert f"logged as {logged.group(1)}" in caplog.text
    sent = [c for c in twilio.creates() if c.form["Body"] == "Yes! How can we help?"]
    assert len(sent) == 1, "tried again"


def test_a_worker_process_gives_up_at_once_on_a_notification_whose_email_cannot_be_built(
    app, acme, client, web, smtp_server, processes
):
    inbox = CountingInbox()
    port = smtp_server(inbox)
    with app.app_context():
        # A name from before names were kept to one line: it would put a header in the e-mail.
        account_id = db.session.scalar(select(Account.id).where(Account.name == "Acme Plumbing"))
        db.session.add(Contact(account_id=account_id, phone=CUSTOMER, name="Ann\r\nBcc: x@y.test"))
        db.session.commit()
    sender = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=web.config["REDIS_URL"],
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
        )
    )
    try:
        assert (
            text_in(sender.test_client(), CUSTOMER, NUM, "Hi, my sink is leaking").status_code
            == 200
        )
        worker = processes("celery-worker", WORKER, worker_env(sender.config))

        def settled():
            found = notifications(app)
            return len(found) == 2 and {s for s, _ in found.values()} != {"queued"}

        done = eventually(lambda: settled() or not worker.alive(), 60)
        assert worker.alive(), "the worker died"
        assert done, notifications(app)
        assert eventually(lambda: {s for s, _ in notifications(app).values()} == {"failed"})
        errors = [error for _, error in notifications(app).values()]
        assert all(LOGGED.fullmatch(error) for error in errors), errors
        ids = {LOGGED.fullmatch(error).group(1) for error in errors}
        assert len(ids) == 2, "each job's own id"
        assert eventually(lambda: all(f"logged as {i}" in worker.output() for i in ids))
        assert inbox.attempts == {}, "nothing reached the mail server"
        assert eventually(lambda: queued(web.config["REDIS_URL"]) == 0)
    finally:
        with sender.app_context():
            db.engine.dispose()
