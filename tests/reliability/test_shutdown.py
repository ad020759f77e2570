"""Graceful shutdown: no new work, running jobs finish within the grace period or hand their lease back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from bot.local import LocalOptions, LocalWorld, consent_for
from bot.sandbox.images import png
from bot.sandbox.jumio import Fault
from storage import JobState, Store
from tests.conftest import wait_until


async def test_a_job_still_running_after_the_grace_period_is_handed_back(tmp_path: Path) -> None:
    async with LocalWorld(tmp_path, LocalOptions()) as world:
        assert world.bot is not None and world.bot.store is not None
        store = world.bot.store
        await world.slack.command("CUST-HANDBACK")
        execution = await wait_until(
            lambda: (e := store.executions.for_customer("CUST-HANDBACK")) and e[0].status == "INITIATED" and e[0]
        )
        execution = await consent_for(world.slack, store, "CUST-HANDBACK")
        world.jumio.add_fault(Fault(path_contains="/parts/FRONT", status=None, delay=5.0, count=1))
        file = world.slack.add_file("front.png", png(640, 400, noise_seed=5))
        await world.slack.share([file], thread_ts=execution.thread_ts)
        await wait_until(lambda: not world.jumio.faults)  # the upload is in flight

        started = time.monotonic()
        await world.bot.stop(grace=0.2)
        assert time.monotonic() - started < 2.0
        world.bot = None
        relay = next(j for j in Store(world.env["IDV_DATABASE"]).jobs.listed(kind="relay_photo"))
        assert relay.state == JobState.QUEUED and relay.lease_owner is None and relay.attempts == 0

        restarted = await world.start_bot()
        assert restarted.store is not None
        await wait_until(lambda: "FRONT" in restarted.store.uploads.parts_done(execution.id), timeout=10)
        await wait_until(lambda: not [j for j in restarted.store.jobs.listed() if j.state == JobState.RUNNING])


async def test_stopping_takes_no_new_work(tmp_path: Path) -> None:
    async with LocalWorld(tmp_path, LocalOptions()) as world:
        assert world.bot is not None
        await world.bot.stop(grace=0.5)
        world.bot = None
        async with httpx.AsyncClient() as http:
            with pytest.raises(httpx.TransportError):
                await http.post(world.slack.bot_events_url, content=b"command=%2Fverify&text=CUST-LATE", timeout=2)
