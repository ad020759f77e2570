"""Downloads from Slack, attacked: a slow drip, compression bombs, no Content-Length, the token sent elsewhere.
The files are dropped in a verification's thread of the running bot; the stand-in serves them as told."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot import slack_files
from bot.sandbox import serve_app
from bot.sandbox.images import sample_photo
from bot.slack_files import is_slack_url, origin
from tests.conftest import wait_until
from tests.world import World


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def _bomb(inflated: int) -> bytes:
    """A gzip body of `inflated` zero bytes (about 1,000 : 1), built without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [packer.compress(zeros) for _ in range(inflated // len(zeros))]
    return b"".join(parts) + packer.flush()


async def test_a_slow_drip_gives_up_within_the_deadline(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_files, "DEADLINE_BASE_SECONDS", 1.0)
    execution, root = await world.start("CUST-DRIP")
    drip = world.slack.add_file("front.png", sample_photo("front"))
    drip.drip_seconds = 13.0  # one byte every 13 s: per-read timeouts alone never fire
    status, _ = await world.slack.share([drip], thread_ts=root.ts)
    assert status == 200
    job = await wait_until(
        lambda: next(
            (
                j
                for j in world.store.jobs.listed()
                if j.kind == "relay_photo" and j.last_error and "too slowly" in j.last_error
            ),
            None,
        ),
        timeout=10,
    )
    assert job.attempts >= 1  # the worker was handed back after the deadline, not held
    assert "FRONT" not in world.store.uploads.parts_done(execution.id)


async def test_compression_bombs_are_refused_without_being_inflated(world: World) -> None:
    _execution, root = await world.start("CUST-BOMB")
    bombs = []
    for part in ("front", "back", "face"):
        shared = world.slack.add_file(f"{part}.png", _bomb(100 * 1024 * 1024))
        shared.content_encoding = "gzip"
        bombs.append(shared)
    before = _rss_kb()
    await world.slack.share(bombs, thread_ts=root.ts)
    await wait_until(lambda: sum("compressed" in m.text for m in world.slack.thread(root.ts)) == 3, timeout=10)
    assert _rss_kb() - before < 20 * 1024  # was 59 → 322 MB for three 300 KB bombs
    assert all(b.downloads == 1 for b in bombs)


async def test_a_photo_without_content_length_is_taken_and_fetched_once(world: World) -> None:
    execution, root = await world.start("CUST-CHUNKED")
    shared = world.slack.add_file("front.png", sample_photo("front"))
    shared.without_length = True
    await world.slack.share([shared], thread_ts=root.ts)
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id), timeout=10)
    assert shared.downloads == 1  # was BufferError, 8 downloads


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[str, list[str | None]]]:
    """Another server on the same host (loopback), another port: it records any Authorization it is sent."""
    seen: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(body=sample_photo("front"), content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner, port = await serve_app(app, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_the_token_never_goes_to_another_port_of_slack_api_urls_host(world: World, elsewhere) -> None:
    base, seen = elsewhere
    _execution, root = await world.start("CUST-PORT")
    shared = world.slack.add_file("front.png", sample_photo("front"))
    shared.redirect_to = f"{base}/files-pri/front.png"
    await world.slack.share([shared], thread_ts=root.ts)
    await wait_until(lambda: any("somewhere other than Slack" in m.text for m in world.slack.thread(root.ts)))
    assert all(header is None for header in seen)  # not fetched, or fetched without the token


def test_the_token_rule_is_on_scheme_host_and_port() -> None:
    api = frozenset({origin("http://127.0.0.1:8000/api/")})
    assert is_slack_url("https://files.slack.com/files-pri/T1-F1/x.png")
    assert not is_slack_url("http://files.slack.com/files-pri/T1-F1/x.png")  # plain http
    assert not is_slack_url("https://files.slack.com:8443/x.png")  # another port
    assert not is_slack_url("https://slack.com.evil.example/x.png")
    assert is_slack_url("http://127.0.0.1:8000/files/x.png", api)
    assert not is_slack_url("http://127.0.0.1:8001/files/x.png", api)  # was: any port on the host
    assert not is_slack_url("http://slack-proxy.example:80/x", frozenset({origin("http://slack-proxy.example/api")}))
    assert is_slack_url("https://slack-proxy.example/x", frozenset({origin("https://slack-proxy.example/api")}))
