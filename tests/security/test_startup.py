"""Start-up: tokens proven before "ready", a refused one is one line and exit 2, SIGTERM works while connecting,
the .env.example placeholders are refused, empty allowlists are warned about once, HOST is honoured."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.local import BotProcess, LocalOptions, LocalWorld


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalWorld]:
    async with LocalWorld(tmp_path, LocalOptions(start_bot=False)) as world:
        yield world


async def _run(local: LocalWorld, timeout: float = 20.0, **env: str) -> tuple[int, list[str], float]:
    process = BotProcess({**local.env, **env}, local.folder)
    started = time.monotonic()
    with pytest.raises(RuntimeError):
        await process.start(timeout=timeout)
    assert process.process is not None
    code = await asyncio.wait_for(process.process.wait(), timeout)
    await asyncio.sleep(0.1)  # the last lines
    return code, process.lines, time.monotonic() - started


async def test_a_refused_bot_token_stops_before_ready_with_one_line(local: LocalWorld) -> None:
    code, lines, _ = await _run(local, SLACK_BOT_TOKEN="xoxb-wrong-token-1234")
    assert code == 2 and not any("ready" in line for line in lines)  # was: "ready", then Bolt's stock refusal
    assert lines[-1].startswith("idv-bot: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)")
    assert not any("Traceback" in line for line in lines) and not any("xoxb-wrong" in line for line in lines)


async def test_the_env_example_placeholder_is_refused(local: LocalWorld) -> None:
    code, lines, _ = await _run(local, SLACK_BOT_TOKEN="xoxb-your-bot-token")
    assert code == 2 and lines[-1] == (
        "idv-bot: SLACK_BOT_TOKEN is still the placeholder from .env.example: put the app's real token there"
    )
    assert not local.slack.state.calls  # refused by value, before any call to Slack


async def test_a_refused_app_token_in_socket_mode_stops_within_seconds(local: LocalWorld) -> None:
    code, lines, took = await _run(local, SLACK_APP_TOKEN="xapp-1-wrong")
    assert code == 2 and lines[-1].startswith("idv-bot: SLACK_APP_TOKEN was refused by Slack (invalid_auth)")
    assert not any("Traceback" in line for line in lines) and took < 10  # was: retried forever, a traceback each 10 s


async def test_sigterm_while_connecting_ends_the_process_within_10_seconds(local: LocalWorld) -> None:
    silent = socket.socket()  # accepts connections and never answers: auth.test hangs
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        env = {**local.env, "SLACK_API_URL": f"http://127.0.0.1:{silent.getsockname()[1]}/api/"}
        process = BotProcess(env, local.folder)
        with pytest.raises(RuntimeError):
            await process.start(timeout=2.0)
        assert process.process is not None and process.process.returncode is None  # still connecting
        code, took = await process.terminate(timeout=15)
        assert code == 0 and took < 10  # was: only SIGKILL stopped it
    finally:
        silent.close()


async def test_empty_allowlists_are_warned_about_once_and_host_is_honoured(local: LocalWorld) -> None:
    process = BotProcess({**local.env, "HOST": "127.0.0.1"}, local.folder)
    await process.start()
    try:
        warnings = [line for line in process.lines if "are both empty" in line]
        assert len(warnings) == 1 and " WARNING " in warnings[0]
        port = int(local.env["PORT"])
        with open("/proc/net/tcp") as table:
            listening = [line.split()[1] for line in table if line.split()[3] == "0A"]
        assert f"0100007F:{port:04X}" in listening and f"00000000:{port:04X}" not in listening
    finally:
        await process.terminate()


async def test_the_ready_line_says_what_this_start_is_and_slack_sdk_stays_quiet(local: LocalWorld) -> None:
    process = BotProcess({**local.env, "IDV_ALLOWED_USERS": "UAGENT1", "IDV_ADMINS": "UADMIN"}, local.folder)
    await process.start()
    try:
        (ready,) = [line for line in process.lines if "idv-bot ready" in line]
        assert "HTTP mode (/slack/events)" in ready and f"database {local.env['IDV_DATABASE']}" in ready
        assert "callbacks to http://127.0.0.1" in ready and "consent customer (page at http://127.0.0.1" in ready
        assert "allowlists: users 1" in ready and "admins 1" in ready and "secrets in clear" in ready
        assert ("the Jumio sandbox at" in ready) == (local.env.get("JUMIO_SANDBOX") == "true")
        assert not any("will be unused" in line for line in process.lines)  # slack_sdk's warning at every start
    finally:
        await process.terminate()


async def test_a_database_in_a_missing_folder_is_an_error_not_created(local: LocalWorld) -> None:
    missing = local.folder / "nonexistent" / "idv.sqlite3"
    code, lines, _ = await _run(local, IDV_DATABASE=str(missing))
    assert code == 2 and lines[-1].startswith("idv-bot: IDV_DATABASE:") and "does not exist" in lines[-1]
    assert not missing.parent.exists()
