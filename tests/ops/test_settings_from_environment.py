"""The bot started as compose's `env_file` and systemd's `EnvironmentFile` start it: every line of the env file in the
process environment, empty ones empty, no `.env` in the working folder. Bolt must not turn on its own OAuth flow
because SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are present (reference §13): `/verify` answers, in both Slack modes,
with and without the Slack client settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.local import BotProcess, LocalOptions, LocalWorld
from bot.sandbox.slack.oauth import CLIENT_ID, CLIENT_SECRET
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = {key: value or "" for key, value in dotenv_values(ROOT / ".env.example").items()}


def as_an_env_file(world_env: dict[str, str]) -> dict[str, str]:
    """Every key of .env.example, with the world's value where it has one, else the example's (empty ones empty)."""
    env = {key: world_env.get(key, value) for key, value in EXAMPLE.items()}
    env["HOST"] = "127.0.0.1"  # loopback only, whatever the example says
    return env


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket"])
@pytest.mark.parametrize("client", [False, True], ids=["no-client-settings", "client-settings"])
async def test_settings_only_in_the_environment_and_verify_answers(tmp_path: Path, socket_mode: bool, client: bool) -> None:
    extra = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET} if client else {}
    options = LocalOptions(socket_mode=socket_mode, start_bot=False, env=extra)
    async with LocalWorld(tmp_path, options) as local:
        env = as_an_env_file(local.env)
        assert set(EXAMPLE) <= set(env) and ("SLACK_CLIENT_ID" in env) and (env["SLACK_CLIENT_ID"] == "") != client
        assert not (tmp_path / ".env").exists()
        process = BotProcess(env, tmp_path)
        await process.start(timeout=30)
        try:
            if socket_mode:
                await local.slack.wait_for_socket()
            answer = await local.slack.command("CUST-ENV-1")
            assert "Starting a verification" in answer.get("text", ""), (answer, process.lines[-10:])
            await wait_until(lambda: any("CUST-ENV-1" in m.text for m in local.slack.root_messages()), timeout=15)
            assert not any("reinstall" in line.lower() or "Traceback" in line for line in process.lines)
            ready = [line for line in process.lines if "idv-bot ready" in line]
            assert len(ready) == 1 and ("Socket Mode" in ready[0]) == socket_mode
        finally:
            await process.terminate()
