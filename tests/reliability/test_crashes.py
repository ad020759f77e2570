"""SIGKILL at chosen points, then a restart on the same database: nothing lost, nothing twice, nothing stuck."""

from __future__ import annotations

from bot.sandbox.images import png, sample_photo
from bot.sandbox.jumio import Fault
from storage import JobState
from tests.conftest import wait_until
from tests.reliability.conftest import ProcessWorld


async def _no_job_stuck(world: ProcessWorld) -> None:
    """Every job ends (done or dead) on its own: none stays running."""
    await wait_until(lambda: not [job for job in world.store.jobs.listed() if job.state == JobState.RUNNING], timeout=10)


async def test_killed_after_the_commands_ack_before_the_account_exists(pworld: ProcessWorld) -> None:
    # 429: refused unprocessed, so the bot keeps trying (a 5xx would not be repeated: Jumio may have made it).
    pworld.jumio.add_fault(Fault(path_contains="/api/v1/accounts", method="POST", status=429, count=10_000))
    first = await pworld.start_bot()
    answer = await pworld.slack.command("CUST-CRASH-A")
    assert "Starting" in answer["text"]
    await wait_until(lambda: any(p == "/api/v1/accounts" for _, p, _ in pworld.jumio.calls), timeout=10)
    await first.kill()
    assert pworld.execution("CUST-CRASH-A").status == "PENDING"
    pworld.jumio.faults.clear()

    await pworld.start_bot()
    execution = await wait_until(
        lambda: (e := pworld.execution("CUST-CRASH-A")) and e.status == "INITIATED" and e, timeout=20
    )
    assert sum(1 for e in pworld.jumio.executions.values() if e.customer_reference == "CUST-CRASH-A") == 1
    assert len([m for m in pworld.slack.root_messages() if "CUST-CRASH-A" in m.text]) == 1
    assert execution.account_id in pworld.jumio.accounts
    await wait_until(lambda: pworld.store.jobs.listed(kind="start")[0].state == JobState.DONE)
    await _no_job_stuck(pworld)


async def test_killed_after_an_upload_events_ack_before_the_download(pworld: ProcessWorld) -> None:
    first = await pworld.start_bot()
    execution, root = await pworld.started("CUST-CRASH-B")
    file = pworld.slack.add_file("front.png", sample_photo("front"))
    file.delay = 30.0  # Slack is slow to hand the file over
    status, _ = await pworld.slack.share([file], thread_ts=root.ts)
    assert status == 200
    await wait_until(
        lambda: any(j.state == JobState.RUNNING for j in pworld.store.jobs.listed(kind="relay_photo")), timeout=10
    )
    await first.kill()
    file.delay = 0.0

    await pworld.start_bot()
    await wait_until(lambda: "FRONT" in pworld.store.uploads.parts_done(execution.id), timeout=20)
    assert pworld.parts_at_jumio(execution) == {"FRONT": 1}
    await _no_job_stuck(pworld)


async def test_killed_mid_upload_to_jumio(pworld: ProcessWorld) -> None:
    first = await pworld.start_bot()
    execution, root = await pworld.started("CUST-CRASH-C")
    pworld.jumio.add_fault(Fault(path_contains="/parts/FRONT", status=None, delay=3.0, count=1))
    await pworld.slack.share([pworld.slack.add_file("front.png", sample_photo("front"))], thread_ts=root.ts)
    await wait_until(lambda: not pworld.jumio.faults, timeout=10)  # the bytes are on the wire to Jumio
    await first.kill()

    await pworld.start_bot()
    ask = await wait_until(
        lambda: next((m for m in pworld.slack.thread(root.ts) if "drop" in m.text and "again" in m.text), None), timeout=20
    )
    assert "front.png" in ask.text
    assert pworld.parts_at_jumio(execution).get("FRONT", 0) <= 1
    assert [u.state for u in pworld.store.uploads.of_execution(execution.id)] == ["uncertain"]
    # The agent sends it again: it goes through.
    again = pworld.slack.add_file("front.png", sample_photo("front"))
    await pworld.slack.share([again], thread_ts=root.ts)
    await wait_until(lambda: "FRONT" in pworld.store.uploads.parts_done(execution.id), timeout=20)
    await _no_job_stuck(pworld)


async def test_killed_after_the_upload_before_it_was_recorded(pworld: ProcessWorld) -> None:
    first = await pworld.start_bot()
    execution, root = await pworld.started("CUST-CRASH-D")
    pworld.jumio.add_fault(Fault(path_contains="/parts/FACE", after=True, delay=5.0, status=None, count=1))
    await pworld.slack.share([pworld.slack.add_file("selfie.png", sample_photo("face"))], thread_ts=root.ts)
    await wait_until(lambda: pworld.parts_at_jumio(execution).get("FACE") == 1, timeout=10)
    await first.kill()

    await pworld.start_bot()
    await wait_until(lambda: any("drop" in m.text and "again" in m.text for m in pworld.slack.thread(root.ts)), timeout=20)
    assert pworld.parts_at_jumio(execution) == {"FACE": 1}  # relayed once, never twice
    assert [u.state for u in pworld.store.uploads.of_execution(execution.id)] == ["uncertain"]
    await _no_job_stuck(pworld)


async def test_sigterm_lets_the_running_upload_finish(pworld: ProcessWorld) -> None:
    process = await pworld.start_bot()
    execution, root = await pworld.started("CUST-TERM")
    pworld.jumio.add_fault(Fault(path_contains="/parts/BACK", status=None, delay=1.5, count=1))
    await pworld.slack.share([pworld.slack.add_file("back.png", png(640, 400, noise_seed=3))], thread_ts=root.ts)
    await wait_until(lambda: not pworld.jumio.faults, timeout=10)
    code, elapsed = await process.terminate()
    assert code == 0 and elapsed < 12
    assert "BACK" in pworld.store.uploads.parts_done(execution.id)
    assert pworld.parts_at_jumio(execution) == {"BACK": 1}
    assert any("stopped" in line for line in process.lines)
    await _no_job_stuck(pworld)


async def test_killed_after_the_account_exists_before_the_link_was_sent(pworld: ProcessWorld) -> None:
    from bot.sandbox.slack import ApiFault

    pworld.slack.faults.append(ApiFault("chat.postEphemeral", delay=5.0, error="internal_error", count=1))
    first = await pworld.start_bot()
    await pworld.slack.command("CUST-CRASH-E")
    await wait_until(lambda: any(method == "chat.postEphemeral" for method, _ in pworld.slack.state.calls), timeout=10)
    execution = pworld.execution("CUST-CRASH-E")
    assert execution.status == "INITIATED"  # the account is recorded; the link is on its way
    await first.kill()

    await pworld.start_bot()
    links = await wait_until(
        lambda: [m for m in pworld.slack.ephemerals("UAGENT1") if "Only you can see" in m.text + str(m.blocks)], timeout=20
    )
    assert len(links) == 1
    assert sum(1 for e in pworld.jumio.executions.values() if e.customer_reference == "CUST-CRASH-E") == 1
    await _no_job_stuck(pworld)


async def test_killed_after_the_last_photo_was_recorded_before_the_submit_was_queued(pworld: ProcessWorld) -> None:
    from bot.sandbox.slack import ApiFault

    first = await pworld.start_bot()
    execution, root = await pworld.started("CUST-CRASH-F")
    two = [pworld.slack.add_file(f"{p}.png", sample_photo(p)) for p in ("front", "back")]
    await pworld.slack.share(two, thread_ts=root.ts)
    # Both relays finished (not only their messages): otherwise the slower one could be the one to see all three.
    await wait_until(
        lambda: [j.state for j in pworld.store.jobs.listed(kind="relay_photo")] == [JobState.DONE, JobState.DONE], timeout=10
    )
    # And their reminders to delete them from the thread are posted: the next message is the selfie's.
    await wait_until(
        lambda: sum("delete it from this thread" in m.text for m in pworld.slack.thread(root.ts)) == 2, timeout=10
    )
    pworld.slack.faults.append(ApiFault("chat.postMessage", delay=30.0, count=1))  # "Selfie sent" hangs
    await pworld.slack.share([pworld.slack.add_file("face.png", sample_photo("face"))], thread_ts=root.ts)
    await wait_until(lambda: not pworld.slack.faults and "FACE" in pworld.store.uploads.parts_done(execution.id), timeout=10)
    await first.kill()
    assert not pworld.store.jobs.listed(kind="finalize")  # died before the submit was queued

    await pworld.start_bot()
    decided = await wait_until(lambda: (e := pworld.execution("CUST-CRASH-F")) and e.is_final and e, timeout=20)
    assert decided.decision_type == "PASSED"
    assert pworld.jumio.executions[execution.workflow_execution_id or ""].finalize_calls == 1
    await _no_job_stuck(pworld)


async def test_killed_after_the_decision_was_recorded_before_it_was_posted(pworld: ProcessWorld) -> None:
    from bot.sandbox.slack import ApiFault

    first = await pworld.start_bot()
    execution, root = await pworld.started("CUST-CRASH-G")
    pworld.jumio.config.hold_decisions = True
    photos = [pworld.slack.add_file(f"{p}.png", sample_photo(p)) for p in ("front", "back", "face")]
    await pworld.slack.share(photos, thread_ts=root.ts)
    await wait_until(lambda: any("Submitted to Jumio" in m.text for m in pworld.slack.thread(root.ts)), timeout=15)
    # Each photo's reminder to delete it from the thread is posted too: all of them before the decision's message.
    await wait_until(
        lambda: sum("delete it from this thread" in m.text for m in pworld.slack.thread(root.ts)) == 3, timeout=15
    )
    pworld.slack.faults.append(ApiFault("chat.postMessage", delay=30.0, count=1))  # the decision's message hangs
    pworld.jumio.config.hold_decisions = False
    await wait_until(lambda: not pworld.slack.faults, timeout=10)
    assert pworld.execution("CUST-CRASH-G").decision_type == "PASSED"  # recorded, not yet in the thread
    await first.kill()

    await pworld.start_bot()
    await wait_until(lambda: any(m.text.startswith("Jumio decision") for m in pworld.slack.thread(root.ts)), timeout=20)
    await _no_job_stuck(pworld)
    assert execution.id == pworld.execution("CUST-CRASH-G").id
