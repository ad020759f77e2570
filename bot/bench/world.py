"""The benchmark's world: the stand-ins in this process, the bot as its own process, and helpers to watch them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.local import BotProcess, LocalOptions, LocalWorld, consent_for, wait_until
from bot.sandbox.jumio import SandboxExecution
from storage import Store

# The bench is one agent starting many verifications at once: the per-agent caps would refuse all but five, and a
# refusal acks faster than a start.
UNCAPPED = {"IDV_STARTS_PER_MINUTE": "1000000", "IDV_STARTS_PER_DAY": "1000000"}


def rss_mb(pid: int, field_name: str) -> float:
    """A process's VmRSS (now) or VmHWM (its peak), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.asynccontextmanager
async def bot_world(folder: Path, options: LocalOptions) -> AsyncIterator[tuple[LocalWorld, BotProcess, Store]]:
    """The stand-ins here, the bot as its own process, and a reader of its database."""
    async with LocalWorld(folder, options) as world:
        process = BotProcess({**world.env, **UNCAPPED}, folder)
        await process.start()
        store = Store(world.env["IDV_DATABASE"])
        try:
            yield world, process, store
        finally:
            store.close()
            await process.terminate()


async def started(world: LocalWorld, store: Store, reference: str) -> Any:
    """A verification whose customer has consented: photos dropped in its thread go to Jumio."""
    await world.slack.command(reference)
    await wait_until(lambda: (e := store.executions.for_customer(reference)) and e[0].status == "INITIATED", timeout=60)
    return await consent_for(world.slack, store, reference, timeout=60)


def stored_event(world: LocalWorld, execution_id: str, classifier: str, expected: int) -> asyncio.Event:
    """Set once the sandbox has stored `expected` uploads of that part of that execution."""
    event = asyncio.Event()
    seen = []

    def listener(execution: SandboxExecution, part: str) -> None:
        if execution.id == execution_id and part == classifier:
            seen.append(part)
            if len(seen) >= expected:
                event.set()

    world.jumio.part_stored.append(listener)
    return event
