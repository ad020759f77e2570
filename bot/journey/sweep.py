"""The periodic sweep: status checks of executions whose turn has come (no callback may ever come), old event ids and
jobs forgotten, today's retention run queued. Each pass runs every IDV_POLL_SCHEDULE's first step; one failing pass
is logged and the next tries again."""

from __future__ import annotations

import asyncio
import logging

from bot.journey.context import Context
from bot.journey.erasing import Erasing
from bot.journey.results import Results

log = logging.getLogger("bot.journey")


class Sweep:
    def __init__(self, ctx: Context, results: Results, erasing: Erasing) -> None:
        self.ctx = ctx
        self.results = results
        self.erasing = erasing

    def once(self) -> None:
        self.results.enqueue_sweep()
        self.ctx.store.events.forget_old()
        self.ctx.store.jobs.forget_old()
        self.erasing.enqueue_retention()

    async def forever(self) -> None:
        while True:
            await asyncio.sleep(self.ctx.options.poll_schedule[0])
            try:
                self.once()
            except Exception as exc:  # noqa: BLE001 - the next sweep tries again
                log.warning("status sweep failed: %s", type(exc).__name__)
