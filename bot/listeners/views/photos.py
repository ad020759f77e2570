"""The private photos modal, submitted: each file given goes to Jumio like a thread drop, never into the channel."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot import blocks
from bot.services import services_of


async def handle_photos_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    services = services_of(context)
    user_id = body["user"]["id"]
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        execution = services.store.executions.get(int(metadata["execution"]))
    except (ValueError, KeyError, TypeError):
        await ack(response_action="update", view=blocks.stale_form())
        return
    # Allowed in the verification's channel, the one the modal came from: `may_act_on_its_verification` checked.
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
