"""Local stand-ins for the outside world: a Jumio KYX simulator and a Slack stand-in, for `demo` and tests."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiohttp import web


async def serve_app(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve an aiohttp app on loopback; returns the runner (to clean up) and the port it listens on."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server: Any = site._server  # aiohttp exposes the bound socket only here (an asyncio.Server)
    bound = server.sockets[0].getsockname()[1] if server is not None and server.sockets else port
    return runner, bound


async def read_part(part: aiohttp.BodyPartReader, rate: float | None = None) -> bytearray:
    """A multipart field's raw bytes; with `rate`, at most that many bytes a second (a network-bound leg)."""
    data = bytearray()
    began = time.monotonic()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if rate:
            await asyncio.sleep(max(0.0, began + len(data) / rate - time.monotonic()))
    return data
