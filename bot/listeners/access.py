"""Who may act, checked once per surface as Bolt listener middleware: a refusal is answered in that surface's way
and audited once, and the listener behind it runs only for someone allowed.

| surface | middleware | refusal |
|---|---|---|
| `/verify` | `may_verify_here` (the user, in the command's channel) | ephemeral, nothing started |
| message buttons | `may_click_here` (the clicker, in the click's channel) | ephemeral in the thread (acked) |
| erase (command and confirmation) | `is_admin` (IDV_ADMINS), called where the erase is asked | `NOT_AN_ADMIN` |

Slack Connect users of a team that may not use the bot are refused before any of these, by the app's global
middleware (`bot.app`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks import audit
from bot.listeners.common import tell
from bot.services import Services, services_of

Next = Callable[[], Awaitable[None]]

# What each message button asks for, in the audit's words when it is refused.
BUTTON_WORDS = {
    blocks.ACTION_SUBMIT: "submit",
    blocks.ACTION_NEW_LINK: "new link",
    blocks.ACTION_SHOW_LINK: "customer link",
    blocks.ACTION_TAKE_OVER: "take over",
    blocks.ACTION_RETRY: "retry",
    blocks.ACTION_START_ANYWAY: "start anyway",
    blocks.ACTION_PRIVATE_PHOTOS: "private photos",
    blocks.ACTION_STATUS_PAGE: "status page",
    blocks.ACTION_STATUS_NEWER: "status page",
    blocks.ACTION_STATUS_OLDER: "status page",
}


async def may_verify_here(command: dict[str, Any], context: AsyncBoltContext, next: Next) -> BoltResponse | None:
    """`/verify` (every sub-command): the user must be allowed in the command's channel. A refusal is the
    command's answer (Bolt returns a listener middleware's response as the acknowledgement)."""
    services = services_of(context)
    user_id, channel_id = command["user_id"], command["channel_id"]
    if services.access.allows(user_id, channel_id):
        await next()
        return None
    services.store.audit.add(user_id, audit.REFUSED, None, f"/verify in {channel_id}")
    text, body = blocks.refusal()
    return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text, "blocks": body})


def who_and_where(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """A click's user, channel and thread (None where the click has none, as in a modal)."""
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    return user_id, channel_id, message.get("thread_ts") or message.get("ts")


async def may_click_here(
    body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, next: Next
) -> BoltResponse | None:
    """A message button: the clicker must be allowed in the channel the click came from (a click without one is
    refused). What the button's value names is checked by the listener (it must be in the same channel)."""
    services = services_of(context)
    user_id, channel_id, thread_ts = who_and_where(body)
    if channel_id is not None and services.access.allows(user_id, channel_id):
        await next()
        return None
    action_id = str(((body.get("actions") or [{}])[0]).get("action_id") or "")
    what = BUTTON_WORDS.get(action_id, "choose part" if action_id.startswith(blocks.ACTION_CHOOSE_PART) else action_id)
    services.store.audit.add(user_id, audit.REFUSED, None, what)
    if channel_id:
        await tell(client, channel_id, user_id, blocks.refusal(), thread_ts)
    return BoltResponse(status=200, body="")  # the click's acknowledgement


def is_admin(services: Services, user_id: str) -> bool:
    """Whether `user_id` may erase (IDV_ADMINS); a refusal is audited here, answered by the caller's surface."""
    if user_id in services.access.admins:
        return True
    services.store.audit.add(user_id, audit.ERASE_REFUSED, None, "not in IDV_ADMINS")
    return False
