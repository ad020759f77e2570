"""The whole world on loopback: the Jumio sandbox, the Slack stand-in, and the bot started as in production."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.jobs import RunnerOptions
from bot.runtime import Bot, RuntimeOptions
from bot.sandbox.jumio import JumioSandbox, SandboxConfig
from bot.sandbox.jumio import serve as serve_jumio
from bot.sandbox.slack import Posted, SlackStandIn
from bot.sandbox.slack import serve as serve_slack
from storage import Execution, Store
from tests.conftest import CLIENT_ID, CLIENT_SECRET, USER_AGENT, wait_until

BOT_TOKEN = "xoxb-000000000001-000000000002-e2eBotTokenSecret"
APP_TOKEN = "xapp-1-AIDV-000000000003-e2eAppTokenSecret"
SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class World:
    """What a test drives and inspects: `slack` (the stand-in), `jumio` (the sandbox) and `bot`."""

    def __init__(self, slack: SlackStandIn, jumio: JumioSandbox, bot: Bot, env: dict[str, str]) -> None:
        self.slack = slack
        self.jumio = jumio
        self.bot = bot
        self.env = env

    @property
    def store(self) -> Store:
        assert self.bot.store is not None
        return self.bot.store

    def execution(self, customer_ref: str) -> Execution:
        executions = self.store.executions_for_customer(customer_ref)
        assert executions, f"no execution for {customer_ref}"
        return executions[0]

    async def start(self, reference: str, *, user: str = "UAGENT1") -> tuple[Execution, Posted]:
        """`/verify <reference>` and wait until the Jumio account exists and the root message is posted."""
        answer = await self.slack.command(reference, user=user)
        assert "Starting a verification" in answer.get("text", ""), answer
        execution = await wait_until(lambda: (e := self.store.executions_for_customer(reference))
                                     and e[0].status == "INITIATED" and e[0])
        root = await wait_until(lambda: next((m for m in self.slack.root_messages() if m.ts == execution.thread_ts),
                                             None))
        await wait_until(lambda: any("Only you can see this" in m.all_text() for m in self.slack.ephemerals(user)))
        return execution, root

    async def share(self, root: Posted, *names_and_bytes: tuple[str, bytes], text: str = "", user: str = "UAGENT1",
                    mimetype: str = "image/png") -> list[Any]:
        files = [self.slack.add_file(name, content, mimetype=mimetype, user=user) for name, content in names_and_bytes]
        status, _ = await self.slack.share(files, thread_ts=root.ts, text=text, user=user)
        assert status == 200
        return files

    async def decided(self, reference: str, timeout: float = 10.0) -> Execution:
        return await wait_until(lambda: (e := self.execution(reference)).is_final and e, timeout=timeout)

    def thread_text(self, root: Posted) -> str:
        return "\n".join(m.all_text() for m in self.slack.thread(root.ts))

    def jumio_parts(self, execution: Execution) -> dict[str, Any]:
        held = self.jumio.executions[execution.workflow_execution_id or ""]
        return {p.classifier: p for c in held.credentials for p in c.parts.values()}


def world_env(slack_url: str, jumio_url: str, bot_port: int, database: Path, **extra: str) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "PORT": str(bot_port),
        "JUMIO_CLIENT_ID": CLIENT_ID,
        "JUMIO_CLIENT_SECRET": CLIENT_SECRET,
        "JUMIO_AUTH_URL": f"{jumio_url}/oauth2/token",
        "JUMIO_ACCOUNT_URL": jumio_url,
        "JUMIO_RETRIEVAL_URL": jumio_url,
        "JUMIO_USER_AGENT": USER_AGENT,
        "JUMIO_CALLBACK_URL": f"http://127.0.0.1:{bot_port}/jumio/callback",
        "JUMIO_TOKEN_LIFETIME": "1d",
        "IDV_DATABASE": str(database),
        "IDV_POLL_SCHEDULE": "0.3,0.3,0.5",
    }
    env.update(extra)
    return env


@pytest.fixture(params=["http"])
def slack_mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def bot_env_extra() -> dict[str, str]:
    return {}


@pytest.fixture
async def world(tmp_path: Path, slack_mode: str, bot_env_extra: dict[str, str]) -> AsyncIterator[World]:
    slack = SlackStandIn(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET,
                         app_token=APP_TOKEN if slack_mode == "socket" else None)
    slack_runner, _ = await serve_slack(slack)
    jumio = JumioSandbox(SandboxConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, processing_delay=0.05,
                                       account_rate=50.0))
    jumio_runner, jumio_port = await serve_jumio(jumio)
    port = free_port()
    extra = dict(bot_env_extra)
    if slack_mode == "socket":
        extra["SLACK_APP_TOKEN"] = APP_TOKEN
    env = world_env(slack.base_url, f"http://127.0.0.1:{jumio_port}", port, tmp_path / "idv.sqlite3", **extra)
    settings = load_settings(env, env_file=None)
    bot = Bot(settings, RuntimeOptions(host="127.0.0.1", runner=RunnerOptions(concurrency=4, idle_wait=0.05,
                                                                               backoff_base=0.05, backoff_cap=0.2),
                                       jumio_retry_budget=5.0, jumio_backoff_base=0.02, sweep=False))
    await bot.start()
    slack.bot_events_url = f"http://127.0.0.1:{bot.port}/slack/events"
    if slack_mode == "socket":
        await slack.wait_for_socket()
    try:
        yield World(slack, jumio, bot, env)
    finally:
        await bot.stop(grace=2.0)
        await jumio_runner.cleanup()
        await slack_runner.cleanup()
