"""The "Verify identity" Workflow Builder step: a workflow runs /verify for a person in a channel, and the step
completes with Jumio's decision (outputs Slack checks against the manifest) or fails with a sentence; the stand-in
plays Workflow Builder as strictly as Slack (the run's own token, outputs that match, one completion)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin import dead_jobs
from bot.journey.steps import CALLBACK_ID
from bot.local import LocalOptions, LocalWorld, consent_for
from bot.sandbox.images import sample_photo
from bot.sandbox.slack import ApiFault
from bot.sandbox.slack.workflows import StepRun
from tests.conftest import wait_until
from tests.world import World


async def _run(
    world: World, reference: str | None, *, channel: str = "CVERIFY", user: str | None = "UAGENT1", **more: Any
) -> StepRun:
    inputs = {"customer_reference": reference, "channel": channel, "requested_by": user, **more}
    return await world.slack.run_step(CALLBACK_ID, inputs)


async def _ended(world: World, run: StepRun) -> StepRun:
    await wait_until(lambda: run.state != "running", timeout=10)
    return run


@pytest.mark.parametrize("slack_mode", ["http", "socket"])
async def test_the_step_on_the_web_path_completes_with_the_decision(world: World) -> None:
    run = await _run(world, "CUST-FLOW-WEB")
    execution = await wait_until(
        lambda: (e := world.store.executions.for_customer("CUST-FLOW-WEB")) and e[0].status == "INITIATED" and e[0]
    )
    assert execution.started_by == "UAGENT1" and execution.channel_id == "CVERIFY"
    await wait_until(lambda: world.links("CUST-FLOW-WEB"))  # the link went to the person, privately
    assert run.state == "running"
    assert (await world.complete_on_web("CUST-FLOW-WEB")).status_code == 200
    await _ended(world, run)
    decided = world.execution("CUST-FLOW-WEB")
    assert run.state == "completed" and run.refused == []  # the stand-in held the outputs to the manifest
    assert run.outputs == {
        "decision": decided.decision_type,
        "verified": decided.decision_type == "PASSED",
        "verification_url": f"https://idv-test.slack.com/archives/CVERIFY/p{decided.thread_ts.replace('.', '')}",
        "execution_id": decided.workflow_execution_id,
    }
    # The customer's link is never an output, and the function's token is forgotten once Slack has the completion.
    assert "http" not in str(run.outputs).replace(run.outputs["verification_url"], "")
    await wait_until(lambda: world.store.steps.token(run.function_execution_id) is None)
    trail = [a.action for a in world.store.audit.trail(decided.id)]
    assert "step_started" in trail and "step_completed" in trail


async def test_the_step_on_the_photo_path_completes_with_the_decision(world: World) -> None:
    run = await _run(world, "CUST-FLOW-API")
    execution = await consent_for(world.slack, world.store, "CUST-FLOW-API")
    root = next(m for m in world.slack.root_messages() if m.ts == execution.thread_ts)
    await world.share(
        root, ("front.png", sample_photo("front")), ("back.png", sample_photo("back")), ("selfie.png", sample_photo("face"))
    )
    await _ended(world, run)
    decided = world.execution("CUST-FLOW-API")
    assert decided.id == execution.id and decided.status == "PROCESSED"
    assert run.state == "completed" and run.outputs is not None
    assert run.outputs["execution_id"] == execution.workflow_execution_id  # the consented execution Jumio decided
    assert run.outputs["decision"] == decided.decision_type and isinstance(run.outputs["verified"], bool)


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"customer_reference": "jane.doe@example.com"}, "email address"),
        ({"channel": "COTHER"}, "I am not in that channel"),
        ({"requested_by": None}, "needs the person it runs for"),
        ({"date_of_birth": "16/11/1972"}, "YYYY-MM-DD"),
    ],
)
async def test_a_step_with_bad_input_fails_at_once_and_starts_nothing(
    world: World, inputs: dict[str, Any], words: str
) -> None:
    given = {"customer_reference": "CUST-FLOW-BAD", "channel": "CVERIFY", "requested_by": "UAGENT1", **inputs}
    run = await world.slack.run_step(CALLBACK_ID, given)
    await _ended(world, run)
    assert run.state == "failed" and words in (run.error or ""), run.error
    assert world.store.executions.for_customer("CUST-FLOW-BAD") == [] and world.jumio.executions == {}
    assert "jane.doe" not in (run.error or "")  # a refusal never repeats personal data
    # What a refused input's words may repeat stays out of the audit, and the step's row forgets it once Slack has it.
    given_values = [str(v) for v in inputs.values() if v]
    assert not [e for e in world.store.audit.trail() for v in given_values if v in (e.detail or "")]
    await wait_until(lambda: (step := world.store.steps.get(run.function_execution_id)) and step.completed_at)
    step = world.store.steps.get(run.function_execution_id)
    assert step is not None and step.refusal is None and step.completion == "failed"


async def test_workflow_builder_refuses_a_step_without_its_required_inputs(world: World) -> None:
    with pytest.raises(AssertionError, match="customer_reference: required"):
        await _run(world, None)


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ALLOWED_USERS": "UAGENT1", "IDV_STARTS_PER_MINUTE": "1"}])
async def test_a_person_not_allowed_and_one_over_the_cap_are_refused(world: World) -> None:
    stranger = await _ended(world, await _run(world, "CUST-FLOW-WHO", user="USTRANGER"))
    assert stranger.state == "failed" and "may not start identity verifications" in (stranger.error or "")
    first = await _run(world, "CUST-FLOW-CAP-1")
    await wait_until(lambda: world.store.executions.for_customer("CUST-FLOW-CAP-1"))
    second = await _ended(world, await _run(world, "CUST-FLOW-CAP-2"))
    assert second.state == "failed" and "You started 1 verifications in the last minute" in (second.error or "")
    duplicate = await _ended(world, await _run(world, "CUST-FLOW-CAP-1", user="UAGENT1"))
    assert duplicate.state == "failed"
    assert world.store.executions.for_customer("CUST-FLOW-CAP-2") == []
    assert len(world.store.executions.for_customer("CUST-FLOW-CAP-1")) == 1 and first.state == "running"


async def test_an_open_verification_of_the_customer_fails_the_step(world: World) -> None:
    await world.start("CUST-FLOW-OPEN", consent=False)
    run = await _ended(world, await _run(world, "CUST-FLOW-OPEN", user="UAGENT2"))
    assert run.state == "failed" and "CUST-FLOW-OPEN already has an open verification" in (run.error or "")
    assert len(world.store.executions.for_customer("CUST-FLOW-OPEN")) == 1


async def test_an_expiry_nobody_renews_fails_the_step_and_a_new_link_keeps_it_running(world: World) -> None:
    world.bot.journey.options = dataclasses.replace(world.bot.journey.options, step_waits_for_new_link=1.0)
    renewed = await _run(world, "CUST-FLOW-RENEW")
    abandoned = await _run(world, "CUST-FLOW-LAPSE")
    for reference in ("CUST-FLOW-RENEW", "CUST-FLOW-LAPSE"):
        execution = await wait_until(
            lambda r=reference: (e := world.store.executions.for_customer(r)) and e[0].status == "INITIATED" and e[0]
        )
        await world.jumio.expire(world.jumio.executions[execution.workflow_execution_id], "TOKEN_EXPIRED")
    expired = world.execution("CUST-FLOW-RENEW")
    root = next(m for m in world.slack.root_messages() if m.ts == expired.thread_ts)
    expiry = await wait_until(lambda: next((m for m in world.slack.thread(root.ts) if "expired" in m.text), None))
    await world.slack.click("new_link", str(expired.id), user="UAGENT1", message=expiry)
    await wait_until(lambda: len(world.links("CUST-FLOW-RENEW")) == 2)
    await _ended(world, abandoned)
    assert abandoned.state == "failed" and "expired and nobody sent them a new one" in (abandoned.error or "")
    await world.bot.runner.run_until_idle()
    assert renewed.state == "running"  # the New link's execution is still the customer's
    assert (await world.complete_on_web("CUST-FLOW-RENEW")).status_code == 200
    await _ended(world, renewed)
    assert renewed.state == "completed" and renewed.outputs is not None
    assert renewed.outputs["execution_id"] == world.execution("CUST-FLOW-RENEW").workflow_execution_id


@pytest.mark.parametrize("bot_env_extra", [{"IDV_ADMINS": "UADMIN"}])
async def test_an_erase_fails_the_step(world: World) -> None:
    run = await _run(world, "CUST-FLOW-ERASE")
    await wait_until(lambda: world.links("CUST-FLOW-ERASE"))
    await world.slack.command("erase CUST-FLOW-ERASE", user="UADMIN")
    view = await wait_until(
        lambda: next((v for v in world.slack.views_for("UADMIN") if v.get("callback_id") == "erase_customer"), None)
    )
    await world.slack.submit_view(view, {}, user="UADMIN")
    await _ended(world, run)
    assert run.state == "failed" and "erased" in (run.error or "")


async def test_jumio_forgetting_the_verification_fails_the_step(world: World) -> None:
    run = await _run(world, "CUST-FLOW-GONE")
    execution = await wait_until(
        lambda: (e := world.store.executions.for_customer("CUST-FLOW-GONE")) and e[0].status == "INITIATED" and e[0]
    )
    world.jumio.executions[execution.workflow_execution_id].deleted = True  # deleted in Jumio's portal
    world.bot.journey.callback(execution, "PROCESSED")  # a callback prompts a status check: Jumio answers 404
    await _ended(world, run)
    assert run.state == "failed" and "Jumio no longer has this verification" in (run.error or "")


async def test_a_second_delivery_starts_nothing_and_a_second_completion_is_refused(world: World) -> None:
    run = await _run(world, "CUST-FLOW-TWICE")
    await wait_until(lambda: world.links("CUST-FLOW-TWICE"))
    await world.slack.deliver_step(run)  # Slack delivers function_executed again (another event id)
    await world.bot.runner.run_until_idle()
    assert len(world.store.executions.for_customer("CUST-FLOW-TWICE")) == 1
    assert len([m for m in world.slack.root_messages() if "CUST-FLOW-TWICE" in m.text]) == 1
    assert len(world.links("CUST-FLOW-TWICE")) == 1
    assert (await world.complete_on_web("CUST-FLOW-TWICE")).status_code == 200
    await _ended(world, run)
    slack = AsyncWebClient(token=run.token, base_url=f"{world.slack.base_url}/api/")
    with pytest.raises(SlackApiError) as again:
        await slack.functions_completeError(function_execution_id=run.function_execution_id, error="again")
    assert again.value.response["error"] == "execution_not_in_running_state" and run.state == "completed"


async def test_the_stand_in_holds_completions_to_the_manifest(world: World) -> None:
    run = await _run(world, "CUST-FLOW-STRICT")
    bot = AsyncWebClient(token=world.env["SLACK_BOT_TOKEN"], base_url=f"{world.slack.base_url}/api/")
    own = AsyncWebClient(token=run.token, base_url=f"{world.slack.base_url}/api/")
    fx = run.function_execution_id
    answers = []
    for client, outputs in (
        (bot, {"decision": "PASSED", "verified": True, "verification_url": "", "execution_id": ""}),
        (own, {"decision": "PASSED", "verified": "yes", "verification_url": "", "execution_id": ""}),
        (own, {"decision": "PASSED", "verified": True, "execution_id": ""}),
        (
            own,
            {
                "decision": "PASSED",
                "verified": True,
                "verification_url": "",
                "execution_id": "",
                "link": "https://jumio.example/web",
            },
        ),
    ):
        with pytest.raises(SlackApiError) as refused:
            await client.functions_completeSuccess(function_execution_id=fx, outputs=outputs)
        answers.append(refused.value.response["error"])
    assert answers == [
        "invalid_auth",
        "parameter_validation_failed",
        "parameter_validation_failed",
        "parameter_validation_failed",
    ]
    assert run.state == "running"


async def test_a_completion_slack_refuses_is_retried_then_shown_in_the_jobs(world: World) -> None:
    world.slack.faults.append(ApiFault("functions.completeError", error="internal_error", count=2))
    retried = await _ended(world, await _run(world, "bad@example.com"))
    assert retried.state == "failed"  # after two transient refusals
    world.slack.faults.append(ApiFault("functions.completeError", error="invalid_arguments", count=1))
    await _run(world, "other@example.com")
    await world.bot.runner.run_until_idle()
    dead = await wait_until(lambda: [j for j in dead_jobs(world.store) if j.kind == "finish_step"])
    assert "Slack refused the step's completion: invalid_arguments" in dead[0].reason


async def test_a_restart_between_start_and_decision_loses_nothing(tmp_path: Path) -> None:
    async with LocalWorld(tmp_path, LocalOptions()) as local:
        assert local.bot is not None and local.bot.store is not None
        run = await local.slack.run_step(
            CALLBACK_ID, {"customer_reference": "CUST-FLOW-RESTART", "channel": "CVERIFY", "requested_by": "UAGENT1"}
        )
        store = local.bot.store
        await wait_until(lambda: (e := store.executions.for_customer("CUST-FLOW-RESTART")) and e[0].status == "INITIATED")
        await local.bot.stop(grace=2.0)
        local.bot = None
        restarted = await local.start_bot()
        assert restarted.store is not None
        world = World(local.slack, local.jumio, restarted, local.env)
        await wait_until(lambda: world.links("CUST-FLOW-RESTART"))
        assert (await world.complete_on_web("CUST-FLOW-RESTART")).status_code == 200
        await _ended(world, run)
        assert run.state == "completed" and run.outputs is not None
        assert run.outputs["execution_id"] == world.execution("CUST-FLOW-RESTART").workflow_execution_id
