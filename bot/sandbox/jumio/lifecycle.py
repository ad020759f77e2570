"""What happens to an execution after acquisition or with time: processing, the decision, expiry, callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.sandbox.jumio.answers import callback_body
from bot.sandbox.jumio.rules import decide
from bot.sandbox.jumio.state import Callback, SandboxConfig, SandboxExecution


class Lifecycle:
    """Processing and expiry of `JumioSandbox`'s executions."""

    config: SandboxConfig
    executions: dict[str, SandboxExecution]
    callbacks: list[Callback]
    _session: aiohttp.ClientSession | None
    persist: Callable[[], None]  # `persistence`
    now: Callable[[], float]  # the server's clock
    _spawn: Callable[[Awaitable[Any]], None]  # the server's background tasks

    def _finalize(self, execution: SandboxExecution) -> None:
        execution.status = "ACQUIRED"
        execution.finalized_at = self.now()
        self.persist()
        self._spawn(self._process(execution))

    async def _process(self, execution: SandboxExecution) -> None:
        if self.config.intermediate_callbacks:
            # The intermediate callback comes first: a receiver must act on the status endpoint, not on the word.
            await self._call_back(execution)
        await asyncio.sleep(self.config.processing_delay)
        while self.config.hold_decisions:
            await asyncio.sleep(0.01)
        if execution.deleted:
            return
        execution.decision = decide(execution.customer_reference, execution.received(), execution.workflow_key)
        execution.status = "PROCESSED"
        execution.completed_at = self.now()
        self.persist()
        await self._call_back(execution)

    async def _expiry_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.expiry_check_interval)
            now = self.now()
            session_timeout = self.config.session_timeout * self.config.time_scale
            for execution in list(self.executions.values()):
                if execution.status != "INITIATED" or execution.deleted:
                    continue
                if execution.started_at is None and now >= execution.expires_at:
                    await self.expire(execution, "TOKEN_EXPIRED")
                elif execution.last_activity is not None and now - execution.last_activity >= session_timeout:
                    await self.expire(execution, "SESSION_EXPIRED")

    async def expire(self, execution: SandboxExecution, status: str = "TOKEN_EXPIRED") -> None:
        execution.status = status
        execution.completed_at = self.now()
        self.persist()
        await self._call_back(execution)

    async def _call_back(self, execution: SandboxExecution) -> None:
        if not execution.callback_url or not self.config.callbacks_enabled or self._session is None:
            return
        body = callback_body(execution)
        try:
            async with self._session.post(execution.callback_url, json=body) as response:
                self.callbacks.append(Callback(execution.callback_url, body, response.status, None))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self.callbacks.append(Callback(execution.callback_url, body, None, type(exc).__name__))
