"""Redeliveries, duplicate files, double clicks and simultaneous Submits: each effect happens once."""

from __future__ import annotations

import asyncio

import pytest

from bot.sandbox.images import sample_photo
from bot.sandbox.slack import ApiFault
from tests.conftest import wait_until
from tests.world import World

pytestmark = pytest.mark.parametrize("slack_mode", ["http", "socket"], indirect=True)


async def test_redelivered_event_relays_the_photo_once(world: World) -> None:
    execution, root = await world.start("CUST-ONCE-1")
    file = world.slack.add_file("front.png", sample_photo("front"))
    event = world.slack.file_share_event([file], thread_ts=root.ts)
    await world.slack.event(event, event_id="EvSAME1")
    await world.slack.event(event, event_id="EvSAME1", retry_num=1, retry_reason="http_timeout")
    await world.slack.event(event, event_id="EvSAME1", retry_num=2, retry_reason="http_error")
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id))
    await world.bot.runner.run_until_idle()
    assert world.jumio_parts(execution)["FRONT"].uploads == 1
    assert file.downloads == 1
    assert len(world.store.uploads.of_execution(execution.id)) == 1


async def test_same_file_in_two_events_is_relayed_once(world: World) -> None:
    execution, root = await world.start("CUST-ONCE-2")
    file = world.slack.add_file("selfie.png", sample_photo("face"))
    await asyncio.gather(world.slack.share([file], thread_ts=root.ts), world.slack.share([file], thread_ts=root.ts))
    await wait_until(lambda: "FACE" in world.store.uploads.parts_done(execution.id))
    await world.bot.runner.run_until_idle()
    assert world.jumio_parts(execution)["FACE"].uploads == 1


async def test_the_same_command_delivered_twice_creates_one_account(world: World) -> None:
    answers = await asyncio.gather(
        world.slack.command("CUST-ONCE-3", trigger_id="77.same"), world.slack.command("CUST-ONCE-3", trigger_id="77.same")
    )
    assert sum("Starting" in a.get("text", "") for a in answers) == 1
    await wait_until(lambda: world.execution("CUST-ONCE-3").status == "INITIATED")
    await world.bot.runner.run_until_idle()
    assert len(world.store.executions.for_customer("CUST-ONCE-3")) == 1
    assert sum(1 for e in world.jumio.executions.values() if e.customer_reference == "CUST-ONCE-3") == 1


async def test_two_agents_pressing_submit_together_finalize_once(world: World) -> None:
    execution, root = await world.start("CUST-ONCE-4")
    await world.share(root, ("front.png", sample_photo("front")), ("face.png", sample_photo("face")))
    await wait_until(lambda: {"FRONT", "FACE"} <= world.store.uploads.parts_done(execution.id))
    clicks = [
        world.slack.click("submit_verification", str(execution.id), user=user, message=root)
        for user in ("UAGENT1", "UAGENT2", "UAGENT1", "UAGENT2")
    ]
    await asyncio.gather(*clicks)
    await world.decided("CUST-ONCE-4")
    await world.bot.runner.run_until_idle()
    held = world.jumio.executions[execution.workflow_execution_id]
    assert held.finalize_calls == 1
    assert len(world.store.jobs.listed(kind="finalize")) == 1
    assert sum("Submitted to Jumio" in m.text for m in world.slack.thread(root.ts)) == 1


async def test_double_click_on_a_part_button_relays_once(world: World) -> None:
    execution, root = await world.start("CUST-ONCE-5")
    await world.share(root, ("IMG_1.png", sample_photo("back")))
    question = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "Which photo" in m.text), None))
    upload = world.store.uploads.of_execution(execution.id)[0]
    await asyncio.gather(*(world.slack.click("choose_part_back", f"{upload.id}:BACK", message=question) for _ in range(3)))
    await wait_until(lambda: "BACK" in world.store.uploads.parts_done(execution.id))
    await world.bot.runner.run_until_idle()
    assert world.jumio_parts(execution)["BACK"].uploads == 1


async def test_a_photo_is_in_sqlite_before_slack_hears_the_ack(world: World) -> None:
    """Bolt's answer to the event (what the HTTP and Socket Mode adapters send back as the ack) exists only once the
    claim and its relay job are stored: a crash right after the ack cannot lose the photo."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    execution, root = await world.start("CUST-ACK-ORDER")
    file = world.slack.add_file("front.png", sample_photo("front"))
    envelope = world.slack.event_envelope(world.slack.file_share_event([file], thread_ts=root.ts), None)
    assert world.bot.bolt is not None
    ack = await world.bot.bolt.async_dispatch(AsyncBoltRequest(body=envelope, mode="socket_mode"))
    assert ack.status == 200
    # Nothing else has run since Bolt produced the ack: what is stored now is what a crash would leave.
    assert [u.slack_file_id for u in world.store.uploads.of_execution(execution.id)] == [file.id]
    assert [j.payload["file"]["id"] for j in world.store.jobs.listed(kind="relay_photo")] == [file.id]
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id))


async def test_a_photo_event_seen_before_a_crash_is_still_relayed_when_slack_sends_it_again(world: World) -> None:
    """Slack sends the event again because the first delivery never got its ack (the bot died): its id being known
    must not drop it; the file's claim is what makes a second delivery harmless."""
    execution, root = await world.start("CUST-SEEN")
    file = world.slack.add_file("front.png", sample_photo("front"))
    assert world.store.events.first_sighting("EvDIED1")  # the dead process had got this far
    await world.slack.event(
        world.slack.file_share_event([file], thread_ts=root.ts), event_id="EvDIED1", retry_num=1, retry_reason="http_timeout"
    )
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id))


async def test_clicks_and_forms_are_stored_before_slack_hears_the_ack(world: World) -> None:
    """Like /verify: what a part button, a Submit click or the form asks for is in SQLite when Bolt produces the
    ack (the part button used to queue its relay only after a Slack call, so a crash there lost the photo)."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    from bot import blocks

    assert world.bot.bolt is not None
    bolt = world.bot.bolt

    execution, root = await world.start("CUST-ACK-CLICK")
    await world.share(root, ("IMG_1.png", sample_photo("front")))
    question = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "Which photo" in m.text), None))
    upload = world.store.uploads.of_execution(execution.id)[0]
    choose = world.slack.click_payload(f"{blocks.ACTION_CHOOSE_PART}_front", f"{upload.id}:FRONT", message=question)
    world.slack.faults.append(ApiFault("chat.update", delay=0.5, count=1))  # Slack is slow to edit the question
    assert (await bolt.async_dispatch(AsyncBoltRequest(body=choose, mode="socket_mode"))).status == 200
    assert [job.payload["file"]["id"] for job in world.store.jobs.listed(kind="relay_photo")] == [upload.slack_file_id]

    await world.share(root, ("face.png", sample_photo("face")))
    await wait_until(lambda: {"FRONT", "FACE"} <= world.store.uploads.parts_done(execution.id))
    submit = world.slack.click_payload(blocks.ACTION_SUBMIT, str(execution.id), message=root)
    assert (await bolt.async_dispatch(AsyncBoltRequest(body=submit, mode="socket_mode"))).status == 200
    assert [job.payload["execution"] for job in world.store.jobs.listed(kind="finalize")] == [execution.id]

    await world.slack.command("")
    view = await wait_until(lambda: world.slack.state.views_opened and world.slack.state.views_opened[-1])
    form = world.slack.view_submission_payload(view, {"customer_reference": "CUST-ACK-FORM"})
    assert (await bolt.async_dispatch(AsyncBoltRequest(body=form, mode="socket_mode"))).status == 200
    assert len(world.store.executions.for_customer("CUST-ACK-FORM")) == 1
    await bolt.async_dispatch(AsyncBoltRequest(body=form, mode="socket_mode"))  # the same form again
    assert len(world.store.executions.for_customer("CUST-ACK-FORM")) == 1
