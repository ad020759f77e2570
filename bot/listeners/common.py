"""Small helpers the listeners share."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
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
