"""With Redis, as in production: a real Celery worker sends a text's notifications, retrying while
the mail server refuses them, and sends each exactly once. Needs Redis on 127.0.0.1:6379: without
it the test skips loudly, except on CI, where that is a failure."""

import pytest

from app import create_app
from app.extensions import db
from tests.support import CUSTOMER, NUM, notifications, settings, text_in
from tests.support.mail import FlakyInbox
from tests.support.processes import celery_worker, empty_redis, queued, taken_ages, worker_env
from tests.support.waiting import eventually

REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, flushed before the test
WORKER = celery_worker("--pool=solo", "--concurrency=1", "-Q", "celery")
BOB, CAT = "bob@acme.test", "cat@acme.test"


@pytest.fixture
def redis_url():
    """Redis database 14, empty; the test skips (fails on CI) when Redis is not running."""
    with empty_redis(REDIS_URL, "the Celery worker test") as url:
        yield url


def test_a_worker_sends_a_refused_notification_on_the_third_try_exactly_once(
    app, acme, redis_url, smtp_server, processes
):
    inbox = FlakyInbox(refusals=2)
    port = smtp_server(inbox)
    web = create_app(
        settings(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=redis_url,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            JOB_RETRY_BASE_SECONDS=0.2,
        )
    )
    sent = {(BOB, "email"): ("sent", None), (CAT, "email"): ("sent", None)}
    try:
        r = text_in(web.test_client(), CUSTOMER, NUM, "Hi, my sink is leaking")
        assert r.status_code == 200
        # No worker yet: the web process only put the job on Redis's queue.
        assert queued(redis_url) >= 1
        assert notifications(app) == {} and inbox.attempts == {}
        worker = processes("celery-worker", WORKER, worker_env(web.config))
        done = eventually(lambda: notifications(app) == sent or not worker.alive(), 30)
        assert worker.alive(), "the worker died"
        assert done, f"not all sent: {notifications(app)}, tries {inbox.attempts}"
        assert inbox.accepted() == {BOB: 1, CAT: 1}
        assert inbox.attempts == {BOB: 3, CAT: 3}
        # No job waits any more, on the queue or taken by the worker (a retry's countdown):
        # nothing can send again.
        assert eventually(lambda: queued(redis_url) == 0 and taken_ages(redis_url) == [], 30)
        assert inbox.accepted() == {BOB: 1, CAT: 1}, "an e-mail was sent twice"
        assert inbox.attempts == {BOB: 3, CAT: 3}
        assert notifications(app) == sent
        assert queued(redis_url) == 0
    finally:
        with web.app_context():
            db.engine.dispose()
