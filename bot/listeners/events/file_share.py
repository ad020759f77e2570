"""Photos dropped in a verification's thread: claim each file once, then ask which part or queue the relay."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.app import Services
from bot.journey import closed_reason
from bot.keywords import part_for_file
from bot.listeners.common import say_in_thread, tell
from bot.slack_files import precheck
from storage import INITIATED, PENDING

log = logging.getLogger("bot.listeners.file_share")


async def handle_file_share(event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
    services: Services = context["services"]
    thread_ts = event.get("thread_ts")
    channel_id = event.get("channel")
    if not thread_ts or not channel_id or thread_ts == event.get("ts"):
        return  # not a reply in a thread
    execution = services.store.latest_execution_in_thread(channel_id, thread_ts)
    if execution is None:
        return  # a thread the bot does not own
    user_id = event.get("user") or ""
    if not services.access.allows(user_id, channel_id):
        services.store.audit(user_id or "unknown", "refused", execution.id, "photo from a user who may not use the bot")
        await tell(client, channel_id, user_id, blocks.notice(
            ":no_entry_sign: Only verification agents can send photos to Jumio; your file was not sent."), thread_ts)
        return
    files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
    accepted = services.journey.accepted_parts(execution)
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
            await say_in_thread(client, channel_id, thread_ts, blocks.file_rejected(name, reason))
            continue
        services.store.audit(user_id, "photo_received", execution.id,
                             f"Slack file {file['id']} as {part or 'unknown part'}")
        if part is None and len(accepted) == 1:
            part = accepted[0]
            services.store.choose_upload_part(upload.id, part)
        if part is None:
            await say_in_thread(client, channel_id, thread_ts, blocks.ask_part(upload.id, name, accepted))
            continue
        services.journey.enqueue("relay_photo", relay_payload(execution.id, file), dedupe_key=f"relay:{upload.id}")


def relay_payload(execution_id: int, file: dict[str, Any]) -> dict[str, Any]:
    """What the relay job needs of a Slack file: no more (no thumbnails, no permalinks)."""
    keep = ("id", "name", "title", "mimetype", "filetype", "size", "url_private_download")
    return {"execution": execution_id, "file": {key: file[key] for key in keep if key in file}}
