"""Executions Jumio made that this bot never saw: a new execution of a known account (PUT /accounts) whose answer
was lost. Jumio documents no idempotency (reference §8), so such a transaction exists, is paid, and holds a link
nobody was given. When one turns up (a callback for an unknown execution of an account the bot knows) it is
recorded and deleted at Jumio, never shown.

callback for an unknown execution of a known account ──► delete_stray ──► GET status (a forged id: 404, nothing)
                                                                        └─► DELETE the execution, audited

A lost POST /accounts makes an account the bot does not know at all: its callbacks cannot be told from anyone's,
and its link was never shown, so nobody can use it; it expires with its token lifetime.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from bot.blocks import audit
from bot.jobs import Handler, JobKind
from bot.journey.context import JUMIO_RETRIES, Context
from bot.jumio import NotFound
from storage import Execution

log = logging.getLogger("bot.journey")


@dataclass(frozen=True)
class Stray:
    execution: int  # the bot's newest execution of the account: its thread and audit trail
    account_id: str
    workflow_execution_id: str


DELETE_STRAY = JobKind(
    "delete_stray",
    Stray,
    title="Deleting a transaction Jumio made for a lost answer",
    dedupe=lambda p: f"delete_stray:{p.workflow_execution_id}",
    retry=JUMIO_RETRIES,
    tell_when_dead=False,
)


class Strays:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {DELETE_STRAY: self._delete}

    def turned_up(self, account_id: str, workflow_execution_id: str) -> Execution | None:
        """A callback named an execution this bot does not know: if its account is one of the bot's, queue its
        deletion (one waiting per verification, however many callbacks come, forged ones included). Returns the
        verification it belongs to, or None when the account is unknown too."""
        store = self.ctx.store
        known = store.executions.newest_of_account(account_id)
        if known is None:
            return None
        with store.transaction():
            if not store.jobs.has_queued(DELETE_STRAY.name, known.id):
                self.ctx.queue.add(DELETE_STRAY, Stray(known.id, account_id, workflow_execution_id))
        return known

    async def _delete(self, payload: Stray) -> None:
        jumio, store = self.ctx.jumio, self.ctx.store
        if store.executions.by_workflow_id(payload.workflow_execution_id) is not None:
            return  # the bot learned of it after all (its answer came late): not a stray
        try:
            status = await jumio.get_status(payload.account_id, payload.workflow_execution_id)
        except NotFound:
            log.info("a callback named an execution Jumio does not have; nothing to delete")
            return
        with contextlib.suppress(NotFound):
            await jumio.delete_execution(payload.account_id, payload.workflow_execution_id)
        store.audit.add(
            audit.BOT,
            audit.STRAY_DELETED,
            payload.execution,
            f"execution {payload.workflow_execution_id} ({status.status}), made by Jumio for an answer that "
            "was lost, deleted at Jumio",
        )
