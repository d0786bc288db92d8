"""Open portals asking "anything changed?" at once (SPEC §2.6): one gunicorn web process, as
production runs it, against the loaded database, with --portals open portals each asking every
--interval seconds (the portal's own pace) while nothing changes.

    .venv/bin/python -m bench.polls --email bob@demo.test --portals 500 1000

DATABASE_URL names the loaded database (bench/README.md). Every portal is a keep-alive connection
with the user's session cookie, asking for the Active tab's changes since the current change
stamp, as an open portal does; the portals' questions are spread evenly over the interval. After
--warmup seconds, the web process's CPU (all its threads) and PostgreSQL's (every server
process) are read from /proc over --seconds; it prints the questions answered per second, their
latency, the CPU each took, and how many portals one web process carries at half a core.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from app import create_app
from app.extensions import db
from app.models import User
from app.services import inbox
from bench import cpu_seconds, figure, percentile, signed_in
from bench.webhook import environment, process, wait_until_up

PORT = 18300
PATH = "/conversations/changes?tab=active&since={since}"


async def portal(request: bytes, start: float, interval: float, until: float, seen: dict) -> None:
    """One open portal: ask, read the answer, wait for the next turn; again on a new connection
    when the server closed this one."""
    reader = writer = None
    await asyncio.sleep(start)
    while (turn := time.perf_counter()) < until:
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
            seen["connections"] += 1
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
        except (ConnectionError, asyncio.IncompleteReadError):
            writer = None
            continue
        status = head.split(b" ", 2)[1]
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if length:
            await reader.readexactly(length)
        seen["latencies"].append((time.perf_counter() - turn) * 1000)
        seen["other"] += status != b"204"
        await asyncio.sleep(max(0.0, turn + interval - time.perf_counter()))
    if writer is not None:
        writer.close()


async def poll(
    server: int, request: bytes, portals: int, interval: float, seconds: float, warmup: float
):
    """Run the portals against the web process `server`; over the measured window: what they
    saw (latencies in ms, answers other than 204, connections opened), the cores the web process
    and PostgreSQL used, and the window's seconds."""
    measure = {"latencies": [], "other": 0, "connections": 0}
    until = time.perf_counter() + warmup + seconds
    tasks = [
        asyncio.create_task(portal(request, i * interval / portals, interval, until, measure))
        for i in range(portals)
    ]
    await asyncio.sleep(warmup)
    measure.update(latencies=[], other=0, connections=0)
    web, pg = cpu_seconds(server), cpu_seconds(name="postgres")
    began = time.perf_counter()
    await asyncio.sleep(seconds)
    web, pg = cpu_seconds(server) - web, cpu_seconds(name="postgres") - pg
    took = time.perf_counter() - began
    await asyncio.gather(*tasks)
    return measure, web / took, pg / took, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True, help="whose portals are open")
    parser.add_argument("--portals", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between questions")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args()
    database = os.environ["DATABASE_URL"]
    env = {**environment(database, PORT), "WEB_CONCURRENCY": "1", "GUNICORN_LOG_LEVEL": "warning"}
    os.environ.update(SECRET_KEY=env["SECRET_KEY"], PUBLIC_BASE_URL=env["PUBLIC_BASE_URL"])
    app = create_app()
    client, conversations, texts = signed_in(app, args.email)
    cookie = client.get_cookie("session").value
    with app.app_context():
        since = inbox.change_stamp(User.by_email(args.email))
        db.session.remove()
    request = (
        f"GET {PATH.format(since=since)} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n"
        f"Cookie: session={cookie}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    print(
        f"{conversations:,} conversations, {texts:,} texts; as {args.email}; one web process "
        f"(gunicorn gthread, {env.get('GUNICORN_THREADS', '4')} threads), portals asking every "
        f"{args.interval:g} s; measured over {args.seconds:g} s after {args.warmup:g} s\n"
    )
    print(
        "| Open portals | Questions/s | p50 (ms) | p95 (ms) | Not 204 | Web CPU (cores) "
        "| CPU per question (ms) | PostgreSQL CPU (cores) | Connections opened |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    carried = []
    for portals in args.portals:
        with process(command, env, Path("/tmp/bench-polls.log")) as server:
            wait_until_up(PORT)
            measure, web, pg, took = asyncio.run(
                poll(server.pid, request, portals, args.interval, args.seconds, args.warmup)
            )
        latencies = measure["latencies"]
        rate = len(latencies) / took
        per_question = web / rate * 1000
        # A portal asks 1/interval times a second: what half a core answers at this cost.
        carried.append(0.5 * args.interval / (per_question / 1000))
        print(
            f"| {portals} | {rate:.0f} | {statistics.median(latencies):.1f} | "
            f"{percentile(latencies, 0.95):.1f} | {measure['other']} | {web:.2f} | "
            f"{per_question:.2f} | {pg:.2f} | {measure['connections']} |"
        )
        figure(f"{portals} open portals polling: one web process's CPU", f"{web:.2f} cores")
    at_half = min(carried)
    print(f"\nAt half a core, one web process carries about {at_half:,.0f} open portals.")
    figure("Open portals one web process carries at ½ core", f"{at_half:,.0f}", "≥ 1,000")


if __name__ == "__main__":
    main()
