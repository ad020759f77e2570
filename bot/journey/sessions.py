"""Jumio accounts and executions a verification makes: the account request, the paid POST/PUT /accounts with its
lost-answer rule, keeping what Jumio answered (or deleting what an erase made meanwhile), and closing a replaced
execution at Jumio (delete_execution). Starting, a new link and the customer's consent all go through here.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from bot import blocks
from bot.blocks import audit
from bot.jobs import Abandon, Handler, JobKind, Pacing
from bot.journey.context import JUMIO_RETRIES, Context, OfExecution
from bot.journey.erasing import DELETE_ACCOUNT, DeleteAccount
from bot.jumio import AccountRequest, AccountSession, InvalidRequest, NotFound, OutcomeUnknown
from storage import Consent, Execution

# Jumio's default tenant limit for account creation and update (reference §2): shared by both kinds.
JUMIO_ACCOUNTS = Pacing("jumio-accounts", per_second=1.0)
# A replaced execution (taken over, or replaced by the one made with the customer's consent) is closed at Jumio so
# its link dies; the next sweep or its expiry covers a failure, which is audited, not posted.
DELETE_EXECUTION = JobKind(
    "delete_execution",
    OfExecution,
    title="Closing the replaced link at Jumio",
    dedupe=lambda p: f"delete_execution:{p.execution}",
    retry=JUMIO_RETRIES,
    tell_when_dead=False,
)


class Sessions:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {DELETE_EXECUTION: self._delete_execution}

    def request(self, execution: Execution, user_consent: dict[str, Any] | None = None) -> AccountRequest:
        options = self.ctx.options
        return AccountRequest(
            customer_reference=execution.customer_ref,
            workflow_key=execution.workflow_key,
            user_reference=execution.user_ref,
            callback_url=options.callback_url,
            token_lifetime=options.token_lifetime,
            locale=execution.locale,
            user_consent=user_consent,
        )

    async def open(self, execution: Execution, account_id: str | None, request: AccountRequest) -> AccountSession:
        """POST /accounts (no `account_id`) or PUT /accounts/{id}: each a paid transaction. Jumio's refusal ends the
        start; an answer lost after the request went out ends this job with words that say a transaction may exist
        and a Retry that makes another knowingly (the client never repeats it on its own)."""
        try:
            if account_id is not None:
                return await self.ctx.jumio.update_account(account_id, request)
            return await self.ctx.jumio.create_account(request)
        except InvalidRequest as exc:
            reason = f"Jumio refused it: {exc.jumio_message or exc.message}"
            self.ctx.store.executions.record_failure(execution.id, reason, give_up=True)
            raise Abandon(reason) from None
        except OutcomeUnknown as exc:
            self.ctx.store.audit.add(audit.BOT, audit.ANSWER_LOST, execution.id, exc.message)
            raise Abandon(blocks.answer_lost(new_account=account_id is None)) from None

    def record(
        self, execution: Execution, session: AccountSession, requested_by: str, *, consent: Consent | None = None
    ) -> bool:
        """Keep what Jumio answered for a new execution. One made with the customer's consent takes the photos:
        its Web Client link is not kept (one path per execution: mixing them is UNCONFIRMED, reference §2.3).

        False when the verification ended while Jumio was asked (an erase): what Jumio made is deleted there at once
        (a new account whole, a new execution of a known account alone), and nothing of it is kept or shown."""
        store = self.ctx.store
        with store.transaction():
            if self._record_account(execution, session, requested_by, consent):
                self.ctx.forget_parts(execution.id)
                store.audit.add(
                    requested_by,
                    audit.ACCOUNT_CREATED,
                    execution.id,
                    f"account {session.account_id}, execution {session.execution_id}",
                )
                return True
            if execution.replaces is None and consent is None:  # POST /accounts: the account is this one's alone
                erased_by = store.executions.get(execution.id).erased_by or requested_by
                self.ctx.queue.add(DELETE_ACCOUNT, DeleteAccount(session.account_id, execution.id, erased_by))
            else:
                self.ctx.queue.add(DELETE_EXECUTION, OfExecution(execution.id))
            store.audit.add(
                audit.BOT,
                audit.MADE_AFTER_END,
                execution.id,
                f"account {session.account_id}, execution {session.execution_id}: Jumio made it while the "
                "verification was ended; deleted at Jumio, never shown",
            )
            return False

    def _record_account(
        self, execution: Execution, session: AccountSession, requested_by: str, consent: Consent | None
    ) -> bool:
        return self.ctx.store.executions.record_account(
            execution.id,
            account_id=session.account_id,
            workflow_execution_id=session.execution_id,
            web_href=None if consent else session.web_href,
            api_consent=consent.id if consent else None,
            web_expires_at=time.time() + self.ctx.options.token_lifetime_seconds,
            created_by=requested_by,
            customer_ref=execution.customer_ref,
            credentials=[
                {
                    "credential_id": c.id,
                    "category": c.category,
                    "allowed_channels": list(c.allowed_channels),
                    "parts": c.parts,
                    "finalize_url": c.finalize_url,
                    "api_token": c.api_token,
                }
                for c in session.credentials
            ],
        )

    async def _delete_execution(self, payload: OfExecution) -> None:
        execution = self.ctx.store.executions.get(payload.execution)
        if not execution.account_id or not execution.workflow_execution_id:
            return
        with contextlib.suppress(NotFound):  # gone already: that is what was asked
            await self.ctx.jumio.delete_execution(execution.account_id, execution.workflow_execution_id)
        self.ctx.store.audit.add(audit.BOT, audit.EXECUTION_DELETED, execution.id, "closed at Jumio: it was replaced")
