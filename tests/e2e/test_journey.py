"""The product, end to end over real HTTP: what an agent sees and does in Slack."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from bot.local import LocalOptions, LocalWorld, consent_for
from bot.sandbox.images import sample_photo
from tests.conftest import wait_until
from tests.world import World

pytestmark = pytest.mark.parametrize("slack_mode", ["http", "socket"], indirect=True)


async def test_api_channel_path(world: World) -> None:
    execution, root = await world.start("CUST-42")
    assert "CUST-42" in root.all_text() and "<@UAGENT1>" in root.all_text()
    [link] = world.links("CUST-42")
    assert "authorizationToken=" in link.all_text()
    assert all("authorizationToken" not in m.all_text() for m in world.slack.state.messages if not m.ephemeral_to)

    photos = {"front": sample_photo("front"), "back": sample_photo("back"), "face": sample_photo("face")}
    await world.share(root, ("id_front.png", photos["front"]), ("id_back.png", photos["back"]))
    await world.share(root, ("me.png", photos["face"]), text="selfie")

    decided = await world.decided("CUST-42")
    assert (decided.status, decided.decision_type) == ("PROCESSED", "PASSED")
    parts = world.jumio_parts(execution)
    assert {k: v.sha256 for k, v in parts.items()} == {k.upper(): hashlib.sha256(v).hexdigest() for k, v in photos.items()}
    assert all(p.uploads == 1 for p in parts.values())
    thread = await wait_until(lambda: "Jumio's decision" in world.thread_text(root) and world.thread_text(root))
    assert "PASSED" in thread and "similarity" in thread and "Risk score" in thread
    # Said at most once (and not at all when every photo arrived together: test_the_session_clock_is_said_once).
    assert len([m for m in world.slack.thread(root.ts) if "ends this session after 15 minutes" in m.text]) <= 1
    assert "SAMPLEPERSON" not in "\n".join(world.slack.everything_said())
    final_root = await wait_until(
        lambda: next((m for m in world.slack.root_messages() if m.ts == root.ts and "PASSED" in m.all_text()), None)
    )
    assert final_root.edits >= 3
    first = world.store.executions.get(execution.replaces or 0)  # the Web Client's execution, closed by the consent
    assert first.status == "SUPERSEDED" and world.jumio.executions[first.workflow_execution_id].deleted
    actions = [e.action for e in world.store.audit.trail(first.id) + world.store.audit.trail(execution.id)]
    for expected in (
        "start",
        "account_created",
        "link_sent",
        "consent_given",
        "execution_deleted",
        "photo_uploaded",
        "submitted",
        "result",
    ):
        assert expected in actions
    assert world.store.executions.web_href(execution.id) is None
    assert all(c.api_token is None for c in world.store.executions.credentials(execution.id))


async def test_passport_path_with_submit(world: World) -> None:
    execution, root = await world.start("CUST-PASSPORT")
    await world.share(root, ("passport front.png", sample_photo("front")), ("selfie.png", sample_photo("face")))
    updated = await wait_until(
        lambda: next(
            (m for m in world.slack.root_messages() if m.ts == root.ts and "submit_verification" in m.all_text()), None
        )
    )
    assert world.store.executions.get(execution.id).status == "INITIATED"  # no back: it waits for the agent
    status, _ = await world.slack.click("submit_verification", str(execution.id), message=updated)
    assert status == 200
    decided = await world.decided("CUST-PASSPORT")
    assert decided.decision_type == "PASSED"
    assert "Submitted to Jumio by <@UAGENT1>" in world.thread_text(root)
    assert world.jumio.executions[execution.workflow_execution_id].finalize_calls == 1


async def test_web_client_path(world: World) -> None:
    import httpx

    execution, root = await world.start("CUST-WEB", consent=False)  # Jumio's page asks for its own consent
    href = world.web_href("CUST-WEB")
    token = href.split("authorizationToken=")[1].split("&")[0]
    async with httpx.AsyncClient() as customer:
        page = await customer.get(href)
        assert page.status_code == 200
        done = await customer.post(href.split("?")[0], data={"authorizationToken": token, "sample": "1"})
        assert done.status_code == 200
    decided = await world.decided("CUST-WEB")
    assert decided.decision_type == "PASSED"
    assert {p.channel for p in world.jumio_parts(execution).values()} == {"WEB"}
    assert "PASSED" in await wait_until(lambda: "Jumio's decision" in world.thread_text(root) and world.thread_text(root))


@pytest.mark.parametrize(
    ("reference", "decision", "label"),
    [("CUST-reject-7", "REJECTED", "MANIPULATED_DOCUMENT"), ("CUST-warn-7", "WARNING", "NOT_POSSIBLE")],
)
async def test_rejected_and_warning_decisions(world: World, reference: str, decision: str, label: str) -> None:
    _, root = await world.start(reference)
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("face.png", sample_photo("face"))
    )
    decided = await world.decided(reference)
    assert decided.decision_type == decision
    thread = await wait_until(lambda: "Jumio's decision" in world.thread_text(root) and world.thread_text(root))
    assert decision in thread and label in thread


async def test_expiry_and_new_link(world: World) -> None:
    execution, root = await world.start("CUST-EXPIRE")
    await world.jumio.expire(world.jumio.executions[execution.workflow_execution_id], "TOKEN_EXPIRED")
    expired = await world.decided("CUST-EXPIRE")
    assert expired.status == "TOKEN_EXPIRED"
    notice = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "new_link" in m.all_text()), None))
    assert "expired" in notice.text
    assert "no longer has" not in world.thread_text(root)  # an expiry is never read as Jumio forgetting it
    links_before = len(world.links("CUST-EXPIRE", user="UAGENT2"))
    await world.slack.click("new_link", str(execution.id), user="UAGENT2", message=notice)
    await world.slack.click("new_link", str(execution.id), user="UAGENT2", message=notice)  # a double click
    replacement = await wait_until(
        lambda: (r := world.store.executions.replacing(execution.id)) and r.status == "INITIATED" and r
    )
    assert replacement.account_id == execution.account_id
    assert replacement.workflow_execution_id != execution.workflow_execution_id
    assert replacement.thread_ts == root.ts and replacement.started_by == "UAGENT2"
    await wait_until(lambda: len(world.links("CUST-EXPIRE", user="UAGENT2")) > links_before)
    assert len(world.jumio.accounts[execution.account_id]) == 3  # web link, consented, one new: not two new
    # Photos in the same thread now go to the new execution, once the customer consents again (every journey).
    await world.share(
        root,
        ("front.png", sample_photo("front")),
        ("back.png", sample_photo("back")),
        ("face.png", sample_photo("face")),
        user="UAGENT2",
    )
    await consent_for(world.slack, world.store, "CUST-EXPIRE", user="UAGENT2")
    decided = await world.decided("CUST-EXPIRE")
    assert decided.replaces == replacement.id and decided.decision_type == "PASSED"
    assert "new_link" in [e.action for e in world.store.audit.trail(replacement.id)]


async def test_photo_without_keyword_asks_with_buttons(world: World) -> None:
    execution, root = await world.start("CUST-ASK")
    await world.share(root, ("IMG_2041.png", sample_photo("front")))
    question = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "Which photo" in m.text), None))
    labels = [e["text"]["text"] for b in question.blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["ID front", "ID back", "Selfie"]
    upload = world.store.uploads.of_execution(execution.id)[0]
    await world.slack.click("choose_part_back", f"{upload.id}:BACK", message=question)
    await world.slack.click("choose_part_front", f"{upload.id}:FRONT", message=question)  # too late: ignored
    await wait_until(lambda: "BACK" in world.store.uploads.parts_done(execution.id))
    assert set(world.jumio_parts(execution)) == {"BACK"}


async def test_second_photo_for_a_part_replaces_the_first(world: World) -> None:
    execution, root = await world.start("CUST-REPLACE")
    await world.share(root, ("front.png", sample_photo("front")))
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id))
    sharper = sample_photo("front", width=800, height=505)
    await world.share(root, ("front-sharper.png", sharper))
    await wait_until(lambda: "replaced" in world.thread_text(root))
    part = world.jumio_parts(execution)["FRONT"]
    assert part.uploads == 2 and part.sha256 == hashlib.sha256(sharper).hexdigest()
    assert [u.state for u in world.store.uploads.of_execution(execution.id)] == ["replaced", "uploaded"]


async def test_polling_without_callbacks(world: World) -> None:
    world.jumio.config.callbacks_enabled = False
    _execution, root = await world.start("CUST-POLL")
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("face.png", sample_photo("face"))
    )
    decided = await world.decided("CUST-POLL")
    assert decided.decision_type == "PASSED"
    assert world.jumio.callbacks == []
    await wait_until(lambda: any(job.kind == "poll" and job.state == "done" for job in world.store.jobs.listed()))
    assert not any(job.kind == "fetch_result" for job in world.store.jobs.listed())  # no callback prompted a fetch


async def test_web_client_path_without_callbacks_is_found_by_the_sweep(world: World) -> None:
    world.without_callbacks()
    execution, _root = await world.start("CUST-WEB-QUIET", consent=False)
    await world.complete_on_web("CUST-WEB-QUIET")
    await world.bot.runner.run_until_idle()
    assert world.store.executions.get(execution.id).status == "INITIATED"  # nobody told the bot
    await wait_until(lambda: world.bot.journey.enqueue_sweep() == 1)
    decided = await world.decided("CUST-WEB-QUIET")
    assert decided.decision_type == "PASSED"
    assert world.jumio.callbacks == []


async def test_a_decision_slower_than_the_poll_schedule_still_reaches_the_thread(world: World) -> None:
    """Polling only (no callbacks), and Jumio takes longer than all the polls after submission (a manual review):
    the sweep keeps asking, less often, and the decision still arrives."""
    world.jumio.config.callbacks_enabled = False
    world.jumio.config.hold_decisions = True
    _execution, root = await world.start("CUST-SLOW")
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("face.png", sample_photo("face"))
    )
    await wait_until(lambda: "has not decided" in world.thread_text(root))  # every scheduled poll is used up
    await wait_until(lambda: world.bot.journey.enqueue_sweep() == 1)
    await world.bot.runner.run_until_idle()
    assert world.execution("CUST-SLOW").status == "ACQUIRED"
    world.jumio.config.hold_decisions = False  # the review ends

    def sweep_until_decided() -> bool:
        world.bot.journey.enqueue_sweep()
        return world.execution("CUST-SLOW").is_final

    await wait_until(sweep_until_decided, timeout=10)
    assert world.execution("CUST-SLOW").decision_type == "PASSED"
    await wait_until(lambda: "Jumio's decision" in world.thread_text(root))
    status_calls = [c for c in world.jumio.calls if c[0] == "GET" and c[1].endswith("/status")]
    assert len(status_calls) <= 3 + 4  # the three scheduled polls, then a sweep every 0.3-0.5 s, not every call


async def test_root_message_never_ends_with_an_older_picture(world: World) -> None:
    """Two redraws racing (the last photo's and the decision's): the one that reads the newer state lands last."""
    import asyncio

    from bot.sandbox.slack import ApiFault

    execution, root = await world.start("CUST-RACE")
    world.store.executions.mark_finalized(execution.id)
    world.slack.faults.append(ApiFault("chat.update", delay=0.3, count=1))  # the first redraw is slow to land
    first = asyncio.create_task(world.bot.journey.delivery.redraw_root(execution))
    await asyncio.sleep(0.05)
    world.store.executions.record_result(
        execution.id, status="PROCESSED", decision_type="PASSED", decision_label="PASSED", risk_score=12.0, capabilities=[]
    )
    await asyncio.gather(first, world.bot.journey.delivery.redraw_root(execution))
    final = next(m for m in world.slack.root_messages() if m.ts == root.ts)
    assert "PASSED" in final.text


async def test_a_photo_is_not_held_up_by_account_creations_waiting_for_their_slot(tmp_path: Path, slack_mode: str) -> None:
    """Jumio takes two accounts a second here: a burst of /verify waits in SQLite for its slots while a photo dropped
    in an open thread goes straight to Jumio (before, the burst slept in every worker and the photo waited behind)."""
    async with LocalWorld(tmp_path, LocalOptions(socket_mode=slack_mode == "socket", account_rate=2.0)) as local:
        assert local.bot is not None
        world = World(local.slack, local.jumio, local.bot, local.env)
        execution, root = await world.start("CUST-OPEN")
        burst = [f"CUST-BURST-{i}" for i in range(8)]  # eight agents at once: one agent may start 5 a minute
        await asyncio.gather(*(world.slack.command(reference, user=f"UBURST{i}") for i, reference in enumerate(burst)))

        def started() -> int:
            return sum(1 for r in burst if (e := world.store.executions.for_customer(r)) and e[0].status == "INITIATED")

        await world.share(root, ("front.png", sample_photo("front")))
        await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id), timeout=10)
        assert started() <= len(burst) // 2  # the photo did not wait for the burst
        await wait_until(lambda: started() == len(burst), timeout=30)
        # Paced by slots, not by 429s: at most one (arrival jitter on a loaded machine), retried by the client.
        assert local.jumio.account_answers.count(429) <= 1


async def test_the_session_clock_is_said_once_after_the_first_photo(world: World) -> None:
    """Jumio ends an API session 15 minutes after its last upload (reference §8): once the first photo is in and
    more are to come, the thread says so, once."""
    _execution, root = await world.start("CUST-CLOCK")
    await world.share(root, ("front.png", sample_photo("front")))
    clock = await wait_until(lambda: [m for m in world.slack.thread(root.ts) if "ends this session" in m.text])
    assert "15 minutes without a new one" in clock[0].text and "New link" in clock[0].text
    await world.share(root, ("back.png", sample_photo("back")))
    await world.share(root, ("selfie.png", sample_photo("face")))
    await world.decided("CUST-CLOCK")
    await world.bot.runner.run_until_idle()
    assert len([m for m in world.slack.thread(root.ts) if "ends this session" in m.text]) == 1
