"""Small helpers the listeners share."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.services import Services
from bot.slack_errors import EPHEMERAL_UNDELIVERABLE, error_code

Next = Callable[[], Awaitable[BoltResponse]]  # a middleware's `next` (Bolt returns the response)

log = logging.getLogger("bot.listeners")


async def tell(
    client: AsyncWebClient, channel_id: str, user_id: str, message: blocks.Message, thread_ts: str | None = None
) -> None:
    """An ephemeral message to one person, or the app's Messages tab where Slack will never show it (they are not in
    the channel); a failure is logged, never raised into Bolt."""
    text, body = message
    kwargs: dict[str, Any] = {"channel": channel_id, "user": user_id, "text": text, "blocks": body}
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    try:
        await client.chat_postEphemeral(**kwargs)
        return
    except SlackApiError as exc:
        if error_code(exc) not in EPHEMERAL_UNDELIVERABLE:
            log.warning("could not send an ephemeral message: %s", error_code(exc))
            return
    try:
        await client.chat_postMessage(channel=user_id, text=text, blocks=body)
    except SlackApiError as exc:
        log.warning("could not send a private message either: %s", error_code(exc))


async def private_channels(client: AsyncWebClient, channel_ids: Iterable[str]) -> set[str]:
    """Which of these channels are private (one the bot cannot see, or cannot ask about, counts as private)."""
    private = set()
    for channel_id in set(channel_ids):
        try:
            answer = await client.conversations_info(channel=channel_id)
            if answer["channel"].get("is_private"):
                private.add(channel_id)
        except (SlackApiError, KeyError) as exc:
            log.info("channel %s taken for private: %s", channel_id, type(exc).__name__)
            private.add(channel_id)
    return private


# users.conversations: "limit: Must be an integer with a max value of 999" (reference §13); Slack refuses more.
USERS_CONVERSATIONS_LIMIT = 999
USERS_CONVERSATIONS_PAGES = 10


async def user_channels(client: AsyncWebClient, user_id: str, types: str) -> list[str]:
    """The channels of these types `user_id` is in (private ones only where the bot is too), up to 9,990; raises
    SlackApiError when Slack cannot say."""
    channels: list[str] = []
    cursor = None
    for _page in range(USERS_CONVERSATIONS_PAGES):
        answer = await client.users_conversations(
            user=user_id, types=types, exclude_archived=True, limit=USERS_CONVERSATIONS_LIMIT, cursor=cursor
        )
        channels += [channel["id"] for channel in answer.get("channels") or []]
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return channels


async def channel_namer(client: AsyncWebClient, user_id: str, channel_ids: Iterable[str]) -> Callable[[str], str]:
    """How to name each channel to `user_id`: `<#C…>`, except a private channel they are not in."""
    private = await private_channels(client, channel_ids)
    theirs: set[str] = set()
    if private:
        try:
            theirs = set(await user_channels(client, user_id, "private_channel"))
        except SlackApiError as exc:
            log.info("the user's private channels are unknown: %s", error_code(exc))
    return lambda channel: "a private channel" if channel in private - theirs else f"<#{channel}>"


async def status_answer(
    services: Services, client: AsyncWebClient, user_id: str, reference: str, page: int = 0
) -> blocks.Message:
    """A customer's verifications with their whole history, one page of it; private channels named only to their
    members."""
    history = services.store.executions.customer_history(reference)
    where = await channel_namer(client, user_id, [execution.channel_id for execution, _ in history])
    return blocks.status_message(reference, history, page=page, where=where)


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """Each input block's value by block id: text, the selected option, date, conversation or checkboxes."""
    values: dict[str, Any] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        element: dict[str, Any] = actions.get("value") or next(iter(actions.values()), {})
        if "selected_option" in element:
            values[block_id] = (element.get("selected_option") or {}).get("value")
        elif "selected_date" in element:
            values[block_id] = element.get("selected_date")
        elif "selected_conversation" in element:
            values[block_id] = element.get("selected_conversation")
        elif "selected_options" in element:
            values[block_id] = [o.get("value") for o in element.get("selected_options") or []]
        else:
            values[block_id] = element.get("value")
    return values
