"""Other teams and forged clicks: a user of another Slack team (Slack Connect) is refused on every surface, and a
click acts only on a verification of the channel it came from."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot import blocks
from bot.sandbox.images import sample_photo
from tests.conftest import wait_until
from tests.world import World

OUTSIDER = "UOUTSIDE"


async def test_a_user_of_another_team_is_refused_everywhere(world: World) -> None:
    """With only IDV_ALLOWED_CHANNELS set (as in the attack), a shared channel's guest from another team could drop
    photos (relayed), press Submit (finalized) and New link (a live link)."""
    world.slack.user_teams[OUTSIDER] = "T0PARTNER"
    execution, root = await world.start("CUST-SHARED")
    answer = await world.slack.command("CUST-OUTSIDE", user=OUTSIDER)
    assert "can't use identity verification" in answer["text"]
    await world.share(root, ("front.png", sample_photo("front")), ("selfie.png", sample_photo("face")), user=OUTSIDER)
    status, _ = await world.slack.click(blocks.ACTION_SUBMIT, str(execution.id), user=OUTSIDER, message=root)
    assert status == 200
    await world.slack.click(blocks.ACTION_SHOW_LINK, str(execution.id), user=OUTSIDER, message=root)
    await world.slack.open_home(OUTSIDER)
    home = await wait_until(lambda: world.slack.state.home_views.get(OUTSIDER))
    assert "can't use identity verification" in json.dumps(home) and "CUST-SHARED" not in json.dumps(home)
    await world.bot.runner.run_until_idle()
    assert (
        world.store.uploads.of_execution(execution.id) == []
        and world.store.executions.get(execution.id).status == "INITIATED"
    )
    assert world.store.executions.for_customer("CUST-OUTSIDE") == []
    assert world.slack.views_for(OUTSIDER) == []
    refused = [e for e in world.store.audit.trail() if e.action == "refused" and e.actor == OUTSIDER]
    assert len(refused) >= 4 and all("T0PARTNER" in (e.detail or "") for e in refused)


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ALLOWED_TEAMS": "T0PARTNER"}])
async def test_a_team_listed_in_idv_allowed_teams_may_act(world: World) -> None:
    world.slack.user_teams["UPARTNER"] = "T0PARTNER"
    world.slack.user_teams["UOUTSIDE"] = "T0OTHER"
    await world.start("CUST-PARTNER", user="UPARTNER", consent=False)
    answer = await world.slack.command("CUST-NOTPARTNER", user="UOUTSIDE")
    assert "can't use identity verification" in answer["text"]


async def test_a_click_naming_another_channels_verification_does_nothing(world: World) -> None:
    world.slack.member_of.add("CSECOND")
    world.slack.known_channels.add("CSECOND")
    world.slack.channel_members["CSECOND"] = {"UAGENT1", "UAGENT2"}
    execution, _root = await world.start("CUST-ELSEWHERE")
    # Signed, from a channel the clicker may use, but the value names the verification of #CVERIFY.
    await world.slack.share(
        [world.slack.add_file("front.png", sample_photo("front")), world.slack.add_file("face.png", sample_photo("face"))],
        thread_ts=execution.thread_ts or "",
        text="front and face",
    )
    await world.bot.runner.run_until_idle()
    status, _ = await world.slack.click(blocks.ACTION_SUBMIT, str(execution.id), user="UAGENT2", channel="CSECOND")
    assert status == 200
    await world.bot.runner.run_until_idle()
    assert world.store.executions.get(execution.id).status == "INITIATED"
    assert any(e.action == "refused" and "another channel" in (e.detail or "") for e in world.store.audit.trail())
    assert any("no longer exists or has moved on" in m.text for m in world.slack.ephemerals("UAGENT2"))


async def test_a_click_without_a_channel_is_refused(world: World) -> None:
    execution, root = await world.start("CUST-NOCHANNEL", consent=False)
    payload = world.slack.click_payload(blocks.ACTION_SHOW_LINK, str(execution.id), user="UAGENT1", message=root)
    payload.pop("channel")
    payload["container"].pop("channel_id")
    status, _ = await world.slack._deliver(
        "interactive", payload, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    assert status == 200
    await world.bot.runner.run_until_idle()
    assert world.slack.views_for("UAGENT1") == []
    assert any(e.action == "refused" and e.actor == "UAGENT1" for e in world.store.audit.trail())


async def test_take_over_from_a_modal_opened_elsewhere_is_refused(world: World) -> None:
    execution, root = await world.start("CUST-MODALFORGE", consent=False)
    forged_view = {
        "id": "VFORGED",
        "type": "modal",
        "private_metadata": json.dumps({"channel_id": "COTHER"}),
        "blocks": [],
        "title": {"type": "plain_text", "text": "x"},
    }
    await world.slack.click(blocks.ACTION_TAKE_OVER, str(execution.id), user="UAGENT2", view=forged_view)
    await world.bot.runner.run_until_idle()
    assert world.store.executions.replacing(execution.id) is None
    assert world.store.executions.get(execution.id).status == "INITIATED" and root.ts == execution.thread_ts
