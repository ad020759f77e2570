"""Starting a verification and its links: the root message, the Jumio account (paced), supporting data, the
private link, the link modal, a new link for an expired one, and a take-over of a live one.

start ──► root message ──► create_account (paced: Jumio allows 1 per second) ──► checklist + private link
New link ──► new_link (paced): PUT /accounts/{id}, a new execution for the same account ──► private link
Take over ──► new_link (paced) for the presser ──► the old execution superseded, closed at Jumio (delete_execution)

A live link is only ever shown to the agent it was issued to: the execution's `started_by`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot import blocks
from bot.blocks import audit
from bot.jobs import Abandon, GaveUp, Handler, JobKind
from bot.journey.consent_links import ConsentLinks
from bot.journey.context import JUMIO_RETRIES, Context, OfExecution, PhotoPath
from bot.journey.delivery import REDRAW_ROOT, Delivery
from bot.journey.photos import Photos
from bot.journey.sessions import DELETE_EXECUTION, JUMIO_ACCOUNTS, Sessions
from bot.jumio import AccountSession, InvalidRequest
from storage import Execution, Status


class Renewal(Enum):
    """Why New link does nothing: only an expired verification gets a new one (the button is stale otherwise)."""

    NOT_EXPIRED = "not expired"


@dataclass(frozen=True)
class Start:
    execution: int
    requested_by: str
    response_url: str | None = None  # where to answer while there is no thread yet (Slack lets it live 30 minutes)


@dataclass(frozen=True)
class NewLink:
    execution: int  # the expired execution, or (taking over) the live one
    by: str
    takes_over: bool = False


# A burst of /verify (each start posts a root message) must not hold up photos and decisions of verifications already
# under way: starts yield to them, and take at most two workers.
# A response_url is a bearer webhook for 30 minutes: it leaves the job's payload once the job ends.
START = JobKind(
    "start",
    Start,
    title="Starting the verification",
    dedupe=lambda p: f"start:{p.execution}",
    retry=JUMIO_RETRIES,
    priority=-1,
    concurrency=2,
    erase=("response_url",),
)
CREATE_ACCOUNT = JobKind(
    "create_account",
    Start,
    title="Creating the Jumio account",
    dedupe=lambda p: f"create_account:{p.execution}",
    retry=JUMIO_RETRIES,
    pacing=JUMIO_ACCOUNTS,
    erase=("response_url",),
)
NEW_LINK = JobKind(
    "new_link",
    NewLink,
    title="Creating a new link",
    dedupe=lambda p: f"new_link:{p.execution}",
    retry=JUMIO_RETRIES,
    pacing=JUMIO_ACCOUNTS,
)
# The supporting data itself is in its own table (never a job's payload), deleted when this step ends either way.
UPLOAD_PREPARED_DATA = JobKind(
    "upload_prepared_data",
    OfExecution,
    title="Sending the supporting data to Jumio",
    dedupe=lambda p: f"prepared_data:{p.execution}",
    retry=JUMIO_RETRIES,
)


class Starting:
    def __init__(
        self, ctx: Context, delivery: Delivery, sessions: Sessions, photos: Photos, consent_links: ConsentLinks
    ) -> None:
        self.ctx = ctx
        self.delivery = delivery
        self.sessions = sessions
        self.photos = photos  # photos waiting on an execution a take-over replaced move to its replacement
        self.consent_links = consent_links  # the photo path's consent link goes with the Web Client link

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {
            START: self._start,
            CREATE_ACCOUNT: self._create_account,
            NEW_LINK: self._new_link,
            UPLOAD_PREPARED_DATA: self._upload_prepared_data,
        }

    def when_given_up(self) -> dict[JobKind[Any], GaveUp]:
        """A start that gave up: the verification is FAILED (Retry reopens it) and its supporting data is gone;
        supporting data that could not be sent is forgotten."""
        return {START: self._start_gave_up, CREATE_ACCOUNT: self._start_gave_up, UPLOAD_PREPARED_DATA: self._data_gave_up}

    # --- intents ----------------------------------------------------------------------------------------------

    def start(
        self,
        *,
        customer_ref: str,
        channel_id: str,
        user_id: str,
        team_id: str | None = None,
        user_ref: str | None = None,
        locale: str | None = None,
        supporting_data: dict[str, Any] | None = None,
        response_url: str | None = None,
        once: str | None = None,
    ) -> Execution | None:
        """Record a new verification and queue its start, in one transaction. With `once` (a request's unique id) a
        second delivery of the same request does nothing: None."""
        store = self.ctx.store
        with store.transaction():
            if once is not None and not store.events.first_sighting(once):
                return None
            execution = store.executions.record(
                customer_ref=customer_ref,
                workflow_key=self.ctx.options.workflow_key,
                channel_id=channel_id,
                started_by=user_id,
                user_ref=user_ref,
                locale=locale,
                team_id=team_id,
            )
            store.audit.add(user_id, audit.START, execution.id, f"workflow {execution.workflow_key}")
            if supporting_data:
                store.secrets.keep_supporting_data(execution.id, supporting_data)
            self.ctx.queue.add(START, Start(execution.id, user_id, response_url))
            store.after_commit(self.ctx.metrics.started.inc)
        return execution

    def start_refusal(self, user_id: str) -> str | None:
        """Why `user_id` may not start another verification now (each is a paid Jumio transaction), or None."""
        store, limits = self.ctx.store, self.ctx.options.limits
        now = store.clock()
        if store.executions.starts_since(user_id, now - 60) >= limits.starts_per_minute:
            return blocks.too_many_starts(limits.starts_per_minute, "minute")
        if store.executions.starts_since(user_id, now - 86400) >= limits.starts_per_day:
            return blocks.too_many_starts(limits.starts_per_day, "day")
        return None

    def open_verification(self, customer_ref: str) -> Execution | None:
        """The customer's open verification, if any: a second start for the same customer is refused unless the
        agent asks for another anyway (each is a paid Jumio transaction)."""
        return self.ctx.store.executions.open_for_customer(customer_ref)

    def new_link(self, execution: Execution, user_id: str) -> Execution | str | Renewal | None:
        """New link pressed: only on an expired verification (`Renewal.NOT_EXPIRED` otherwise), queue the new
        execution (once) and return None. When one was made already, return it if this agent holds its link (the
        caller sends it again), or the refusal naming who holds it: a live link is never shown to another agent."""
        if execution.status not in (Status.TOKEN_EXPIRED, Status.SESSION_EXPIRED):
            return Renewal.NOT_EXPIRED
        replacement = self.ctx.store.executions.replacing(execution.id)
        if replacement is None or not replacement.workflow_execution_id:
            self.ctx.queue.add(NEW_LINK, NewLink(execution.id, user_id))
            return None
        if replacement.status != Status.INITIATED:
            return None
        return replacement if replacement.started_by == user_id else blocks.link_held_by(replacement.started_by)

    def link_view(self, execution: Execution, user_id: str) -> dict[str, Any]:
        """The link modal for `user_id`: the live link for its holder, who holds it for anyone else."""
        store = self.ctx.store
        execution = store.executions.newest_in_its_thread(execution)
        if execution.status != Status.INITIATED or execution.api_consent is not None:
            return blocks.no_link_modal(blocks.no_link_reason(execution))
        if execution.started_by != user_id:
            return blocks.held_by_other_modal(
                execution.customer_ref, execution.id, execution.started_by, execution.updated_at, execution.channel_id
            )
        web_href = store.executions.web_href(execution.id)
        # A consent link is stored hashed only, so its holder gets a fresh one; all die with the first consent.
        consent_url = self.consent_links.new(execution, user_id)
        if not web_href and not consent_url:
            return blocks.no_link_modal("Jumio gave no link for this verification's workflow.")
        store.audit.add(user_id, audit.LINK_SHOWN, execution.id, "in the link modal, to the agent who holds it")
        return blocks.link_modal(execution.customer_ref, web_href, execution.web_expires_at, consent_url)

    def take_over(self, execution: Execution, user_id: str) -> str | None:
        """Take over pressed (a shift change): queue a new link for `user_id` that replaces the live one, audited.
        Returns why not, in the agent's words, or None."""
        store = self.ctx.store
        if (
            execution.status != Status.INITIATED
            or execution.api_consent is not None
            or store.consents.for_execution(execution.id) is not None
        ):
            return blocks.no_link_reason(execution)
        if execution.started_by == user_id:
            return "You already hold this link: press *Customer link* to see it."
        with store.transaction():
            self.ctx.queue.add(NEW_LINK, NewLink(execution.id, user_id, takes_over=True))
            store.audit.add(user_id, audit.TAKE_OVER, execution.id, f"the link held by {execution.started_by}")
        return None

    # --- jobs -------------------------------------------------------------------------------------------------

    async def _start(self, payload: Start) -> None:
        store = self.ctx.store
        execution = store.executions.get(payload.execution)
        thread_ts = execution.thread_ts
        if not thread_ts:
            text, body = blocks.root_message(execution, set(), self.ctx.accepted_parts(execution))
            posted = await self.delivery.slack("chat_postMessage", channel=execution.channel_id, text=text, blocks=body)
            thread_ts = posted["ts"]
        with store.transaction():  # never across an await: the connection is shared by every coroutine
            store.executions.set_thread(execution.id, thread_ts)
            if store.executions.get(execution.id).status == Status.PENDING:
                self.ctx.queue.add(CREATE_ACCOUNT, payload)
            else:  # erased while the message was being posted: no account is made; the message says so
                self.ctx.queue.add(REDRAW_ROOT, OfExecution(execution.id))

    async def _create_account(self, payload: Start) -> None:
        execution = self.ctx.store.executions.get(payload.execution)
        if execution.workflow_execution_id is None:
            if execution.status != Status.PENDING:
                return  # erased (or ended) before its turn: nothing is made at Jumio
            self.sessions.record(execution, await self._open_session(execution), payload.requested_by)
        await self._announce(execution, payload.requested_by)  # (an erase meanwhile: it announces nothing)

    async def _new_link(self, payload: NewLink) -> None:
        store = self.ctx.store
        previous = store.executions.get(payload.execution)
        execution = store.executions.replacing(previous.id)
        if execution is None:
            execution = store.executions.record(
                customer_ref=previous.customer_ref,
                workflow_key=previous.workflow_key,
                channel_id=previous.channel_id,
                started_by=payload.by,
                user_ref=previous.user_ref,
                locale=previous.locale,
                team_id=previous.team_id,
                thread_ts=previous.thread_ts,
                replaces=previous.id,
            )
        if execution.workflow_execution_id is None:
            if execution.status != Status.PENDING:
                return  # erased before its turn: nothing is made at Jumio
            if not payload.takes_over:
                await self.delivery.say_in_thread(execution, blocks.new_link_started(payload.by))
            if not self.sessions.record(execution, await self._open_session(execution), payload.by):
                return  # erased while Jumio made it: deleted there, no link
            store.secrets.move_supporting_data(previous.id, execution.id)  # the new execution is the one to take it
            store.audit.add(payload.by, audit.NEW_LINK, execution.id, f"replaces #{previous.id}")
        if payload.takes_over:
            self._replace(previous, store.executions.get(execution.id), payload.by)
        await self._announce(execution, payload.by)

    def _replace(self, previous: Execution, execution: Execution, by: str) -> None:
        """The taken-over execution is superseded (its link and api.tokens forgotten here), closed at Jumio, and
        photos waiting on it move to its replacement; said in the thread. Once, in one transaction."""
        store = self.ctx.store
        with store.transaction():
            if not store.executions.supersede(previous.id):
                return
            if previous.workflow_execution_id:
                self.ctx.queue.add(DELETE_EXECUTION, OfExecution(previous.id))
            self.photos.release_held(previous, execution)
            self.delivery.say_in_thread_later(execution, blocks.taken_over(by, previous.started_by))

    async def _upload_prepared_data(self, payload: OfExecution) -> None:
        store = self.ctx.store
        execution = store.executions.get(payload.execution)
        data = store.secrets.supporting_data(execution.id)
        credential = self.ctx.prepared_data_credential(execution.id)
        if credential is None or credential.api_token is None:  # the workflow takes none
            store.secrets.forget_supporting_data(execution.id)
            return
        if execution.status != Status.INITIATED:
            return  # replaced (the data moved with it) or ended (what ended it forgot the data)
        if not data:
            raise Abandon("the supporting data is not kept after a failure; start a new verification to send it")
        try:
            await self.ctx.jumio.upload_prepared_data(credential.parts["prepared_data"], credential.api_token, data)
        except InvalidRequest as exc:
            store.secrets.forget_supporting_data(execution.id)
            raise Abandon(f"Jumio refused the supporting data: {exc.jumio_message or exc.message}") from None
        with store.transaction():
            # While the customer may still consent to the photo path, the execution Jumio processes may be the one
            # made with that consent: the data stays (sealed) until that one has it, or this one is submitted.
            if self.ctx.photo_path(execution) is not PhotoPath.NEEDS_CONSENT:
                store.secrets.forget_supporting_data(execution.id)
            store.audit.add(audit.BOT, audit.PREPARED_DATA_SENT, execution.id, f"{len(data)} fields")

    # --- steps ------------------------------------------------------------------------------------------------

    async def _open_session(self, execution: Execution) -> AccountSession:
        if execution.replaces is not None:
            previous = self.ctx.store.executions.get(execution.replaces)
            assert previous.account_id is not None
            return await self.sessions.open(execution, previous.account_id, self.sessions.request(execution))
        return await self.sessions.open(execution, None, self.sessions.request(execution))

    async def _announce(self, execution: Execution, requested_by: str) -> None:
        """After the account exists: supporting data queued, checklist shown, link sent; each once, so a job that
        died half-way (account recorded, link not yet sent) finishes on its next attempt."""
        store = self.ctx.store
        execution = store.executions.get(execution.id)
        if execution.status != Status.INITIATED:
            return
        if not self.send_supporting_data(execution):
            await self.delivery.tell_privately(
                execution, requested_by, blocks.supporting_data_not_taken(execution.workflow_key)
            )
        await self.delivery.redraw_root(execution)
        if execution.link_sent_at is None:
            await self.send_link(execution, requested_by)

    def send_supporting_data(self, execution: Execution) -> bool:
        """Queue the supporting data kept for this execution to Jumio (once); False when its workflow takes none
        (then it is forgotten)."""
        store = self.ctx.store
        if store.secrets.supporting_data(execution.id) is None:
            return True
        if self.ctx.prepared_data_credential(execution.id) is not None:
            self.ctx.queue.add(UPLOAD_PREPARED_DATA, OfExecution(execution.id))
            return True
        store.secrets.forget_supporting_data(execution.id)
        return False

    async def send_link(self, execution: Execution, user_id: str) -> None:
        web_href = self.ctx.store.executions.web_href(execution.id)
        if not web_href:
            return
        await self.delivery.tell_privately(
            execution,
            user_id,
            blocks.link_message(
                execution.customer_ref, web_href, execution.web_expires_at, self.consent_links.new(execution, user_id)
            ),
        )
        with self.ctx.store.transaction():
            self.ctx.store.executions.mark_link_sent(execution.id)
            self.ctx.store.audit.add(user_id, audit.LINK_SENT, execution.id, "ephemeral to the requesting agent")

    def _start_gave_up(self, payload: Start | OfExecution, reason: str) -> None:
        self.ctx.store.executions.record_failure(payload.execution, reason, give_up=True)
        self.ctx.store.secrets.forget_supporting_data(payload.execution)

    def _data_gave_up(self, payload: OfExecution, _reason: str) -> None:
        self.ctx.store.secrets.forget_supporting_data(payload.execution)
