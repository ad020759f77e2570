"""The bot as a separate process (`python -m bot run`), so tests can SIGKILL and SIGTERM it, and its world."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.local import LocalOptions, LocalWorld
from bot.sandbox.slack import Posted
from storage import Execution, Store
from tests.conftest import wait_until


class BotProcess:
    """`python -m bot run` with the world's settings; its output is kept in `lines`."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUNBUFFERED": "1", **env}
        self.cwd = cwd
        self.process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 20.0) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.cwd, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self._reader = asyncio.create_task(self._read())
        await wait_until(lambda: any("idv-bot ready" in line for line in self.lines) or self.process.returncode,
                         timeout=timeout)
        assert self.process.returncode is None, "\n".join(self.lines)

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

    async def terminate(self, timeout: float = 20.0) -> tuple[int, float]:
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        if self._reader:
            await self._reader
        return code, time.monotonic() - started


class ProcessWorld:
    def __init__(self, local: LocalWorld, folder: Path) -> None:
        self.local = local
        self.slack = local.slack
        self.jumio = local.jumio
        self.folder = folder
        self.store = Store(local.env["IDV_DATABASE"])
        self.processes: list[BotProcess] = []

    async def start_bot(self) -> BotProcess:
        process = BotProcess(self.local.env, self.folder)
        await process.start()
        self.processes.append(process)
        return process

    def execution(self, reference: str) -> Execution | None:
        found = self.store.executions_for_customer(reference)
        return found[0] if found else None

    async def started(self, reference: str) -> tuple[Execution, Posted]:
        answer = await self.slack.command(reference)
        assert "Starting" in answer.get("text", ""), answer
        execution = await wait_until(lambda: (e := self.execution(reference)) and e.status == "INITIATED" and e,
                                     timeout=15)
        root = await wait_until(lambda: next((m for m in self.slack.root_messages() if m.ts == execution.thread_ts),
                                             None))
        return execution, root

    def parts_at_jumio(self, execution: Execution) -> dict[str, int]:
        held = self.jumio.executions[execution.workflow_execution_id or ""]
        return {p.classifier: p.uploads for c in held.credentials for p in c.parts.values()}


@pytest.fixture
async def pworld(tmp_path: Path) -> AsyncIterator[ProcessWorld]:
    options = LocalOptions(start_bot=False, processing_delay=0.05, env={"IDV_POLL_SCHEDULE": "0.5,0.5,1"})
    async with LocalWorld(tmp_path, options) as local:
        world = ProcessWorld(local, tmp_path)
        try:
            yield world
        finally:
            for process in world.processes:
                if process.process is not None and process.process.returncode is None:
                    await process.kill()
            world.store.close()
