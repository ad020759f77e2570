"""The private photos modal, submitted: each file given goes to Jumio like a thread drop, never into the channel."""

from __future__ import annotations

import json
from typing import Any

from bot import blocks
from bot.blocks import audit
from bot.services import services_of


async def handle_photos_submission(ack: Any, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
    services = services_of(context)
    user_id = body["user"]["id"]
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        execution = services.store.executions.get(int(metadata["execution"]))
    except (ValueError, KeyError, TypeError):
        await ack(response_action="update", view=blocks.stale_form())
        return
    if metadata.get("channel_id") != execution.channel_id or not services.access.allows(user_id, execution.channel_id):
        services.store.audit.add(user_id, audit.REFUSED, execution.id, "private photos")
        await ack(response_action="update", view=blocks.notice_modal(blocks.UPLOAD_REFUSED, title="Customer photos"))
        return
    values = (view.get("state") or {}).get("values") or {}
    files, parts = [], {}
    for part, block_id in blocks.PHOTO_BLOCKS.items():
        for file in ((values.get(block_id) or {}).get("file") or {}).get("files") or []:
            if isinstance(file, dict) and isinstance(file.get("id"), str):
                files.append(file)
                parts[file["id"]] = part
    if not files:
        first = next((b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"), "photo_front")
        await ack(response_action="errors", errors={first: blocks.NO_PHOTO_GIVEN})
        return
    await ack()
    services.journey.photos_given(execution, user_id, files, parts)
