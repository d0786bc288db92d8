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

With --streams, the same portals hold server-sent-event streams open on one events process
(`flask events`) instead: it prints the process's CPU and memory while they are open and nothing
changes, and, over --rounds changes of the user's account (a conversation's `updated_at` moved),
how long telling every stream took and the CPU it cost.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select, update

from app import create_app
from app.extensions import db
from app.models import Conversation, User
from app.models.base import utcnow
from app.services import inbox
from bench import cpu_seconds, figure, percentile, signed_in
from bench.webhook import environment, process, wait_until_up

PORT = 18300
EVENTS_PORT = 18301
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


async def open_stream(request: bytes):
    """One open portal's stream, past its answer's head."""
    reader, writer = await asyncio.open_connection("127.0.0.1", EVENTS_PORT)
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    if head.split(b" ", 2)[1] != b"200":
        raise SystemExit(f"the events process did not open a stream: {head.decode()!r}")
    return reader, writer


async def told(reader) -> float:
    """When the stream said `change` (the clock of time.perf_counter)."""
    while not (await reader.readline()).startswith(b"event: change"):
        pass
    return time.perf_counter()


def change(app, email: str) -> None:
    """One change of the user's account: its latest conversation's `updated_at` moved."""
    with app.app_context():
        account_id = User.by_email(email).account_id
        latest = select(Conversation.id).where(Conversation.account_id == account_id)
        latest = latest.order_by(Conversation.id.desc()).limit(1).scalar_subquery()
        db.session.execute(
            update(Conversation).where(Conversation.id == latest).values(updated_at=utcnow())
        )
        db.session.commit()
        db.session.remove()


def http_get(path: str, port: int, cookie: str, accept: str) -> bytes:
    """A GET request as the portal's browser sends it, written out for a raw connection."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: session={cookie}\r\nAccept: {accept}\r\n\r\n"
    ).encode()


def memory_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


async def streams(app, email, server: int, request: bytes, count: int, seconds, rounds):
    """`count` streams open on the events process `server`: its cores and memory (kB) while
    nothing changes, and per change the milliseconds until every stream was told and the CPU
    seconds it cost."""
    before = memory_kb(server)
    opened = []
    for start in range(0, count, 100):  # as portals open: not all in the same millisecond
        batch = range(start, min(start + 100, count))
        opened += await asyncio.gather(*(open_stream(request) for _ in batch))
    cpu, began = cpu_seconds(server), time.perf_counter()
    await asyncio.sleep(seconds)
    idle = (cpu_seconds(server) - cpu) / (time.perf_counter() - began)
    held = memory_kb(server) - before
    loop = asyncio.get_running_loop()
    tellings, costs = [], []
    for _ in range(rounds):
        await asyncio.sleep(1.5)  # past the second a stream waits after telling
        cpu = cpu_seconds(server)
        hearing = [asyncio.create_task(told(reader)) for reader, _ in opened]
        changed = time.perf_counter()
        await loop.run_in_executor(None, change, app, email)
        heard = await asyncio.gather(*hearing)
        tellings.append((max(heard) - changed) * 1000)
        costs.append(cpu_seconds(server) - cpu)
    for _, writer in opened:
        writer.close()
    return idle, held, tellings, costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True, help="whose portals are open")
    parser.add_argument("--portals", type=int, nargs="*", default=[500, 1000])
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between questions")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--streams", type=int, nargs="*", default=[], help="open streams")
    parser.add_argument("--rounds", type=int, default=10, help="changes told to the streams")
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
    request = http_get(PATH.format(since=since), PORT, cookie, "application/json")
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    print(
        f"{conversations:,} conversations, {texts:,} texts; as {args.email}; one web process "
        f"(gunicorn gthread, {env.get('GUNICORN_THREADS', '4')} threads), portals asking every "
        f"{args.interval:g} s; measured over {args.seconds:g} s after {args.warmup:g} s\n"
    )
    if args.portals:
        print(
            "| Open portals | Questions/s | p50 (ms) | p95 (ms) | Not 204 | Web CPU (cores) "
            "| CPU per question (ms) | PostgreSQL CPU (cores) | Connections opened |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    carried, costs = [], []
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
        costs.append(per_question)
        print(
            f"| {portals} | {rate:.0f} | {statistics.median(latencies):.1f} | "
            f"{percentile(latencies, 0.95):.1f} | {measure['other']} | {web:.2f} | "
            f"{per_question:.2f} | {pg:.2f} | {measure['connections']} |"
        )
        figure(f"{portals} open portals polling: one web process's CPU", f"{web:.2f} cores")
    if carried:
        at_half = min(carried)
        print(f"\nAt half a core, one web process carries about {at_half:,.0f} open portals.")
        figure("Open portals one web process carries at ½ core", f"{at_half:,.0f}", "≥ 1,000")
    if args.streams:
        held_streams(app, args, env, cookie)
    if args.streams and costs:
        # With a stream, a portal asks once a minute while nothing changes (portal.js).
        with_streams = 0.5 * 60 / (max(costs) / 1000)
        print(
            f"With streams open, one web process carries about {with_streams:,.0f} open portals "
            "at half a core while nothing changes (each asks once a minute), and answers each "
            "portal of an account once per change of it (at most once a second)."
        )
        figure(
            "Open portals one web process carries at ½ core, with streams",
            f"{with_streams:,.0f}",
            "≥ 1,000",
        )


def held_streams(app, args, env, cookie: str) -> None:
    request = http_get("/conversations/events", EVENTS_PORT, cookie, "text/event-stream")
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "events", "--port", str(EVENTS_PORT)]
    env = {**env, "LIVE_STREAMS": str(max(args.streams))}
    print(
        f"\nStreams held open by one events process, idle over {args.seconds:g} s, then "
        f"{args.rounds} changes of the account:\n"
    )
    print(
        "| Open streams | Idle CPU (cores) | Memory held (kB per stream) "
        "| All told, p50 (ms) | All told, max (ms) | CPU per change (ms) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for count in args.streams:
        with process(command, env, Path("/tmp/bench-events.log")) as server:
            wait_until_up(EVENTS_PORT)
            idle, held, tellings, costs = asyncio.run(
                streams(app, args.email, server.pid, request, count, args.seconds, args.rounds)
            )
        print(
            f"| {count} | {idle:.3f} | {held / count:.1f} | {statistics.median(tellings):.0f} | "
            f"{max(tellings):.0f} | {statistics.median(costs) * 1000:.0f} |"
        )
        figure(f"{count} open streams: the events process's idle CPU", f"{idle:.3f} cores")
        figure(
            f"One change told to {count} open streams, p50", f"{statistics.median(tellings):.0f} ms"
        )


if __name__ == "__main__":
    main()
