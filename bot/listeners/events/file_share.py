"""Photos dropped in a verification's thread: parse the event, check who dropped them, hand them to the journey.

The recording runs as listener middleware, which Bolt runs before it acknowledges the event: the claims, the
relay jobs and the thread replies are in SQLite, in one transaction, before Slack hears 200. A crash before that
makes Slack deliver the event again, and the claims make a second delivery harmless.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks import audit
from bot.listeners.common import Next, tell
from bot.services import Services, services_of


async def record_file_share(body: dict[str, Any], context: AsyncBoltContext, next: Next) -> BoltResponse | None:
    """Listener middleware: record what the event asks for before the ack; the listener only tells a refusal."""
    context["upload_refused"] = record_photos(services_of(context), body.get("event") or {})
    return await next()


def record_photos(services: Services, event: dict[str, Any]) -> bool:
    """Hand the event's files to the thread's verification; True when the user may not use the bot (nothing is
    claimed)."""
    thread_ts = event.get("thread_ts")
    channel_id = event.get("channel")
    if not thread_ts or not channel_id or thread_ts == event.get("ts"):
        return False  # not a reply in a thread
    execution = services.store.executions.latest_in_thread(channel_id, thread_ts)
    if execution is None:
        return False  # a thread the bot does not own
    user_id = event.get("user") or ""
    if not services.access.allows(user_id, channel_id):
        services.store.audit.add(
            user_id or "unknown", audit.REFUSED, execution.id, "photo from a user who may not use the bot"
        )
        return True
    files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
    services.journey.photos_shared(execution, user_id, files, event.get("text"))
    return False


async def handle_file_share(event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    if context.get("upload_refused"):
        await tell(
            client, event["channel"], event.get("user") or "", blocks.notice(blocks.UPLOAD_REFUSED), event.get("thread_ts")
        )
