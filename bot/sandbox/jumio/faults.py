"""Faults and request rules every Jumio call meets: injected faults, latency, and the User-Agent Jumio requires."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.sandbox.jumio.answers import jumio_problem
from bot.sandbox.jumio.state import Fault, SandboxConfig


class Faults:
    """The middleware and fault list of `JumioSandbox`."""

    config: SandboxConfig
    faults: list[Fault]
    calls: list[tuple[str, str, int]]
    user_agents: set[str]
    clock: Callable[[], float]
    persist: Callable[[], None]  # `persistence`: keeps the state after a change (nothing without a state file)

    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_sandbox/"):
            return await handler(request)
        fault = self._take_fault(request)
        if fault is not None and fault.after:
            response = await handler(request)
            await asyncio.sleep(fault.delay)
            if fault.drop and request.transport is not None:
                request.transport.abort()
            self.calls.append((request.method, path, response.status))
            return response
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)  # never reaches the client: the connection is gone
            if fault.status is not None:
                self.calls.append((request.method, path, fault.status))
                if fault.status == 429:
                    return web.json_response(
                        {"title": "Too Many Requests", "status": 429, "detail": "Request limit exceeded"}, status=429
                    )
                return jumio_problem(fault.status, "sandbox fault")
        if self.config.latency and not path.startswith("/web/"):
            await asyncio.sleep(self.config.latency)
        if not path.startswith("/web/"):
            agent = request.headers.get("User-Agent", "")
            self.user_agents.add(agent)
            if not agent or agent.lower().startswith(("python-httpx", "python-requests", "curl/", "aiohttp")):
                self.calls.append((request.method, path, 403))
                return jumio_problem(403, "Missing or suspicious User-Agent: name your company and application")
        response = await handler(request)
        self.calls.append((request.method, path, response.status))
        if request.method != "GET":
            self.persist()
        return response

    def _take_fault(self, request: web.Request) -> Fault | None:
        for fault in list(self.faults):
            if fault.path_contains not in request.path or fault.method not in (None, request.method):
                continue
            if fault.duration is not None:
                if fault.ends_at is None:
                    fault.ends_at = self.clock() + fault.duration
                if self.clock() >= fault.ends_at:
                    self.faults.remove(fault)
                    continue
                return fault
            if fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None
