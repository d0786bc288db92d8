"""Fixtures of the production topology (separate processes sharing one PostgreSQL database and
one Redis): the Redis database, and a real SMTP server that can hold its answer to a message."""

import pytest

from tests.support.mail import HoldingInbox
from tests.support.processes import empty_redis

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, flushed before and after


@pytest.fixture
def redis_url():
    """Redis database 13, empty; the test skips (fails on CI) when Redis is not running."""
    with empty_redis(REDIS_URL, "the production end-to-end test") as url:
        yield url


@pytest.fixture
def holding_smtp(smtp_server):
    """A real SMTP server on a free local port with a HoldingInbox; (inbox, port)."""
    inbox = HoldingInbox()
    return inbox, smtp_server(inbox)
