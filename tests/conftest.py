"""Shared fixtures: the Jumio sandbox on loopback, a client pointed at it, a callback receiver, a store, the world.

`wait_until` (re-exported from `bot.local`) waits on conditions, not clocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from bot.jumio import JumioClient
from bot.local import LocalOptions, LocalWorld, wait_until
from bot.sandbox import serve_app
from bot.sandbox.jumio import JumioSandbox, SandboxConfig, serve
from storage import Store

__all__ = ["wait_until"]

if TYPE_CHECKING:
    from tests.world import World

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-client-secret-5f1c0e"
USER_AGENT = "Acme SupportDesk/1.0"


class Sandbox:
    """A running Jumio sandbox: its state (`state`) and its loopback base URL (`url`)."""

    def __init__(self, state: JumioSandbox, url: str) -> None:
        self.state = state
        self.url = url

    def client(self, **overrides: Any) -> JumioClient:
        options: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "token_url": f"{self.url}/oauth2/token",
            "account_url": self.url,
            "retrieval_url": self.url,
            "user_agent": USER_AGENT,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
            "account_creation_rate": 50.0,
        }
        options.update(overrides)
        return JumioClient(**options)


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, processing_delay=0.05, account_rate=50.0, account_burst=1.0
    )


@pytest.fixture
async def sandbox(sandbox_config: SandboxConfig) -> AsyncIterator[Sandbox]:
    state = JumioSandbox(sandbox_config)
    runner, port = await serve(state)
    try:
        yield Sandbox(state, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
async def jumio(sandbox: Sandbox) -> AsyncIterator[JumioClient]:
    client = sandbox.client()
    try:
        yield client
    finally:
        await client.aclose()


class CallbackReceiver:
    """A loopback HTTP endpoint that records what is POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        self.arrived.set()
        return web.Response(status=200)

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            while True:
                for body in self.bodies:
                    if predicate(body):
                        return body
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(find(), timeout)


@pytest.fixture
async def callbacks() -> AsyncIterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    app = web.Application()
    app.router.add_post("/jumio/callback", receiver.handle)
    runner, port = await serve_app(app)
    receiver.url = f"http://127.0.0.1:{port}/jumio/callback"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@pytest.fixture
def store(tmp_path: Any) -> Store:
    s = Store(str(tmp_path / "idv.sqlite3"))
    yield s
    s.close()


@pytest.fixture(params=["http"])
def slack_mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def bot_env_extra() -> dict[str, str]:
    return {}


@pytest.fixture
async def world(tmp_path: Path, slack_mode: str, bot_env_extra: dict[str, str]) -> AsyncIterator[World]:
    async with LocalWorld(tmp_path, LocalOptions(socket_mode=slack_mode == "socket", env=bot_env_extra)) as local:
        from tests.world import World

        assert local.bot is not None
        yield World(local.slack, local.jumio, local.bot, local.env)
        # Real Slack refuses a layout that breaks Block Kit's limits; no test may pass with one.
        assert local.slack.state.refused_layouts == []
