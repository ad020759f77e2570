"""`/verify <customer-ref>`, `/verify` (the form), `/verify status <ref>`, `/verify erase <ref>`, `/verify help`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, validation
from bot.listeners.commands.erase import erase_command
from bot.listeners.common import status_answer, tell
from bot.services import services_of
from bot.slack_errors import error_code


async def handle_verify(
    ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    services = services_of(context)
    user_id, channel_id = command["user_id"], command["channel_id"]
    trigger_id = command.get("trigger_id")
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    if not text:
        await ack()
        try:
            await client.views_open(trigger_id=trigger_id, view=blocks.start_modal(channel_id))
        except SlackApiError as exc:
            await tell(client, channel_id, user_id, (blocks.form_failed(error_code(exc)), []))
        return
    if word.lower() == "help":
        help_text, body = blocks.help_message()
        await ack(text=help_text, blocks=body, response_type="ephemeral")
        return
    if word.lower() == "erase":
        await erase_command(ack, services, client, command, rest)
        return
    if word.lower() == "status":
        try:
            reference = validation.customer_reference(rest)
        except validation.ValidationError as error:
            await ack(text=blocks.status_usage(blocks.escape(error.message)), response_type="ephemeral")
            return
        await ack()  # the answer needs Slack's word on private channels: it follows through the response_url
        answer, body = await status_answer(services, client, user_id, reference)
        await respond(text=answer, blocks=body, response_type="ephemeral")
        return
    try:
        reference = validation.command_reference(text)
    except validation.ValidationError as error:
        await ack(text=f":warning: {blocks.escape(error.message)}", response_type="ephemeral")
        return
    too_many = services.journey.start_refusal(user_id)
    if too_many is not None:
        await ack(text=too_many, response_type="ephemeral")
        return
    open_execution = services.journey.open_verification(reference)
    if open_execution is not None:
        answer, body = blocks.already_open(open_execution, reference)
        await ack(text=answer, blocks=body, response_type="ephemeral")
        return
    started = services.journey.start(
        customer_ref=reference,
        channel_id=channel_id,
        user_id=user_id,
        team_id=command.get("team_id"),
        response_url=command.get("response_url"),
        once=f"command:{trigger_id}" if trigger_id else None,
    )
    if started is None:
        await ack()  # the same command delivered twice
        return
    await ack(text=blocks.starting(reference), response_type="ephemeral")
