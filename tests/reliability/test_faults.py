"""Jumio and Slack misbehave; the journey completes without the agent, or says plainly what failed."""

from __future__ import annotations

import httpx
import pytest

from bot.local import consent_for
from bot.sandbox.images import sample_photo
from bot.sandbox.jumio import Fault
from bot.sandbox.slack import ApiFault
from tests.conftest import wait_until
from tests.world import World

THREE = (("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("face.png", sample_photo("face")))


async def _healthy(world: World) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"http://127.0.0.1:{world.bot.port}/healthz")).status_code == 200


@pytest.mark.parametrize(
    "faults",
    [
        [Fault(path_contains="/api/v1/accounts", method="POST", status=429, count=6)],
        [
            Fault(path_contains="/oauth2/token", status=503, count=3),
            Fault(path_contains="/parts/", status=502, count=3),
            Fault(path_contains="/status", status=500, count=2),
        ],
        [Fault(path_contains="/parts/", drop=True, status=None, count=3)],
        [Fault(path_contains="/workflow-executions/", method="PUT", drop=True, status=None, count=2)],
        # An outage of every Jumio API the bot may repeat: a paid account call whose connection drops is never
        # repeated on its own (tests/e2e/test_paid_transactions.py).
        [
            Fault(path_contains="/workflow-executions/", drop=True, status=None, duration=1.0),
            Fault(path_contains="/oauth2/token", drop=True, status=None, duration=1.0),
        ],
    ],
    ids=["429-burst", "5xx", "dropped-uploads", "dropped-finalize", "outage"],
)
async def test_jumio_faults_are_survived(world: World, faults: list[Fault]) -> None:
    for fault in faults:
        world.jumio.add_fault(fault)
    answer = await world.slack.command("CUST-FAULTS")
    assert "Starting" in answer["text"]
    execution = await wait_until(
        lambda: (e := world.store.executions.for_customer("CUST-FAULTS")) and e[0].status == "INITIATED" and e[0], timeout=20
    )
    root = next(m for m in world.slack.root_messages() if m.ts == execution.thread_ts)
    await world.share(root, *THREE)  # before the customer's consent: checked and held
    await consent_for(world.slack, world.store, "CUST-FAULTS", timeout=20)
    decided = await world.decided("CUST-FAULTS", timeout=20)
    assert decided.decision_type == "PASSED" and decided.api_consent is not None
    assert not any(":warning:" in m.text for m in world.slack.thread(root.ts))
    # One account; its first execution (the Web Client link) and the one made with the consent, nothing twice.
    assert len({e.account_id for e in world.jumio.executions.values() if e.customer_reference == "CUST-FAULTS"}) == 1
    assert sum(1 for e in world.jumio.executions.values() if e.customer_reference == "CUST-FAULTS") == 2
    await _healthy(world)


async def test_jumio_timing_out_is_survived(world: World) -> None:
    world.bot.journey.jumio.timeout = 0.3
    world.jumio.add_fault(Fault(path_contains="/parts/", status=None, delay=0.6, count=2))
    _execution, root = await world.start("CUST-SLOW")
    await world.share(root, *THREE)
    decided = await world.decided("CUST-SLOW", timeout=20)
    assert decided.decision_type == "PASSED"


async def test_oauth_token_expiring_mid_journey(world: World) -> None:
    execution, root = await world.start("CUST-OAUTH")
    await world.share(root, THREE[0])
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id))
    world.jumio.revoke_oauth_tokens()  # Jumio no longer accepts the cached token
    await world.share(root, *THREE[1:])
    decided = await world.decided("CUST-OAUTH")
    assert decided.decision_type == "PASSED"
    assert sum(1 for _, p, _ in world.jumio.calls if p == "/oauth2/token") == 2


async def test_when_retries_run_out_the_thread_says_so_and_retry_works(world: World) -> None:
    execution, root = await world.start("CUST-GIVEUP")
    world.jumio.add_fault(Fault(path_contains="/parts/", status=503, count=10_000))
    await world.share(root, THREE[0])
    failed = await wait_until(
        lambda: next((m for m in world.slack.thread(root.ts) if ":warning:" in m.text), None), timeout=30
    )
    assert "Sending the photo to Jumio failed" in failed.text and "server error" in failed.text
    assert "retry_job" in failed.all_text()
    assert world.store.uploads.of_execution(execution.id)[0].state == "claimed"  # kept, not dropped
    world.jumio.faults.clear()
    job_id = next(e["value"] for b in failed.blocks if b["type"] == "actions" for e in b["elements"])
    await world.slack.click("retry_job", job_id, message=failed)
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id), timeout=10)
    assert "retry" in [e.action for e in world.store.audit.trail(execution.id)]


async def test_account_creation_failing_for_good_offers_retry(world: World) -> None:
    world.jumio.add_fault(Fault(path_contains="/api/v1/accounts", method="POST", status=429, count=10_000))
    await world.slack.command("CUST-NOACCOUNT")
    failed = await wait_until(
        lambda: next(
            (m for root in world.slack.root_messages() for m in world.slack.thread(root.ts) if ":warning:" in m.text), None
        ),
        timeout=30,
    )
    assert "Creating the Jumio account failed" in failed.text
    assert world.execution("CUST-NOACCOUNT").status == "FAILED"
    world.jumio.faults.clear()
    job_id = next(e["value"] for b in failed.blocks if b["type"] == "actions" for e in b["elements"])
    await world.slack.click("retry_job", job_id, message=failed)
    await wait_until(lambda: world.execution("CUST-NOACCOUNT").status == "INITIATED", timeout=10)


async def test_a_sweep_check_that_fails_stays_quiet_and_the_next_sweep_asks_again(world: World) -> None:
    """During a Jumio outage the sweep's checks give up without a message in every open thread."""
    world.without_callbacks()
    execution, root = await world.start("CUST-SWEEP-DOWN", consent=False)
    await world.complete_on_web("CUST-SWEEP-DOWN")
    world.jumio.add_fault(Fault(path_contains="/status", status=503, count=10_000))
    await wait_until(lambda: world.bot.journey.enqueue_sweep() == 1)
    await wait_until(
        lambda: any(job.kind == "check_status" and job.state == "dead" for job in world.store.jobs.listed()), timeout=20
    )
    assert "job_failed" in [e.action for e in world.store.audit.trail(execution.id)]
    assert not any(":warning:" in m.text for m in world.slack.thread(root.ts))
    world.jumio.faults.clear()
    await wait_until(lambda: world.bot.journey.enqueue_sweep() == 1)
    decided = await world.decided("CUST-SWEEP-DOWN")
    assert decided.decision_type == "PASSED"


async def test_slack_429_with_retry_after_and_5xx(world: World) -> None:
    world.slack.faults += [
        ApiFault("chat.postMessage", status=429, retry_after=1, count=1),
        ApiFault("chat.update", status=503, count=1),
    ]
    _execution, root = await world.start("CUST-SLACK-FAULTS")
    await world.share(root, *THREE)
    await world.decided("CUST-SLACK-FAULTS")
    await wait_until(lambda: any(m.text.startswith("Jumio decision") for m in world.slack.thread(root.ts)))
    assert [m for m, _ in world.slack.state.calls].count("chat.postMessage") >= 2
    await _healthy(world)


@pytest.mark.parametrize("moment", ["decision", "last photo"])
async def test_slack_failing_after_jumio_answered_loses_no_step_and_no_message(world: World, moment: str) -> None:
    """Slack answers 503 to every post for a while (beyond slack_sdk's own retries) just when Jumio has answered:
    the journey goes on without Slack, and the message arrives once Slack is back."""
    world.jumio.config.hold_decisions = True
    execution, root = await world.start("CUST-SLACK-DOWN")
    down = [ApiFault("chat.postMessage", status=503, count=3), ApiFault("chat.update", status=503, count=3)]
    if moment == "last photo":
        await world.share(root, *THREE[:2])
        await wait_until(lambda: {"FRONT", "BACK"} <= world.store.uploads.parts_done(execution.id))
        world.slack.faults += down
        await world.share(root, THREE[2])
        # Jumio has the selfie and the verification is submitted, even though the thread could not be told yet
        # (slack_sdk's own retries of each refused call take up to 3.5 s first).
        await wait_until(lambda: world.execution("CUST-SLACK-DOWN").status == "ACQUIRED", timeout=15)
    else:
        await world.share(root, *THREE)
        await wait_until(
            lambda: (
                world.execution("CUST-SLACK-DOWN").status == "ACQUIRED" and "Submitted to Jumio" in world.thread_text(root)
            )
        )
        world.slack.faults += down
    world.jumio.config.hold_decisions = False
    decided = await world.decided("CUST-SLACK-DOWN")
    assert decided.decision_type == "PASSED"
    await wait_until(lambda: "Jumio's decision" in world.thread_text(root), timeout=15)
    if moment == "last photo":  # the message Slack refused at first arrives, later
        await wait_until(lambda: "Selfie sent to Jumio" in world.thread_text(root), timeout=15)
    assert world.jumio.executions[execution.workflow_execution_id].finalize_calls == 1
    await wait_until(lambda: "PASSED" in next(m for m in world.slack.root_messages() if m.ts == root.ts).text, timeout=15)
    assert not any(":warning:" in m.text for m in world.slack.thread(root.ts))


async def test_slack_channel_not_found(world: World) -> None:
    world.slack.faults.append(ApiFault("chat.postMessage", error="channel_not_found", count=1))
    await world.slack.command("CUST-NOCHANNEL")
    response = await wait_until(lambda: world.slack.state.responses and world.slack.state.responses[-1])
    assert "cannot see that channel" in response["text"]
    assert world.execution("CUST-NOCHANNEL").status == "FAILED"
    assert world.jumio.executions == {}


@pytest.mark.parametrize(
    ("setup", "words"), [("vanished", "no longer in Slack"), ("html", "web page"), ("stub", "no longer in Slack")]
)
async def test_slack_file_problems(world: World, setup: str, words: str) -> None:
    execution, root = await world.start("CUST-FILES")
    file = world.slack.add_file("front.png", sample_photo("front"))
    event = world.slack.file_share_event([file], thread_ts=root.ts)
    if setup == "vanished":
        file.deleted = True
    elif setup == "html":
        file.serve_html = True
    else:  # a Slack Connect stub: no URLs in the event, and files.info says the file is gone
        event["files"] = [{"id": file.id, "mode": "file_access", "file_access": "check_file_info"}]
        event["text"] = "front"
        file.deleted = True
    await world.slack.event(event)
    reply = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if ":no_entry:" in m.text), None))
    assert words in reply.text
    assert world.jumio_parts(execution) == {}
    await _healthy(world)


async def test_slack_connect_stub_is_resolved_with_files_info(world: World) -> None:
    execution, root = await world.start("CUST-STUB")
    file = world.slack.add_file("front.png", sample_photo("front"))
    event = world.slack.file_share_event([file], thread_ts=root.ts)
    event["files"] = [{"id": file.id, "mode": "file_access", "file_access": "check_file_info"}]
    await world.slack.event(event, event_id="EvSTUB")
    question = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "Which photo" in m.text), None))
    upload = world.store.uploads.of_execution(execution.id)[0]
    await world.slack.click("choose_part_front", f"{upload.id}:FRONT", message=question)
    await wait_until(lambda: "FRONT" in world.store.uploads.parts_done(execution.id))
    assert "files.info" in [m for m, _ in world.slack.state.calls]
