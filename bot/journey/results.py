"""Results: polls after the submit, callbacks, the status sweep, and the decision (or expiry) in the thread.

finalize ──► poll on IDV_POLL_SCHEDULE ──┐                 PROCESSED ──► GET details ──► result recorded
callback ──► fetch_result ───────────────┼─► GET status ─┤ TOKEN_/SESSION_EXPIRED ──► expiry recorded (no details)
sweep ──► check_status ──────────────────┘                 ACQUIRED (not submitted here) ──► "submitted on the web"
                                                       report_result ──► thread (decision, or expiry + New link), root

Jumio's word is read from the status endpoint, never from a callback's body (an intermediate ACQUIRED callback comes
before PROCESSED), and details are fetched only once the status says PROCESSED: Jumio has none before, nor for an
expired transaction (D-RETR, reference §6, §12). Only the status endpoint's 404 means Jumio no longer has it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.blocks import audit
from bot.jobs import Failure, Handler, JobKind, RetryPolicy
from bot.journey.context import JUMIO_RETRIES, Context, OfExecution, local_status
from bot.journey.delivery import Delivery
from bot.journey.steps import step_may_end
from bot.jumio import ExecutionDetails, NotFound
from storage import JUMIO_FINAL_STATUSES, Execution, Status

log = logging.getLogger("bot.journey")

# After Jumio's ten polls (reference §6), the sweep asks about a submitted verification less and less often, and
# stops after this many days with a word in the thread (a late callback is still taken).
SWEEP_GIVES_UP_AFTER_DAYS = 3
SLOWEST_SWEEP = 6 * 3600.0
CALLBACK_AUDIT_SECONDS = 60.0
# Callbacks are unauthenticated: each one may cost a Jumio retrieval (the tenant's limit is shared), so an execution
# is fetched at most once in this time because of them. The poll schedule and the sweep ask on their own anyway.
CALLBACK_FETCH_SECONDS = 15.0


@dataclass(frozen=True)
class Poll:
    execution: int
    attempt: int  # the index in IDV_POLL_SCHEDULE


POLL = JobKind(
    "poll", Poll, title="Checking Jumio's status", dedupe=lambda p: f"poll:{p.execution}:{p.attempt}", retry=JUMIO_RETRIES
)
# A check by the sweep: the next sweep asks again, so a failure is not worth a message in every open thread.
CHECK_STATUS = JobKind(
    "check_status", OfExecution, title="Checking Jumio's status", retry=RetryPolicy(attempts=3), tell_when_dead=False
)
# A callback's job: the status first, the details only once PROCESSED (the kind's name predates that order).
FETCH_RESULT = JobKind("fetch_result", OfExecution, title="Fetching Jumio's decision", retry=JUMIO_RETRIES)
REPORT_RESULT = JobKind(
    "report_result",
    OfExecution,
    title="Posting Jumio's decision",
    dedupe=lambda p: f"report_result:{p.execution}",
    retry=JUMIO_RETRIES,
)


class DetailsNotReady(Failure):
    """Jumio's status says PROCESSED and its details do not yet: worth asking again shortly."""


class Results:
    def __init__(self, ctx: Context, delivery: Delivery) -> None:
        self.ctx = ctx
        self.delivery = delivery

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {
            POLL: self._poll,
            CHECK_STATUS: self._check_status,
            FETCH_RESULT: self._fetch_result,
            REPORT_RESULT: self._report_result,
        }

    # --- intents ----------------------------------------------------------------------------------------------

    def callback(self, execution: Execution, status: str) -> None:
        """Jumio called back: the body is never trusted for the outcome, it only prompts a fetch. However many
        arrive (forged ones too), an execution has at most one fetch waiting and gets at most one every
        CALLBACK_FETCH_SECONDS (a callback within that time is answered by the next one); a final execution causes
        none and no audit row; the same word from Jumio is audited at most once a minute."""
        if execution.is_final:
            return
        store = self.ctx.store
        detail = audit.Said(status)
        now = store.clock()
        with store.transaction():
            if not store.audit.since(execution.id, audit.CALLBACK, detail, now - CALLBACK_AUDIT_SECONDS):
                store.audit.add(audit.JUMIO, audit.CALLBACK, execution.id, detail)
            if store.jobs.has_queued(FETCH_RESULT.name, execution.id):
                return
            last = store.jobs.last_added(FETCH_RESULT.name, execution.id)
            wait = 0.0 if last is None else max(0.0, last + CALLBACK_FETCH_SECONDS - now)
            self.ctx.queue.add(FETCH_RESULT, OfExecution(execution.id), delay=wait)

    def fetch_later(self, execution: Execution) -> None:
        self.ctx.queue.add(FETCH_RESULT, OfExecution(execution.id))

    def schedule_poll(self, execution: Execution, attempt: int) -> None:
        schedule = self.ctx.options.poll_schedule
        if attempt < len(schedule):
            self.ctx.queue.add(POLL, Poll(execution.id, attempt), delay=schedule[attempt])

    def enqueue_sweep(self, limit: int = 100) -> int:
        """Queue a status check of each execution still waiting for Jumio whose turn has come, since no callback may
        ever come: a young one every few seconds, an old one about every quarter of an hour (the poll schedule's
        first and last step), each right after its link expires, and a submitted one once its polls are over."""
        schedule = self.ctx.options.poll_schedule
        store = self.ctx.store
        give_up_after = SWEEP_GIVES_UP_AFTER_DAYS * 86400.0
        with store.transaction():
            due = store.executions.claim_status_checks(
                shortest=schedule[0],
                longest=schedule[-1],
                polled_for=sum(schedule),
                limit=limit,
                callbacks=self.ctx.options.callback_url is not None,
                give_up_after=give_up_after,
                slowest=max(SLOWEST_SWEEP, schedule[-1]),
            )
            for execution in due:
                self.ctx.queue.add(CHECK_STATUS, OfExecution(execution.id))
            for execution in store.executions.claim_given_up_checks(give_up_after):
                store.audit.add(audit.BOT, audit.SWEEP_GAVE_UP, execution.id, f"no decision after {give_up_after:.0f} s")
                self.delivery.say_in_thread_later(
                    execution, blocks.stopped_asking(execution.customer_ref, SWEEP_GIVES_UP_AFTER_DAYS)
                )
        return len(due)

    # --- jobs -------------------------------------------------------------------------------------------------

    async def forgotten(self, execution: Execution) -> None:
        """Jumio answered 404 for the execution (deleted in Jumio's portal, or a simulator restarted): it cannot be
        finished, so it is final, the thread says what to do, and nobody asks Jumio about it again."""
        store = self.ctx.store
        with store.transaction():
            gone = store.executions.record_gone(execution.id)
            store.secrets.forget_supporting_data(execution.id)
            if gone:
                store.audit.add(audit.JUMIO, audit.NOT_FOUND, execution.id, "Jumio answered 404; the verification ended")
                step_may_end(self.ctx, execution)
        if gone:
            holder = [execution.started_by]  # the link's holder hears that it is dead
            message = blocks.jumio_forgot(execution.customer_ref, holder)
            await self.delivery.say_in_thread(execution, message)
            await self.delivery.tell_those_not_in_the_channel(execution, holder, message)
            await self.delivery.redraw_root(execution)

    async def _ask_status(self, execution: Execution) -> Status | None:
        """Jumio's status of a waiting execution: PROCESSED is fetched and reported, an expiry is reported from the
        status alone, ACQUIRED is recorded; the status endpoint's 404 means Jumio no longer has it (GONE)."""
        try:
            answer = await self.ctx.jumio.get_status(execution.account_id or "", execution.workflow_execution_id or "")
        except NotFound:
            await self.forgotten(execution)
            return Status.GONE
        status = local_status(answer.status)
        if status == Status.PROCESSED:
            await self._fetch_and_report(execution)
        elif status in JUMIO_FINAL_STATUSES:
            assert status is not None
            self._record(execution, status, None)
        elif status == Status.ACQUIRED:
            await self._submitted_on_web(execution)
        return status

    async def _submitted_on_web(self, execution: Execution) -> bool:
        """Jumio has the customer's photos of a verification the bot did not submit: the customer finished on
        Jumio's page. Recorded and said in the thread once; False when it was known already."""
        store = self.ctx.store
        with store.transaction():
            if store.executions.get(execution.id).status != Status.INITIATED:
                return False
            store.executions.record_status(execution.id, Status.ACQUIRED)
            store.secrets.forget_supporting_data(execution.id)  # this execution is the one Jumio processes: it has it
            store.audit.add(audit.CUSTOMER, audit.SUBMITTED_ON_WEB, execution.id, "Jumio has the photos from its page")
            self.delivery.say_in_thread_later(execution, blocks.submitted_on_web(store.clock()))
        await self.delivery.redraw_root(execution)
        return True

    async def _poll(self, payload: Poll) -> None:
        execution = self.ctx.store.executions.get(payload.execution)
        if execution.is_final or not execution.workflow_execution_id:
            return
        if await self._ask_status(execution) in (*JUMIO_FINAL_STATUSES, Status.GONE):
            return
        schedule = self.ctx.options.poll_schedule
        if payload.attempt + 1 < len(schedule):
            self.schedule_poll(execution, payload.attempt + 1)
        else:
            await self.delivery.say_in_thread(
                execution,
                blocks.still_undecided(
                    execution.customer_ref, minutes=max(1, round(sum(schedule) / 60)), every=max(1, round(schedule[-1] / 60))
                ),
            )

    async def _check_status(self, payload: OfExecution) -> None:
        execution = self.ctx.store.executions.get(payload.execution)
        if execution.is_final or not execution.workflow_execution_id:
            return
        was = execution.status
        if await self._ask_status(execution) == Status.ACQUIRED and was == Status.INITIATED:
            self.schedule_poll(execution, 0)  # submitted on Jumio's page: its polls begin

    async def _fetch_result(self, payload: OfExecution) -> None:
        """After a callback: whatever it said, Jumio's status decides what happens (details only once PROCESSED)."""
        execution = self.ctx.store.executions.get(payload.execution)
        if execution.is_final or not execution.workflow_execution_id:
            return
        was = execution.status
        if await self._ask_status(execution) == Status.ACQUIRED and was == Status.INITIATED:
            self.schedule_poll(execution, 0)  # submitted on Jumio's page: its polls begin

    async def _fetch_and_report(self, execution: Execution) -> None:
        """The status said PROCESSED: the details, recorded and reported once."""
        try:
            details = await self.ctx.jumio.get_details(execution.account_id or "", execution.workflow_execution_id or "")
        except NotFound:
            # Not "gone": the status just said PROCESSED. Details can lag the status (UNCONFIRMED); the job tries
            # again, and a status 404 on that attempt is what ends the verification.
            raise DetailsNotReady("Jumio said PROCESSED but has no details yet") from None
        if local_status(details.status) != Status.PROCESSED:
            raise DetailsNotReady(f"Jumio's details say {details.status} after its status said PROCESSED")
        self._record(execution, Status.PROCESSED, details)

    def _record(self, execution: Execution, status: Status, details: ExecutionDetails | None) -> None:
        """The outcome and the duty to tell the thread, together, once: a decision (with its details) or an expiry
        (from the status alone: an expired transaction has no details)."""
        store = self.ctx.store
        decision_type = details.decision_type if details else None
        with store.transaction():
            stored = store.executions.record_result(
                execution.id,
                status=status,
                decision_type=decision_type,
                decision_label=details.decision_label if details else None,
                risk_score=details.risk_score if details else None,
                capabilities=[c.to_json() for c in details.capabilities] if details else [],
            )
            if status == Status.PROCESSED:
                store.secrets.forget_supporting_data(execution.id)  # kept through an expiry only (a New link takes it)
            if stored:
                store.after_commit(self.ctx.metrics.decisions.labels(decision_type or str(status)).inc)
                store.audit.add(
                    audit.JUMIO,
                    audit.RESULT,
                    execution.id,
                    audit.Outcome(status, decision_type or None, (details.decision_label if details else None) or None),
                )
                self.ctx.queue.add(REPORT_RESULT, OfExecution(execution.id))
                step_may_end(self.ctx, execution)

    async def _report_result(self, payload: OfExecution) -> None:
        """The decision, or the expiry with a New link button, in the thread; the root message shows it too."""
        execution = self.ctx.store.executions.get(payload.execution)
        # Mentioned, so Slack notifies them: for a decision the agent who started the verification and the link's
        # holder (if another); for an expiry the holder, who sends the customer a new link.
        if execution.status == Status.PROCESSED:
            notify = [self.ctx.store.executions.first_in_its_thread(execution).started_by, execution.started_by]
            message = blocks.result_message(execution, notify)
        else:
            notify = [execution.started_by]
            message = blocks.expired_message(execution, notify)
        await self.delivery.say_in_thread(execution, message)
        await self.delivery.tell_those_not_in_the_channel(execution, notify, message)
        await self.delivery.redraw_root(execution)
