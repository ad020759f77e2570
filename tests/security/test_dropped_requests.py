"""A client that drops its connection mid-body is one INFO line in the log, not an 18-line traceback (security round
2, finding 3, in part): 20 drops used to write 360 lines anyone could add to."""

from __future__ import annotations

import asyncio
import socket

from tests.security.conftest import Running


async def test_requests_dropped_mid_body_cost_one_line_each(running: Running) -> None:
    port = int(running.local.env["PORT"])
    before = len(running.bot.lines)
    for number in range(20):
        path = "/slack/events" if number % 2 else "/jumio/callback"
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                'Content-Length: 5000\r\n\r\n{"a":'.encode()
            )
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    added = running.bot.lines[before:]
    assert not any("Traceback" in line for line in added)
    assert len([line for line in added if "a client left mid-request" in line]) == 20
    assert len(added) <= 21
