"""Secrets and images: nothing secret in a log line, an exception or a channel; no image on disk; the bot token
goes to Slack only; tokens and links are forgotten once an execution is final; the database is private."""

from __future__ import annotations

import logging
import re
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.sandbox import serve_app
from bot.sandbox.images import png
from bot.sandbox.jumio import Fault
from tests.conftest import wait_until
from tests.world import World

pytestmark = pytest.mark.parametrize("slack_mode", ["http", "socket"], indirect=True)


def _noise_photos() -> dict[str, bytes]:
    return {part: png(640, 400, noise_seed=seed) for seed, part in enumerate(("front", "back", "face"), start=101)}


async def _journey_with_every_kind_of_event(world: World) -> None:
    photos = _noise_photos()
    # The API path, with a Jumio hiccup on the way.
    world.jumio.add_fault(Fault(path_contains="/parts/", status=503, count=1))
    execution, root = await world.start("CUST-SECRET-1")
    await world.share(root, *((f"{part}.png", data) for part, data in photos.items()))
    await world.decided("CUST-SECRET-1")
    # A rejected upload and a refused one.
    await world.share(root, ("late.png", photos["front"]))
    # An expiry and a new link.
    expiring, expiring_root = await world.start("CUST-SECRET-2")
    await world.jumio.expire(world.jumio.executions[expiring.workflow_execution_id], "TOKEN_EXPIRED")
    notice = await wait_until(
        lambda: next((m for m in world.slack.thread(expiring_root.ts) if "new_link" in m.all_text()), None)
    )
    await world.slack.click("new_link", str(expiring.id), message=notice)
    await wait_until(lambda: (r := world.store.executions.replacing(expiring.id)) and r.status == "INITIATED")
    # The Web Client path.
    web_execution, _ = await world.start("CUST-SECRET-3", consent=False)
    await world.complete_on_web("CUST-SECRET-3")
    await world.decided("CUST-SECRET-3")
    await world.bot.runner.run_until_idle()
    assert execution and web_execution


def _secrets(world: World) -> list[str]:
    found = [world.env["SLACK_BOT_TOKEN"], world.env["SLACK_SIGNING_SECRET"], world.env["JUMIO_CLIENT_SECRET"]]
    found += [world.env["SLACK_APP_TOKEN"]] if "SLACK_APP_TOKEN" in world.env else []
    found += list(world.jumio.oauth_tokens)
    for held in world.jumio.executions.values():
        found += [held.web_token, held.sdk_token] + [c.api_token for c in held.credentials if c.api_token]
    return found + _consent_tokens(world)


def _consent_tokens(world: World) -> list[str]:
    """The consent links' tokens the agents were given (customer links, like the Web Client's)."""
    return sorted(
        {token for m in world.slack.state.messages for token in re.findall(r"/consent/([A-Za-z0-9_-]{20,})", m.all_text())}
    )


async def test_no_secret_in_logs_exceptions_or_channels(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await _journey_with_every_kind_of_event(world)
    secrets = _secrets(world)
    assert len(secrets) > 12 and all(secrets)

    texts = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
    assert len(texts) > 100, "DEBUG logging of the whole journey should have produced many lines"
    texts += [job.last_error or "" for job in world.store.jobs.listed()]
    texts += [entry.detail or "" for entry in world.store.audit.trail()]
    texts += [
        upload.error or ""
        for e in world.store.executions.for_customer("CUST-SECRET-1")
        for upload in world.store.uploads.of_execution(e.id)
    ]
    link_messages = [m for m in world.slack.state.messages if "Only you can see this" in m.all_text()]
    said = [m.all_text() for m in world.slack.state.messages if m not in link_messages]
    said += [r.get("text", "") for r in world.slack.state.responses]
    for secret in secrets:
        for text in texts + said:
            assert secret not in text
    # The private link carries its own authorization token and nothing else secret.
    web_tokens = {held.web_token for held in world.jumio.executions.values()} | set(_consent_tokens(world))
    assert _consent_tokens(world), "the journey gave consent links"
    for message in link_messages:
        assert message.ephemeral_to is not None
        for secret in set(secrets) - web_tokens:
            assert secret not in message.all_text()


async def test_final_executions_forget_tokens_and_links(world: World) -> None:
    await _journey_with_every_kind_of_event(world)
    executions = [
        e for ref in ("CUST-SECRET-1", "CUST-SECRET-2", "CUST-SECRET-3") for e in world.store.executions.for_customer(ref)
    ]
    assert sum(e.is_final for e in executions) >= 3
    for execution in executions:
        if execution.is_final:
            assert world.store.executions.web_href(execution.id) is None
            assert all(c.api_token is None for c in world.store.executions.credentials(execution.id))
    path = Path(world.store.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes() + Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else path.read_bytes()
    for token in _consent_tokens(world):
        assert token.encode() not in data  # stored hashed
    for held in world.jumio.executions.values():
        if held.status in ("PROCESSED", "TOKEN_EXPIRED", "SESSION_EXPIRED"):
            for credential in held.credentials:
                if credential.api_token:
                    assert credential.api_token.encode() not in data


async def test_no_image_bytes_reach_the_disk(tmp_path: Path, slack_mode: str) -> None:
    """The bot as its own process, with its own working folder and temp folder: after a journey with three photos
    (and one the thread asked about), neither folder holds a byte of them, nor the database."""
    from bot.local import BotProcess, LocalOptions, LocalWorld, consent_for, wait_until
    from storage import Store

    workdir, tempdir = tmp_path / "work", tmp_path / "tmp"
    workdir.mkdir()
    tempdir.mkdir()
    photos = _noise_photos()
    options = LocalOptions(
        start_bot=False,
        socket_mode=slack_mode == "socket",
        env={"TMPDIR": str(tempdir), "IDV_DATABASE": str(workdir / "idv.sqlite3")},
    )
    async with LocalWorld(tmp_path, options) as world:
        process = BotProcess(world.env, workdir)
        await process.start()
        if slack_mode == "socket":
            await world.slack.wait_for_socket()
        store = Store(world.env["IDV_DATABASE"])
        try:
            await world.slack.command("CUST-DISK")
            execution = await wait_until(
                lambda: (e := store.executions.for_customer("CUST-DISK")) and e[0].status == "INITIATED" and e[0], timeout=15
            )
            files = [world.slack.add_file(f"{part}.png", data) for part, data in photos.items()]
            files.append(world.slack.add_file("IMG_0001.png", png(640, 400, noise_seed=104)))
            await world.slack.share(files, thread_ts=execution.thread_ts)  # checked, held for the consent
            await wait_until(
                lambda: len([u for u in store.uploads.of_execution(execution.id) if u.state == "held"]) == 3, timeout=15
            )
            api = await consent_for(world.slack, store, "CUST-DISK")
            await wait_until(lambda: store.executions.get(api.id).is_final, timeout=15)
        finally:
            store.close()
            await process.terminate()
    fragments = [data[200:264] for data in photos.values()]  # incompressible: unique to these images
    scanned = 0
    for folder in (workdir, tempdir):
        for path in folder.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                scanned += 1
                found = [content.find(fragment) for fragment in fragments if fragment in content]
                assert not found, f"image bytes found in {path} at offset {found}"
    assert scanned >= 1  # the database at least


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[str, list[str | None]]]:
    """A server on another loopback address, standing for a host that is not Slack's; it records Authorization."""
    seen: list[str | None] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(body=png(640, 400, noise_seed=9), content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    runner, port = await serve_app(app, host="127.0.0.2")
    try:
        yield f"http://127.0.0.2:{port}", seen
    finally:
        await runner.cleanup()


async def test_the_bot_token_goes_only_to_slack(world: World, elsewhere: tuple[str, list[str | None]]) -> None:
    url, seen = elsewhere
    execution, root = await world.start("CUST-TOKEN")
    redirected = world.slack.add_file("front.png", png(640, 400, noise_seed=1))
    redirected.redirect_to = f"{url}/files-pri/T-F/front.png"
    await world.share(root, ("placeholder.png", b""))  # keeps the thread busy with an ordinary rejection
    await world.slack.share([redirected], thread_ts=root.ts)
    event = world.slack.file_share_event([world.slack.add_file("back.png", png(640, 400, noise_seed=2))], thread_ts=root.ts)
    event["files"][0]["url_private_download"] = f"{url}/files-pri/T-F/back.png"  # a forged event
    await world.slack.event(event)
    await wait_until(lambda: sum("somewhere other than Slack" in m.text for m in world.slack.thread(root.ts)) == 2)
    assert seen == []  # the other host was never contacted, so it never saw the token
    assert world.jumio_parts(execution) == {}
