"""Callback amplification: forged callbacks for a known execution cannot multiply Jumio retrievals or audit rows."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.world import World


def _retrievals(world: World, execution_id: str) -> int:
    return sum(1 for method, path, _ in world.jumio.calls if method == "GET" and execution_id in path)


async def _forge(world: World, execution_id: str, count: int, status: str = "PROCESSED") -> None:
    body = {"workflowExecution": {"id": execution_id, "status": status}, "account": {"id": "forged"}}
    async with httpx.AsyncClient() as http:
        for start in range(0, count, 100):
            answers = await asyncio.gather(
                *(
                    http.post(f"http://127.0.0.1:{world.bot.port}/jumio/callback", json=body)
                    for _ in range(min(100, count - start))
                )
            )
            assert all(answer.status_code == 200 for answer in answers)


async def test_a_thousand_forged_callbacks_cause_at_most_one_retrieval(world: World) -> None:
    execution, _root = await world.start("CUST-FLOOD", consent=False)
    await world.bot.runner.run_until_idle()
    before = _retrievals(world, execution.workflow_execution_id or "")
    started = time.monotonic()
    await _forge(world, execution.workflow_execution_id or "", 1000)
    took = time.monotonic() - started
    await world.bot.runner.run_until_idle()
    assert _retrievals(world, execution.workflow_execution_id or "") - before <= 1  # was 1,000
    callbacks = [e for e in world.store.audit.trail(execution.id) if e.action == "callback"]
    assert len(callbacks) == 1  # was 1,000 rows
    assert world.store.executions.get(execution.id).status == "INITIATED"  # the body is never trusted
    assert took < 30


async def test_callbacks_for_a_final_execution_cause_no_retrieval_and_no_audit_row(world: World) -> None:
    await world.start("CUST-DONE", consent=False)
    assert (await world.complete_on_web("CUST-DONE")).status_code == 200
    final = await world.decided("CUST-DONE")
    await world.bot.runner.run_until_idle()
    audit_before = len(world.store.audit.trail(final.id))
    before = _retrievals(world, final.workflow_execution_id or "")
    await _forge(world, final.workflow_execution_id or "", 200)
    await world.bot.runner.run_until_idle()
    assert _retrievals(world, final.workflow_execution_id or "") == before
    assert len(world.store.audit.trail(final.id)) == audit_before
