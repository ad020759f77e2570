"""The bot's HTTP surface: signatures, the Jumio callback, health; the command line; the manifest."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.local import free_port
from tests.world import World

ROOT = Path(__file__).resolve().parents[2]


def _bot_url(world: World, path: str) -> str:
    return f"http://127.0.0.1:{world.bot.port}{path}"


async def test_wrong_or_stale_signatures_are_refused(world: World) -> None:
    body = "command=%2Fverify&text=CUST-1&user_id=UAGENT1&channel_id=CVERIFY&trigger_id=1.2"
    status, _ = await world.slack._post_signed(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert status == 401
    status, _ = await world.slack._post_signed(body, "application/x-www-form-urlencoded", timestamp=1_600_000_000)
    assert status == 401
    assert world.store.executions.for_customer("CUST-1") == []


async def test_oversized_slack_request_is_refused(world: World) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(_bot_url(world, "/slack/events"), content=b"x" * (600 * 1024))
    assert answer.status_code == 413


async def test_callback_that_lies_is_not_believed(world: World) -> None:
    execution, root = await world.start("CUST-reject-LIE")
    from bot.sandbox.images import sample_photo

    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("face.png", sample_photo("face"))
    )
    lie = {
        "workflowExecution": {"id": execution.workflow_execution_id, "status": "PROCESSED"},
        "decision": {"type": "PASSED"},
    }
    async with httpx.AsyncClient() as http:
        answer = await http.post(_bot_url(world, "/jumio/callback"), json=lie)
    assert answer.status_code == 200
    decided = await world.decided("CUST-reject-LIE")
    assert decided.decision_type == "REJECTED"


async def test_healthz(world: World) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.get(_bot_url(world, "/healthz"))
    assert answer.status_code == 200 and answer.json() == {"ok": True}


@pytest.mark.parametrize("slack_mode", ["socket"], indirect=True)
async def test_healthz_reports_a_lost_socket(world: World) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(_bot_url(world, "/healthz"))).status_code == 200
        assert world.slack._socket is not None
        world.bot._socket.client.auto_reconnect_enabled = False  # type: ignore[union-attr]
        await world.bot._socket.client.close()  # type: ignore[union-attr]
        answer = await http.get(_bot_url(world, "/healthz"))
    assert answer.status_code == 503 and "socket mode" in answer.json()["failing"]


def test_demo_runs_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for expected in (
        "/verify DEMO-1",
        "DEMO-1: verified",
        "PASSED",
        "workflow execution",
        "private Web Client link",
        "a window only <@UAGENT1> sees",
        "<@UAGENT1> holds the customer's link",
        "Did you mean `/verify status DEMO-1`?",
        "ID front from <@UAGENT1> sent to Jumio",
    ):
        assert expected in done.stdout
    assert "authorizationToken" not in done.stdout + done.stderr and "/consent/" not in done.stdout


def test_demo_transcript_is_in_the_order_things_happen() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    out = done.stdout
    held, consented = out.index("once the customer has consented"), out.index("the customer opens the consent page")
    assert held < consented < out.index("The customer gave Jumio their consent") < out.index("ID front sent to Jumio")
    assert "a temporary database for the demo, deleted when it ends" in out and "/tmp/" not in out
    assert not re.search(r"\b[a-z]+_[a-z_]+ by (the bot|<@)", out)  # the status history in words, no action names


def test_demo_with_a_refused_reference_stops_at_once_without_a_traceback() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--reference", "jane@example.com"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    assert "looks like an email address" in done.stdout and "Demo stopped: the bot refused" in done.stdout
    assert time.monotonic() - started < 15  # it used to wait 20 s for a verification that never started


def test_ctrl_c_stops_the_demo_quietly() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert demo.stdout is not None
    demo.stdout.readline()  # the world is up
    demo.send_signal(signal.SIGINT)
    _out, err = demo.communicate(timeout=30)
    assert demo.returncode == 130 and "Traceback" not in err and "stopped" in err.lower()


def test_demo_exits_0_on_any_decision_and_says_which() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--reference", "CUST-reject-1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "CUST-reject-1: not verified" in done.stdout and "Jumio decided REJECTED" in done.stdout


def test_run_with_a_bad_setting_says_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "not-a-token", "SLACK_APP_TOKEN": "xapp-1-x", "JUMIO_SANDBOX": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "idv-bot: SLACK_BOT_TOKEN does not look right: it should start with 'xoxb-'"


@pytest.mark.parametrize("problem", ["a folder", "a text file", "a newer schema", "a busy port"])
def test_run_with_a_database_or_port_it_cannot_use_says_one_line(tmp_path: Path, problem: str) -> None:
    database, port = tmp_path / "idv.sqlite3", free_port()
    if problem == "a folder":
        database.mkdir()
    elif problem == "a text file":
        database.write_text("notes\n")
        database.chmod(0o644)
    elif problem == "a newer schema":
        with sqlite3.connect(database) as conn:
            conn.execute("PRAGMA user_version = 99")
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-local-test",
        "SLACK_SIGNING_SECRET": "local-secret",
        "JUMIO_SANDBOX": "true",
        "PORT": str(port),
        "IDV_DATABASE": str(database),
        "PYTHONPATH": str(ROOT),
    }
    with contextlib.ExitStack() as stack:
        if problem == "a busy port":
            taken = stack.enter_context(socket.socket())
            taken.bind(("0.0.0.0", port))
            taken.listen()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=env,
        )
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr
    expected = {
        "a folder": "IDV_DATABASE:",
        "a text file": "is not an SQLite database; it was left as it was",
        "a newer schema": "newer than this bot's",
        "a busy port": f"PORT {port} cannot be served",
    }[problem]
    assert last.startswith("idv-bot: ") and expected in last
    if problem == "a text file":
        assert database.read_text() == "notes\n" and stat.S_IMODE(database.stat().st_mode) == 0o644


def test_manifest_installs_in_socket_mode_with_the_fewest_scopes() -> None:
    from bot.manifest import render_for

    manifest = render_for({})
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/verify"]
    # channels:read / groups:read: conversations.info (the form's channel check) and users.conversations;
    # users:read: users.info, the team of whoever opens App Home.
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "channels:history",
        "groups:history",
        "files:read",
        "channels:read",
        "groups:read",
        "users:read",
    }
    assert "user" not in manifest["oauth_config"]["scopes"] and "redirect_urls" not in manifest["oauth_config"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # direct messages to an agent
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "message.channels",
        "message.groups",
        "function_executed",
    }
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


@pytest.mark.parametrize(
    "bot_env_extra", [{"JUMIO_SANDBOX": "true", "JUMIO_CLIENT_ID": "", "JUMIO_CLIENT_SECRET": "", "JUMIO_USER_AGENT": ""}]
)
async def test_jumio_sandbox_true_runs_the_simulator_in_process(world: World) -> None:
    from bot.sandbox.images import sample_photo

    assert world.bot.jumio_sandbox is not None
    execution, root = await world.start("CUST-INPROCESS")
    assert execution.workflow_execution_id in world.bot.jumio_sandbox.executions
    assert execution.workflow_execution_id not in world.jumio.executions  # the external sandbox was not used
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("face.png", sample_photo("face"))
    )
    decided = await world.decided("CUST-INPROCESS")
    assert decided.decision_type == "PASSED"


def test_sandbox_jumio_runs_alone_on_a_port(tmp_path: Path) -> None:
    from bot.local import free_port

    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "JUMIO_CLIENT_ID": "cid", "JUMIO_CLIENT_SECRET": "sec"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox-jumio", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}" in process.stdout.readline()
        headers = {"User-Agent": "Acme SupportDesk/1.0"}
        with httpx.Client() as http:
            good = http.post(
                f"http://127.0.0.1:{port}/oauth2/token",
                auth=("cid", "sec"),
                headers=headers,
                data={"grant_type": "client_credentials"},
            )
            bad = http.post(
                f"http://127.0.0.1:{port}/oauth2/token",
                auth=("cid", "wrong"),
                headers=headers,
                data={"grant_type": "client_credentials"},
            )
            assert good.status_code == 200 and good.json()["token_type"] == "Bearer"
            assert bad.status_code == 401
            account = http.post(
                f"http://127.0.0.1:{port}/api/v1/accounts",
                headers={**headers, "Authorization": f"Bearer {good.json()['access_token']}"},
                json={"customerInternalReference": "CUST-1", "workflowDefinition": {"key": 10011}},
            )
            assert account.status_code == 200
            assert account.json()["workflowExecution"]["credentials"][0]["api"]["parts"]["front"].startswith(
                f"http://127.0.0.1:{port}/api/v1/accounts/"
            )
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_the_form_opened_from_app_home_asks_for_the_channel(world: World) -> None:
    from tests.conftest import wait_until

    await world.slack.click("open_start_modal", "home", channel=None)
    view = await wait_until(lambda: world.slack.state.views_opened and world.slack.state.views_opened[-1])
    status, answer = await world.slack.submit_view(view, {"customer_reference": "CUST-HOME"})
    assert answer["response_action"] == "errors" and "channel" in answer["errors"]
    status, answer = await world.slack.submit_view(view, {"customer_reference": "CUST-HOME", "channel": "CVERIFY"})
    assert status == 200 and not answer
    execution = await wait_until(
        lambda: (e := world.store.executions.for_customer("CUST-HOME")) and e[0].status == "INITIATED" and e[0]
    )
    assert execution.channel_id == "CVERIFY"
