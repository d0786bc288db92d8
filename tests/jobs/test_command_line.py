"""`create-number --activate` completes the activation in the command's own process with the
simulated carrier, with REDIS_URL set as without it (SPEC §3): no worker need be running yet.
Needs Redis on 127.0.0.1:6379: without it the test skips loudly, except on CI, where that is a
failure."""

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import TrackingNumber
from tests.support import settings
from tests.support.processes import empty_redis, queued

REDIS_URL = "redis://127.0.0.1:6379/9"  # a database of its own, flushed before and after


@pytest.fixture
def redis_url():
    """Redis database 9, empty; the test skips (fails on CI) when Redis is not running."""
    with empty_redis(REDIS_URL, "the create-number --activate with Redis test") as url:
        yield url


def test_create_number_activate_prints_sms_active_with_redis_set_and_no_worker_running(
    app, acme, redis_url
):
    command_line = create_app(
        settings(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=redis_url)
    )
    try:
        r = command_line.test_cli_runner().invoke(
            args=[
                "create-number",
                "--account",
                "Acme Plumbing",
                "--number",
                "+15005550188",
                "--label",
                "Night line",
                "--sms-user",
                "bob@acme.test",
                "--activate",
            ]
        )
        assert r.exit_code == 0, r.output
        assert "Number +15005550188 (Night line) added; SMS active." in r.output
        with app.app_context():
            state = db.session.scalar(
                select(TrackingNumber.sms_state).where(TrackingNumber.number == "+15005550188")
            )
        assert state == "active"
        assert queued(redis_url) == 0, "nothing is left for a worker"
    finally:
        with command_line.app_context():
            db.engine.dispose()
