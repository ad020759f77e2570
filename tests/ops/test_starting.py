"""Starting the real process: every bad setting named in one run (exit 2), a service out of reach exits 75 for its
supervisor to try again, a start that never got going leaves no database behind, and the sandbox's set-ups agree
with what start-up says."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from bot.local import BOT_TOKEN, BotProcess, LocalOptions, LocalWorld, free_port
from bot.sandbox.slack.oauth import CLIENT_ID, CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[2]


def _run(env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_every_missing_or_malformed_setting_is_named_in_one_run(tmp_path: Path) -> None:
    done = _run({"SLACK_APP_TOKEN": "", "PORT": "70000", "JUMIO_REGION": "mars-1", "IDV_LOG_FORMAT": "xml"}, tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    named = [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "PORT",
        "JUMIO_REGION",
        "JUMIO_CLIENT_ID",
        "JUMIO_CLIENT_SECRET",
        "JUMIO_USER_AGENT",
        "IDV_LOG_FORMAT",
    ]
    for name in named:
        assert any(line.startswith(f"idv-bot: {name} ") for line in lines), (name, lines)
    assert all(line.startswith("idv-bot: ") for line in lines)
    assert not (tmp_path / "idv.sqlite3").exists()


def test_slack_out_of_reach_at_start_exits_75_and_leaves_no_database(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s" * 32,
        "JUMIO_SANDBOX": "true",
        "SLACK_API_URL": f"http://127.0.0.1:{closed}/api/",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "IDV_DATABASE": str(tmp_path / "idv.sqlite3"),
    }
    done = _run(env, tmp_path)
    assert done.returncode == 75, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("idv-bot: SLACK_API_URL") and "cannot be reached" in last and "exit 75" in last
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # neither the database nor the sandbox's state


async def test_the_sandbox_with_a_public_url_and_users_connecting_serves_every_page(tmp_path: Path) -> None:
    """The simulator's customer page, the consent page and the OAuth routes are mounted together (one list of routes
    used to replace the other: the simulator's page answered 404)."""
    options = LocalOptions(
        start_bot=False,
        env={
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "JUMIO_SANDBOX": "true",
            "JUMIO_CLIENT_ID": "",
            "JUMIO_CLIENT_SECRET": "",
            "JUMIO_AUTH_URL": "",
            "JUMIO_ACCOUNT_URL": "",
            "JUMIO_RETRIEVAL_URL": "",
            "JUMIO_CALLBACK_URL": "",
        },
    )
    async with LocalWorld(tmp_path, options) as local:
        process = BotProcess(local.env, tmp_path)
        await process.start(timeout=30)
        try:
            answer = await local.slack.command("CUST-SANDBOX-PAGES")
            assert "Starting a verification" in answer["text"]
            link = None
            for _ in range(300):
                link = next((m for m in local.slack.ephemerals("UAGENT1") if "/web/v4/app" in m.all_text()), None)
                if link:
                    break
                await asyncio.sleep(0.05)
            assert link is not None
            href = link.all_text().split("```")[1]
            assert href.startswith(local.env["IDV_PUBLIC_URL"])
            async with httpx.AsyncClient() as browser:
                assert (await browser.get(href)).status_code == 200  # the simulator's page
                install = await browser.get(f"{local.env['IDV_PUBLIC_URL']}/slack/install")
                assert install.status_code == 302  # the OAuth routes
            assert not any("cannot reach Jumio" in line for line in process.lines)
        finally:
            await process.terminate()


def test_the_sandbox_without_a_public_url_does_not_warn_that_photos_cannot_reach_jumio(tmp_path: Path) -> None:
    from bot.config import load_settings

    settings = load_settings(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-x", "JUMIO_SANDBOX": "true"}, env_file=None
    )
    assert not any("cannot reach Jumio" in warning for warning in settings.warnings)
    production = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": "xapp-1-x",
            "JUMIO_CLIENT_ID": "c",
            "JUMIO_CLIENT_SECRET": "s",
            "JUMIO_USER_AGENT": "Acme SupportDesk/1.0",
        },
        env_file=None,
    )
    assert any("cannot reach Jumio" in warning for warning in production.warnings)
