"""The production topology as separate processes: gunicorn web processes and Celery workers
started from the repository as the Procfile starts them, sharing one PostgreSQL database and one
Redis; a real SMTP server (aiosmtpd) in the test process that can hold its answer to a message."""

import asyncio
import sys
import threading
import time

import pytest
import requests

from tests.conftest import Process, celery_worker, empty_redis
from tests.jobs.conftest import TRY_AGAIN, CountingInbox

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, flushed before and after
# Seconds before a job taken by a worker that died is handed out again (production: 600).
VISIBILITY_TIMEOUT = 5
STARTUP_LIMIT = 60  # seconds a process has to start answering, generous for a loaded machine
HOLD_LIMIT = 60  # seconds the SMTP server holds a message at most, so a failing test cannot hang

# The Procfile's commands (one pool process per worker, one gunicorn worker per "machine").
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
CELERY_WORKER = celery_worker("--concurrency=1")


@pytest.fixture
def redis_url():
    """Redis database 13, empty; the test skips (fails on CI) when Redis is not running."""
    with empty_redis(REDIS_URL, "the production end-to-end test") as url:
        yield url


class HoldingInbox(CountingInbox):
    """An aiosmtpd handler that accepts every message, except that it holds its answer to the
    first one until the sender goes away (then that message is dropped, as a mail server drops
    a message whose sender disconnected before the server said 250)."""

    def __init__(self):
        super().__init__()
        self.holding = threading.Event()  # the first message reached the server and waits
        self.dropped = threading.Event()  # its sender went away before it was answered

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        recipient = self.tried(envelope)
        if not self.holding.is_set():
            self.holding.set()
            try:
                # aiosmtpd cancels this when the client's connection is lost.
                await asyncio.sleep(HOLD_LIMIT)
            except asyncio.CancelledError:
                self.dropped.set()
                raise
            return TRY_AGAIN  # the sender never went away: it must not count as delivered
        return self.accept(recipient, envelope)


@pytest.fixture
def holding_smtp(smtp_server):
    """A real SMTP server on a free local port with a HoldingInbox; (inbox, port)."""
    inbox = HoldingInbox()
    return inbox, smtp_server(inbox)


def wait_until_serving(process: Process, base_url: str) -> None:
    """Wait, within STARTUP_LIMIT, until the web process answers its login page."""
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        assert process.alive(), f"{process.name} exited:\n{process.output()}"
        try:
            if requests.get(f"{base_url}/login", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{process.name} did not answer within {STARTUP_LIMIT} s:\n{process.output()}")


def taken_ages(url: str) -> list[float]:
    """How long ago (seconds) each job that a worker took and has not acknowledged was taken.

    kombu's Redis transport keeps such a job in the `unacked` hash, indexed by the time it was
    taken in the `unacked_index` sorted set; a worker's sweep (`QoS.restore_visible`) puts each
    one older than the visibility timeout back on its queue. A worker sweeps when it starts, and
    then only about every 100 s (unacked_restore_interval 10 s × unacked_restore_throttle 10)."""
    import redis

    with redis.Redis.from_url(url) as client:
        now = time.time()
        return [now - taken for _, taken in client.zrange("unacked_index", 0, -1, withscores=True)]
