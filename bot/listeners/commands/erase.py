"""`/verify erase <customer-ref>`: for IDV_ADMINS only, a confirmation modal that names what will go."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, validation
from bot.listeners.common import tell
from bot.services import Services
from bot.slack_errors import error_code


async def erase_command(
    ack: AsyncAck, services: Services, client: AsyncWebClient, command: dict[str, Any], rest: str
) -> None:
    user_id, channel_id = command["user_id"], command["channel_id"]  # an admin: `may_verify_here` checked
    try:
        reference = validation.customer_reference(rest)
    except validation.ValidationError as error:
        await ack(text=blocks.erase_usage(blocks.escape(error.message)), response_type="ephemeral")
        return
    plan = services.journey.erase_plan(reference)
    if not plan.to_erase and not plan.accounts:  # (an account Jumio has not confirmed deleted is erased again)
        await ack(text=blocks.nothing_left_to_erase(plan), response_type="ephemeral")
        return
    await ack()
    try:
        await client.views_open(trigger_id=command.get("trigger_id"), view=blocks.erase_modal(plan, channel_id))
    except SlackApiError as exc:
        await tell(client, channel_id, user_id, (blocks.form_failed(error_code(exc)), []))
