"""Photos dropped in a verification's thread: claim each file once, then ask which part or queue the relay.

The recording runs as listener middleware, which Bolt runs before it acknowledges the event: the claims, the
relay jobs and the thread replies are in SQLite, in one transaction, before Slack hears 200. A crash before that
makes Slack deliver the event again, and the claims make a second delivery harmless.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.app import Services
from bot.journey import closed_reason
from bot.keywords import part_for_file
from bot.listeners.common import tell
from bot.slack_files import precheck
from storage import INITIATED, PENDING

REFUSED = ":no_entry_sign: Only verification agents can send photos to Jumio; your file was not sent."


async def record_file_share(body: dict[str, Any], context: dict[str, Any], next: Any) -> BoltResponse | None:
    """Listener middleware: record what the event asks for before the ack; the listener only tells a refusal."""
    context["upload_refused"] = record_photos(context["services"], body.get("event") or {})
    return await next()


def record_photos(services: Services, event: dict[str, Any]) -> bool:
    """Claim the event's files for the thread's verification and queue what follows; True when the user may not
    use the bot (nothing is claimed)."""
    thread_ts = event.get("thread_ts")
    channel_id = event.get("channel")
    if not thread_ts or not channel_id or thread_ts == event.get("ts"):
        return False  # not a reply in a thread
    execution = services.store.latest_execution_in_thread(channel_id, thread_ts)
    if execution is None:
        return False  # a thread the bot does not own
    user_id = event.get("user") or ""
    if not services.access.allows(user_id, channel_id):
        services.store.audit(user_id or "unknown", "refused", execution.id, "photo from a user who may not use the bot")
        return True
    files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
    accepted = services.journey.accepted_parts(execution)
    journey = services.journey
    with services.store.transaction():
        for file in files:
            part = part_for_file(file.get("name") or file.get("title"), event.get("text"), len(files))
            upload = services.store.claim_upload(execution.id, file["id"], user_id, part)
            if upload is None:
                continue  # this file was already taken (a redelivery, or the same file in two events)
            name = file.get("name") or file.get("title") or "the file"
            reason = precheck(file)
            if reason is None and execution.status not in (PENDING, INITIATED):
                reason = closed_reason(execution)
            if reason is not None:
                services.store.record_upload_rejected(upload.id, reason)
                services.store.audit(user_id, "photo_rejected", execution.id, reason)
                journey.say_in_thread_later(execution, blocks.file_rejected(name, reason))
                continue
            services.store.audit(user_id, "photo_received", execution.id,
                                 f"Slack file {file['id']} as {part or 'unknown part'}")
            if part is None and len(accepted) == 1:
                part = accepted[0]
                services.store.choose_upload_part(upload.id, part)
            if part is None:
                journey.say_in_thread_later(execution, blocks.ask_part(upload.id, name, accepted))
                continue
            journey.enqueue("relay_photo", relay_payload(execution.id, file), dedupe_key=f"relay:{upload.id}")
    return False


async def handle_file_share(event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
    if context.get("upload_refused"):
        await tell(client, event["channel"], event.get("user") or "", blocks.notice(REFUSED), event.get("thread_ts"))


def relay_payload(execution_id: int, file: dict[str, Any]) -> dict[str, Any]:
    """What the relay job needs of a Slack file: no more (no thumbnails, no permalinks)."""
    keep = ("id", "name", "title", "mimetype", "filetype", "size", "url_private_download")
    return {"execution": execution_id, "file": {key: file[key] for key in keep if key in file}}
