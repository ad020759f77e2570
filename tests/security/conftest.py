"""The security suite replays each attack found on the running bot (HTTP mode, Bolt as it ships, the stand-ins,
loopback only). `running` is the bot as its own process (`python -m bot run`), its log in `bot.lines`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.local import BotProcess, LocalOptions, LocalWorld
from tests.reliability.conftest import ProcessWorld


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/security belongs to the security suite (`pytest -m security`)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.security)


class Running(ProcessWorld):
    bot: BotProcess

    @property
    def url(self) -> str:
        """The bot's own base URL (http://127.0.0.1:PORT)."""
        return f"http://127.0.0.1:{self.local.env['PORT']}"

    async def post_unsigned(self, body: bytes, content_type: str = "application/x-www-form-urlencoded") -> httpx.Response:
        """`body` to /slack/events with a fresh timestamp and a signature that cannot be right."""
        async with httpx.AsyncClient() as http:
            return await http.post(
                f"{self.url}/slack/events",
                content=body,
                headers={
                    "Content-Type": content_type,
                    "X-Slack-Request-Timestamp": str(int(time.time())),
                    "X-Slack-Signature": "v0=" + "0" * 64,
                },
            )

    def log_size(self) -> int:
        return sum(len(line) + 1 for line in self.bot.lines)


@pytest.fixture
async def running(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Running]:
    env = {"IDV_POLL_SCHEDULE": "0.5,0.5,1", **getattr(request, "param", {})}
    async with LocalWorld(tmp_path, LocalOptions(start_bot=False, processing_delay=0.05, env=env)) as local:
        world = Running(local, tmp_path)
        try:
            world.bot = await world.start_bot()
            yield world
        finally:
            await world.close()
