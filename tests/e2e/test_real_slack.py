"""The journey with the Slack stand-in enforcing the manifest's scopes and Slack's refusals (reference §13): what used
to break on a real workspace while the stand-in forgave it."""

from __future__ import annotations

import json

import pytest

from bot import blocks
from bot.manifest import render_for
from bot.sandbox.jumio import Fault
from tests.conftest import wait_until
from tests.world import World


async def test_app_home_opens_for_an_agent_with_the_manifests_scopes(world: World) -> None:
    """App Home asks users.info for the opener's team: with users:read in the manifest it opens."""
    status, _ = await world.slack.open_home("UAGENT2")
    assert status == 200
    home = await wait_until(lambda: world.slack.state.home_views.get("UAGENT2"))
    assert "Start a verification" in json.dumps(home)
    assert world.slack.state.refused_scopes == []
    assert any(method == "users.info" for method, _ in world.slack.state.calls)


async def test_without_users_read_real_slack_would_refuse_app_home(world: World) -> None:
    """The bug as shipped: a manifest without users:read. The stand-in answers missing_scope as Slack does."""
    manifest = render_for(world.env)
    manifest["oauth_config"]["scopes"]["bot"].remove("users:read")
    world.slack.install(manifest)
    await world.slack.open_home("UAGENT2")
    home = await wait_until(lambda: world.slack.state.home_views.get("UAGENT2"))
    assert "Start a verification" not in json.dumps(home)
    assert ("users.info", "users:read") in world.slack.state.refused_scopes


async def test_the_link_reaches_an_agent_who_left_the_channel_without_a_false_failure(world: World) -> None:
    """An ephemeral Slack refuses (user_not_in_channel) goes to the app's Messages tab; the thread never says the
    account failed, because it did not."""
    world.jumio.add_fault(Fault(path_contains="/api/v1/accounts", method="POST", status=None, delay=0.5))
    answer = await world.slack.command("CUST-LEFT")
    assert "Starting a verification" in answer["text"]
    world.slack.leaves("UAGENT1")
    direct = await wait_until(
        lambda: [m for m in world.slack.state.messages if m.channel == "UAGENT1" and "Private link for CUST-LEFT" in m.text]
    )
    assert "/web/v4/app" in direct[0].all_text()
    execution = world.execution("CUST-LEFT")
    assert execution.status == "INITIATED" and execution.workflow_execution_id
    await world.bot.runner.run_until_idle()
    thread = world.thread_text(next(m for m in world.slack.root_messages() if m.ts == execution.thread_ts))
    assert "failed" not in thread.lower()
    assert world.store.jobs.listed(state="dead") == []


@pytest.mark.parametrize("slack_mode", ["socket"], indirect=True)
async def test_socket_mode_journey_within_the_manifests_grant(world: World) -> None:
    from bot.sandbox.images import sample_photo

    execution, root = await world.start("CUST-SOCKET-GRANT")
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("selfie.png", sample_photo("face"))
    )
    decided = await world.decided("CUST-SOCKET-GRANT", timeout=15)
    assert decided.decision_type == "PASSED"
    assert world.slack.state.refused_scopes == [] and world.slack.state.undelivered_events == []
    assert blocks.ACTION_NEW_LINK not in json.dumps(root.blocks) and execution.id
