"""The erase confirmation, submitted: the admin is checked again, the customer erased, the modal says what went."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot import blocks
from bot.services import services_of


async def handle_erase_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    services = services_of(context)
    user_id = body["user"]["id"]  # an admin: `must_be_admin` checked
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        customer_ref = str(metadata["customer_ref"])
        shown = {int(i) for i in metadata.get("ids", [])}
        channel_id = str(metadata.get("channel_id") or "")
    except (ValueError, KeyError, TypeError):
        await ack(response_action="update", view=blocks.stale_form())
        return
    # Bound to what the admin saw: a verification started since is not erased unseen (no await until the erase).
    current = services.journey.erase_plan(customer_ref)
    if {e.id for e in current.to_erase} - shown:
        await ack(response_action="update", view=blocks.erase_modal(current, channel_id, changed=True))
        return
    plan = services.journey.erase(customer_ref, user_id)
    if plan.to_erase or plan.accounts:
        await ack(response_action="update", view=blocks.erase_done_modal(plan))
    else:  # erased meanwhile (a second admin, a second tab)
        await ack(response_action="update", view=blocks.notice_modal(blocks.nothing_left_to_erase(plan)))
