"""What the bot's own web server sheds, behind a proxy or not (security round 2, finding 3).

- A request's head (request line and headers) must arrive whole within `head_seconds` of the connection opening or of
  its first byte on a kept-alive connection, and be at most `max_head_bytes`: otherwise the connection closes (431 for a
  head too large; nothing for a slow one).
- A body must arrive within `body_seconds` of its head (`read_body`): otherwise 408 and the connection closes.
- An idle keep-alive connection closes after `keepalive_seconds` (aiohttp's own timer).
- At most `max_connections` are open at once: one more is answered 503 and closed at once, so a flood of sockets
  cannot use up the descriptors SQLite and the calls to Slack and Jumio need.

Each shed connection is counted (`on_shed(reason)`, a metric) and logged at most once a minute with a count, so a
flood cannot fill the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

log = logging.getLogger("bot.server")

HEAD_END = b"\r\n\r\n"
SHED_REASONS = ("slow_head", "head_too_large", "slow_body", "too_many_connections")


@dataclass(frozen=True)
class HttpLimits:
    head_seconds: float = 10.0  # IDV_HTTP_DEADLINES, first number
    body_seconds: float = 30.0  # IDV_HTTP_DEADLINES, second number
    max_connections: int = 256  # IDV_HTTP_MAX_CONNECTIONS
    max_head_bytes: int = 16 * 1024  # what Caddy's deploy/Caddyfile allows too
    keepalive_seconds: float = 60.0  # aiohttp's default is 75 s


class BodyTooSlow(Exception):
    """The body did not arrive within the body deadline."""


class _ShedLog:
    """One line for the first connection shed, then at most one a minute saying how many more."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self.last: float | None = None
        self.unsaid: dict[str, int] = {}

    def shed(self, reason: str) -> None:
        now = time.monotonic()
        self.unsaid[reason] = self.unsaid.get(reason, 0) + 1
        if self.last is not None and now - self.last < self.every:
            return
        counts = ", ".join(f"{count} {why.replace('_', ' ')}" for why, count in sorted(self.unsaid.items()))
        log.info("the web server shed connections (%s); see idv_http_connections_shed_total", counts)
        self.last, self.unsaid = now, {}


class ConnectionGuard:
    """Counts the open connections of one site and holds what its connections share."""

    def __init__(self, limits: HttpLimits, on_shed: Callable[[str], None] | None = None) -> None:
        self.limits = limits
        self.open = 0
        self._on_shed = on_shed
        self._log = _ShedLog()

    def shed(self, reason: str) -> None:
        self._log.shed(reason)
        if self._on_shed is not None:
            self._on_shed(reason)

    def protocol(self, inner: asyncio.Protocol) -> _GuardedConnection:
        return _GuardedConnection(inner, self)


class _GuardedConnection(asyncio.Protocol):
    """aiohttp's protocol for one connection, behind the head deadline, the head cap and the connection cap."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self.inner = inner
        self.guard = guard
        self.transport: asyncio.Transport | None = None
        self.admitted = False
        self.in_head = True  # until the head's blank line; again at the first byte after a response
        self.awaiting_next = False
        self.head_bytes = 0
        self.tail = b""
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.guard.open >= self.guard.limits.max_connections:
            self._refuse(503, "Service Unavailable", "too_many_connections", retry_after=True)
            return
        self.guard.open += 1
        self.admitted = True
        self.inner.connection_made(transport)
        self._start_head()

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        if self.awaiting_next:
            self.awaiting_next = False
            self._start_head()
        if self.in_head:
            seen = self.tail + data
            end = seen.find(HEAD_END)
            self.head_bytes += len(data) if end < 0 else end + len(HEAD_END) - len(self.tail)
            if self.head_bytes > self.guard.limits.max_head_bytes:
                self._refuse(431, "Request Header Fields Too Large", "head_too_large")
                return
            if end >= 0:
                self.in_head = False
                self._cancel_deadline()
            self.tail = seen[-3:]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def pause_writing(self) -> None:
        if self.admitted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.admitted:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        if self.admitted:
            self.admitted = False
            self.guard.open -= 1
            self.inner.connection_lost(exc)

    def request_done(self) -> None:
        """The bot answered a request: the next byte on this connection begins a new head (and its deadline)."""
        self.awaiting_next = True

    def _start_head(self) -> None:
        self.in_head, self.head_bytes, self.tail = True, 0, b""
        self._cancel_deadline()
        loop = asyncio.get_running_loop()
        self.deadline = loop.call_later(self.guard.limits.head_seconds, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self.deadline = None
        if self.in_head and self.transport is not None:
            self.guard.shed("slow_head")
            self.transport.abort()

    def _cancel_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _refuse(self, status: int, reason: str, why: str, *, retry_after: bool = False) -> None:
        assert self.transport is not None
        self.guard.shed(why)
        extra = "Retry-After: 5\r\n" if retry_after else ""
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\n{extra}Connection: close\r\nContent-Length: 0\r\n\r\n".encode())
        self.transport.close()  # after the answer is written
        if self.admitted:  # aiohttp's handler is told its connection is gone
            self.admitted = False
            self.guard.open -= 1
            self.inner.connection_lost(None)


class GuardedSite(web.TCPSite):
    """aiohttp's TCP site with every connection behind a ConnectionGuard."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard) -> None:
        super().__init__(runner, host, port)
        self.guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        factory: Any = server
        self._server = await asyncio.get_running_loop().create_server(
            lambda: self.guard.protocol(factory()), self._host, self._port, backlog=self._backlog
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port


def _connection_of(request: web.Request) -> _GuardedConnection | None:
    transport = request.transport
    protocol = transport.get_protocol() if transport is not None else None
    return protocol if isinstance(protocol, _GuardedConnection) else None


@web.middleware
async def body_deadline(request: web.Request, handler: Any) -> web.StreamResponse:
    """Gives the request's body its deadline (`read_body` keeps it), answers 408 when it passes, and tells the
    connection's guard the request was answered."""
    guard: ConnectionGuard | None = request.app.get(GUARD_KEY)
    seconds = guard.limits.body_seconds if guard is not None else HttpLimits().body_seconds
    request[DEADLINE_KEY] = asyncio.get_running_loop().time() + seconds
    try:
        return await handler(request)
    except BodyTooSlow:
        if guard is not None:
            guard.shed("slow_body")
        return await answer_and_close(request, web.Response(status=408, text="request body too slow"))
    finally:
        connection = _connection_of(request)
        if connection is not None:
            connection.request_done()


async def answer_and_close(request: web.Request, response: web.Response) -> web.Response:
    """Sends `response`, then closes the connection at once (aiohttp would otherwise go on reading what is left of a
    body for up to 10 s)."""
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()
    return response


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body (chunked ones too: one read may return less than is coming), None past `limit` (read no
    further), or BodyTooSlow when it has not all come by the request's body deadline."""
    if request.content_length is not None and request.content_length > limit:
        return None
    deadline = request.get(DEADLINE_KEY)
    body = bytearray()
    try:
        async with asyncio.timeout_at(deadline):
            while chunk := await request.content.read(limit + 1 - len(body)):
                body += chunk
                if len(body) > limit:
                    return None
    except TimeoutError:
        raise BodyTooSlow from None
    return bytes(body)


GUARD_KEY = web.AppKey("connection_guard", ConnectionGuard)
DEADLINE_KEY = web.RequestKey("body_deadline", float)
