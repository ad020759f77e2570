"""The bot as a separate process (`python -m bot run`), so tests can SIGKILL and SIGTERM it, and its world."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.local import BotProcess, LocalOptions, LocalWorld, consent_for
from bot.sandbox.slack import Posted
from storage import Execution, Store
from tests.conftest import wait_until


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
        found = self.store.executions.for_customer(reference)
        return found[0] if found else None

    async def started(self, reference: str, *, consent: bool = True) -> tuple[Execution, Posted]:
        answer = await self.slack.command(reference)
        assert "Starting" in answer.get("text", ""), answer
        execution = await wait_until(lambda: (e := self.execution(reference)) and e.status == "INITIATED" and e, timeout=15)
        root = await wait_until(lambda: next((m for m in self.slack.root_messages() if m.ts == execution.thread_ts), None))
        if consent:
            execution = await consent_for(self.slack, self.store, reference, timeout=20)
        return execution, root

    async def close(self) -> None:
        """Kill any bot process still running, close the reader of its database."""
        for process in self.processes:
            if process.process is not None and process.process.returncode is None:
                await process.kill()
        self.store.close()

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
            await world.close()
