"""Relay figures: a photo through the bot (Slack event → Jumio has the part) against plain httpx moving the same
bytes (download whole, then upload), on loopback and with both stand-ins throttled to a network's rate; and the
bot's peak memory while photos are relayed at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx

from bot.bench.figures import Figures, Sizes
from bot.bench.world import bot_world, rss_mb, started, stored_event
from bot.jumio import AccountRequest, JumioClient
from bot.local import CLIENT_ID, CLIENT_SECRET, USER_AGENT, LocalOptions, LocalWorld, wait_until
from bot.sandbox.images import png

# Both legs network-bound, as in production (Slack → bot → Jumio over the internet): 20 MB/s each way.
THROTTLE_BYTES_PER_SECOND = 20 * 1024 * 1024


async def measure_relay(folder, sizes: Sizes, figures: Figures, *, throttle: float | None = None) -> None:
    """Relay time of a photo through the bot, and the same bytes moved by plain httpx, in one world (with
    `throttle`, both stand-ins serve and take bytes at that rate)."""
    photo = png(sizes.photo_side, sizes.photo_side, noise_seed=42)
    relay, baseline, piped = (
        (figures.relay_throttled, figures.relay_throttled_baseline, figures.relay_throttled_piped_baseline)
        if throttle
        else (figures.relay, figures.relay_baseline, figures.relay_piped_baseline)
    )
    async with bot_world(folder, LocalOptions(start_bot=False)) as (world, _process, store):
        world.jumio.config.upload_throttle = throttle
        execution = await started(world, store, "CUST-RELAY")
        for attempt in range(sizes.relays):
            stored = stored_event(world, execution.workflow_execution_id, "FRONT", 1)
            file = world.slack.add_file(f"front-{attempt}.png", photo)
            file.throttle = throttle
            event = world.slack.file_share_event([file], thread_ts=execution.thread_ts)
            began = time.perf_counter()
            await world.slack.event(event)
            await asyncio.wait_for(stored.wait(), 60)
            relay.append(time.perf_counter() - began)
            world.jumio.part_stored.clear()

            def uploaded(count: int = attempt + 1) -> bool:
                return (
                    len(store.uploads.of_execution(execution.id)) == count
                    and store.uploads.of_execution(execution.id)[-1].state == "uploaded"
                )

            await wait_until(uploaded, timeout=30)
        sequential, streamed = await _baseline_relay(world, photo, sizes.relays, throttle)
        baseline.extend(sequential)
        piped.extend(streamed)


async def _baseline_relay(
    world: LocalWorld, photo: bytes, count: int, throttle: float | None
) -> tuple[list[float], list[float]]:
    """Plain httpx moving the same bytes: the whole download, then the upload; and the download streamed into the
    upload as it arrives (no bot: what piping itself gives on these legs)."""
    client = JumioClient(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_url=f"{world.jumio_url}/oauth2/token",
        account_url=world.jumio_url,
        retrieval_url=world.jumio_url,
        user_agent=USER_AGENT,
        account_creation_rate=50,
    )
    consent = {
        "userIp": "127.0.0.1",
        "userLocation": {"country": "USA"},
        "consent": {"obtained": "yes", "obtainedAt": "2026-01-01T00:00:00.000Z"},
    }
    session = await client.create_account(
        AccountRequest(customer_reference="CUST-BASELINE", workflow_key=10011, user_consent=consent)
    )
    await client.aclose()
    credential = session.credential_for_part("FRONT")
    assert credential is not None and credential.api_token
    part_url, upload_headers = (
        credential.part_url("FRONT") or "",
        {"Authorization": f"Bearer {credential.api_token}", "User-Agent": USER_AGENT},
    )
    download_headers = {"Authorization": f"Bearer {world.slack.bot_token}"}
    sequential: list[float] = []
    piped: list[float] = []
    async with httpx.AsyncClient(timeout=60) as http:
        for attempt in range(2 * count):
            stored = stored_event(world, session.execution_id, "FRONT", 1)
            file = world.slack.add_file(f"base-{attempt}.png", photo)
            file.throttle = throttle
            url = file.info(world.slack.base_url, world.slack.team_id)["url_private_download"]
            began = time.perf_counter()
            if attempt % 2 == 0:
                download = await http.get(url, headers=download_headers)
                await http.post(
                    part_url, files={"file": ("front.png", download.content, "image/png")}, headers=upload_headers
                )
            else:
                await _piped(http, url, download_headers, part_url, upload_headers, len(photo))
            await asyncio.wait_for(stored.wait(), 60)
            (sequential if attempt % 2 == 0 else piped).append(time.perf_counter() - began)
            world.jumio.part_stored.clear()
    return sequential, piped


async def _piped(
    http: httpx.AsyncClient,
    url: str,
    download_headers: dict[str, str],
    part_url: str,
    upload_headers: dict[str, str],
    size: int,
) -> None:
    boundary = "bench-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="front.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    async with http.stream("GET", url, headers=download_headers) as download:

        async def body() -> AsyncIterator[bytes]:
            yield head
            async for chunk in download.aiter_raw(64 * 1024):
                yield chunk
            yield tail

        await http.post(
            part_url,
            content=body(),
            headers={
                **upload_headers,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + size + len(tail)),
            },
        )


async def measure_throttled_relay(folder, sizes: Sizes, figures: Figures) -> None:
    await measure_relay(folder, sizes, figures, throttle=THROTTLE_BYTES_PER_SECOND)


async def measure_memory(folder, sizes: Sizes, figures: Figures) -> None:
    """Peak RSS of the bot while `concurrent_relays` photos of 10 MB are relayed at once (one a message: a message
    takes at most 6 files)."""
    async with bot_world(folder, LocalOptions(start_bot=False)) as (world, process, store):
        execution = await started(world, store, "CUST-MEMORY")
        await asyncio.sleep(0.5)
        figures.idle_rss_mb.append(rss_mb(process.pid, "VmRSS"))
        stored = stored_event(world, execution.workflow_execution_id, "FRONT", sizes.concurrent_relays)
        files = [
            world.slack.add_file(f"front-{i}.png", png(sizes.photo_side, sizes.photo_side, noise_seed=i))
            for i in range(sizes.concurrent_relays)
        ]
        await asyncio.gather(
            *(world.slack.event(world.slack.file_share_event([file], thread_ts=execution.thread_ts)) for file in files)
        )
        await asyncio.wait_for(stored.wait(), 120)
        figures.peak_rss_mb.append(rss_mb(process.pid, "VmHWM"))
