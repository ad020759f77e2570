"""Small helpers the listeners share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.services import Services
from bot.slack_errors import error_code

log = logging.getLogger("bot.listeners")


async def tell(client: AsyncWebClient, channel_id: str, user_id: str, message: blocks.Message,
               thread_ts: str | None = None) -> None:
    """An ephemeral message to one person; a failure is logged, never raised into Bolt."""
    text, body = message
    kwargs: dict[str, Any] = {"channel": channel_id, "user": user_id, "text": text, "blocks": body}
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    try:
        await client.chat_postEphemeral(**kwargs)
    except SlackApiError as exc:
        log.warning("could not send an ephemeral message: %s", error_code(exc))


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


async def channel_namer(client: AsyncWebClient, user_id: str, channel_ids: Iterable[str]) -> Callable[[str], str]:
    """How to name each channel to `user_id`: `<#C…>`, except a private channel they are not in."""
    private = await private_channels(client, channel_ids)
    theirs: set[str] = set()
    if private:
        try:
            answer = await client.users_conversations(user=user_id, types="private_channel", limit=1000)
            theirs = {c["id"] for c in answer.get("channels") or []}
        except SlackApiError as exc:
            log.info("the user's private channels are unknown: %s", error_code(exc))
    return lambda channel: "a private channel" if channel in private - theirs else f"<#{channel}>"


async def status_answer(services: Services, client: AsyncWebClient, user_id: str, reference: str, page: int = 0
                        ) -> blocks.Message:
    """A customer's verifications with their whole history, one page of it; private channels named only to their
    members."""
    history = services.store.customer_history(reference)
    where = await channel_namer(client, user_id, [execution.channel_id for execution, _ in history])
    return blocks.status_message(reference, history, page=page, where=where)
