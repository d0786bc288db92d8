"""Live updates pushed: the events process (`flask events`) holds each open portal's stream of
server-sent events and says `change` on it when the account's conversations change.

PostgreSQL notifies the channel `conversation_changes` with the account's id whenever one of its
conversations is added or its `updated_at` moves (migration 0017); the process hears them on one
connection and wakes the streams of that account. A stream says nothing but `change`: the page
then asks `/conversations/changes`, as when it polls, under the user's access rules.

Streams are served apart from the web processes, on asyncio: an open stream costs a few kilobytes
and no thread, where a web process gives each request a thread of its own. The load balancer
sends `/conversations/events` here; a web process answers that path with 204 (`portal.events`),
and so does this one when it cannot push (no connection to PostgreSQL, LIVE_STREAMS open): the
page then polls.
"""

import asyncio
import logging

import psycopg
from aiohttp import web
from flask import Flask
from flask_login import current_user
from sqlalchemy.engine import make_url

CHANNEL = "conversation_changes"
PATH = "/conversations/events"
CHANGE = b"event: change\ndata:\n\n"
# Sent when a stream opens: a browser waits this long before asking for a lost stream again.
RETRY = b"retry: 3000\n\n"
# A comment line, so proxies and the browser keep an idle stream open.
STILL_HERE = b": still here\n\n"
# A burst of texts for one account makes one `change` per stream in this time, not one per text.
BURST_SECONDS = 1.0

log = logging.getLogger(__name__)

HUB = web.AppKey("hub", "Hub")
FLASK_APP = web.AppKey("flask_app", Flask)


class Hub:
    """The streams open in this process, by account, and the one connection that hears which
    account changed."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.streams: dict[int, set[asyncio.Event]] = {}
        self.open = 0  # the streams admitted: open, or their session still being checked
        self.listening = asyncio.Event()
        self.closing = False

    def admit(self, most: int) -> bool:
        """Whether a stream may open: this process hears changes, is not closing, and holds
        fewer than `most`. One admitted counts from now on, while its session is checked too,
        so a burst of them cannot pass `most`; the caller lets it go (`open -= 1`) at its end."""
        if self.open >= most or not self.listening.is_set() or self.closing:
            return False
        self.open += 1
        return True

    def enter(self, account_id: int) -> asyncio.Event:
        """A stream for the account: the event is set when the account changes."""
        woken = asyncio.Event()
        self.streams.setdefault(account_id, set()).add(woken)
        return woken

    def leave(self, account_id: int, woken: asyncio.Event) -> None:
        group = self.streams[account_id]
        group.discard(woken)
        if not group:
            del self.streams[account_id]

    def tell(self, account_id: int | None = None) -> None:
        """Wake the account's streams (every stream without `account_id`)."""
        if account_id is None:
            groups = list(self.streams.values())
        else:
            groups = [self.streams.get(account_id, ())]
        for group in groups:
            for woken in group:
                woken.set()

    async def listen(self) -> None:
        """Hear the channel for as long as the process runs. A lost connection is made again
        (waiting longer after each failure); every stream is then told of a change, as one may
        have been missed meanwhile."""
        pause = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.dsn, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self.tell()
                    pause = 0.5
                    async for note in connection.notifies():
                        if note.payload.isdigit():
                            self.tell(int(note.payload))
            except (psycopg.Error, OSError) as e:
                log.warning("live updates: lost PostgreSQL (%s); again in %.1f s", e, pause)
            self.listening.clear()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30)


def account_of(app: Flask, cookie: str) -> int | None:
    """The account the session in `cookie` belongs to, by the web processes' own login rules
    (an ended session, a changed password, a deactivated user is no one); None for no one."""
    with app.test_request_context(PATH, headers={"Cookie": cookie}):
        return current_user.account_id if current_user.is_authenticated else None


async def stream(request: web.Request) -> web.StreamResponse:
    """`GET /conversations/events`: `change` whenever the user's account changes, a comment
    every LIVE_KEEPALIVE_SECONDS, for LIVE_STREAM_SECONDS (the browser then opens another, so
    a session that ended stops hearing). 401 without a session; 204 when this process cannot
    push (the page polls)."""
    hub, app = request.app[HUB], request.app[FLASK_APP]
    if not hub.admit(app.config["LIVE_STREAMS"]):
        return web.Response(status=204)
    try:
        return await _push(request, hub, app)
    finally:
        hub.open -= 1


async def _push(request: web.Request, hub: Hub, app: Flask) -> web.StreamResponse:
    """An admitted stream: 401 without a session, else `change` as `stream` says."""
    loop = asyncio.get_running_loop()
    cookie = request.headers.get("Cookie", "")
    account_id = await loop.run_in_executor(None, account_of, app, cookie)
    if account_id is None:
        return web.Response(status=401)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx passes each event on at once
        }
    )
    woken = hub.enter(account_id)
    try:
        await response.prepare(request)
        await response.write(RETRY)
        ends = loop.time() + app.config["LIVE_STREAM_SECONDS"]
        while (left := ends - loop.time()) > 0 and not hub.closing:
            try:
                async with asyncio.timeout(min(app.config["LIVE_KEEPALIVE_SECONDS"], left)):
                    await woken.wait()
            except TimeoutError:
                await response.write(STILL_HERE)
                continue
            woken.clear()
            if hub.closing:
                break
            await response.write(CHANGE)
            await asyncio.sleep(BURST_SECONDS)
    except ConnectionError:
        pass  # the page was closed
    finally:
        hub.leave(account_id, woken)
    return response


def events_app(app: Flask) -> web.Application:
    """The events process's web app, hearing changes on the database of `app`."""
    dsn = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    hub = Hub(dsn.render_as_string(hide_password=False))
    events = web.Application()
    events[HUB], events[FLASK_APP] = hub, app
    events.router.add_get(PATH, stream)

    async def listening(events: web.Application):
        task = asyncio.create_task(hub.listen())
        yield
        task.cancel()

    async def closing(events: web.Application) -> None:
        hub.closing = True
        hub.tell()

    events.cleanup_ctx.append(listening)
    events.on_shutdown.append(closing)
    return events
