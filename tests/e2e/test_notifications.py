"""The decision reaches whoever needs it: the result mentions the agent who started the verification and the link's
holder (once each, never the whole channel), an expiry mentions the holder, and an agent who left the channel gets
the same words in the app's Messages tab."""

from __future__ import annotations

import re

from tests.conftest import wait_until
from tests.world import World

_MENTIONS = re.compile(r"<[@!][^>]+>")


def _mentions(text: str) -> list[str]:
    return _MENTIONS.findall(text)


async def test_the_decision_on_the_web_path_mentions_the_agent_once(world: World) -> None:
    _execution, root = await world.start("CUST-NOTIFY-WEB", consent=False)
    await world.complete_on_web("CUST-NOTIFY-WEB")
    await world.decided("CUST-NOTIFY-WEB")
    result = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "Jumio decision" in m.text), None))
    assert _mentions(result.text) == ["<@UAGENT1>"]
    assert "<!channel>" not in result.all_text() and "<!here>" not in result.all_text()


async def test_the_decision_mentions_the_starter_and_the_holder_and_reaches_a_leaver(world: World) -> None:
    """UAGENT1 starts; the link expires; UAGENT2 presses New link (and holds it); UAGENT1 leaves the channel; the
    decision mentions both, each once, and UAGENT1 hears it in the Messages tab too."""
    execution, root = await world.start("CUST-NOTIFY-API", consent=False)
    await world.jumio.expire(world.jumio.executions[execution.workflow_execution_id], "TOKEN_EXPIRED")
    expiry = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "expired" in m.text), None))
    assert _mentions(expiry.text) == ["<@UAGENT1>"]  # the holder of the dead link
    await world.slack.click("new_link", str(execution.id), user="UAGENT2", message=expiry)
    await wait_until(lambda: world.links("CUST-NOTIFY-API", user="UAGENT2"))
    world.slack.leaves("UAGENT1")
    assert (await world.complete_on_web("CUST-NOTIFY-API", user="UAGENT2")).status_code == 200
    await world.decided("CUST-NOTIFY-API")
    result = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "Jumio decision" in m.text), None))
    assert sorted(_mentions(result.text)) == ["<@UAGENT1>", "<@UAGENT2>"]
    direct = await wait_until(
        lambda: [m for m in world.slack.state.messages if m.channel == "UAGENT1" and "Jumio decision" in m.text]
    )
    assert len(direct) == 1 and not [
        m for m in world.slack.state.messages if m.channel == "UAGENT2" and "Jumio decision" in m.text
    ]


async def test_a_replayed_report_mentions_nobody_twice(world: World) -> None:
    execution, root = await world.verified_through_the_thread("CUST-NOTIFY-ONCE")
    from bot.journey.context import OfExecution
    from bot.journey.results import REPORT_RESULT

    world.bot.journey.ctx.queue.add(REPORT_RESULT, OfExecution(world.execution("CUST-NOTIFY-ONCE").id))  # a replay
    await world.bot.runner.run_until_idle()
    results = [m for m in world.slack.thread(root.ts) if "Jumio decision" in m.text]
    assert len(results) == 1 and _mentions(results[0].text) == ["<@UAGENT1>"]
    assert execution.id


async def test_app_home_puts_what_was_decided_since_the_last_look_first(world: World) -> None:
    """UAGENT1 has an older open verification and one that Jumio decides after they last opened App Home: that one
    comes first, marked; on the next look nothing is new."""
    await world.start("CUST-HOME-DECIDED", consent=False)
    await world.start("CUST-HOME-OPEN", consent=False)
    await world.slack.open_home("UAGENT1")
    first = await wait_until(lambda: world.slack.state.home_views.get("UAGENT1"))
    assert "since you last looked" not in str(first)
    world.slack.state.home_views.clear()
    assert (await world.complete_on_web("CUST-HOME-DECIDED")).status_code == 200
    await world.decided("CUST-HOME-DECIDED")
    await world.slack.open_home("UAGENT1")
    home = await wait_until(lambda: world.slack.state.home_views.get("UAGENT1"))
    rows = [b["text"]["text"] for b in home["blocks"] if b["type"] == "section" and "CUST-HOME" in b["text"]["text"]]
    assert rows[0].startswith(":new: *CUST-HOME-DECIDED*") and not rows[1].startswith(":new:")
    assert "1 decided since you last looked" in str(home)
    world.slack.state.home_views.clear()
    await world.slack.open_home("UAGENT1")
    again = await wait_until(lambda: world.slack.state.home_views.get("UAGENT1"))
    assert ":new:" not in str(again) and "since you last looked" not in str(again)
