"""With Redis, as in production: a reply waits on the queue, the contact texts STOP, then a real
Celery worker takes the reply's job and sends nothing (§2.4). Needs Redis on 127.0.0.1:6379:
without it the test skips loudly, except on CI, where that is a failure."""

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Message
from tests.support import CUSTOMER, NUM, Api, sent_to, settings, text_in
from tests.support.processes import celery_worker, empty_redis, queued, worker_env
from tests.support.waiting import eventually

REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of its own, flushed before and after
WORKER = celery_worker("--pool=solo", "--concurrency=1", "-Q", "celery")


@pytest.fixture
def redis_url():
    """Redis database 12, empty; the test skips (fails on CI) when Redis is not running."""
    with empty_redis(REDIS_URL, "the queued-reply-then-STOP worker test") as url:
        yield url


def reply_state(app, body: str) -> tuple[str, str | None]:
    with app.app_context():
        row = db.session.execute(
            select(Message.status, Message.error_message).where(Message.body == body)
        ).one()
        db.session.remove()
    return row.status, row.error_message


def test_a_reply_queued_before_stop_is_blocked_by_the_worker_that_takes_it(
    app, acme, client, world, redis_url, processes
):
    text_in(client, CUSTOMER, NUM, "Hi, my sink is leaking")
    web = create_app(
        settings(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=redis_url)
    )
    try:
        bob = Api(web.test_client(), world.tokens["bob@acme.test"])
        (item,) = bob.tab("active")
        assert bob.post(f"/conversations/{item['id']}/claim").status_code == 200
        r = bob.post(f"/conversations/{item['id']}/messages", json={"body": "Sale this week!"})
        assert r.status_code == 201
        assert r.json["status"] == "queued"
        assert queued(redis_url) == 1, "the reply's job waits on Redis for a worker"
        # The contact opts out while the reply waits.
        assert text_in(client, CUSTOMER, NUM, "STOP").status_code == 200
        worker = processes("celery-worker", WORKER, worker_env(web.config))
        done = eventually(
            lambda: reply_state(app, "Sale this week!")[0] != "queued" or not worker.alive(), 30
        )
        assert worker.alive(), "the worker died"
        assert done, "the worker did not take the reply's job"
        status, reason = reply_state(app, "Sale this week!")
        assert status == "blocked"
        assert "opted out" in reason
        assert eventually(lambda: queued(redis_url) == 0)
        sent = sent_to(app, CUSTOMER)
        assert "Sale this week!" not in sent
        assert any(body.startswith("Your request to unsubscribe") for body in sent)
    finally:
        with web.app_context():
            db.engine.dispose()
