"""Texts handled end to end (SPEC §5): a burst of signed texts on gunicorn, answered and filed by
one Celery worker, against PostgreSQL and Redis on this one machine, timed from the first request
until the last text sits in its conversation (consent decided, replies and notifications queued);
side by side in each round with the durable floor (bench/floor_app.py) on the same settings.

    .venv/bin/python -m bench.filing --database postgresql://postgres@127.0.0.1:5432/bench_filing

The database is created afresh. Before the rounds every one of the --phones customers texts once
and is filed (a first text: consent, a new conversation, the welcome), so that the bursts are the
common case of a busy number: replies from contacts it knows. Each round sends the floor its
burst, then the app its own (each after --warmup texts to warm up), the worker running at
normal priority beside the web processes. It prints texts handled per second, the ratio to that
round's floor, the worker's CPU per text (every process of the worker, notifications sent
included; PostgreSQL's time is not in it) and the filing lag (from the last answer to the last
text filed).
"""

import statistics
import sys
import time

import psycopg

from bench import cpu_seconds, figure
from bench.webhook import (
    REDIS_URL,
    bursts,
    environment,
    fire,
    process,
    texts,
    wait_until_up,
)
from tests.support.waiting import eventually


def wait_until_handled(database: str, sids: list[str]) -> float:
    """Wait until every text of `sids` is filed in a conversation; the moment it was seen."""
    with psycopg.connect(database, autocommit=True) as conn:

        def filed() -> bool:
            return not conn.execute(
                "SELECT count(*) FROM messages WHERE provider_sid = ANY(%s) "
                "AND conversation_id IS NULL",
                (sids,),
            ).fetchone()[0]

        if not eventually(filed, 600, interval=0.05):
            raise SystemExit("the worker left texts unfiled after 10 minutes")
    return time.perf_counter()


def main() -> None:
    args, env, logs = bursts(
        __doc__.splitlines()[0], requests=2000, rounds=5, phones=500, logs="/tmp/bench-filing"
    )
    worker_cmd = [
        *(sys.executable, "-m", "celery", "-A", "wsgi:celery", "worker"),
        *("--concurrency=1", "--loglevel=WARNING"),
    ]
    web = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    rows = []
    with process(worker_cmd, env, logs / "worker.log") as worker:
        app_port, floor_port = 18200, 18201
        app_env = {**environment(args.database, app_port), "WEB_CONCURRENCY": args.workers}
        floor_env = {**environment(args.database, floor_port), "WEB_CONCURRENCY": args.workers}
        first = texts(args.phones, args.phones, "F")
        with process([*web, "wsgi:app"], app_env, logs / "web.log"):
            wait_until_up(app_port)
            fire(app_port, first, args.concurrency)
            wait_until_handled(args.database, [f["MessageSid"] for f in first])
        for round_ in range(args.rounds):
            with process([*web, "bench.floor_app:app"], floor_env, logs / "floor.log"):
                wait_until_up(floor_port)
                fire(floor_port, texts(args.warmup, args.phones, f"V{round_}"), args.concurrency)
                forms = texts(args.requests, args.phones, f"L{round_}")
                seconds, _, failed = fire(floor_port, forms, args.concurrency)
            floor = (len(forms) - failed) / seconds
            with process([*web, "wsgi:app"], app_env, logs / "web.log"):
                wait_until_up(app_port)
                warm = texts(args.warmup, args.phones, f"W{round_}")
                fire(app_port, warm, args.concurrency)
                wait_until_handled(args.database, [f["MessageSid"] for f in warm])
                forms = texts(args.requests, args.phones, f"A{round_}")
                cpu = cpu_seconds(worker.pid)
                began = time.perf_counter()
                seconds, _, failed = fire(app_port, forms, args.concurrency)
                answered = began + seconds
                handled = wait_until_handled(args.database, [f["MessageSid"] for f in forms])
                cpu = cpu_seconds(worker.pid) - cpu
            if failed:
                raise SystemExit(f"{failed} texts were not answered 200")
            rate = len(forms) / (handled - began)
            rows.append(
                {
                    "floor": floor,
                    "handled": rate,
                    "answered": len(forms) / seconds,
                    "cpu_ms": cpu * 1000 / len(forms),
                    "lag": handled - answered,
                }
            )
    print(
        f"{args.rounds} rounds of {args.requests} texts, {args.concurrency} at a time, from "
        f"{args.phones} customers who texted before; gunicorn WEB_CONCURRENCY={args.workers}, "
        f"one Celery worker (one process) at normal priority, Redis {REDIS_URL}.\n"
    )
    print(
        "| Round | Floor (texts/s) | Answered (texts/s) | Handled (texts/s) | Handled × floor "
        "| Worker CPU per text (ms) | Filing lag (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i, row in enumerate(rows, 1):
        print(
            f"| {i} | {row['floor']:.0f} | {row['answered']:.0f} | {row['handled']:.0f} | "
            f"{row['handled'] / row['floor']:.2f} | {row['cpu_ms']:.2f} | {row['lag']:.2f} |"
        )

    def median(key):
        return statistics.median(row[key] for row in rows)

    ratio = statistics.median(row["handled"] / row["floor"] for row in rows)
    print(
        f"\nMedian: {median('handled'):.0f} texts handled per second, {ratio:.2f} × the floor "
        f"(goal ≥ 0.5); worker CPU {median('cpu_ms'):.2f} ms per text (goal ≤ 1 ms); filing lag "
        f"{median('lag'):.2f} s."
    )
    figure("Texts handled end to end, × the floor (median of rounds)", f"{ratio:.2f}", "≥ 0.5")
    figure("Worker CPU per text handled (median of rounds)", f"{median('cpu_ms'):.2f} ms", "≤ 1 ms")
    figure("Filing lag after the last answer (median of rounds)", f"{median('lag'):.2f} s")


if __name__ == "__main__":
    main()
