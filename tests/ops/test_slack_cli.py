"""The Slack CLI project: `.slack/hooks.json` runs slack-cli-hooks, whose hooks answer JSON; `get-manifest` gives
`idv-bot manifest` in Socket Mode (from manifest.yml, the one manifest); `start` runs app.py: the bot in Socket Mode
with the tokens the CLI provides."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from bot.local import BotProcess, LocalOptions, LocalWorld

ROOT = Path(__file__).resolve().parents[2]


def _hook(command: str) -> dict:
    argv = shlex.split(command)
    argv[0] = sys.executable if argv[0] in ("python3", "python") or argv[0].endswith("python") else argv[0]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_hooks_answer_json_and_the_manifest_is_idv_bot_manifest() -> None:
    from bot.manifest import render_for

    hooks_file = json.loads((ROOT / ".slack" / "hooks.json").read_text())
    hooks = _hook(hooks_file["hooks"]["get-hooks"])
    assert {"get-manifest", "start"} <= set(hooks["hooks"]) and hooks["runtime"] == "python"
    assert hooks["config"]["sdk-managed-connection-enabled"] is True  # the CLI's tokens, Socket Mode
    # The project's own hooks.json entry wins over the SDK's default (which would read a manifest.json).
    manifest = _hook(hooks_file["hooks"]["get-manifest"])
    assert manifest == render_for({}, mode="socket")
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert not (ROOT / "manifest.json").exists()  # one source of truth: manifest.yml


async def test_the_start_hook_runs_the_bot_in_socket_mode(tmp_path: Path) -> None:
    async with LocalWorld(tmp_path, LocalOptions(socket_mode=True, start_bot=False)) as local:
        assert local.env.get("SLACK_APP_TOKEN")
        hooks = _hook(json.loads((ROOT / ".slack" / "hooks.json").read_text())["hooks"]["get-hooks"])
        start = shlex.split(hooks["hooks"]["start"])
        process = BotProcess(local.env, ROOT, args=tuple(start[1:]))
        await process.start(timeout=30)
        try:
            (ready,) = [line for line in process.lines if "idv-bot ready" in line]
            assert "Socket Mode" in ready
        finally:
            await process.terminate()
