"""The verification journey: one handler per job kind, each idempotent, each posting to Slack through `blocks`.

start ──► Jumio account ──► root message + private link
relay_photo ──► download from Slack ──► check ──► upload part ──► checklist; all parts in ──► finalize
finalize ──► PUT finalize ──► poll on the schedule
callback / poll / sweep ──► fetch_result ──► report_result: decision in the thread, or "expired" + New link
new_link ──► PUT /accounts/{id} (a new execution for the same account) ──► private link
post_message / refresh_root ──► what Slack would not take at first, until it does

A job that dies after its outside step (Jumio answered) but before the steps that follow finishes those on its
next attempt: each such step is queued in the same transaction, or re-checked when the job runs again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import blocks, slack_errors
from bot.jobs import Abandon, RetryLater, plain_reason
from bot.jumio import (
    AccountRequest,
    AccountSession,
    AuthenticationFailed,
    Forbidden,
    InvalidRequest,
    JumioClient,
    NotFound,
)
from bot.slack_files import FileRejected, check_photo, download, is_slack_host
from storage import (
    ACQUIRED,
    CLAIMED,
    FAILED,
    FINAL_STATUSES,
    INITIATED,
    PENDING,
    PROCESSED,
    SENDING,
    SESSION_EXPIRED,
    TOKEN_EXPIRED,
    UNCERTAIN,
    UPLOADED,
    Execution,
    Job,
    Store,
)

log = logging.getLogger("bot.journey")

IMAGE_PARTS = ("FRONT", "BACK", "FACE")
SWEEP = -1  # the `attempt` of a poll queued by the status sweep rather than by the poll schedule
SLACK_ATTEMPTS = 20  # a thread message or redraw Slack could not take: about an hour of tries, then given up
JOB_TITLES = {
    "start": "Creating the Jumio account",
    "upload_prepared_data": "Sending the supporting data to Jumio",
    "relay_photo": "Sending the photo to Jumio",
    "finalize": "Submitting to Jumio",
    "fetch_result": "Fetching Jumio's decision",
    "report_result": "Posting Jumio's decision",
    "poll": "Checking Jumio's status",
    "new_link": "Creating a new link",
    "post_message": "Posting in the thread",
    "refresh_root": "Updating the verification's message",
}


@dataclass(frozen=True)
class JourneyOptions:
    workflow_key: int
    token_lifetime: str
    token_lifetime_seconds: int
    callback_url: str | None
    poll_schedule: tuple[float, ...]
    bot_token: str
    slack_hosts: frozenset[str]


class Journey:
    """The state machine of a verification, driven by jobs."""

    def __init__(self, store: Store, jumio: JumioClient, slack: AsyncWebClient, options: JourneyOptions,
                 *, http: httpx.AsyncClient | None = None, wake: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.jumio = jumio
        self.slack = slack
        self.options = options
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0))
        self.wake = wake
        self._accepted_parts_cache: dict[int, tuple[str, ...]] = {}
        # A lock lives while someone holds or awaits it (weak values), so they do not pile up.
        self._root_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    @property
    def handlers(self) -> dict[str, Callable[[Job], Any]]:
        return {
            "start": self.start,
            "upload_prepared_data": self.upload_prepared_data,
            "relay_photo": self.relay_photo,
            "finalize": self.finalize,
            "fetch_result": self.fetch_result,
            "report_result": self.report_result,
            "poll": self.poll,
            "new_link": self.new_link,
            "post_message": self.post_message,
            "refresh_root": self.redraw_root,
        }

    def enqueue(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None, delay: float = 0.0
                ) -> int:
        job_id = self.store.enqueue(kind, payload, dedupe_key=dedupe_key, delay=delay)
        self.wake()
        return job_id

    def begin(self, *, customer_ref: str, channel_id: str, user_id: str, team_id: str | None = None,
              user_ref: str | None = None, locale: str | None = None, supporting_data: dict[str, Any] | None = None,
              response_url: str | None = None, once: str | None = None) -> Execution | None:
        """Record a new verification and queue its start, in one transaction; what a listener does once the input
        is valid. With `once` (a request's unique id) a second delivery of the same request does nothing: None."""
        with self.store.transaction():
            if once is not None and not self.store.first_sighting_of_event(once):
                return None
            execution = self.store.record_execution(
                customer_ref=customer_ref, workflow_key=self.options.workflow_key, channel_id=channel_id,
                started_by=user_id, user_ref=user_ref, locale=locale, team_id=team_id,
            )
            self.store.audit(user_id, "start", execution.id, f"workflow {execution.workflow_key}")
            payload: dict[str, Any] = {"execution": execution.id, "requested_by": user_id}
            if supporting_data:
                payload["supporting_data"] = supporting_data
            if response_url:
                payload["response_url"] = response_url
            self.store.enqueue("start", payload, dedupe_key=f"start:{execution.id}")
        self.wake()
        return execution

    # --- Slack helpers ---------------------------------------------------------------------------------------

    async def _slack(self, method: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self.slack, method)(**kwargs)
        except SlackApiError as exc:
            code = slack_errors.error_code(exc)
            if code in slack_errors.PERMANENT:
                raise Abandon(f"Slack answered {code}: {slack_errors.PERMANENT[code]}") from None
            raise

    async def say_in_thread(self, execution: Execution, message: blocks.Message) -> None:
        """Post in the verification's thread. Slack failing never holds the journey up: a message Slack cannot
        take now goes to a job that keeps trying; one it will never take (an archived channel) is logged."""
        if not execution.thread_ts:
            return
        text, body = message
        post = {"channel": execution.channel_id, "thread_ts": execution.thread_ts, "text": text, "blocks": body}
        if not await self._deliver("chat_postMessage", post, execution.id):
            self.say_in_thread_later(execution, message)

    def say_in_thread_later(self, execution: Execution, message: blocks.Message) -> None:
        """Queue a message for the thread (within the caller's transaction, if any): a job posts it."""
        text, body = message
        post = {"channel": execution.channel_id, "thread_ts": execution.thread_ts, "text": text, "blocks": body}
        self.store.enqueue("post_message", {"execution": execution.id, "post": post}, max_attempts=SLACK_ATTEMPTS)
        self.wake()

    async def post_message(self, job: Job) -> None:
        await self._slack("chat_postMessage", **job.payload["post"])

    async def _deliver(self, method: str, kwargs: dict[str, Any], execution_id: int) -> bool:
        """Call Slack; False when it is worth trying again later. A refusal for good is audited, not raised."""
        try:
            await self._slack(method, **kwargs)
        except Abandon as never:
            log.warning("execution %s: %s", execution_id, never.reason)
            self.store.audit("system", "slack_refused", execution_id, never.reason)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("execution %s: Slack did not take %s (%s); a job will try again", execution_id, method,
                        plain_reason(exc))
            return False
        return True

    async def tell_privately(self, execution: Execution, user_id: str, message: blocks.Message) -> None:
        text, body = message
        await self._slack("chat_postEphemeral", channel=execution.channel_id, user=user_id, text=text, blocks=body)

    def accepted_parts(self, execution: Execution) -> tuple[str, ...]:
        cached = self._accepted_parts_cache.get(execution.id)
        if cached:
            return cached
        parts = tuple(
            part for part in IMAGE_PARTS
            if any(part.lower() in c.parts and "API" in c.allowed_channels for c in self.store.credentials(execution.id))
        )
        if parts:
            self._accepted_parts_cache[execution.id] = parts
        return parts or (IMAGE_PARTS if execution.status == PENDING else ())

    async def refresh_root(self, execution: Execution, *, now: bool = False) -> None:
        """Redraw the root message from the stored state (idempotent); if Slack cannot take it, a job redraws it
        later (with `now`, the failure is raised instead: that job).

        Redraws of one thread are serialised and read the state inside the lock: two jobs finishing together
        (the last photo and the decision, say) cannot leave the older picture on top.
        """
        execution = self.store.execution(execution.id)
        key = (execution.channel_id, execution.thread_ts or "")
        lock = self._root_locks.get(key)
        if lock is None:
            lock = self._root_locks[key] = asyncio.Lock()
        async with lock:
            execution = self.store.execution(execution.id)
            if not execution.thread_ts:
                return
            text, body = blocks.root_message(execution, self.store.uploaded_parts(execution.id),
                                             self.accepted_parts(execution))
            update = {"channel": execution.channel_id, "ts": execution.thread_ts, "text": text, "blocks": body}
            if now:
                await self._slack("chat_update", **update)
            elif not await self._deliver("chat_update", update, execution.id):
                self.store.enqueue("refresh_root", {"execution": execution.id}, max_attempts=SLACK_ATTEMPTS)
                self.wake()

    async def redraw_root(self, job: Job) -> None:
        await self.refresh_root(self.store.execution(job.payload["execution"]), now=True)


    # --- start -----------------------------------------------------------------------------------------------

    def account_request(self, execution: Execution) -> AccountRequest:
        return AccountRequest(
            customer_reference=execution.customer_ref,
            workflow_key=execution.workflow_key,
            user_reference=execution.user_ref,
            callback_url=self.options.callback_url,
            token_lifetime=self.options.token_lifetime,
            locale=execution.locale,
        )

    async def start(self, job: Job) -> None:
        execution = self.store.execution(job.payload["execution"])
        if not execution.thread_ts:
            text, body = blocks.root_message(execution, set(), self.accepted_parts(execution))
            posted = await self._slack("chat_postMessage", channel=execution.channel_id, text=text, blocks=body)
            self.store.set_thread(execution.id, posted["ts"])
            execution = self.store.execution(execution.id)
        requested_by = job.payload["requested_by"]
        if execution.workflow_execution_id is None:
            self._record_session(execution, await self._create_account(execution), requested_by)
        await self._announce(execution, requested_by, job.payload.get("supporting_data"))

    async def _create_account(self, execution: Execution) -> AccountSession:
        try:
            if execution.replaces is not None:
                previous = self.store.execution(execution.replaces)
                assert previous.account_id is not None
                return await self.jumio.update_account(previous.account_id, self.account_request(execution))
            return await self.jumio.create_account(self.account_request(execution))
        except InvalidRequest as exc:
            reason = f"Jumio refused it: {exc.jumio_message or exc.message}"
            self.store.record_failure(execution.id, reason, give_up=True)
            raise Abandon(reason) from None

    def _record_session(self, execution: Execution, session: AccountSession, requested_by: str) -> None:
        self.store.record_account(
            execution.id,
            account_id=session.account_id,
            workflow_execution_id=session.execution_id,
            web_href=session.web_href,
            web_expires_at=time.time() + self.options.token_lifetime_seconds,
            created_by=requested_by,
            customer_ref=execution.customer_ref,
            credentials=[
                {"credential_id": c.id, "category": c.category, "allowed_channels": list(c.allowed_channels),
                 "parts": c.parts, "finalize_url": c.finalize_url, "api_token": c.api_token}
                for c in session.credentials
            ],
        )
        self._accepted_parts_cache.pop(execution.id, None)
        self.store.audit(requested_by, "account_created", execution.id,
                         f"account {session.account_id}, execution {session.execution_id}")

    async def _announce(self, execution: Execution, requested_by: str, supporting_data: dict[str, Any] | None
                        ) -> None:
        """After the account exists: supporting data queued, checklist shown, link sent; each once, so a job that
        died half-way (account recorded, link not yet sent) finishes the job on its next attempt."""
        execution = self.store.execution(execution.id)
        if execution.status != INITIATED:
            return
        if supporting_data:
            if any("prepared_data" in c.parts for c in self.store.credentials(execution.id)):
                self.enqueue("upload_prepared_data", {"execution": execution.id, "data": supporting_data},
                             dedupe_key=f"prepared_data:{execution.id}")
            else:
                await self.tell_privately(execution, requested_by, blocks.notice(
                    f"Workflow {execution.workflow_key} takes no supporting data, so what you typed was not sent to "
                    "Jumio (and was not kept)."))
        await self.refresh_root(execution)
        if not self.store.has_audit(execution.id, "link_sent"):
            await self.send_link(execution, requested_by)

    async def send_link(self, execution: Execution, user_id: str) -> None:
        web_href = self.store.web_href(execution.id)
        if not web_href:
            return
        await self.tell_privately(execution, user_id, blocks.link_message(execution.customer_ref, web_href,
                                                                          execution.web_expires_at))
        self.store.audit(user_id, "link_sent", execution.id, "ephemeral to the requesting agent")

    async def _respond(self, job: Job, text: str) -> None:
        url = job.payload.get("response_url")
        if not url or not is_slack_host(urlsplit(url).hostname or "", self.options.slack_hosts):
            return
        with contextlib.suppress(Exception):
            await AsyncWebhookClient(url).send(text=text, response_type="ephemeral")

    async def upload_prepared_data(self, job: Job) -> None:
        execution = self.store.execution(job.payload["execution"])
        if execution.status != INITIATED:
            return
        credential = next((c for c in self.store.credentials(execution.id) if "prepared_data" in c.parts), None)
        if credential is None or credential.api_token is None:
            return
        try:
            await self.jumio.upload_prepared_data(credential.parts["prepared_data"], credential.api_token,
                                                  job.payload["data"])
        except InvalidRequest as exc:
            raise Abandon(f"Jumio refused the supporting data: {exc.jumio_message or exc.message}") from None
        self.store.audit("system", "prepared_data_sent", execution.id, f"{len(job.payload['data'])} fields")

    # --- photos ----------------------------------------------------------------------------------------------

    async def relay_photo(self, job: Job) -> None:
        payload = job.payload
        upload = self.store.upload(payload["execution"], payload["file"]["id"])
        if upload is None:
            return
        execution = self.store.execution(upload.execution)
        filename = payload["file"].get("name") or "the file"
        if upload.state == SENDING:
            # The process died while these bytes were on their way to Jumio: whether Jumio has them is unknown.
            reason = "the bot restarted while sending it to Jumio, so it cannot tell whether Jumio got it"
            self.store.record_upload_rejected(upload.id, reason, state=UNCERTAIN)
            self.store.audit("system", "photo_uncertain", execution.id, f"Slack file {upload.slack_file_id}")
            await self.say_in_thread(execution, blocks.notice(
                f":repeat: Please drop {blocks.escape(filename)} in this thread again: {reason}."))
            return
        if upload.state == UPLOADED:
            self._submit_when_complete(execution)  # a crash may have come between the upload and this step
            return
        if upload.state != CLAIMED:
            return
        if execution.status == PENDING:
            raise RetryLater("waiting for the Jumio account", delay=1.0)
        if execution.status != INITIATED:
            await self._reject(execution, upload.id, filename, closed_reason(execution))
            return
        part = upload.part
        if part is None:
            return  # waiting for the agent to say which part it is
        # The same execution also has a Web Client link: Jumio does not say whether WEB and API uploads may be mixed
        # in one execution (reference §2.3, UNCONFIRMED and risky); agents are told to use one path per verification.
        credential = next((c for c in self.store.credentials(execution.id) if part.lower() in c.parts), None)
        if credential is None or credential.api_token is None:
            await self._reject(execution, upload.id, filename,
                               f"this workflow takes no {blocks.PART_LABELS.get(part, part)}.")
            return
        file = payload["file"]
        try:
            if not file.get("url_private_download"):
                info = await self._slack("files_info", file=file["id"])
                file = {**file, **info["file"]}
            downloaded = await download(self.http, file["url_private_download"], self.options.bot_token,
                                        extra_hosts=self.options.slack_hosts, declared_size=file.get("size"))
            photo = check_photo(downloaded.content)
        except FileRejected as rejected:
            await self._reject(execution, upload.id, filename, rejected.reason)
            return
        except Abandon as abandon:
            await self._reject(execution, upload.id, filename, abandon.reason.split(": ", 1)[-1] + ".")
            return
        digest = downloaded.sha256
        del downloaded
        if not self.store.mark_upload_sending(upload.id):
            return
        try:
            await self.jumio.upload_part(credential.parts[part.lower()], credential.api_token, photo.content,
                                         filename=f"{part.lower()}.{'jpg' if photo.format == 'JPEG' else 'png'}",
                                         content_type=photo.content_type)
        except BaseException as exc:
            # Still alive: Jumio's answer (or its absence) is known here, so the next attempt may send again.
            self.store.mark_upload_unsent(upload.id)
            if not isinstance(exc, InvalidRequest | AuthenticationFailed | Forbidden | NotFound):
                raise
            await self._refused_by_jumio(execution, upload.id, filename, exc)
            return

        size = len(photo.content)
        del photo
        replaced = self.store.record_upload_done(upload.id, part=part, sha256=digest, size=size)
        self.store.audit(upload.uploaded_by or "unknown", "photo_uploaded", execution.id,
                         f"{part} from Slack file {upload.slack_file_id}, {size} bytes, sha256 {digest[:12]}")
        await self.say_in_thread(execution, blocks.part_received(part, bool(replaced), filename))
        await self.refresh_root(execution)
        self._submit_when_complete(execution)

    def _submit_when_complete(self, execution: Execution) -> None:
        """Every photo the workflow takes is in: queue the submit (once, whoever asks)."""
        complete = set(self.accepted_parts(execution)) <= self.store.uploaded_parts(execution.id)
        if execution.status == INITIATED and complete:
            self.enqueue("finalize", {"execution": execution.id, "by": None}, dedupe_key=f"finalize:{execution.id}")

    async def _refused_by_jumio(self, execution: Execution, upload_id: int, filename: str, exc: BaseException
                                ) -> None:
        if isinstance(exc, InvalidRequest):
            await self._reject(execution, upload_id, filename, f"Jumio refused it: {exc.jumio_message or exc.message}")
        else:
            await self._reject(execution, upload_id, filename,
                               "Jumio no longer takes photos for this verification (it was submitted or expired).")

    async def _reject(self, execution: Execution, upload_id: int, filename: str, reason: str) -> None:
        self.store.record_upload_rejected(upload_id, reason)
        self.store.audit("system", "photo_rejected", execution.id, reason)
        await self.say_in_thread(execution, blocks.file_rejected(filename, reason))

    # --- finalize and results --------------------------------------------------------------------------------

    async def finalize(self, job: Job) -> None:
        execution = self.store.execution(job.payload["execution"])
        if execution.status == PENDING:
            raise RetryLater("waiting for the Jumio account", delay=1.0)
        if execution.status == ACQUIRED:
            self._schedule_poll(execution, 0)  # a crash may have come between the submit and scheduling its polls
            return
        if execution.status != INITIATED:
            return
        credential = next((c for c in self.store.credentials(execution.id) if c.finalize_url and c.api_token), None)
        if credential is None:
            raise Abandon("the verification has no way to submit through the API")
        try:
            await self.jumio.finalize(credential.finalize_url, credential.api_token)  # type: ignore[arg-type]
        except (AuthenticationFailed, Forbidden):
            # A finalize whose answer was lost is refused the second time: ask Jumio where it stands.
            status = await self.jumio.get_status(execution.account_id or "", execution.workflow_execution_id or "")
            if status.status == INITIATED:
                raise
            if status.status in FINAL_STATUSES:
                self.enqueue("fetch_result", {"execution": execution.id})
                return
        if not self.store.mark_finalized(execution.id):
            return
        by = job.payload.get("by")
        self.store.audit(by or "system", "submitted", execution.id, "finalized" + ("" if by else " automatically"))
        await self.say_in_thread(execution, blocks.submitted(by))
        await self.refresh_root(execution)
        self._schedule_poll(execution, 0)

    def _schedule_poll(self, execution: Execution, attempt: int) -> None:
        schedule = self.options.poll_schedule
        if attempt < len(schedule):
            self.enqueue("poll", {"execution": execution.id, "attempt": attempt},
                         dedupe_key=f"poll:{execution.id}:{attempt}", delay=schedule[attempt])

    async def poll(self, job: Job) -> None:
        execution = self.store.execution(job.payload["execution"])
        if execution.is_final or not execution.workflow_execution_id:
            return
        attempt = int(job.payload.get("attempt", 0))
        status = await self.jumio.get_status(execution.account_id or "", execution.workflow_execution_id)
        if status.status in FINAL_STATUSES:
            await self._fetch_and_report(execution)
            return
        if status.status == ACQUIRED and execution.status == INITIATED:
            self.store.record_status(execution.id, ACQUIRED)  # the customer finished in the Web Client
            await self.refresh_root(execution)
            if attempt == SWEEP:
                self._schedule_poll(execution, 0)
                return
        if attempt == SWEEP:
            return  # a sweep of an execution still waiting for the customer
        if attempt + 1 < len(self.options.poll_schedule):
            self._schedule_poll(execution, attempt + 1)
        else:
            minutes = max(1, round(sum(self.options.poll_schedule) / 60))
            every = max(1, round(self.options.poll_schedule[-1] / 60))
            await self.say_in_thread(execution, blocks.notice(
                f":hourglass: Jumio has not decided after {minutes} minutes. I keep asking about every {every} "
                f"minutes and will post the decision here; `/verify status {execution.customer_ref}` shows where it "
                "stands."))

    async def fetch_result(self, job: Job) -> None:
        execution = self.store.execution(job.payload["execution"])
        if execution.is_final or not execution.workflow_execution_id:
            return
        await self._fetch_and_report(execution)

    async def _fetch_and_report(self, execution: Execution) -> None:
        details = await self.jumio.get_details(execution.account_id or "", execution.workflow_execution_id or "")
        if details.status == ACQUIRED and execution.status == INITIATED:
            self.store.record_status(execution.id, ACQUIRED)
            await self.refresh_root(execution)
            self._schedule_poll(execution, 0)
            return
        if details.status not in FINAL_STATUSES:
            return
        with self.store.transaction():  # the outcome and the duty to tell the thread, together
            stored = self.store.record_result(
                execution.id,
                status=details.status,
                decision_type=details.decision_type,
                decision_label=details.decision_label,
                risk_score=details.risk_score,
                capabilities=[c.to_json() for c in details.capabilities],
            )
            if stored:
                self.store.audit("jumio", "result", execution.id,
                                 f"{details.status} {details.decision_type or ''} {details.decision_label or ''}".strip())
                self.store.enqueue("report_result", {"execution": execution.id},
                                   dedupe_key=f"report_result:{execution.id}")
        if stored:
            self.wake()

    async def report_result(self, job: Job) -> None:
        """The decision, or the expiry with a New link button, in the thread; the root message shows it too."""
        execution = self.store.execution(job.payload["execution"])
        if execution.status == PROCESSED:
            await self.say_in_thread(execution, blocks.result_message(execution))
        else:
            await self.say_in_thread(execution, blocks.expired_message(execution))
        await self.refresh_root(execution)

    def enqueue_sweep(self, limit: int = 100) -> int:
        """Queue a status check of each execution still waiting for Jumio whose turn has come, since no callback may
        ever come: a young one every few seconds, an old one about every quarter of an hour (the poll schedule's
        first and last step), each right after its link expires, and a submitted one once its polls are over."""
        schedule = self.options.poll_schedule
        with self.store.transaction():
            due = self.store.claim_status_checks(shortest=schedule[0], longest=schedule[-1], polled_for=sum(schedule),
                                                 limit=limit)
            for execution in due:
                self.store.enqueue("poll", {"execution": execution.id, "attempt": SWEEP}, max_attempts=3)
        if due:
            self.wake()
        return len(due)

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.options.poll_schedule[0])
            try:
                self.enqueue_sweep()
                self.store.forget_old_events()
                self.store.forget_old_jobs()
            except Exception as exc:  # noqa: BLE001 - recorded, never lost
                log.warning("status sweep failed: %s", type(exc).__name__)

    # --- a new link ------------------------------------------------------------------------------------------

    async def new_link(self, job: Job) -> None:
        previous = self.store.execution(job.payload["execution"])
        requested_by = job.payload["by"]
        execution = self.store.execution_replacing(previous.id)
        if execution is None:
            execution = self.store.record_execution(
                customer_ref=previous.customer_ref, workflow_key=previous.workflow_key, channel_id=previous.channel_id,
                started_by=requested_by, user_ref=previous.user_ref, locale=previous.locale, team_id=previous.team_id,
                thread_ts=previous.thread_ts, replaces=previous.id,
            )
        if execution.workflow_execution_id is None:
            await self.say_in_thread(execution, blocks.new_link_started(requested_by))
            self._record_session(execution, await self._create_account(execution), requested_by)
            self.store.audit(requested_by, "new_link", execution.id, f"replaces #{previous.id}")
        await self._announce(execution, requested_by, None)

    # --- failures --------------------------------------------------------------------------------------------

    async def on_dead(self, job: Job, reason: str) -> None:
        """A job gave up: say so where the agent will see it, with a Retry button."""
        execution_id = job.payload.get("execution")
        if execution_id is None:
            return
        execution = self.store.execution(execution_id)
        if job.kind == "start":
            self.store.record_failure(execution.id, reason, give_up=True)
        self.store.audit("system", "job_failed", execution.id, f"{job.kind}: {reason}")
        if job.kind == "poll" and job.payload.get("attempt") == SWEEP:
            return  # the next sweep asks again; not worth a message in every open thread during an outage
        if job.kind in ("post_message", "refresh_root"):
            return  # Slack would not take it for an hour: telling the thread would fail the same way
        what = JOB_TITLES.get(job.kind, job.kind)
        if execution.thread_ts:
            await self.say_in_thread(execution, blocks.job_failed(what, reason, job.id))
            if job.kind == "start":
                await self.refresh_root(execution)
        else:
            await self._respond(job, f":warning: {what} for {execution.customer_ref} failed: {reason}")


def closed_reason(execution: Execution) -> str:
    """Why a verification takes no more photos, in the agent's words."""
    if execution.status == ACQUIRED:
        return "this verification was already submitted to Jumio."
    if execution.status == PROCESSED:
        return "this verification already has Jumio's decision."
    if execution.status in (TOKEN_EXPIRED, SESSION_EXPIRED):
        return "this verification expired; press New link to start again."
    if execution.status == FAILED:
        return "this verification could not start."
    return "this verification does not take photos now."

