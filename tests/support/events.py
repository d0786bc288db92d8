"""The events process (`flask events`, app/live.py) served from a thread of the test process, on
a real port (and in front of the web process, as a load balancer routes them, for a browser);
a reader of its streams as a browser's EventSource reads them."""

import asyncio
import http.client
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

from aiohttp import ClientSession, web
from multidict import CIMultiDict

from app.live import HUB, PATH, events_app
from tests.support.waiting import eventually

# Headers of one hop, never passed on by a proxy.
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def routed_to(served: web.Application, upstream: str) -> None:
    """Every path but the events' passed on to `upstream`, with the browser's host name."""

    async def forward(request: web.Request) -> web.Response:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP - {"host"}]
        async with ClientSession(auto_decompress=False) as session:
            async with session.request(
                request.method,
                upstream + request.rel_url.path_qs,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as answer:
                body = await answer.read()
                kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP]
                return web.Response(status=answer.status, body=body, headers=CIMultiDict(kept))

    served.router.add_route("*", "/{path:.*}", forward)


@contextmanager
def events_server(app, upstream: str | None = None):
    """Yields the events app's base URL and its hub, listening; stops it after. With
    `upstream` (a web process's base URL), every other path is passed on there."""
    loop = asyncio.new_event_loop()
    served = events_app(app)
    if upstream:
        routed_to(served, upstream)
    runner = web.AppRunner(served, handler_cancellation=True)
    # Its own loop in its own thread (a test's Playwright runs one in this thread).
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> int:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner.addresses[0][1]

    port = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    hub = served[HUB]
    try:
        assert eventually(hub.listening.is_set), "the events process never heard PostgreSQL"
        yield f"http://127.0.0.1:{port}", hub
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


class Stream:
    """One open `GET /conversations/events` with the cookie a browser would send."""

    def __init__(self, base_url: str, cookie: str = "", seconds: float = 10):
        address = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(
            address.hostname, address.port, timeout=seconds
        )
        self.connection.request("GET", PATH, headers={"Cookie": cookie} if cookie else {})
        self.response = self.connection.getresponse()
        self.status = self.response.status

    def next(self) -> str | None:
        """The next event as its lines (`event: change\\ndata:`, a `: comment`, `retry: N`);
        None once the stream has ended. A socket timeout means nothing came in time."""
        lines = []
        while line := self.response.readline():
            line = line.decode().rstrip("\n")
            if line:
                lines.append(line)
            elif lines:
                return "\n".join(lines)
        return None

    def close(self) -> None:
        self.connection.close()


def session_cookie(browser) -> str:
    """The `Cookie` header of a logged-in tests.support.Browser."""
    return f"session={browser.client.get_cookie('session').value}"
