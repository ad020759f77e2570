"""No duplicate paid transactions: Jumio documents no idempotency (reference §8, §12), so an account create or update
whose answer is lost is never repeated on its own; a person retries knowingly, and an execution that turns up later
for a known account is deleted at Jumio, never shown. Played with the simulator's lost-answer mode."""

from __future__ import annotations

import contextlib

import pytest

from bot.local import consent_for
from bot.sandbox.images import sample_photo
from bot.sandbox.jumio import Fault
from tests.conftest import wait_until
from tests.world import World

pytestmark = pytest.mark.parametrize("slack_mode", ["http"], indirect=True)


def _executions_of(world: World, reference: str) -> list:
    return [e for e in world.jumio.executions.values() if e.customer_reference == reference]


async def _warning(world: World, thread_ts: str, words: str):
    return await wait_until(lambda: next((m for m in world.slack.thread(thread_ts) if words in m.text), None), timeout=15)


@pytest.mark.parametrize("lost", ["dropped", "timed out"])
async def test_a_lost_account_answer_is_one_paid_account_until_someone_retries(world: World, lost: str) -> None:
    world.bot.journey.jumio.timeout = 0.3
    world.jumio.add_fault(
        Fault(
            path_contains="/api/v1/accounts",
            method="POST",
            status=None,
            after=True,
            drop=lost == "dropped",
            delay=0.0 if lost == "dropped" else 0.6,
        )
    )
    await world.slack.command("CUST-LOST")
    execution = await wait_until(lambda: (e := world.store.executions.for_customer("CUST-LOST")) and e[0].thread_ts and e[0])
    notice = await _warning(world, execution.thread_ts, "answer was lost")
    assert "may have made the account" in notice.text and "Retry" in notice.all_text()
    assert len(_executions_of(world, "CUST-LOST")) == 1  # made once; the old client made a second one here
    assert world.links("CUST-LOST") == []  # nothing reached the customer
    assert world.execution("CUST-LOST").status == "FAILED"
    job_id = next(e["value"] for b in notice.blocks if b["type"] == "actions" for e in b["elements"])
    await world.slack.click("retry_job", job_id, message=notice)
    await wait_until(lambda: world.execution("CUST-LOST").status == "INITIATED", timeout=10)
    await wait_until(lambda: world.links("CUST-LOST"))
    assert len(_executions_of(world, "CUST-LOST")) == 2  # the second made knowingly, after Retry
    trail = [e.action for e in world.store.audit.trail(execution.id)]
    assert "answer_lost" in trail and "retry" in trail


async def test_a_lost_execution_turns_up_and_is_deleted_never_shown(world: World) -> None:
    """The consent's new execution (PUT /accounts/{id}) loses its answer; after Retry the first one, which Jumio did
    make, calls back when it expires: it is deleted at Jumio and never reaches the thread."""
    execution, root = await world.start("CUST-STRAY", consent=False)
    await world.share(root, ("front.png", sample_photo("front")))  # held: the consent link goes to the agent
    world.jumio.add_fault(
        Fault(path_contains=f"/api/v1/accounts/{execution.account_id}", method="PUT", status=None, after=True, drop=True)
    )
    with contextlib.suppress(TimeoutError):  # the customer consents; the execution made with it is lost
        await consent_for(world.slack, world.store, "CUST-STRAY", timeout=3)
    notice = await _warning(world, root.ts, "answer was lost")
    assert "may have made the new transaction" in notice.text
    stray = next(e for e in _executions_of(world, "CUST-STRAY") if world.store.executions.by_workflow_id(e.id) is None)
    job_id = next(e["value"] for b in notice.blocks if b["type"] == "actions" for e in b["elements"])
    await world.slack.click("retry_job", job_id, message=notice)
    api = await wait_until(
        lambda: (
            (e := world.store.executions.for_customer("CUST-STRAY"))
            and e[0].api_consent
            and e[0].workflow_execution_id
            and e[0]
        )
    )
    assert api.workflow_execution_id != stray.id
    await world.bot.runner.run_until_idle()
    said_before = len(world.slack.thread(root.ts))
    await world.jumio.expire(stray, "TOKEN_EXPIRED")  # Jumio calls back about the execution the bot never saw
    await wait_until(lambda: stray.deleted, timeout=10)
    await world.bot.runner.run_until_idle()
    assert "stray_deleted" in [e.action for e in world.store.audit.trail(api.id)] + [
        e.action for e in world.store.audit.trail(execution.id)
    ]
    assert stray.id not in "".join(world.slack.everything_said())
    assert len(world.slack.thread(root.ts)) == said_before  # nothing about it in the thread


async def test_a_forged_callback_for_a_known_account_deletes_nothing(world: World) -> None:
    import httpx

    execution, _root = await world.start("CUST-FORGED", consent=False)
    body = {
        "callbackSentAt": "2026-12-03T10:00:00.000Z",
        "workflowExecution": {
            "id": "00000000-0000-4000-8000-000000000000",
            "status": "PROCESSED",
            "definitionKey": "10011",
            "href": "https://x.invalid",
        },
        "account": {"id": execution.account_id, "href": "https://x.invalid"},
    }
    async with httpx.AsyncClient() as http:
        for _ in range(5):
            answer = await http.post(world.env["JUMIO_CALLBACK_URL"], json=body)
            assert answer.status_code == 200
    await world.bot.runner.run_until_idle()
    deletes = [c for c in world.jumio.calls if c[0] == "DELETE"]
    assert deletes == []  # Jumio said it has no such execution: nothing deleted, and one check, not five
    assert len([c for c in world.jumio.calls if c[1].endswith("00000000-0000-4000-8000-000000000000/status")]) == 1
