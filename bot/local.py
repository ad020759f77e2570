"""A whole local world on loopback: the Jumio sandbox, the Slack stand-in, and the bot started as in production.

Used by `python -m bot demo`, the end-to-end tests and the benchmark. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bot.blocks import audit
from bot.config import load_settings
from bot.jobs import RunnerOptions
from bot.manifest import render_for
from bot.runtime import Bot, RuntimeOptions
from bot.sandbox.jumio import JumioSandbox, SandboxConfig
from bot.sandbox.jumio import serve as serve_jumio
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack import serve as serve_slack
from storage import Execution, Store

BOT_TOKEN = "xoxb-local-demo-bot-token-not-a-real-one"
APP_TOKEN = "xapp-1-local-demo-app-token-not-a-real-one"
SIGNING_SECRET = "local-signing-secret-0123456789abcdef"
CLIENT_ID = "local-client"
CLIENT_SECRET = "local-client-secret-5f1c0e"
USER_AGENT = "Acme SupportDesk/1.0"


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    """Wait on a condition, not a clock: the predicate's first truthy value, or TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalOptions:
    socket_mode: bool = False
    processing_delay: float = 0.05
    poll_schedule: str = "0.3,0.3,0.5"
    env: dict[str, str] = field(default_factory=dict)
    runner: RunnerOptions = field(
        default_factory=lambda: RunnerOptions(concurrency=4, idle_wait=0.05, time_scale=0.025, backoff_cap=0.2)
    )
    start_bot: bool = True
    account_rate: float = 50.0  # the sandbox's limit and the bot's pacing (Jumio's real one is 1 per second)


class LocalWorld:
    """`async with LocalWorld(tmp) as world:` gives `world.slack`, `world.jumio`, `world.bot` and `world.env`."""

    def __init__(self, folder: Path, options: LocalOptions | None = None) -> None:
        self.folder = folder
        self.options = options or LocalOptions()
        self.slack = SlackStandIn(
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            manifest=render_for({}),  # installed again with the world's settings on entry
            app_token=APP_TOKEN if self.options.socket_mode else None,
        )
        self.jumio = JumioSandbox(
            SandboxConfig(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                processing_delay=self.options.processing_delay,
                account_rate=self.options.account_rate,
            )
        )
        self.bot: Bot | None = None
        self.env: dict[str, str] = {}
        self.jumio_url = ""
        self._runners: list[web.AppRunner] = []

    async def __aenter__(self) -> LocalWorld:
        slack_runner, _ = await serve_slack(self.slack)
        jumio_runner, jumio_port = await serve_jumio(self.jumio)
        self._runners = [slack_runner, jumio_runner]
        self.jumio_url = f"http://127.0.0.1:{jumio_port}"
        port = free_port()
        self.env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{self.slack.base_url}/api/",
            "PORT": str(port),
            "JUMIO_CLIENT_ID": CLIENT_ID,
            "JUMIO_CLIENT_SECRET": CLIENT_SECRET,
            "JUMIO_AUTH_URL": f"{self.jumio_url}/oauth2/token",
            "JUMIO_ACCOUNT_URL": self.jumio_url,
            "JUMIO_RETRIEVAL_URL": self.jumio_url,
            "JUMIO_USER_AGENT": USER_AGENT,
            "JUMIO_CALLBACK_URL": f"http://127.0.0.1:{port}/jumio/callback",
            "IDV_DATABASE": str(self.folder / "idv.sqlite3"),
            "IDV_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "IDV_POLL_SCHEDULE": self.options.poll_schedule,
        }
        if self.options.socket_mode:
            self.env["SLACK_APP_TOKEN"] = APP_TOKEN
        self.env.update(self.options.env)
        # The stand-in grants what the app's manifest for these settings grants, nothing more.
        self.slack.install(render_for(self.env))
        self.slack.bot_events_url = f"http://127.0.0.1:{port}/slack/events"
        if self.options.start_bot:
            await self.start_bot()
        return self

    async def start_bot(self) -> Bot:
        settings = load_settings(self.env, env_file=None)
        in_process_sandbox = SandboxConfig(processing_delay=self.options.processing_delay)
        self.bot = Bot(
            settings,
            RuntimeOptions(
                host="127.0.0.1",
                runner=self.options.runner,
                jumio_retry_budget=5.0,
                sandbox=in_process_sandbox,
                jumio_backoff_base=0.02,
                jumio_account_rate=self.options.account_rate,
                sweep=False,
            ),
        )
        await self.bot.start()
        if self.options.socket_mode:
            await self.slack.wait_for_socket()
        return self.bot

    async def __aexit__(self, *exc: object) -> None:
        if self.bot is not None:
            await self.bot.stop(grace=2.0)
        for runner in reversed(self._runners):
            await runner.cleanup()


_SLACK_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]+)>")
_COPYABLE_LINK = re.compile(r"```(https?://[^`\s]+)```")


def copyable_links(text: str) -> list[str]:
    """The links a message or modal shows as copyable text, unescaped."""
    return [html.unescape(found) for found in _COPYABLE_LINK.findall(text)]


def consent_href(text: str) -> str | None:
    """The consent link in a message's text, if any."""
    return next((link for link in copyable_links(text) if "/consent/" in link), None)


def web_client_href(text: str) -> str | None:
    """The Web Client link in a message's text, if any."""
    return next((link for link in copyable_links(text) if "/consent/" not in link), None)


def link_message_for(slack: SlackStandIn, reference: str, user: str = "UAGENT1") -> Any:
    """The newest private link message `user` got for this customer."""
    wanted = f"Private link for {reference}'s identity verification"
    return next((m for m in reversed(slack.ephemerals(user)) if m.text == wanted), None)


async def consent_for(
    slack: SlackStandIn, store: Store, reference: str, *, user: str = "UAGENT1", timeout: float = 15.0
) -> Execution:
    """Play the customer's consent from the link `user` was given at the start; returns the execution that takes
    the photos once it exists at Jumio."""
    message = await wait_until(
        lambda: (m := link_message_for(slack, reference, user)) and consent_href(m.all_text()) and m, timeout
    )
    href = consent_href(message.all_text())
    assert href is not None
    status = await give_consent(href)
    if status != 200:
        raise RuntimeError(f"the consent page answered {status}")
    api = await wait_until(
        lambda: (
            (e := store.executions.for_customer(reference))
            and e[0].api_consent is not None
            and e[0].status == "INITIATED"
            and e[0]
        ),
        timeout,
    )
    assert api.replaces is not None  # the execution the consent replaced is closed at Jumio: settled before going on
    await wait_until(lambda: store.audit.has(api.replaces or 0, audit.EXECUTION_DELETED), timeout)
    return api


async def give_consent(href: str, *, country: str = "USA", state: str | None = "IL") -> int:
    """Play the customer on the consent page: tick, name the place, submit. Returns the page's status."""
    form = {"consent": "yes", "country": country, **({"state": state} if state else {})}
    async with httpx.AsyncClient() as customer:
        return (await customer.post(href, data=form)).status_code


class BotProcess:
    """`python -m bot run` (or `args`) as a separate process with the world's settings; its output is in `lines`."""

    def __init__(self, env: dict[str, str], cwd: Path, args: tuple[str, ...] = ("-m", "bot", "run")) -> None:
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUNBUFFERED": "1", **env}
        self.cwd = cwd
        self.args = args
        self.process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 20.0) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())
        deadline = time.monotonic() + timeout
        while not any("idv-bot ready" in line for line in self.lines):
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError("the bot did not start:\n" + "\n".join(self.lines[-20:]))
            await asyncio.sleep(0.02)

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip())

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        if self._reader:
            await self._reader

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def terminate(self, timeout: float = 20.0) -> tuple[int, float]:
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self._reader:
            await self._reader
        return code, time.monotonic() - started


def render(text: str, blocks: list[dict[str, Any]], link_placeholder: Callable[[str], str] | None = None) -> str:
    """A message as plain lines, for a transcript."""
    lines: list[str] = []
    for block in blocks or [{"type": "section", "text": {"text": text}}]:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            if block.get("text"):
                lines.append(block["text"]["text"])
            for item in block.get("fields", []):
                lines.append(item["text"].replace("\n", ": ", 1))
        elif kind == "context":
            lines.append("  (" + " ".join(e.get("text", "") for e in block.get("elements", [])) + ")")
        elif kind == "actions":
            lines.append("  " + " ".join(f"[{e['text']['text']}]" for e in block.get("elements", [])))
    out = _SLACK_DATE.sub(r"\1", "\n".join(lines))
    return link_placeholder(out) if link_placeholder else out
