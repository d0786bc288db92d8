"""Benchmarks, run by hand or by `bench/run` (see bench/README.md); never part of the tests."""

import time
from pathlib import Path

from sqlalchemy import func, select

from app import settle
from app.extensions import db
from app.models import Conversation, Message, User

TICKS = 100  # clock ticks per second of /proc/<pid>/stat (USER_HZ)


def cpu_seconds(group: int | None = None, name: str | None = None) -> float:
    """User and system CPU, in seconds, of every live process of the process group `group`, or
    of every process called `name` (such as "postgres")."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            command, fields = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = fields.split()  # after the name: state, ppid, pgrp, …, utime (11), stime (12)
        if int(fields[2]) == group or command == name:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def figure(name: str, measured: str, goal: str = "—") -> None:
    """One row of the table `bench/run` prints at its end, every figure beside its goal: it
    gathers the lines that start with FIGURE."""
    print(f"FIGURE | {name} | {measured} | {goal} |")


def percentile(values: list[float], share: float) -> float:
    """The value at `share` (0–1) of the sorted values, by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def signed_in(app, email: str):
    """A test client of `app` with `email`'s session (server time, no network), and the loaded
    account's size: (client, conversations, texts). Exits when there is no such user. The
    process is then settled as a web worker is once it has built the app (`app.settle`)."""
    with app.app_context():
        user = User.by_email(email)
        if user is None:
            raise SystemExit(f"No user {email!r}.")
        conversations = db.session.scalar(select(func.count()).select_from(Conversation))
        texts = db.session.scalar(select(func.count()).select_from(Message))
        session_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    settle()
    return client, conversations, texts


# Answers to a URL before its runs are timed: a web process answers thousands on the same
# connections, and only its first ten or so there are planned afresh (psycopg prepares a
# statement at its fifth run on a connection; PostgreSQL settles its plan five runs later).
WARM_UP = 20


def timed(client, url: str, runs: int) -> list[float]:
    """Milliseconds of each of `runs` answers to `url`, after WARM_UP to warm up."""
    for _ in range(WARM_UP):
        client.get(url)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    return times
