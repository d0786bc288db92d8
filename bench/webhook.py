"""Inbound webhook throughput and latency on gunicorn against PostgreSQL (SPEC §5), side by side
in one run with the durable floor (bench/floor_app.py) and Twilio's quickstart webhook
(bench/quickstart_app.py), all three on the same gunicorn settings (gunicorn.conf.py).

    .venv/bin/python -m bench.webhook --database postgresql://postgres@127.0.0.1:5432/bench_webhook

The database is created afresh (dropped first if it exists). The app runs as in production: Redis
for jobs and a Celery worker taking them. Each app gets the same signed texts from --phones
customers; afterwards every answered text must be stored exactly once, and every text the app
stored must be filed by the worker before the next app is measured.

Production runs workers on machines of their own; here the worker shares the client's and the
servers' cores, so it runs at the lowest CPU priority (nice 19): it takes what the web processes
leave, as a worker elsewhere would take nothing from them, and catches up after the run.
"""

import argparse
import contextlib
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

from bench import percentile

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


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        time.sleep(0.2)
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


def wait_until_filed(database: str, sids: list[str]) -> float:
    """Wait until the worker has filed every text of `sids` in a conversation and its queue is
    empty (notifications included); the seconds that took."""
    began = time.perf_counter()
    queue = redis.Redis.from_url(REDIS_URL)
    with psycopg.connect(database, autocommit=True) as conn:
        while True:
            unfiled = conn.execute(
                "SELECT count(*) FROM messages WHERE provider_sid = ANY(%s) "
                "AND conversation_id IS NULL",
                (sids,),
            ).fetchone()[0]
            if unfiled == 0 and not queue.llen("celery") and not queue.hlen("unacked"):
                return time.perf_counter() - began
            if time.perf_counter() - began > 600:
                raise SystemExit(f"the worker left {unfiled} texts unfiled after 10 minutes")
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL URL; recreated")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--workers", default="2", help="gunicorn WEB_CONCURRENCY for all three")
    parser.add_argument("--logs", default="/tmp/bench-webhook", help="where process logs go")
    args = parser.parse_args()
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    recreate(args.database)
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = environment(args.database, 0)
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
    rows = []
    with process(worker_cmd, env, logs / "worker.log"):
        for index, (name, target, table, column) in enumerate(apps):
            port = 18100 + index
            web_env = {**environment(args.database, port), "WEB_CONCURRENCY": args.workers}
            command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", target]
            with process(command, web_env, logs / f"web-{index}.log"):
                wait_until_up(port)
                fire(port, texts(args.warmup, args.phones, f"W{index}"), args.concurrency)
                forms = texts(args.requests, args.phones, f"R{index}")
                seconds, latencies, failed = fire(port, forms, args.concurrency)
            stored = None
            sids = [f["MessageSid"] for f in forms]
            if table:
                with psycopg.connect(args.database) as conn:
                    stored = conn.execute(
                        f"SELECT count(*), count(DISTINCT {column}) FROM {table} "
                        f"WHERE {column} = ANY(%s)",
                        (sids,),
                    ).fetchone()
            rows.append((name, len(forms) / seconds, latencies, failed, stored))
            if table == "messages":
                filing = wait_until_filed(args.database, sids)
    print(
        f"{args.requests} texts per app after {args.warmup} to warm up, {args.concurrency} at "
        f"a time, from {args.phones} phones; gunicorn WEB_CONCURRENCY={args.workers}; the "
        f"worker filed the app's last text {filing:.1f} s after the last answer\n"
    )

    floor = rows[1][1]
    print("| App | Texts/s | × floor | p50 (ms) | p99 (ms) | Non-200 | Stored (rows, distinct) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, rate, latencies, failed, stored in rows:
        print(
            f"| {name} | {rate:.0f} | {rate / floor:.2f} | {statistics.median(latencies):.1f} | "
            f"{percentile(latencies, 0.99):.1f} | {failed} | "
            f"{'—' if stored is None else f'{stored[0]}, {stored[1]}'} |"
        )


if __name__ == "__main__":
    main()
