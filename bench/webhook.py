"""Inbound webhook throughput and latency on gunicorn against PostgreSQL (SPEC §5), side by side
in one run with the durable floor (bench/floor_app.py) and Twilio's quickstart webhook
(bench/quickstart_app.py), all three on the same gunicorn settings (gunicorn.conf.py).

    .venv/bin/python -m bench.webhook --database postgresql://postgres@127.0.0.1:5432/bench_webhook

The database is created afresh (dropped first if it exists). The app runs as in production: Redis
for jobs and a Celery worker taking them. Each app gets the same signed texts from --phones
customers; afterwards every answered text must be stored exactly once, and every text the app
stored must be filed by the worker before the next app is measured.

Production runs workers on machines of their own; here the worker shares the client's and the
servers' cores, so it runs at the lowest CPU priority (nice 19, for its scheduling group too): it
takes what the web processes leave, as a worker elsewhere would take nothing from them, and
catches up after the run.
"""

import argparse
import contextlib
import dataclasses
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import redis
import requests
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from bench import figure, percentile
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-auth-token"
NUMBER = "+15005550101"
BASE = "http://bench.example"
PATH = "/webhooks/twilio/sms"
REDIS_URL = "redis://127.0.0.1:6379/12"


def recreate(url: str) -> None:
    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target.database}"')
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE floor_texts (message_sid text PRIMARY KEY, form jsonb NOT NULL, "
            "received_at timestamptz NOT NULL DEFAULT now())"
        )


def environment(url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "FLOOR_DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "PUBLIC_BASE_URL": BASE,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "SMS_PROVIDER": "simulator",
        "SIMULATOR_ACTIVATION_SECONDS": "0",
        "SECRET_KEY": "bench-secret-key-of-some-length",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_FORMAT": "text",
    }


def flask(env, *args) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str], log: Path):
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def lowest_priority(pid: int) -> None:
    """Nice 19 for the process's scheduling group as well: with Linux's autogroups (one per
    session) a process's own nice value only weighs against its own session's processes."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text("19")


def wait_until_up(port: int) -> None:
    def answering() -> bool:
        with contextlib.suppress(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return True
        return False

    if not eventually(answering, 30, interval=0.2):
        raise SystemExit(f"nothing answered on port {port}")


def texts(count: int, phones: int, run: str) -> list[dict[str, str]]:
    """Signed-ready forms: `phones` customers texting in turn, each text with its own SID."""
    return [
        {
            "MessageSid": f"SM{run}{i:030d}",
            "SmsSid": f"SM{run}{i:030d}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"+1555{i % phones:07d}",
            "To": NUMBER,
            "Body": f"Text number {i} of the bench",
            "NumMedia": "0",
        }
        for i in range(count)
    ]


def fire(port: int, forms: list[dict], concurrency: int) -> tuple[float, list[float], int]:
    """POST every form, `concurrency` at a time; (seconds, latencies in ms, non-200 answers)."""
    validator = RequestValidator(TOKEN)
    signed = [(form, validator.compute_signature(BASE + PATH, form)) for form in forms]
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    position = [0]

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if position[0] >= len(signed):
                    return
                form, signature = signed[position[0]]
                position[0] += 1
            began = time.perf_counter()
            r = session.post(
                f"http://127.0.0.1:{port}{PATH}",
                data=form,
                headers={"X-Twilio-Signature": signature},
            )
            took = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(took)
                failures[0] += r.status_code != 200

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - began, latencies, failures[0]


@dataclasses.dataclass
class Result:
    """One app's figures over the rounds."""

    rates: list[float] = dataclasses.field(default_factory=list)
    latencies: list[float] = dataclasses.field(default_factory=list)
    failed: int = 0
    stored: tuple[int, int] | None = None

    def add_stored(self, counted: tuple[int, int]) -> None:
        rows, distinct = self.stored or (0, 0)
        self.stored = (rows + counted[0], distinct + counted[1])


def stored(database: str, table: str, column: str, sids: list[str]) -> tuple[int, int]:
    """How many rows hold the texts of `sids`, and how many distinct texts they are."""
    with psycopg.connect(database) as conn:
        return conn.execute(
            f"SELECT count(*), count(DISTINCT {column}) FROM {table} WHERE {column} = ANY(%s)",
            (sids,),
        ).fetchone()


def wait_until_filed(database: str, sids: list[str]) -> float:
    """Wait until the worker has filed every text of `sids` in a conversation and its queue is
    empty (notifications included); the seconds that took."""
    began = time.perf_counter()
    queue = redis.Redis.from_url(REDIS_URL)
    with psycopg.connect(database, autocommit=True) as conn:

        def unfiled() -> int:
            return conn.execute(
                "SELECT count(*) FROM messages WHERE provider_sid = ANY(%s) "
                "AND conversation_id IS NULL",
                (sids,),
            ).fetchone()[0]

        def done() -> bool:
            return unfiled() == 0 and not queue.llen("celery") and not queue.hlen("unacked")

        if not eventually(done, 600, interval=0.5):
            raise SystemExit(f"the worker left {unfiled()} texts unfiled after 10 minutes")
    return time.perf_counter() - began


def set_up(env: dict[str, str]) -> None:
    """The database migrated, Redis emptied, and through the CLI an account with one active
    number and its agent."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    flask(env, "db", "upgrade")
    flask(env, "create-account", "Bench Co")
    flask(
        env,
        "create-user",
        "--account",
        "Bench Co",
        "--email",
        "agent@bench.test",
        "--first",
        "Ann",
        "--last",
        "Agent",
        "--role",
        "agent",
    )
    flask(
        env,
        "create-number",
        "--account",
        "Bench Co",
        "--number",
        NUMBER,
        "--label",
        "Main",
        "--sms-user",
        "agent@bench.test",
        "--activate",
    )


def bursts(description: str, **defaults) -> tuple[argparse.Namespace, dict[str, str], Path]:
    """The options of a bench of signed bursts (`defaults` for some), and, the database made
    afresh and set up: the options, the environment of its processes and where their logs go."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL; recreated")
    parser.add_argument("--requests", type=int, default=3000, help="texts per app and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=200, help="texts before each measure")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--workers", default="2", help="gunicorn WEB_CONCURRENCY of each app")
    parser.add_argument("--logs", default="/tmp/bench-webhook", help="where process logs go")
    parser.set_defaults(**defaults)
    args = parser.parse_args()
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    recreate(args.database)
    env = environment(args.database, 0)
    set_up(env)
    return args, env, logs


def main() -> None:
    args, env, logs = bursts(__doc__.splitlines()[0])

    apps = [
        ("SMS Conversations", "wsgi:app", "messages", "provider_sid"),
        ("Durable floor", "bench.floor_app:app", "floor_texts", "message_sid"),
        ("Twilio quickstart", "bench.quickstart_app:app", None, None),
    ]
    worker_cmd = [
        "nice",
        "-n",
        "19",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "wsgi:celery",
        "worker",
        "--concurrency=2",
        "--loglevel=WARNING",
    ]
    results = {name: Result() for name, *_ in apps}
    filings = []
    with process(worker_cmd, env, logs / "worker.log") as worker:
        lowest_priority(worker.pid)
        # Rounds, each app once per round: the machine's pace drifts, so each round's app is
        # compared with that round's floor.
        for round_ in range(args.rounds):
            for index, (name, target, table, column) in enumerate(apps):
                port = 18100 + index
                web_env = {**environment(args.database, port), "WEB_CONCURRENCY": args.workers}
                command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", target]
                run = f"{round_}x{index}"
                with process(command, web_env, logs / f"web-{index}.log"):
                    wait_until_up(port)
                    fire(port, texts(args.warmup, args.phones, "W" + run), args.concurrency)
                    forms = texts(args.requests, args.phones, "R" + run)
                    seconds, latencies, failed = fire(port, forms, args.concurrency)
                result = results[name]
                result.rates.append(len(forms) / seconds)
                result.latencies += latencies
                result.failed += failed
                sids = [f["MessageSid"] for f in forms]
                if table:
                    result.add_stored(stored(args.database, table, column, sids))
                if table == "messages":
                    filings.append(wait_until_filed(args.database, sids))

    print(
        f"{args.rounds} rounds of {args.requests} texts per app, each after {args.warmup} to "
        f"warm up, {args.concurrency} at a time, from {args.phones} phones; gunicorn "
        f"WEB_CONCURRENCY={args.workers}. The worker filed the app's last text "
        f"{statistics.median(filings):.1f} s after the last answer (median of the rounds).\n"
    )
    floor = results["Durable floor"].rates
    print(
        "| App | Texts/s (median) | × floor (median; each round) | p50 (ms) | p99 (ms) | Non-200 "
        "| Stored (rows, distinct) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, result in results.items():
        ratios = [rate / base for rate, base in zip(result.rates, floor, strict=True)]
        if name == "SMS Conversations":
            answered = f"{statistics.median(ratios):.2f}"
        print(
            f"| {name} | {statistics.median(result.rates):.0f} | "
            f"{statistics.median(ratios):.2f} ({', '.join(f'{r:.2f}' for r in ratios)}) | "
            f"{statistics.median(result.latencies):.1f} | "
            f"{percentile(result.latencies, 0.99):.1f} | {result.failed} | "
            f"{'—' if result.stored is None else f'{result.stored[0]}, {result.stored[1]}'} |"
        )
    app = statistics.median(results["SMS Conversations"].rates)
    print(f"\nMedian throughputs: the app's is {app / statistics.median(floor):.2f} × the floor's.")
    figure("Webhook answered, × the floor (median of rounds)", answered, "≥ 0.6")


if __name__ == "__main__":
    main()
