"""Floods from one agent: starts are capped per minute (each is a paid Jumio account), files per message and photos
per verification too, with one reply for what is over."""

from __future__ import annotations

import asyncio

from bot.sandbox.images import sample_photo
from tests.conftest import wait_until
from tests.world import World


async def test_two_hundred_starts_from_one_agent_make_five_accounts(world: World) -> None:
    answers = await asyncio.gather(*(world.slack.command(f"CUST-FLOOD-{i}") for i in range(200)))
    started = [a for a in answers if "Starting a verification" in a.get("text", "")]
    refused = [a for a in answers if "the most one agent may" in a.get("text", "")]
    assert len(started) == 5 and len(refused) == 195  # was 200 accounts and 200 root messages
    # Account creations are paced (each waits for its slot), so wait for the five, then for nothing more.
    await wait_until(lambda: len(world.jumio.accounts) >= 5, timeout=30)
    await world.bot.runner.run_until_idle(timeout=30)
    assert len(world.jumio.accounts) == 5
    assert len(world.slack.root_messages()) == 5
    # Another agent is not held up by the first one's limit.
    assert "Starting a verification" in (await world.slack.command("CUST-OTHER", user="UAGENT2"))["text"]


async def test_files_over_the_limits_get_one_reply(world: World) -> None:
    execution, root = await world.start("CUST-MANYFILES")
    files = [(f"front-{i}.png", sample_photo("front")) for i in range(10)]
    await world.share(root, *files)
    over = await wait_until(lambda: [m for m in world.slack.thread(root.ts) if "Not sent to Jumio" in m.text])
    await world.bot.runner.run_until_idle()
    assert len(over) == 1 and "at most 6 files" in over[0].text and "front-9.png" in over[0].text
    taken = [u for u in world.store.uploads.of_execution(execution.id) if u.state != "rejected"]
    assert len(taken) == 6
    # The verification's own cap: 20 photos in all, however they are spread.
    for batch in range(3):
        await world.share(root, *[(f"face-{batch}-{i}.png", sample_photo("face")) for i in range(6)])
    await world.bot.runner.run_until_idle()
    taken = [u for u in world.store.uploads.of_execution(execution.id) if u.state != "rejected"]
    assert len(taken) == 20
    replies = [m for m in world.slack.thread(root.ts) if "the most one takes" in m.text]
    assert len(replies) == 1
