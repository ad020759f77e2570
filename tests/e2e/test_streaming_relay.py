"""The streamed relay: each way a download can go wrong while its bytes are already flowing to Jumio, and the bound
on the bot's memory whatever the photo's size."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.local import LocalOptions, LocalWorld
from bot.sandbox.images import jpeg_header, png, sample_photo
from tests.conftest import wait_until
from tests.reliability.conftest import ProcessWorld
from tests.world import World


def _stored(world: World, execution, classifier: str = "FRONT") -> int:
    """How many times Jumio took this part of the execution."""
    part = world.jumio_parts(execution).get(classifier)
    return part.uploads if part is not None else 0


def _upload_posts(world: World) -> int:
    return world.jumio.uploads_begun


async def test_a_download_that_breaks_mid_relay_aborts_the_upload_and_is_tried_again(world: World) -> None:
    execution, root = await world.start("CUST-BREAK")
    photo = png(900, 900, noise_seed=3)
    shared = world.slack.add_file("front.png", photo)
    shared.cut_after = len(photo) // 2  # Slack drops the connection half-way
    await world.slack.share([shared], thread_ts=root.ts)
    notice = await wait_until(
        lambda: next((m for m in world.slack.thread(root.ts) if "not at Jumio yet" in m.text), None), timeout=10
    )
    assert "front.png" in notice.text
    assert _stored(world, execution) == 0  # the cut upload was not taken
    # The notice is posted from inside the attempt; the attempt's failure is recorded just after it.
    await wait_until(
        lambda: any("broke off" in (j.last_error or "") for j in world.store.jobs.listed() if j.kind == "relay_photo")
    )
    assert world.jumio.uploads_begun >= 1  # the upload had begun: bytes flowed on to Jumio before Slack broke off
    shared.cut_after = None  # Slack is well again: the job's retry relays it
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id), timeout=20)
    assert _stored(world, execution) == 1
    assert sum("not at Jumio yet" in m.text for m in world.slack.thread(root.ts)) == 1  # said once


async def test_a_download_that_ends_short_of_its_declared_size_is_not_sent(world: World) -> None:
    execution, root = await world.start("CUST-SHORT")
    photo = png(900, 900, noise_seed=4)
    shared = world.slack.add_file("front.png", photo, declared_size=len(photo) + 5000)
    shared.without_length = True  # only the declared size frames the body: the stream ends 5,000 bytes early
    await world.slack.share([shared], thread_ts=root.ts)
    await wait_until(
        lambda: any("not at Jumio yet" in m.text and "ended early" in m.text for m in world.slack.thread(root.ts)),
        timeout=10,
    )
    await asyncio.sleep(0.3)
    assert _stored(world, execution) == 0


async def test_a_download_that_runs_past_its_declared_size_is_refused(world: World) -> None:
    execution, root = await world.start("CUST-LONGER")
    photo = png(900, 900, noise_seed=5)
    shared = world.slack.add_file("front.png", photo, declared_size=len(photo) - 5000)
    shared.without_length = True
    await world.slack.share([shared], thread_ts=root.ts)
    reply = await wait_until(
        lambda: next((m for m in world.slack.thread(root.ts) if ":no_entry:" in m.text), None), timeout=10
    )
    assert "more bytes than it announced" in reply.text
    assert _stored(world, execution) == 0
    assert [u.state for u in world.store.uploads.of_execution(execution.id)] == ["rejected"]


async def test_bytes_that_fail_the_check_send_nothing_to_jumio(world: World) -> None:
    execution, root = await world.start("CUST-TINY")
    before = _upload_posts(world)
    tiny = world.slack.add_file("front.jpg", jpeg_header(300, 200, b"\x00" * 4000), mimetype="image/jpeg")
    pdf = world.slack.add_file("back.png", b"%PDF-1.7 " + b"\x00" * 4000)
    await world.slack.share([tiny, pdf], thread_ts=root.ts)
    await wait_until(lambda: sum(":no_entry:" in m.text for m in world.slack.thread(root.ts)) == 2, timeout=10)
    texts = " ".join(m.text for m in world.slack.thread(root.ts))
    assert "longest side over 300" in texts and "PDF" in texts
    assert _upload_posts(world) == before  # not a single byte went to Jumio
    assert world.store.uploads.parts_done(execution.id) == set()


async def test_held_photos_are_streamed_once_the_customer_consents(world: World) -> None:
    execution, root = await world.start("CUST-HELDSTREAM", consent=False)
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("selfie.png", sample_photo("face"))
    )
    await wait_until(lambda: [u.state for u in world.store.uploads.of_execution(execution.id)].count("held") == 3)
    from bot.local import consent_for

    api = await consent_for(world.slack, world.store, "CUST-HELDSTREAM")
    decided = await world.decided("CUST-HELDSTREAM")
    assert decided.id == api.id and {k: v.uploads for k, v in world.jumio_parts(api).items()} == {
        "FRONT": 1,
        "BACK": 1,
        "FACE": 1,
    }


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def test_a_15_mb_photo_is_relayed_in_flat_memory(tmp_path: Path) -> None:
    """The bot as its own process: its RSS, sampled every 5 ms through the relay of a 15 MB PNG, stays within
    30 MB of what it was before (downloading it whole, then uploading, took two copies: 30 MB and more)."""
    photo = png(2230, 2230, noise_seed=15)
    assert 14 * 1024 * 1024 < len(photo) <= 15 * 1024 * 1024
    options = LocalOptions(start_bot=False, processing_delay=0.05, env={"IDV_POLL_SCHEDULE": "0.5,0.5,1"})
    async with LocalWorld(tmp_path, options) as local:
        world = ProcessWorld(local, tmp_path)
        try:
            bot = await world.start_bot()
            execution, root = await world.started("CUST-BIG")
            await asyncio.sleep(0.5)
            before = _rss_kb(bot.pid)
            peak = before
            await world.slack.share([world.slack.add_file("front.png", photo)], thread_ts=root.ts)
            while "FRONT" not in world.store.uploads.parts_done(execution.id):
                peak = max(peak, _rss_kb(bot.pid))
                await asyncio.sleep(0.005)
            assert world.parts_at_jumio(execution)["FRONT"] == 1
            assert peak - before <= 30 * 1024, f"RSS grew {(peak - before) / 1024:.1f} MB"
        finally:
            await world.close()
