"""Photos out of the channel: once Jumio has a photo an agent dropped in a thread, the bot deletes it from Slack with
that agent's user token (if they connected their Slack user), or reminds them to, naming the file.

relay done (a thread drop) ──► delete_slack_file (files.delete as the agent) ──► "deleted from this thread"
                          └──► no user token, or Slack refuses: a reminder in the thread, naming the file

Photos given in the private photos modal were never shared into the channel: nothing to delete.

An erase deletes the customer's photos still in its threads the same way (erase_slack_file), for agents who connected
their user; the confirmation named the others for an admin to delete by hand. Those jobs keep the file's ID only
until they end, and say nothing that names the file.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, slack_errors
from bot.blocks import audit
from bot.jobs import GaveUp, Handler, JobKind
from bot.journey.context import SLACK_RETRIES, Context
from bot.journey.delivery import Delivery
from bot.slack_errors import SlackFailed
from storage import Execution, SlackPhoto

log = logging.getLogger("bot.journey")

_ALREADY_GONE = {"file_not_found", "file_deleted"}


@dataclass(frozen=True)
class DeleteSlackFile:
    execution: int
    file_id: str
    by: str  # the agent who dropped it (and whose user token deletes it)
    filename: str


DELETE_SLACK_FILE = JobKind(
    "delete_slack_file",
    DeleteSlackFile,
    title="Deleting the photo from Slack",
    dedupe=lambda p: f"delete_slack_file:{p.file_id}",
    retry=SLACK_RETRIES,
    tell_when_dead=False,
)


@dataclass(frozen=True)
class EraseSlackFile:
    execution: int
    upload: int
    file_id: str | None  # blanked when the job ends: an erased customer's photo leaves no pointer behind
    by: str  # the agent who dropped it (and whose user token deletes it)


ERASE_SLACK_FILE = JobKind(
    "erase_slack_file",
    EraseSlackFile,
    title="Deleting an erased customer's photo from Slack",
    retry=SLACK_RETRIES,
    erase=("file_id",),
    tell_when_dead=False,
)


class Cleanup:
    def __init__(self, ctx: Context, delivery: Delivery) -> None:
        self.ctx = ctx
        self.delivery = delivery

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {DELETE_SLACK_FILE: self._delete, ERASE_SLACK_FILE: self._erase_file}

    def relayed(self, execution: Execution, file_id: str, by: str | None, filename: str) -> None:
        """Jumio has this photo from the thread: delete it from Slack as its uploader, or remind them to."""
        if by and self.ctx.store.secrets.user_token(by):
            self.ctx.queue.add(DELETE_SLACK_FILE, DeleteSlackFile(execution.id, file_id, by, filename))
        else:
            self._remind(execution, by, filename)

    def erase_photos(self, photos: list[SlackPhoto]) -> None:
        """An erase: each photo still in Slack whose agent connected their user is deleted as them (within the
        erase's transaction, before its file IDs are forgotten)."""
        for photo in photos:
            if photo.connected and photo.uploaded_by:
                self.ctx.queue.add(
                    ERASE_SLACK_FILE,
                    EraseSlackFile(photo.execution, photo.upload_id, photo.slack_file_id, photo.uploaded_by),
                )

    def when_given_up(self) -> dict[JobKind[Any], GaveUp]:
        """A deletion that ran out of attempts (Slack down for an hour): the agent is reminded after all."""
        return {DELETE_SLACK_FILE: self._delete_gave_up, ERASE_SLACK_FILE: self._erase_gave_up}

    def _delete_gave_up(self, payload: DeleteSlackFile, _reason: str) -> None:
        execution = self.ctx.store.executions.get(payload.execution)
        self._remind(execution, payload.by, payload.filename, "Slack did not answer for too long.")

    def _erase_gave_up(self, payload: EraseSlackFile, _reason: str) -> None:
        self._erase_failed(payload, "Slack did not answer for too long.")

    def _remind(self, execution: Execution, by: str | None, filename: str, why: str | None = None) -> None:
        self.ctx.store.audit.add(audit.BOT, audit.SLACK_FILE_REMINDER, execution.id, why or "no user token")
        self.delivery.say_in_thread_later(
            execution, blocks.delete_your_photo(filename, by, can_connect=self.ctx.options.users_can_connect, why=why)
        )

    async def _delete(self, payload: DeleteSlackFile) -> None:
        store = self.ctx.store
        execution = store.executions.get(payload.execution)
        token = store.secrets.user_token(payload.by)
        if token is None:  # disconnected meanwhile
            self._remind(execution, payload.by, payload.filename)
            return
        code = await self._files_delete(token, payload.file_id)
        if code in _ALREADY_GONE:
            with store.transaction():
                self._mark_deleted(execution.id, payload.file_id)
                store.audit.add(audit.BOT, audit.SLACK_FILE_DELETED, execution.id, "it was gone from Slack already")
            return
        if code is not None:
            if code in slack_errors.TOKEN_GONE:
                store.secrets.forget_user_token(payload.by)
            self._remind(
                execution,
                payload.by,
                payload.filename,
                blocks.slack_refused_deletion(code, reconnect=code in slack_errors.TOKEN_GONE),
            )
            return
        with store.transaction():
            self._mark_deleted(execution.id, payload.file_id)
            store.audit.add(
                payload.by, audit.SLACK_FILE_DELETED, execution.id, "deleted from Slack as the agent who dropped it"
            )
            self.delivery.say_in_thread_later(execution, blocks.photo_deleted_from_slack(payload.filename))

    async def _erase_file(self, payload: EraseSlackFile) -> None:
        store = self.ctx.store
        token = store.secrets.user_token(payload.by)
        if token is None or payload.file_id is None:
            self._erase_failed(payload, "the agent disconnected their Slack user.")
            return
        code = await self._files_delete(token, payload.file_id)
        if code is not None and code not in _ALREADY_GONE:
            self._erase_failed(payload, blocks.slack_refused_deletion(code, reconnect=False))
            return
        with store.transaction():
            store.erasure.mark_deleted_from_slack(payload.upload)
            store.audit.add(
                payload.by,
                audit.SLACK_FILE_DELETED,
                payload.execution,
                "an erased customer's photo, as the agent who dropped it",
            )

    async def _files_delete(self, token: str, file_id: str) -> str | None:
        """files.delete as the agent: None when deleted, else Slack's final answer (gone already, refused). A
        transient one (ratelimited, 5xx, …) raises SlackFailed: the job tries again. Any other answer is final
        (file_deleting_disabled, cant_delete_file, a token gone): an hour of retries would change nothing."""
        try:
            async with self._as_agent(token) as client:
                await client.files_delete(file=file_id)
        except SlackApiError as exc:
            code = slack_errors.error_code(exc)
            if slack_errors.is_transient(code):
                raise SlackFailed(code) from None
            return code
        return None

    def _mark_deleted(self, execution_id: int, file_id: str) -> None:
        upload = self.ctx.store.uploads.by_file(execution_id, file_id)
        if upload is not None:
            self.ctx.store.erasure.mark_deleted_from_slack(upload.id)

    def _erase_failed(self, payload: EraseSlackFile, why: str) -> None:
        """An erased customer's photo stays in Slack: the thread asks for it to be deleted by hand, naming no file."""
        execution = self.ctx.store.executions.get(payload.execution)
        with self.ctx.store.transaction():
            self.ctx.store.audit.add(audit.BOT, audit.SLACK_FILE_REMINDER, execution.id, f"after the erase: {why}")
            self.delivery.say_in_thread_later(execution, blocks.erased_photo_left(payload.by, why))

    @contextlib.asynccontextmanager
    async def _as_agent(self, token: str) -> AsyncIterator[AsyncWebClient]:
        """A Web API client with an agent's user token (its own HTTP session, closed after)."""
        async with aiohttp.ClientSession() as session:
            yield AsyncWebClient(token=token, base_url=self.ctx.options.slack_api_url, session=session)

    async def disconnect(self, user_id: str) -> None:
        token = self.ctx.store.secrets.user_token(user_id)
        if token is None:
            return
        try:
            async with self._as_agent(token) as client:
                await client.auth_revoke()
        except Exception as exc:  # noqa: BLE001 - forgotten here whatever Slack says; the agent can revoke it there
            log.info("auth.revoke of a user token failed: %s", type(exc).__name__)
        self.ctx.store.secrets.forget_user_token(user_id)
        self.ctx.store.audit.add(user_id, audit.SLACK_USER_DISCONNECTED, None, "user token revoked and forgotten")
