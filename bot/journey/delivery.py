"""Delivery to Slack: thread messages, private notes, the root message's redraws and response_url answers.

Slack failing never holds the journey up: what Slack cannot take now goes to a job that keeps trying for about an
hour; what it will never take (an archived channel, a channel the bot is not in) is audited, logged and told to the agent
who started the verification in a direct message.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import blocks, slack_errors
from bot.blocks import audit
from bot.jobs import Abandon, Handler, JobKind, plain_reason
from bot.journey.context import SLACK_RETRIES, Context, OfExecution
from bot.slack_errors import SlackFailed
from bot.slack_files import is_slack_url
from storage import Execution

log = logging.getLogger("bot.journey")


@dataclass(frozen=True)
class Post:
    execution: int
    post: dict[str, Any]  # chat.postMessage's arguments: channel, thread_ts, text, blocks


MEMBERS_PER_PAGE = 200  # conversations.members, paged (reference §13: channels:read / groups:read)
MEMBER_PAGES = 50
POST_MESSAGE = JobKind("post_message", Post, title="Posting in the thread", retry=SLACK_RETRIES, tell_when_dead=False)
REDRAW_ROOT = JobKind(
    "redraw_root", OfExecution, title="Updating the verification's message", retry=SLACK_RETRIES, tell_when_dead=False
)


class Delivery:
    """Everything the journey says in Slack goes through here."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # A lock lives while someone holds or awaits it (weak values), so they do not pile up.
        self._root_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    def handlers(self) -> dict[JobKind[Any], Handler]:
        return {POST_MESSAGE: self._post_job, REDRAW_ROOT: self._redraw_job}

    async def slack(self, method: str, **kwargs: Any) -> Any:
        """A Web API call: Abandon for an error that retrying cannot fix, SlackFailed for one it may."""
        try:
            return await getattr(self.ctx.slack, method)(**kwargs)
        except SlackApiError as exc:
            code = slack_errors.error_code(exc)
            if code in slack_errors.PERMANENT:
                raise Abandon(f"Slack answered {code}: {slack_errors.PERMANENT[code]}", code=code) from None
            raise SlackFailed(code) from None

    async def say_in_thread(self, execution: Execution, message: blocks.Message) -> None:
        """Post in the verification's thread, now or (if Slack cannot take it now) from a job."""
        if not execution.thread_ts:
            return
        if not await self._deliver("chat_postMessage", self._thread_post(execution, message), execution.id):
            self.say_in_thread_later(execution, message)

    def say_in_thread_later(self, execution: Execution, message: blocks.Message) -> None:
        """Queue a message for the thread (within the caller's transaction, if any): a job posts it."""
        self.ctx.queue.add(POST_MESSAGE, Post(execution.id, self._thread_post(execution, message)))

    @staticmethod
    def _thread_post(execution: Execution, message: blocks.Message) -> dict[str, Any]:
        text, body = message
        return {"channel": execution.channel_id, "thread_ts": execution.thread_ts, "text": text, "blocks": body}

    async def _post_job(self, payload: Post) -> None:
        try:
            await self.slack("chat_postMessage", **payload.post)
        except Abandon as never:
            await self._thread_closed(self.ctx.store.executions.get(payload.execution), payload.post, never.reason)
            raise

    async def _deliver(self, method: str, kwargs: dict[str, Any], execution_id: int) -> bool:
        """Call Slack; False when it is worth trying again later. A refusal for good is audited, not raised."""
        try:
            await self.slack(method, **kwargs)
        except Abandon as never:
            log.warning("execution %s: %s", execution_id, never.reason)
            self.ctx.store.audit.add(audit.BOT, audit.SLACK_REFUSED, execution_id, audit.Reason(never.reason))
            if method == "chat_postMessage":
                await self._thread_closed(self.ctx.store.executions.get(execution_id), kwargs, never.reason)
        except (SlackFailed, aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "execution %s: Slack did not take %s (%s); a job will try again", execution_id, method, plain_reason(exc)
            )
            return False
        return True

    async def _thread_closed(self, execution: Execution, post: dict[str, Any], reason: str) -> None:
        """Slack will never take a message in this thread (the bot was removed, the channel archived): the agent who
        started the verification hears it directly instead."""
        await self.tell_directly(
            execution.started_by, blocks.thread_closed(execution.customer_ref, reason, str(post.get("text") or ""))
        )

    async def tell_directly(self, user_id: str, message: blocks.Message) -> None:
        """A direct message from the app to one agent (its Messages tab), for when the channel cannot be used; a
        failure is logged, never raised."""
        text, body = message
        try:
            await self.slack("chat_postMessage", channel=user_id, text=text, blocks=body)
        except (Abandon, SlackFailed, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not message the agent directly either (%s)", plain_reason(exc))

    async def tell_those_not_in_the_channel(
        self, execution: Execution, user_ids: list[str], message: blocks.Message
    ) -> None:
        """A mention reaches only members of the channel: whoever of `user_ids` left it gets the same words in the
        app's Messages tab. When Slack cannot say who is in the channel, the mention stands alone."""
        try:
            members = await self._members(execution.channel_id)
        except (Abandon, SlackFailed, aiohttp.ClientError, TimeoutError) as exc:
            log.info("execution %s: the channel's members are unknown (%s)", execution.id, plain_reason(exc))
            return
        for user_id in dict.fromkeys(user_ids):
            if user_id not in members:
                await self.tell_directly(user_id, message)

    async def _members(self, channel_id: str) -> set[str]:
        members: set[str] = set()
        cursor = None
        for _page in range(MEMBER_PAGES):
            answer = await self.slack("conversations_members", channel=channel_id, limit=MEMBERS_PER_PAGE, cursor=cursor)
            members.update(answer.get("members") or [])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return members

    async def tell_privately(self, execution: Execution, user_id: str, message: blocks.Message) -> None:
        """An ephemeral in the verification's channel; where Slack will never show one (the agent left the channel,
        say: `user_not_in_channel`) the same words go to the app's Messages tab, so that refusal never reads as a
        failed step. A refusal that is no one's fault but the layout's is raised as Abandon."""
        text, body = message
        try:
            await self.slack("chat_postEphemeral", channel=execution.channel_id, user=user_id, text=text, blocks=body)
        except Abandon as never:
            if never.code not in slack_errors.EPHEMERAL_UNDELIVERABLE:
                raise
            log.info("execution %s: an ephemeral Slack refuses (%s) goes to the Messages tab", execution.id, never.code)
            await self.tell_directly(user_id, message)

    async def redraw_root(self, execution: Execution, *, now: bool = False) -> None:
        """Redraw the root message from the stored state (idempotent); if Slack cannot take it, a job redraws it
        later (with `now`, the failure is raised instead: that job).

        Redraws of one thread are serialised and read the state inside the lock: two jobs finishing together
        (the last photo and the decision, say) cannot leave the older picture on top.
        """
        store = self.ctx.store
        execution = store.executions.get(execution.id)
        key = (execution.channel_id, execution.thread_ts or "")
        lock = self._root_locks.get(key)
        if lock is None:
            lock = self._root_locks[key] = asyncio.Lock()
        async with lock:
            execution = store.executions.get(execution.id)
            if not execution.thread_ts:
                return
            # The thread shows its newest execution (a new link, or the one made with the customer's consent).
            execution = store.executions.newest_in_its_thread(execution)
            text, body = blocks.root_message(
                execution, store.uploads.parts_done(execution.id), self.ctx.accepted_parts(execution)
            )
            update = {"channel": execution.channel_id, "ts": execution.thread_ts, "text": text, "blocks": body}
            if now:
                await self.slack("chat_update", **update)
            elif not await self._deliver("chat_update", update, execution.id):
                self.ctx.queue.add(REDRAW_ROOT, OfExecution(execution.id))

    async def _redraw_job(self, payload: OfExecution) -> None:
        await self.redraw_root(self.ctx.store.executions.get(payload.execution), now=True)

    async def respond(self, response_url: str | None, message: blocks.Message) -> bool:
        """Answer through a slash command's response_url (when there is no thread yet); only to Slack's hosts.
        False when there is none or it did not take the answer."""
        if not response_url or not is_slack_url(response_url, self.ctx.options.slack_origins):
            return False
        text, _ = message
        try:
            answer = await AsyncWebhookClient(response_url).send(text=text, response_type="ephemeral")
        except Exception:  # noqa: BLE001 - a dead response_url (over 30 minutes old): the caller tells it otherwise
            return False
        return answer.status_code == 200
