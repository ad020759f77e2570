"""The "Verify identity" step of Slack's Workflow Builder: a workflow runs `/verify` for a person in a channel, and
the step completes when Jumio decides (outputs: decision, verified, verification_url, execution_id) or fails with a
sentence a workflow author understands.

function_executed ──► begin: the step kept (its function token sealed), the verification started as `/verify` would
                      (or the refusal kept) ──► finish_step (a job) ──► functions.completeSuccess / completeError

Whatever ends the thread's verification (a decision, Jumio forgetting it, an erase, a start that gave up) queues
`finish_step`; an expiry queues it for later, since an agent may press New link meanwhile. The job reads the thread's
newest verification and completes the step once, with retries; a restart loses nothing, and a second delivery of the
same `function_executed` starts nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import slack_errors
from bot.blocks import audit
from bot.blocks import workflow_step as words
from bot.jobs import Abandon, Handler, JobKind
from bot.journey.context import SLACK_RETRIES, Context
from bot.jumio import DecisionType
from bot.slack_errors import SlackFailed
from storage import Execution, Status, WorkflowStep

log = logging.getLogger("bot.journey")

CALLBACK_ID = "verify_identity"  # the manifest's `functions` key
# Slack's answer when the step is no longer running (completed already, or the workflow was stopped): nothing to do.
NOT_RUNNING = "execution_not_in_running_state"
EXPIRED = (Status.TOKEN_EXPIRED, Status.SESSION_EXPIRED)


@dataclass(frozen=True)
class OfStep:
    step: str  # Slack's function_execution_id
    cause: str = ""  # what queued it (execution and status): one job per cause


FINISH_STEP = JobKind(
    "finish_step",
    OfStep,
    title="Completing the workflow step",
    dedupe=lambda p: f"finish_step:{p.step}:{p.cause or 'any'}",
    retry=SLACK_RETRIES,
)


@dataclass(frozen=True)
class Outcome:
    outputs: dict[str, Any] | None = None  # completeSuccess
    error: str | None = None  # completeError


def step_may_end(ctx: Context, execution: Execution) -> None:
    """The verification moved (decided, expired, forgotten, erased, gave up): queue the completion of each workflow
    step waiting on its thread; after an expiry, once New link has had its time. Inside the caller's transaction."""
    current = ctx.store.executions.get(execution.id)
    delay = ctx.options.step_waits_for_new_link if current.status in EXPIRED else 0.0
    for step in ctx.store.steps.running_in_thread(current):
        ctx.queue.add(FINISH_STEP, OfStep(step.function_execution_id, f"{current.id}:{current.status}"), delay=delay)


class Steps:
    def __init__(self, ctx: Context, start: Callable[..., Execution | None]) -> None:
        self.ctx = ctx
        self.start = start  # `Starting.start`: the verification a step starts is the one `/verify` starts

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {FINISH_STEP: self._finish}

    # --- intents ----------------------------------------------------------------------------------------------

    def begin(
        self,
        step_id: str,
        *,
        token: str | None,
        channel_id: str | None,
        requested_by: str | None,
        team_id: str | None,
        start: dict[str, Any] | None,
        refusal: str | None,
        audited: str | None = None,
    ) -> Execution | None:
        """A step Slack started: the verification started (`start`: `Journey.start`'s arguments) or the refusal
        kept (until Slack has it) and sent, in one transaction; `audited` is what the audit keeps of the refusal (no
        personal data: a refused input's words may repeat its value). None when this step was seen already, or was
        refused."""
        store = self.ctx.store
        with store.transaction():
            if not store.steps.record(step_id, channel_id=channel_id, requested_by=requested_by, token=token):
                return None
            if refusal is not None or start is None or requested_by is None or channel_id is None:
                store.steps.refused(step_id, refusal or words.NO_REQUESTER)
                store.audit.add(
                    requested_by or "workflow", audit.STEP_REFUSED, None, audit.Reason(audited or words.NO_REQUESTER)
                )
                self.ctx.queue.add(FINISH_STEP, OfStep(step_id, "refused"))
                return None
            execution = self.start(
                channel_id=channel_id, user_id=requested_by, team_id=team_id, once=f"function:{step_id}", **start
            )
            assert execution is not None  # the step id is new, so the start is too
            store.steps.started(step_id, execution.id)
            store.audit.add(requested_by, audit.STEP_STARTED, execution.id, "by a Workflow Builder step")
        return execution

    # --- jobs -------------------------------------------------------------------------------------------------

    async def _finish(self, payload: OfStep) -> None:
        store = self.ctx.store
        step = store.steps.get(payload.step)
        if step is None or step.completed_at is not None:
            return
        outcome = await self._outcome(step)
        if outcome is None:
            return  # still under way (an expiry a New link answered, say): a later change queues this again
        arguments: dict[str, Any] = {"function_execution_id": step.function_execution_id}
        token = store.steps.token(step.function_execution_id)
        if token:  # the function's own token (Slack gives one per execution); the bot token otherwise (UNCONFIRMED)
            arguments["token"] = token
        try:
            if outcome.outputs is not None:
                await self.ctx.slack.functions_completeSuccess(outputs=outcome.outputs, **arguments)
            else:
                await self.ctx.slack.functions_completeError(error=outcome.error or "", **arguments)
        except SlackApiError as exc:
            code = slack_errors.error_code(exc)
            if code != NOT_RUNNING:
                if slack_errors.is_transient(code):
                    raise SlackFailed(code) from None
                raise Abandon(f"Slack refused the step's completion: {code}", code=code) from None
            self._completed(step, "not running", f"Slack said the step was no longer running ({NOT_RUNNING})")
            return
        if outcome.outputs is not None:
            self._completed(step, "completed", json.dumps(outcome.outputs))
        else:
            self._completed(step, "failed", "failed")  # the sentence itself may repeat a refused input: not kept

    def _completed(self, step: WorkflowStep, how: str, completion: str) -> None:
        store = self.ctx.store
        with store.transaction():
            if store.steps.completed(step.function_execution_id, completion) and step.execution is not None:
                store.audit.add(audit.BOT, audit.STEP_COMPLETED, step.execution, audit.StepEnded(how))

    async def _outcome(self, step: WorkflowStep) -> Outcome | None:
        """What to tell Slack now, from the thread's newest verification; None while nothing is final."""
        if step.execution is None:
            return Outcome(error=step.refusal or words.NO_REQUESTER)
        store = self.ctx.store
        newest = store.executions.newest_in_its_thread(store.executions.get(step.execution))
        if newest.erased_by is not None or newest.status == Status.ERASED:
            return Outcome(error=words.ERASED)
        if newest.status == Status.GONE:
            return Outcome(error=words.GONE)
        if newest.status == Status.FAILED:
            return Outcome(error=words.failed(newest))
        if newest.status in EXPIRED:
            waited = store.clock() - (newest.completed_at or newest.updated_at)
            if waited + 1.0 < self.ctx.options.step_waits_for_new_link:
                return None
            return Outcome(error=words.expired(max(1, round(self.ctx.options.step_waits_for_new_link / 3600))))
        if newest.status != Status.PROCESSED:
            return None
        if not newest.decision_type:
            return Outcome(error=words.NO_DECISION)
        return Outcome(
            outputs={
                "decision": newest.decision_type,
                "verified": newest.decision_type == DecisionType.PASSED,
                "verification_url": await self._permalink(newest),
                "execution_id": newest.workflow_execution_id or "",
            }
        )

    async def _permalink(self, execution: Execution) -> str:
        """The root message's permalink (chat.getPermalink needs no scope); Slack failing now is retried."""
        try:
            answer = await self.ctx.slack.chat_getPermalink(
                channel=execution.channel_id, message_ts=execution.thread_ts or ""
            )
        except SlackApiError as exc:
            code = slack_errors.error_code(exc)
            if slack_errors.is_transient(code):
                raise SlackFailed(code) from None
            log.warning("no permalink for the workflow step's output: %s", code)
            return ""  # the root message is gone: the decision still completes the step
        return str(answer.get("permalink") or "")
