"""A sandbox that lasts: with JUMIO_SANDBOX=true the simulator keeps its state in its own SQLite file, so after the
bot restarts the customer's link still opens and Jumio still decides; with IDV_PUBLIC_URL its Web Client page is
served through the bot's own server (a phone can open it), otherwise on JUMIO_SANDBOX_PORT."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import httpx

from bot.local import BotProcess, LocalOptions, LocalWorld, web_client_href
from tests.conftest import wait_until

SANDBOX = {
    "JUMIO_SANDBOX": "true",
    "JUMIO_CLIENT_ID": "",
    "JUMIO_CLIENT_SECRET": "",
    "JUMIO_USER_AGENT": "",
    "JUMIO_AUTH_URL": "",
    "JUMIO_ACCOUNT_URL": "",
    "JUMIO_RETRIEVAL_URL": "",
    "IDV_POLL_SCHEDULE": "0.5,0.5,1",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _link(local: LocalWorld, reference: str) -> str:
    answer = await local.slack.command(reference)
    assert "Starting" in answer.get("text", ""), answer
    message = await wait_until(
        lambda: next((m for m in local.slack.ephemerals("UAGENT1") if f"Private link for {reference}" in m.text), None),
        timeout=20,
    )
    href = web_client_href(message.all_text())
    assert href is not None
    return href


async def _complete_after_a_restart(local: LocalWorld, env: dict[str, str], reference: str) -> str:
    first = BotProcess(env, local.folder)
    await first.start()
    href = await _link(local, reference)
    code, _ = await first.terminate()
    assert code == 0
    second = BotProcess(env, local.folder)
    await second.start()
    try:
        async with httpx.AsyncClient() as customer:
            page = await customer.get(href)
            assert page.status_code == 200 and "authorizationToken" in page.text  # was 403: state in memory
            token = href.split("authorizationToken=")[1].split("&")[0]
            done = await customer.post(href.split("?")[0], data={"authorizationToken": token, "sample": "1"})
            assert done.status_code == 200
        await wait_until(
            lambda: any("PASSED" in m.all_text() for m in local.slack.state.messages if m.thread_ts), timeout=30
        )
    finally:
        await second.terminate()
    return href


async def test_through_the_bots_public_url_the_link_survives_a_restart(tmp_path: Path) -> None:
    async with LocalWorld(tmp_path, LocalOptions(start_bot=False)) as local:
        env = {**local.env, **SANDBOX}
        href = await _complete_after_a_restart(local, env, "CUST-LASTS-1")
        assert href.startswith(f"{env['IDV_PUBLIC_URL']}/web/v4/app?")  # the bot's own server serves the page
        state = Path(env["IDV_DATABASE"]).with_name("idv-jumio-sandbox.sqlite3")
        assert state.exists() and stat.S_IMODE(state.stat().st_mode) == 0o600


async def test_without_a_public_url_the_simulator_is_on_its_fixed_port(tmp_path: Path) -> None:
    async with LocalWorld(tmp_path, LocalOptions(start_bot=False)) as local:
        port = _free_port()
        env = {**local.env, **SANDBOX, "IDV_PUBLIC_URL": "", "JUMIO_SANDBOX_PORT": str(port)}
        href = await _complete_after_a_restart(local, env, "CUST-LASTS-2")
        assert href.startswith(f"http://127.0.0.1:{port}/web/v4/app?")  # the same port after the restart
