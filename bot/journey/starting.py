"""Starting a verification and its links: the root message, the Jumio account (paced), supporting data, the
private link, and a new link for an expired one.

start ──► root message ──► create_account (paced: Jumio allows 1 per second) ──► checklist + private link
New link ──► new_link (paced): PUT /accounts/{id}, a new execution for the same account ──► private link
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.jobs import Abandon, Handler, JobKind, Pacing
from bot.journey.context import JUMIO_RETRIES, Context
from bot.journey.delivery import Delivery
from bot.jumio import AccountRequest, AccountSession, InvalidRequest
from storage import Consent, Execution, Status

# Jumio's default tenant limit for account creation and update (reference §2): shared by both kinds.
JUMIO_ACCOUNTS = Pacing("jumio-accounts", per_second=1.0)


@dataclass(frozen=True)
class Start:
    execution: int
    requested_by: str
    supporting_data: dict[str, Any] | None = None  # personal data: erased when the job ends
    response_url: str | None = None  # where to answer while there is no thread yet (Slack lets it live 30 minutes)


@dataclass(frozen=True)
class NewLink:
    execution: int  # the expired execution
    by: str


@dataclass(frozen=True)
class PreparedData:
    execution: int
    data: dict[str, Any] | None  # personal data: erased when the job ends


# A burst of /verify (each start posts a root message) must not hold up photos and decisions of verifications already
# under way: starts yield to them, and take at most two workers.
START = JobKind("start", Start, title="Starting the verification", dedupe=lambda p: f"start:{p.execution}",
                retry=JUMIO_RETRIES, erase=("supporting_data",), priority=-1, concurrency=2)
CREATE_ACCOUNT = JobKind("create_account", Start, title="Creating the Jumio account",
                         dedupe=lambda p: f"create_account:{p.execution}", retry=JUMIO_RETRIES,
                         erase=("supporting_data",), pacing=JUMIO_ACCOUNTS)
NEW_LINK = JobKind("new_link", NewLink, title="Creating a new link", dedupe=lambda p: f"new_link:{p.execution}",
                   retry=JUMIO_RETRIES, pacing=JUMIO_ACCOUNTS)
UPLOAD_PREPARED_DATA = JobKind("upload_prepared_data", PreparedData, title="Sending the supporting data to Jumio",
                               dedupe=lambda p: f"prepared_data:{p.execution}", retry=JUMIO_RETRIES, erase=("data",))


class Starting:
    def __init__(self, ctx: Context, delivery: Delivery) -> None:
        self.ctx = ctx
        self.delivery = delivery
        # A consent link for the photo path, given with the Web Client link (wired by the journey; None: none).
        self.consent_link: Callable[[Execution, str], str | None] = lambda _execution, _user: None

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {START: self._start, CREATE_ACCOUNT: self._create_account, NEW_LINK: self._new_link,
                UPLOAD_PREPARED_DATA: self._upload_prepared_data}

    # --- intents ----------------------------------------------------------------------------------------------

    def start(self, *, customer_ref: str, channel_id: str, user_id: str, team_id: str | None = None,
              user_ref: str | None = None, locale: str | None = None, supporting_data: dict[str, Any] | None = None,
              response_url: str | None = None, once: str | None = None) -> Execution | None:
        """Record a new verification and queue its start, in one transaction. With `once` (a request's unique id) a
        second delivery of the same request does nothing: None."""
        store = self.ctx.store
        with store.transaction():
            if once is not None and not store.first_sighting_of_event(once):
                return None
            execution = store.record_execution(
                customer_ref=customer_ref, workflow_key=self.ctx.options.workflow_key, channel_id=channel_id,
                started_by=user_id, user_ref=user_ref, locale=locale, team_id=team_id,
            )
            store.audit(user_id, "start", execution.id, f"workflow {execution.workflow_key}")
            self.ctx.queue.add(START, Start(execution.id, user_id, supporting_data or None, response_url))
        return execution

    def new_link(self, execution: Execution, user_id: str) -> Execution | None:
        """New link pressed on an expired verification: queue the new execution (once), or return the one already
        made, whose link the caller sends to this agent too."""
        replacement = self.ctx.store.execution_replacing(execution.id)
        if replacement is None or not replacement.workflow_execution_id:
            self.ctx.queue.add(NEW_LINK, NewLink(execution.id, user_id))
            return None
        return replacement if replacement.status == Status.INITIATED else None

    # --- jobs -------------------------------------------------------------------------------------------------

    async def _start(self, payload: Start) -> None:
        store = self.ctx.store
        execution = store.execution(payload.execution)
        thread_ts = execution.thread_ts
        if not thread_ts:
            text, body = blocks.root_message(execution, set(), self.ctx.accepted_parts(execution))
            posted = await self.delivery.slack("chat_postMessage", channel=execution.channel_id, text=text, blocks=body)
            thread_ts = posted["ts"]
        with store.transaction():  # never across an await: the connection is shared by every coroutine
            store.set_thread(execution.id, thread_ts)
            self.ctx.queue.add(CREATE_ACCOUNT, payload)

    async def _create_account(self, payload: Start) -> None:
        execution = self.ctx.store.execution(payload.execution)
        if execution.workflow_execution_id is None:
            self.record_session(execution, await self._open_session(execution), payload.requested_by)
        await self._announce(execution, payload.requested_by, payload.supporting_data)

    async def _new_link(self, payload: NewLink) -> None:
        store = self.ctx.store
        previous = store.execution(payload.execution)
        execution = store.execution_replacing(previous.id)
        if execution is None:
            execution = store.record_execution(
                customer_ref=previous.customer_ref, workflow_key=previous.workflow_key, channel_id=previous.channel_id,
                started_by=payload.by, user_ref=previous.user_ref, locale=previous.locale, team_id=previous.team_id,
                thread_ts=previous.thread_ts, replaces=previous.id,
            )
        if execution.workflow_execution_id is None:
            await self.delivery.say_in_thread(execution, blocks.new_link_started(payload.by))
            self.record_session(execution, await self._open_session(execution), payload.by)
            store.audit(payload.by, "new_link", execution.id, f"replaces #{previous.id}")
        await self._announce(execution, payload.by, None)

    async def _upload_prepared_data(self, payload: PreparedData) -> None:
        execution = self.ctx.store.execution(payload.execution)
        if execution.status != Status.INITIATED:
            return
        if not payload.data:
            raise Abandon("the supporting data is not kept after a failure; start a new verification to send it")
        credential = next((c for c in self.ctx.store.credentials(execution.id) if "prepared_data" in c.parts), None)
        if credential is None or credential.api_token is None:
            return
        try:
            await self.ctx.jumio.upload_prepared_data(credential.parts["prepared_data"], credential.api_token,
                                                      payload.data)
        except InvalidRequest as exc:
            raise Abandon(f"Jumio refused the supporting data: {exc.jumio_message or exc.message}") from None
        self.ctx.store.audit("system", "prepared_data_sent", execution.id, f"{len(payload.data)} fields")

    # --- steps ------------------------------------------------------------------------------------------------

    def account_request(self, execution: Execution, user_consent: dict[str, Any] | None = None) -> AccountRequest:
        options = self.ctx.options
        return AccountRequest(customer_reference=execution.customer_ref, workflow_key=execution.workflow_key,
                              user_reference=execution.user_ref, callback_url=options.callback_url,
                              token_lifetime=options.token_lifetime, locale=execution.locale,
                              user_consent=user_consent)

    async def _open_session(self, execution: Execution) -> AccountSession:
        try:
            if execution.replaces is not None:
                previous = self.ctx.store.execution(execution.replaces)
                assert previous.account_id is not None
                return await self.ctx.jumio.update_account(previous.account_id, self.account_request(execution))
            return await self.ctx.jumio.create_account(self.account_request(execution))
        except InvalidRequest as exc:
            reason = f"Jumio refused it: {exc.jumio_message or exc.message}"
            self.ctx.store.record_failure(execution.id, reason, give_up=True)
            raise Abandon(reason) from None

    def record_session(self, execution: Execution, session: AccountSession, requested_by: str, *,
                       consent: Consent | None = None) -> None:
        """Keep what Jumio answered for a new execution. One made with the customer's consent takes the photos:
        its Web Client link is not kept (one path per execution: mixing them is UNCONFIRMED, reference §2.3)."""
        store = self.ctx.store
        store.record_account(
            execution.id,
            account_id=session.account_id,
            workflow_execution_id=session.execution_id,
            web_href=None if consent else session.web_href,
            api_consent=consent.id if consent else None,
            web_expires_at=time.time() + self.ctx.options.token_lifetime_seconds,
            created_by=requested_by,
            customer_ref=execution.customer_ref,
            credentials=[
                {"credential_id": c.id, "category": c.category, "allowed_channels": list(c.allowed_channels),
                 "parts": c.parts, "finalize_url": c.finalize_url, "api_token": c.api_token}
                for c in session.credentials
            ],
        )
        self.ctx.forget_parts(execution.id)
        store.audit(requested_by, "account_created", execution.id,
                    f"account {session.account_id}, execution {session.execution_id}")

    async def _announce(self, execution: Execution, requested_by: str, supporting_data: dict[str, Any] | None
                        ) -> None:
        """After the account exists: supporting data queued, checklist shown, link sent; each once, so a job that
        died half-way (account recorded, link not yet sent) finishes on its next attempt."""
        store = self.ctx.store
        execution = store.execution(execution.id)
        if execution.status != Status.INITIATED:
            return
        if supporting_data:
            if any("prepared_data" in c.parts for c in store.credentials(execution.id)):
                self.ctx.queue.add(UPLOAD_PREPARED_DATA, PreparedData(execution.id, supporting_data))
            else:
                await self.delivery.tell_privately(execution, requested_by,
                                                   blocks.supporting_data_not_taken(execution.workflow_key))
        await self.delivery.redraw_root(execution)
        if not store.has_audit(execution.id, "link_sent"):
            await self.send_link(execution, requested_by)

    async def send_link(self, execution: Execution, user_id: str) -> None:
        web_href = self.ctx.store.web_href(execution.id)
        if not web_href:
            return
        await self.delivery.tell_privately(execution, user_id, blocks.link_message(
            execution.customer_ref, web_href, execution.web_expires_at, self.consent_link(execution, user_id)))
        self.ctx.store.audit(user_id, "link_sent", execution.id, "ephemeral to the requesting agent")

    async def failed(self, kind: JobKind[Any], payload: Any, execution: Execution, reason: str) -> None:
        """A start that gave up: the verification is FAILED (Retry reopens it)."""
        if kind in (START, CREATE_ACCOUNT):
            self.ctx.store.record_failure(execution.id, reason, give_up=True)
