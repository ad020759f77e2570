"""Erase and retention: a customer's data deleted at Jumio and reduced here to tombstones.

/verify erase ──► confirmation modal ──► erase: tombstones now, delete_account per Jumio account ──► each thread
                                              └─► erase_slack_file per photo still in a thread (connected agents)
daily ──► retention: verifications that ended IDV_RETENTION_DAYS ago reduced to tombstones

A tombstone keeps IDs, dates, status, decision and the audit trail (storage.privacy says what goes).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.blocks import audit
from bot.jobs import Abandon, Handler, JobKind, RetryPolicy
from bot.journey.cleanup import Cleanup
from bot.journey.context import JUMIO_RETRIES, SLACK_RETRIES, Context, OfExecution
from bot.journey.delivery import REDRAW_ROOT, Delivery
from bot.journey.steps import step_may_end
from bot.jumio import NotFound
from storage import ErasePlan, Execution

log = logging.getLogger("bot.journey")


@dataclass(frozen=True)
class DeleteAccount:
    account_id: str
    execution: int  # the account's newest erased execution: its thread hears how the deletion went
    by: str


@dataclass(frozen=True)
class Retention:
    day: str  # the UTC day it runs for: one run a day, however often it is queued


DELETE_ACCOUNT = JobKind(
    "delete_account",
    DeleteAccount,
    title="Deleting the customer's data at Jumio",
    dedupe=lambda p: f"delete_account:{p.account_id}",
    retry=JUMIO_RETRIES,
)
RETENTION = JobKind(
    "retention",
    Retention,
    title="Reducing ended verifications to tombstones",
    dedupe=lambda p: f"retention:{p.day}",
    retry=RetryPolicy(attempts=5),
    tell_when_dead=False,
)
# The bot's own messages in an erased verification's thread (the decision, its labels, file names) are edited down
# to a tombstone; what it says from the erase on stays. A message Slack will not let it edit is left.
TOMBSTONE_THREAD = JobKind(
    "tombstone_thread",
    OfExecution,
    title="Erasing the bot's messages in the thread",
    dedupe=lambda p: f"tombstone_thread:{p.execution}",
    retry=SLACK_RETRIES,
    tell_when_dead=False,
)
RETENTION_BATCH = 200
THREAD_PAGES = 10  # conversations.replies, 200 a page: a thread of 2,000 messages


SUPPORTING_DATA_AFTER_EXPIRY = 86400.0


class Erasing:
    def __init__(self, ctx: Context, delivery: Delivery, cleanup: Cleanup) -> None:
        self.ctx = ctx
        self.delivery = delivery
        self.cleanup = cleanup

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {DELETE_ACCOUNT: self._delete_account, RETENTION: self._retention, TOMBSTONE_THREAD: self._tombstone}

    # --- intents ----------------------------------------------------------------------------------------------

    def erase_plan(self, customer_ref: str) -> ErasePlan:
        return self.ctx.store.erasure.plan(customer_ref)

    def erase(self, customer_ref: str, by: str) -> ErasePlan:
        """Reduce the customer's verifications to tombstones and queue the deletion of each Jumio account; each
        thread says so and its root message shows "erased". One transaction; a second erase finds nothing left."""
        store = self.ctx.store
        with store.transaction():
            plan = store.erasure.plan(customer_ref)
            if not plan.to_erase and not plan.accounts:
                return plan
            store.erasure.reduce_to_tombstones([e.id for e in plan.to_erase], erased_by=by)
            self.cleanup.erase_photos(plan.slack_photos)  # after the reduce, which drops the executions' jobs
            for execution in plan.to_erase:
                store.audit.add(
                    by, audit.ERASED, execution.id, f"erased by {by}" + (" while in progress" if execution.is_open else "")
                )
                step_may_end(self.ctx, execution)
            for account_id in plan.accounts:
                newest = max(e.id for e in plan.to_erase + plan.erased_before if e.account_id == account_id)
                self._delete_account_at_jumio(DeleteAccount(account_id, newest, by))
            for execution in self._one_per_thread(plan.to_erase):
                pending = any(e.account_id for e in plan.to_erase if e.thread_ts == execution.thread_ts)
                by_hand = [p for p in plan.photos_by_hand if p.thread_ts == execution.thread_ts]
                self.delivery.say_in_thread_later(
                    execution,
                    blocks.erased_in_thread(
                        by,
                        pending,
                        any(e.is_open for e in plan.to_erase if e.thread_ts == execution.thread_ts),
                        photos_by_hand=len(by_hand),
                    ),
                )
                self.ctx.queue.add(REDRAW_ROOT, OfExecution(execution.id))
                self.ctx.queue.add(TOMBSTONE_THREAD, OfExecution(execution.id))
        return plan

    async def _tombstone(self, payload: OfExecution) -> None:
        """Edit the bot's messages in the thread, posted before the erase, down to one line (the root message is
        redrawn as erased by its own job). Editing twice changes nothing."""
        execution = self.ctx.store.executions.get(payload.execution)
        if not execution.thread_ts or execution.reduced_at is None:
            return
        text, body = blocks.thread_message_erased()
        cursor = None
        for _page in range(THREAD_PAGES):
            answer = await self.delivery.slack(
                "conversations_replies", channel=execution.channel_id, ts=execution.thread_ts, limit=200, cursor=cursor
            )
            for message in answer.get("messages") or []:
                ts = str(message.get("ts") or "")
                if not message.get("bot_id") or ts == execution.thread_ts or message.get("text") == text:
                    continue
                if float(ts or 0) >= execution.reduced_at:
                    continue  # said from the erase on: it stays
                with contextlib.suppress(Abandon):  # not ours, or gone: left as it is
                    await self.delivery.slack("chat_update", channel=execution.channel_id, ts=ts, text=text, blocks=body)
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break

    def _delete_account_at_jumio(self, payload: DeleteAccount) -> None:
        """Queue the account's deletion; one whose earlier deletion gave up is tried again (a second erase)."""
        earlier = self.ctx.store.jobs.by_dedupe_key(DELETE_ACCOUNT.dedupe_key(payload) or "")
        if earlier is None:
            self.ctx.queue.add(DELETE_ACCOUNT, payload)
        else:  # queued or running: nothing to add; dead: tried again
            self.ctx.queue.add_again(earlier)

    def enqueue_retention(self) -> None:
        """Queue today's retention run (once a day: the dedupe key names the day)."""
        day = datetime.datetime.fromtimestamp(self.ctx.store.clock(), datetime.UTC).date().isoformat()
        self.ctx.queue.add(RETENTION, Retention(day))

    # --- jobs -------------------------------------------------------------------------------------------------

    async def _delete_account(self, payload: DeleteAccount) -> None:
        store = self.ctx.store
        try:
            await self.ctx.jumio.delete_account(payload.account_id)
            detail = f"account {payload.account_id} deleted at Jumio"
        except NotFound:  # deleted already (an earlier attempt, or in Jumio's portal): what was asked
            detail = f"account {payload.account_id} was already gone at Jumio"
        execution = store.executions.get(payload.execution)
        with store.transaction():
            store.erasure.mark_account_deleted(payload.account_id)
            store.audit.add(audit.JUMIO, audit.ACCOUNT_DELETED, execution.id, detail)
            self.delivery.say_in_thread_later(execution, blocks.deleted_at_jumio(payload.by))

    async def _retention(self, payload: Retention) -> None:
        """Verifications that ended more than IDV_RETENTION_DAYS ago, down to tombstones, in batches."""
        store = self.ctx.store
        cutoff = store.clock() - self.ctx.options.retention_days * 86400.0
        reduced = 0
        while ids := store.erasure.ended_unreduced(cutoff, RETENTION_BATCH):
            with store.transaction():
                store.erasure.reduce_to_tombstones(ids)
                for execution_id in ids:
                    store.audit.add(
                        audit.BOT,
                        audit.RETENTION,
                        execution_id,
                        audit.Retention(self.ctx.options.retention_days),
                    )
            reduced += len(ids)
        if reduced:
            log.info("retention: %d ended verifications reduced to tombstones", reduced)
        # Kept through an expiry for a New link; an expiry nobody renewed within a day loses it.
        if forgotten := store.secrets.forget_supporting_data_of_ended(store.clock() - SUPPORTING_DATA_AFTER_EXPIRY):
            log.info("retention: supporting data of %d expired verifications forgotten", forgotten)

    @staticmethod
    def _one_per_thread(executions: list[Execution]) -> list[Execution]:
        newest: dict[tuple[str, str], Execution] = {}
        for execution in executions:
            if execution.thread_ts:
                key = (execution.channel_id, execution.thread_ts)
                if key not in newest or execution.id > newest[key].id:
                    newest[key] = execution
        return list(newest.values())
