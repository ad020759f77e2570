"""Photos and submitting: each Slack file claimed once, its part known or asked, relayed to Jumio, and the
verification submitted once its photos are in (automatically) or when Submit is pressed (without a back).

photo in the thread ──► claim ──► relay_photo: download ──► check ──► upload part ──► checklist ──► finalize?
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.blocks import audit
from bot.jobs import Abandon, Handler, JobKind, RetryLater
from bot.journey.cleanup import Cleanup
from bot.journey.context import JUMIO_RETRIES, Context, PhotoPath, local_status
from bot.journey.delivery import Delivery
from bot.journey.results import Results
from bot.jumio import AuthenticationFailed, Forbidden, NotFound
from bot.keywords import part_for_file
from bot.relay import Source, Withdrawn, inspect, relay
from bot.slack_files import DownloadFailed, FileRejected, PhotoRefused, precheck
from storage import JUMIO_FINAL_STATUSES, Execution, Status, Upload, UploadState

# What a relay needs of a Slack file: no more (no thumbnails, no permalinks).
FILE_FIELDS = ("id", "name", "title", "mimetype", "filetype", "size", "url_private_download")
# Submit before every photo is in needs these: a passport has no back (reference §5, UNCONFIRMED per workflow).
REQUIRED_FOR_SUBMIT = ("FRONT", "FACE")


@dataclass(frozen=True)
class Relay:
    execution: int
    upload: int
    file: dict[str, Any] | None  # FILE_FIELDS of the Slack file; blanked when the job ends (its private URL)
    round: int = 0  # 1: the relay of a photo held until the customer consented


@dataclass(frozen=True)
class Finalize:
    execution: int
    by: str | None  # who pressed Submit; None when every photo was in


RELAY_PHOTO = JobKind(
    "relay_photo",
    Relay,
    title="Sending the photo to Jumio",
    dedupe=lambda p: f"relay:{p.upload}:{p.round}",
    retry=JUMIO_RETRIES,
    erase=("file",),
)
FINALIZE = JobKind(
    "finalize", Finalize, title="Submitting to Jumio", dedupe=lambda p: f"finalize:{p.execution}", retry=JUMIO_RETRIES
)


def submit_refusal(execution: Execution, uploaded: set[str], accepted: Sequence[str]) -> str | None:
    """The one Submit rule: why this verification cannot be submitted now, or None when it can. Submit needs the
    required photos the workflow takes; the bot submits on its own once every photo it takes is in."""
    if execution.status != Status.INITIATED:
        return blocks.ALREADY_SUBMITTED
    missing = [part for part in REQUIRED_FOR_SUBMIT if part in accepted and part not in uploaded]
    return blocks.submit_needs(missing) if missing or not uploaded else None


def is_complete(uploaded: set[str], accepted: Sequence[str]) -> bool:
    return bool(accepted) and set(accepted) <= uploaded


class Photos:
    def __init__(self, ctx: Context, delivery: Delivery, results: Results, cleanup: Cleanup) -> None:
        self.ctx = ctx
        self.delivery = delivery
        self.results = results
        self.cleanup = cleanup  # once Jumio has a photo dropped in the thread: deleted from Slack, or a reminder

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {RELAY_PHOTO: self._relay, FINALIZE: self._finalize}

    # --- intents ----------------------------------------------------------------------------------------------

    def photos_shared(
        self,
        execution: Execution,
        user_id: str,
        files: list[dict[str, Any]],
        text: str | None,
        *,
        parts: dict[str, str] | None = None,
        in_channel: bool = True,
    ) -> None:
        """Claim each file of a message in the verification's thread (or, `in_channel` False, of the private photos
        modal, with `parts` by file id) once and queue what follows (a relay, a question, a rejection), all in one
        transaction."""
        store, queue = self.ctx.store, self.ctx.queue
        accepted = self.ctx.accepted_parts(execution)
        with store.transaction():
            files = self._within_limits(execution, user_id, files)
            for file in files:
                part = (parts or {}).get(file["id"]) or part_for_file(
                    file.get("name") or file.get("title"), text, len(files)
                )
                upload = store.uploads.claim(execution.id, file["id"], user_id, part, in_channel=in_channel)
                if upload is None:
                    continue  # this file was already taken (a redelivery, or the same file in two events)
                name = file.get("name") or file.get("title") or "the file"
                reason = precheck(file)
                if reason is None and execution.status not in (Status.PENDING, Status.INITIATED):
                    reason = blocks.closed_reason(execution)
                if reason is None and self.ctx.photo_path(execution) is PhotoPath.CLOSED:
                    reason = blocks.PHOTO_PATH_CLOSED
                if reason is not None:
                    store.uploads.record_rejected(upload.id, reason)
                    store.audit.add(user_id, audit.PHOTO_REJECTED, execution.id, audit.Reason(reason))
                    self.delivery.say_in_thread_later(execution, blocks.file_rejected(name, reason))
                    continue
                store.audit.add(user_id, audit.PHOTO_RECEIVED, execution.id, audit.Dropped(part))
                if part is None and len(accepted) == 1:
                    part = accepted[0]
                    store.uploads.choose_part(upload.id, part)
                if part is None:
                    self.delivery.say_in_thread_later(execution, blocks.ask_part(upload.id, name, accepted))
                    continue
                kept = {key: file[key] for key in FILE_FIELDS if key in file}
                queue.add(RELAY_PHOTO, Relay(execution.id, upload.id, kept))

    def _within_limits(self, execution: Execution, user_id: str, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The files of a message that fit the caps (per message, per verification). The rest are claimed as
        refused, so a redelivery does not answer again, and get one reply between them (within the caller's
        transaction)."""
        store, limits = self.ctx.store, self.ctx.options.limits
        room = max(0, limits.photos_per_verification - store.uploads.counted(execution.id))
        taken = min(limits.files_per_message, room)
        if len(files) <= taken:
            return files
        reason = (
            blocks.too_many_for_verification(limits.photos_per_verification, execution.customer_ref)
            if room < limits.files_per_message
            else blocks.too_many_in_message(limits.files_per_message)
        )
        over = []
        for file in files[taken:]:
            upload = store.uploads.claim(execution.id, file["id"], user_id, None)
            if upload is not None:
                store.uploads.record_rejected(upload.id, reason)
                over.append(file.get("name") or file.get("title") or "a file")
        if over:
            store.audit.add(user_id, audit.PHOTO_REJECTED, execution.id, audit.Reason(f"{len(over)} over the limit"))
            self.delivery.say_in_thread_later(execution, blocks.files_over_limit(over, reason))
        return files[:taken]

    def choose_part(self, upload_id: int, part: str, user_id: str, filename: str) -> Upload | None:
        """The agent said which part a photo is: queue its relay. None when it was already chosen."""
        store = self.ctx.store
        with store.transaction():
            upload = store.uploads.choose_part(upload_id, part)
            if upload is not None:
                store.audit.add(user_id, audit.PART_CHOSEN, upload.execution, audit.PartChosen(part, upload.id))
                file = {"id": upload.slack_file_id, "name": filename}
                self.ctx.queue.add(RELAY_PHOTO, Relay(upload.execution, upload.id, file))
        return upload

    def submit(self, execution: Execution, user_id: str) -> str | None:
        """Submit pressed: queue the finalize (once, whoever presses), or say why not."""
        refusal = submit_refusal(
            execution, self.ctx.store.uploads.parts_done(execution.id), self.ctx.accepted_parts(execution)
        )
        if refusal is None:
            self.ctx.queue.add(FINALIZE, Finalize(execution.id, user_id))
        return refusal

    # --- jobs -------------------------------------------------------------------------------------------------

    async def _relay(self, payload: Relay) -> None:
        store = self.ctx.store
        upload = store.uploads.get(payload.upload)
        if upload is None:
            return
        execution = store.executions.get(upload.execution)
        file = payload.file or {"id": upload.slack_file_id}  # blanked by an ended job (retried): Slack says the rest
        filename = file.get("name") or "the file"
        if upload.state == UploadState.SENDING:
            # The process died while these bytes were on their way to Jumio: whether Jumio has them is unknown.
            store.uploads.record_rejected(upload.id, blocks.RESTARTED_WHILE_SENDING, state=UploadState.UNCERTAIN)
            store.audit.add(audit.BOT, audit.PHOTO_UNCERTAIN, execution.id, f"upload #{upload.id}")
            await self.delivery.say_in_thread(execution, blocks.drop_again(filename, blocks.RESTARTED_WHILE_SENDING))
            return
        if upload.state == UploadState.UPLOADED:
            self._submit_when_complete(execution)  # a crash may have come between the upload and this step
            return
        if upload.state != UploadState.CLAIMED or upload.part is None:
            return  # done with, or waiting for the agent to say which part it is
        if execution.status == Status.PENDING:
            raise RetryLater("waiting for the Jumio account", delay=1.0)
        if execution.status != Status.INITIATED:
            await self._reject(execution, upload.id, filename, blocks.closed_reason(execution))
            return
        path = self.ctx.photo_path(execution)
        if path is PhotoPath.CLOSED:
            await self._reject(execution, upload.id, filename, blocks.PHOTO_PATH_CLOSED)
            return
        part = upload.part
        # The same execution also has a Web Client link: Jumio does not say whether WEB and API uploads may be mixed
        # in one execution (reference §2.3, UNCONFIRMED and risky); agents are told to use one path per verification.
        credential = store.executions.credentials(execution.id).for_part(part)
        if credential is None or credential.api_token is None:
            await self._reject(execution, upload.id, filename, blocks.part_not_taken(part))
            return
        if path is PhotoPath.NEEDS_CONSENT:
            await self._check_and_hold(execution, upload, file, filename)
            return
        source = await self._source(execution, upload, file)
        if source is None:
            return
        photo, filename = source
        started = time.monotonic()
        try:
            relayed = await relay(
                self.ctx.http,
                self.ctx.jumio,
                photo,
                part=part,
                part_url=credential.parts[part.lower()],
                api_token=credential.api_token,
                before_sending=lambda: store.uploads.mark_sending(upload.id),
            )
        except Withdrawn:
            return
        except BaseException as exc:
            # Still alive: Jumio's answer (or its absence) is known here, so the next attempt may send again.
            store.uploads.mark_unsent(upload.id)
            if isinstance(exc, PhotoRefused):  # refused for good; one whose bytes reached Jumio counts to the cap
                await self._reject(execution, upload.id, filename, exc.reason, reached_jumio=exc.reached_jumio)
                return
            if isinstance(exc, DownloadFailed):  # interrupted: said once, tried again
                await self._not_sent(execution, upload, filename, exc)
            raise
        assert relayed.answer is not None
        if store.executions.get(execution.id).erased_by is not None:
            # Erased while the photo was on its way: nothing of it is kept here (its hash, its api.token), and the
            # erase's account deletion covers what Jumio got.
            store.uploads.record_rejected(upload.id, "the verification was erased while the photo was being sent")
            return
        self.ctx.metrics.relay_seconds.observe(time.monotonic() - started)
        answer = relayed.answer
        store.executions.refresh_credential(
            credential.credential_id, api_token=answer.api_token, finalize_url=answer.finalize_url, parts=answer.parts
        )
        replaced = store.uploads.record_done(upload.id, part=part, sha256=relayed.sha256, size=relayed.size)
        store.audit.add(
            upload.uploaded_by or "unknown",
            audit.PHOTO_UPLOADED,
            execution.id,
            audit.PhotoSent(part, upload.id, relayed.size),
        )
        # The first photo in, and no other on its way (photos dropped together need no reminder): checked before any
        # await, so two relays finishing together cannot both be first.
        first = (
            not replaced
            and len(uploaded := store.uploads.parts_done(execution.id)) == 1
            and not is_complete(uploaded, self.ctx.accepted_parts(execution))
            and not any(
                u.state in (UploadState.CLAIMED, UploadState.SENDING) for u in store.uploads.of_execution(execution.id)
            )
        )
        await self.delivery.say_in_thread(execution, blocks.part_received(part, bool(replaced), filename))
        if first:
            await self.delivery.say_in_thread(
                execution, blocks.session_clock(store.clock(), blocks.SESSION_INACTIVITY_MINUTES)
            )
        if upload.in_channel:
            self.cleanup.relayed(execution, upload.slack_file_id, upload.uploaded_by, filename)
        await self.delivery.redraw_root(execution)
        self._submit_when_complete(execution)

    async def _source(self, execution: Execution, upload: Upload, file: dict[str, Any]) -> tuple[Source, str] | None:
        """Where the photo is in Slack (asking files.info for a stub), with its name; None when Slack says it is
        gone for good (the thread was told)."""
        filename = file.get("name") or "the file"
        if not file.get("url_private_download"):
            try:
                info = await self.delivery.slack("files_info", file=file["id"])
            except Abandon as abandon:
                await self._reject(execution, upload.id, filename, abandon.reason.split(": ", 1)[-1] + ".")
                return None
            file = {**file, **info["file"]}
            filename = file.get("name") or filename
        return Source(
            file["url_private_download"], self.ctx.options.bot_token, self.ctx.options.slack_origins, file.get("size")
        ), filename

    async def _not_sent(self, execution: Execution, upload: Upload, filename: str, failure: DownloadFailed) -> None:
        """The download broke off while it was being relayed: the thread hears once that this photo is not at Jumio
        yet (the job tries again, as with any passing failure)."""
        if not self.ctx.store.uploads.mark_told_not_sent(upload.id):
            return
        self.ctx.store.audit.add(
            audit.BOT, audit.PHOTO_NOT_SENT, execution.id, audit.Failed(f"upload {upload.id}", failure.safe_message)
        )
        await self.delivery.say_in_thread(execution, blocks.not_sent_yet(filename, failure.safe_message))

    async def _check_and_hold(self, execution: Execution, upload: Upload, file: dict[str, Any], filename: str) -> None:
        """Before the customer's consent: judge the photo now (so the agent hears at once that a PDF will not do),
        drop its bytes, and keep only the claim until the consent opens the path."""
        source = await self._source(execution, upload, file)
        if source is None:
            return
        checked, filename = source
        try:
            await inspect(self.ctx.http, checked)  # read through, nothing kept
        except FileRejected as rejected:
            await self._reject(execution, upload.id, filename, rejected.reason)
            return
        if self.ctx.store.uploads.mark_held(upload.id, execution.id):
            self.ctx.store.audit.add(
                upload.uploaded_by or "unknown",
                audit.PHOTO_HELD,
                execution.id,
                audit.PhotoHeld(upload.part, upload.id),
            )
            await self.delivery.say_in_thread(execution, blocks.photo_held(upload.part or "", filename))

    def release_held(self, origin: Execution, api: Execution) -> None:
        """The customer consented and `api` takes photos: what waited on `origin` goes to it (within the caller's
        transaction)."""
        for upload in self.ctx.store.uploads.move_waiting(origin.id, api.id):
            if upload.part is not None:
                self.ctx.queue.add(RELAY_PHOTO, Relay(api.id, upload.id, {"id": upload.slack_file_id}, round=1))

    def _submit_when_complete(self, execution: Execution) -> None:
        """Every photo the workflow takes is in: queue the submit (once, whoever asks)."""
        uploaded = self.ctx.store.uploads.parts_done(execution.id)
        if execution.status == Status.INITIATED and is_complete(uploaded, self.ctx.accepted_parts(execution)):
            self.ctx.queue.add(FINALIZE, Finalize(execution.id, None))

    async def _reject(
        self, execution: Execution, upload_id: int, filename: str, reason: str, *, reached_jumio: bool = False
    ) -> None:
        state = UploadState.FAILED if reached_jumio else UploadState.REJECTED  # only a refusal here is not counted
        self.ctx.store.uploads.record_rejected(upload_id, reason, state=state)
        self.ctx.store.audit.add(audit.BOT, audit.PHOTO_REJECTED, execution.id, audit.Reason(reason))
        await self.delivery.say_in_thread(execution, blocks.file_rejected(filename, reason))

    async def _finalize(self, payload: Finalize) -> None:
        store = self.ctx.store
        execution = store.executions.get(payload.execution)
        if execution.status == Status.PENDING:
            raise RetryLater("waiting for the Jumio account", delay=1.0)
        if execution.status == Status.ACQUIRED:
            self.results.schedule_poll(execution, 0)  # a crash may have come between the submit and its polls
            return
        if execution.status != Status.INITIATED:
            return
        if self.ctx.supporting_data_unsent(execution):  # until it is sent, or its job gives up and forgets it
            raise RetryLater("waiting for the supporting data to reach Jumio", delay=1.0)
        credential = store.executions.credentials(execution.id).finalizing()
        if credential is None or credential.finalize_url is None or credential.api_token is None:
            raise Abandon("the verification has no way to submit through the API")
        try:
            await self.ctx.jumio.finalize(credential.finalize_url, credential.api_token)
        except NotFound:
            await self.results.forgotten(execution)
            return
        except (AuthenticationFailed, Forbidden):
            # A finalize whose answer was lost is refused the second time: ask Jumio where it stands.
            answer = await self.ctx.jumio.get_status(execution.account_id or "", execution.workflow_execution_id or "")
            status = local_status(answer.status)
            if status == Status.INITIATED:
                raise
            if status in JUMIO_FINAL_STATUSES:
                self.results.fetch_later(execution)
                return
        if not store.executions.mark_finalized(execution.id):
            return
        store.secrets.forget_supporting_data(execution.id)  # Jumio has it in the execution it now processes
        store.audit.add(
            payload.by or audit.BOT, audit.SUBMITTED, execution.id, "finalized" + ("" if payload.by else " automatically")
        )
        await self.delivery.say_in_thread(execution, blocks.submitted(payload.by))
        await self.delivery.redraw_root(execution)
        self.results.schedule_poll(execution, 0)
