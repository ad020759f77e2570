"""What agents see: the link modal and take-over, status history, App Home's second section, the form's channel
check, and the direct message when a channel cannot be used. Real Bolt over HTTP, the stand-ins, real SQLite."""

from __future__ import annotations

import json

import httpx

from bot import blocks
from bot.blocks import audit
from bot.local import copyable_links, wait_until, web_client_href
from bot.sandbox.slack import ApiFault
from tests.world import World


def _said_to(world: World, user: str) -> str:
    views = json.dumps(world.slack.views_for(user), ensure_ascii=False)
    return views + " ".join(m.all_text() for m in world.slack.ephemerals(user))


async def _open_link_modal(world: World, root, user: str) -> dict:
    root_now = next(m for m in world.slack.root_messages() if m.ts == root.ts)
    button = next(
        e
        for b in root_now.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == blocks.ACTION_SHOW_LINK
    )
    assert "link" in button["text"]["text"].lower()
    count = len(world.slack.views_for(user))
    status, _ = await world.slack.click(blocks.ACTION_SHOW_LINK, button["value"], user=user, message=root_now)
    assert status == 200
    return await wait_until(lambda: len(world.slack.views_for(user)) > count and world.slack.views_for(user)[-1])


async def test_the_link_modal_shows_the_link_to_its_holder_only(world: World) -> None:
    execution, root = await world.start("CUST-MODAL", consent=False)
    href = world.web_href("CUST-MODAL")
    mine = await _open_link_modal(world, root, "UAGENT1")
    text = json.dumps(mine, ensure_ascii=False)
    assert web_client_href(text) == href  # the same link as the ephemeral, as copyable text
    assert "Message to send the customer" in text and "personal to you" in text and "ID document" in text
    assert "Works until" in text
    assert "link_shown" in [e.action for e in world.store.audit.trail(execution.id)]

    theirs = await _open_link_modal(world, root, "UAGENT2")
    text = json.dumps(theirs, ensure_ascii=False)
    assert "<@UAGENT1> holds the customer's link" in text and blocks.ACTION_TAKE_OVER in text
    assert copyable_links(_said_to(world, "UAGENT2")) == [] and "authorizationToken" not in _said_to(world, "UAGENT2")


async def test_take_over_closes_the_old_link_and_gives_a_new_one_to_the_presser(world: World) -> None:
    execution, root = await world.start("CUST-SHIFT", consent=False)
    old_href = world.web_href("CUST-SHIFT")
    modal = await _open_link_modal(world, root, "UAGENT2")
    status, _ = await world.slack.click(blocks.ACTION_TAKE_OVER, str(execution.id), user="UAGENT2", view=modal)
    assert status == 200
    updated = await wait_until(lambda: "making a new link" in json.dumps(world.slack.views_for("UAGENT2")[-1]))
    assert updated
    replacement = await wait_until(
        lambda: (
            (r := world.store.executions.replacing(execution.id))
            and r.status == "INITIATED"
            and r.workflow_execution_id
            and r
        )
    )
    assert replacement.started_by == "UAGENT2" and replacement.account_id == execution.account_id
    await wait_until(lambda: world.links("CUST-SHIFT", user="UAGENT2"))
    new_href = world.web_href("CUST-SHIFT", user="UAGENT2")
    assert new_href != old_href
    await wait_until(lambda: world.jumio.executions[execution.workflow_execution_id].deleted)
    assert world.store.executions.get(execution.id).status == "SUPERSEDED"
    assert world.store.executions.web_href(execution.id) is None
    async with httpx.AsyncClient() as customer:  # the link agent 1 held no longer opens the customer's session
        assert (await customer.get(old_href)).status_code >= 400
    trail = [(e.actor, e.action) for e in world.store.audit.trail(execution.id)]
    assert ("UAGENT2", "take_over") in trail and ("system", "execution_deleted") in trail
    await wait_until(lambda: "took over the customer's link from <@UAGENT1>" in world.thread_text(root))
    # Now agent 1 is the other one: told who holds it, never shown it.
    theirs = await _open_link_modal(world, root, "UAGENT1")
    assert "<@UAGENT2> holds" in json.dumps(theirs) and new_href not in _said_to(world, "UAGENT1")


async def test_new_link_on_a_live_link_held_by_another_agent_is_refused(world: World) -> None:
    execution, root = await world.start("CUST-RELINK", consent=False)
    await world.jumio.expire(world.jumio.executions[execution.workflow_execution_id], "TOKEN_EXPIRED")
    notice = await wait_until(
        lambda: next((m for m in world.slack.thread(root.ts) if blocks.ACTION_NEW_LINK in m.all_text()), None)
    )
    await world.slack.click(blocks.ACTION_NEW_LINK, str(execution.id), user="UAGENT2", message=notice)
    await wait_until(lambda: world.links("CUST-RELINK", user="UAGENT2"))
    new_href = world.web_href("CUST-RELINK", user="UAGENT2")
    await world.slack.click(blocks.ACTION_NEW_LINK, str(execution.id), user="UAGENT1", message=notice)
    refusal = await wait_until(
        lambda: next((m for m in world.slack.ephemerals("UAGENT1") if "holds this verification's live link" in m.text), None)
    )
    assert "<@UAGENT2>" in refusal.text
    assert new_href not in _said_to(world, "UAGENT1")
    assert len(world.store.executions.for_customer("CUST-RELINK")) == 2


async def test_the_web_client_path_says_when_the_customer_submitted(world: World) -> None:
    world.without_callbacks()  # the sweep finds ACQUIRED before any decision
    world.jumio.config.processing_delay = 5.0
    _execution, root = await world.start("CUST-WEBDONE", consent=False)
    assert (await world.complete_on_web("CUST-WEBDONE")).status_code == 200
    # The world runs no sweep of its own: each look queues the checks whose turn has come.
    await wait_until(
        lambda: (
            world.bot.journey.enqueue_sweep() >= 0 and "submitted their photos on Jumio's page" in world.thread_text(root)
        ),
        timeout=10,
    )
    assert world.execution("CUST-WEBDONE").status == "ACQUIRED"


async def test_status_shows_the_whole_history_in_plain_words_newest_first(world: World) -> None:
    await world.verified_through_the_thread("CUST-HISTORY")
    await world.slack.command("status CUST-HISTORY")
    answer = await wait_until(lambda: world.slack.state.responses and world.slack.state.responses[-1])
    text = json.dumps(answer, ensure_ascii=False)
    for words in (
        "ID front from <@UAGENT1> sent to Jumio",
        "Selfie from <@UAGENT1> sent to Jumio",
        "Jumio called back (PROCESSED)",
        "started by <@UAGENT1>",
        "the customer consented",
        "customer link sent privately to <@UAGENT1>",
    ):
        assert words in text, words
    assert "ID front dropped by <@UAGENT1>" in text and "Jumio decided PASSED" in text
    assert text.index("Jumio decided") < text.rindex("started by <@UAGENT1>")  # newest first: the start is last
    assert "<#CVERIFY>" in text


async def test_status_pages_a_long_history(world: World) -> None:
    execution, _root = await world.start("CUST-LONG", consent=False)
    for number in range(90):
        world.store.audit.add("UAGENT1", audit.RETRY, execution.id, f"step {number}")
    await world.slack.command("status CUST-LONG")
    first = await wait_until(lambda: world.slack.state.responses and world.slack.state.responses[-1])
    assert "page 1 of 3" in json.dumps(first)

    def buttons(answer: dict) -> dict[str, dict]:
        return {e["text"]["text"]: e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]}

    async def press(button: dict, answers: int) -> dict:
        # As Slack sends it: the button's own action_id (the middle page has two; Slack refuses them alike).
        await world.slack.click(button["action_id"], button["value"])
        return await wait_until(lambda: len(world.slack.state.responses) > answers and world.slack.state.responses[-1])

    assert set(buttons(first)) == {"Older"}
    second = await press(buttons(first)["Older"], 1)
    assert "page 2 of 3" in json.dumps(second) and second.get("replace_original") is True
    assert set(buttons(second)) == {"Newer", "Older"}
    third = await press(buttons(second)["Older"], 2)
    assert "page 3 of 3" in json.dumps(third) and set(buttons(third)) == {"Newer"}
    back = await press(buttons(third)["Newer"], 3)
    assert "page 2 of 3" in json.dumps(back)
    assert world.slack.state.refused_layouts == []


async def test_status_names_a_private_channel_only_to_its_members(world: World) -> None:
    await world.start("CUST-PRIVATE", consent=False)
    world.slack.private_channels.add("CVERIFY")
    world.slack.channel_members["CVERIFY"].discard("UAGENT3")
    await world.slack.command("status CUST-PRIVATE", user="UAGENT3", channel="COTHER")
    outsider = await wait_until(lambda: world.slack.state.responses and world.slack.state.responses[-1])
    assert "<#CVERIFY>" not in json.dumps(outsider) and "a private channel" in json.dumps(outsider)
    await world.slack.command("status CUST-PRIVATE", user="UAGENT1")
    member = await wait_until(lambda: len(world.slack.state.responses) > 1 and world.slack.state.responses[-1])
    assert "<#CVERIFY>" in json.dumps(member)


async def test_app_home_lists_open_verifications_in_my_channels_stale_first(world: World) -> None:
    await world.start("CUST-OLDER", consent=False)
    await world.start("CUST-NEWER", consent=False, user="UAGENT3")
    await world.slack.open_home("UAGENT2")
    home = await wait_until(lambda: world.slack.state.home_views.get("UAGENT2"))
    text = json.dumps(home)
    assert "Open in your channels" in text and "You have not started any" in text
    assert text.index("CUST-OLDER") < text.index("CUST-NEWER") and "<@UAGENT1>" in text
    world.slack.channel_members["CVERIFY"].discard("UAGENT2")
    await world.slack.open_home("UAGENT2")
    await wait_until(lambda: "CUST-OLDER" not in json.dumps(world.slack.state.home_views["UAGENT2"]))
    assert "Nothing open in your channels" in json.dumps(world.slack.state.home_views["UAGENT2"])


async def test_the_form_refuses_a_channel_the_bot_is_not_in(world: World) -> None:
    await world.slack.click(blocks.ACTION_OPEN_START_MODAL, "home", channel=None)
    view = await wait_until(lambda: world.slack.state.views_opened and world.slack.state.views_opened[-1])
    status, answer = await world.slack.submit_view(view, {"channel": "COTHER", "customer_reference": "CUST-NOWHERE"})
    assert status == 200 and answer["response_action"] == "errors"
    assert "I am not in that channel" in answer["errors"]["channel"]
    assert world.store.executions.for_customer("CUST-NOWHERE") == []


async def test_a_start_that_can_never_post_tells_the_agent_directly(world: World) -> None:
    await world.slack.click(blocks.ACTION_OPEN_START_MODAL, "home", channel=None)
    view = await wait_until(lambda: world.slack.state.views_opened and world.slack.state.views_opened[-1])
    world.slack.faults.append(ApiFault("chat.postMessage", error="not_in_channel"))  # removed after the check
    status, _ = await world.slack.submit_view(view, {"channel": "CVERIFY", "customer_reference": "CUST-REMOVED"})
    assert status == 200
    direct = await wait_until(lambda: next((m for m in world.slack.state.messages if m.channel == "UAGENT1"), None))
    assert "CUST-REMOVED" in direct.text and "failed" in direct.text
