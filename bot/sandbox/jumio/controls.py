"""`/_sandbox/…`: test controls that are not Jumio (faults, expiry, revoked tokens, callbacks, inspection)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.sandbox.jumio.answers import jumio_problem
from bot.sandbox.jumio.state import Callback, Fault, SandboxConfig, SandboxExecution


class Controls:
    """The control routes of `JumioSandbox`."""

    config: SandboxConfig
    executions: dict[str, SandboxExecution]
    faults: list[Fault]
    oauth_tokens: dict[str, float]
    account_answers: list[int]
    calls: list[tuple[str, str, int]]
    callbacks: list[Callback]
    add_fault: Callable[[Fault], None]  # `faults`
    expire: Callable[..., Awaitable[None]]  # `lifecycle`

    async def control_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clear"):
            self.faults.clear()
        for item in body.get("faults", []):
            self.add_fault(Fault(**item))
        return web.json_response({"faults": len(self.faults)})

    async def control_expire(self, request: web.Request) -> web.Response:
        execution = self.executions.get(request.match_info["execution"])
        if execution is None:
            return jumio_problem(404, "no such execution")
        await self.expire(
            execution, (await request.json()).get("status", "TOKEN_EXPIRED") if request.can_read_body else "TOKEN_EXPIRED"
        )
        return web.json_response({"status": execution.status})

    async def control_revoke(self, _request: web.Request) -> web.Response:
        self.revoke_oauth_tokens()
        return web.json_response({})

    def revoke_oauth_tokens(self) -> None:
        self.oauth_tokens.clear()

    async def control_callbacks(self, request: web.Request) -> web.Response:
        self.config.callbacks_enabled = bool((await request.json()).get("enabled", True))
        return web.json_response({"enabled": self.config.callbacks_enabled})

    async def control_execution(self, request: web.Request) -> web.Response:
        execution = self.executions.get(request.match_info["execution"])
        if execution is None:
            return jumio_problem(404, "no such execution")
        return web.json_response(
            {
                "status": execution.status,
                "decision": execution.decision,
                "finalize_calls": execution.finalize_calls,
                "parts": {
                    p.classifier: {"sha256": p.sha256, "size": p.size, "uploads": p.uploads, "channel": p.channel}
                    for c in execution.credentials
                    for p in c.parts.values()
                },
                "prepared_data": any(c.prepared_data is not None for c in execution.credentials),
            }
        )

    async def control_stats(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "account_answers": self.account_answers,
                "calls": len(self.calls),
                "callbacks": [{"status": c.status, "error": c.error} for c in self.callbacks],
            }
        )
