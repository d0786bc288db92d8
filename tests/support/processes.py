"""Processes started from the repository as in production (gunicorn web processes, Celery
workers), the environment they read their settings from, and the Redis they share."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support import ON_CI, ROOT
from tests.support.waiting import eventually

STARTUP_LIMIT = 60  # seconds a process has to start answering, generous for a loaded machine


@contextlib.contextmanager
def empty_redis(url: str, what: str):
    """The Redis database at `url`, emptied before and after. Without a running Redis the test
    skips loudly naming `what` did not run, except on CI, where that is a failure."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as e:
        message = f"NO REDIS at {url} ({e}): {what} did NOT run"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def celery_worker(*options: str) -> list[str]:
    """The command of a Celery worker of the app, as the Procfile starts one, with `options`."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "wsgi:celery",
        "worker",
        "--loglevel=INFO",
        *options,
    ]


class Process:
    """A process started from the repository (a web server, a worker), in its own process group
    (as on its own machine), with its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path):
        self.name, self.log = name, log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as when its machine dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it does not go."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        # What is left of the group (a pool process whose parent was killed) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def queued(url: str) -> int:
    """How many jobs wait on the worker's queue."""
    import redis

    with redis.Redis.from_url(url) as client:
        return client.llen("celery")


def worker_env(config) -> dict[str, str]:
    """The environment under which `wsgi.py`'s Config reads the same settings as `config`."""
    return {
        **os.environ,
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": config["REDIS_URL"],
        "MAIL_SERVER": config["MAIL_SERVER"],
        "MAIL_PORT": str(config["MAIL_PORT"]),
        "MAIL_USE_TLS": "0",
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "PUBLIC_BASE_URL": config["PUBLIC_BASE_URL"],
        "SECRET_KEY": config["SECRET_KEY"],
        "TWILIO_AUTH_TOKEN": config["TWILIO_AUTH_TOKEN"],
        "NOTIFY_FROM_NUMBER": config.get("NOTIFY_FROM_NUMBER", ""),
        "SMS_PROVIDER": "simulator",
        "SIMULATOR_ACTIVATION_SECONDS": "0",
        "JOB_RETRY_BASE_SECONDS": str(config["JOB_RETRY_BASE_SECONDS"]),
        "PYTHONUNBUFFERED": "1",
    }


def wait_until_serving(process: Process, base_url: str) -> None:
    """Wait, within STARTUP_LIMIT, until the web process answers its login page."""

    def answering() -> bool:
        assert process.alive(), f"{process.name} exited:\n{process.output()}"
        try:
            return requests.get(f"{base_url}/login", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False  # not listening yet, or still loading the app: asked again

    if not eventually(answering, STARTUP_LIMIT, interval=0.2):
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
