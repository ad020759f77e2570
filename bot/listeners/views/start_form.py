"""The /verify form: every field checked, errors shown under the field, nothing recorded until all is valid."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, validation
from bot.services import services_of
from bot.slack_errors import error_code

SUPPORTING_FIELDS = ("first_name", "last_name", "email", "phone_number", "date_of_birth", "line1", "line2", "city",
                     "postal_code", "subdivision", "country")


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """Each input block's value by block id: text, the selected option, date, conversation or checkboxes."""
    values: dict[str, Any] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        element = actions.get("value") or next(iter(actions.values()), {})
        if "selected_option" in element:
            values[block_id] = (element.get("selected_option") or {}).get("value")
        elif "selected_date" in element:
            values[block_id] = element.get("selected_date")
        elif "selected_conversation" in element:
            values[block_id] = element.get("selected_conversation")
        elif "selected_options" in element:
            values[block_id] = [o.get("value") for o in element.get("selected_options") or []]
        else:
            values[block_id] = element.get("value")
    return values


def _checked(errors: dict[str, str], check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except validation.ValidationError as error:
        errors.setdefault(error.field, error.message)
        return None


# The form must close within Slack's 3 s: a channel check that takes longer lets the form through (the start then
# tells the agent directly if it cannot post).
CHANNEL_CHECK_SECONDS = 1.5


async def cannot_post_in(client: AsyncWebClient, channel_id: str) -> str | None:
    """Why the bot cannot post in `channel_id`, in the agent's words; None when it can (or Slack cannot say now)."""
    try:
        answer = await asyncio.wait_for(client.conversations_info(channel=channel_id), CHANNEL_CHECK_SECONDS)
    except SlackApiError as exc:
        if error_code(exc) != "channel_not_found":
            return None
        return blocks.NOT_IN_CHANNEL  # Slack hides a private channel the bot is not in
    except (TimeoutError, aiohttp.ClientError):
        return None
    channel = answer.get("channel") or {}
    if channel.get("is_archived"):
        return "That channel is archived: choose another one."
    if not channel.get("is_member", True):
        return blocks.NOT_IN_CHANNEL
    return None


async def handle_start_submission(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient,
                                  context: dict[str, Any]) -> None:
    services = services_of(context)
    user_id = body["user"]["id"]
    values = form_values(view)
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    channel_id = metadata.get("channel_id") or values.get("channel")
    errors: dict[str, str] = {}
    if not channel_id:
        errors["channel"] = "Choose the channel where the verification should appear."
    if not services.access.allows(user_id, channel_id):
        services.store.audit(user_id, "refused", None, f"form in {channel_id}")
        block = "channel" if "channel" in values else "customer_reference"
        await ack(response_action="errors", errors={block: blocks.refusal()[0]})
        return
    reference = _checked(errors, validation.customer_reference, values.get("customer_reference"))
    too_many = services.journey.start_refusal(user_id)
    if too_many is not None:
        errors["customer_reference"] = blocks.plain(too_many)
    user_reference = _checked(errors, validation.user_reference, values.get("user_reference"))
    locale = _checked(errors, validation.locale, values.get("locale"))
    supporting, problems = validation.supporting_data_problems({name: values.get(name) for name in SUPPORTING_FIELDS})
    for problem in problems:
        errors.setdefault(problem.field, problem.message)
    if reference is not None and "force" not in (values.get("force") or []):
        open_execution = services.store.open_execution_for_customer(reference)
        if open_execution is not None:
            errors["customer_reference"] = (
                f"{reference} already has an open verification (#{open_execution.id}, started by another agent "
                "or earlier). Tick 'Start another anyway' below to start a second one.")
    if channel_id and not errors:
        problem = await cannot_post_in(client, channel_id)
        if problem:
            errors["channel" if "channel" in values else "customer_reference"] = problem
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    # Stored before the ack closes the form, as /verify does; the same form arriving twice starts one.
    services.journey.start(
        customer_ref=reference, channel_id=channel_id, user_id=user_id, team_id=(body.get("team") or {}).get("id"),
        user_ref=user_reference, locale=locale,
        supporting_data=supporting.to_prepared_data() if supporting and not supporting.is_empty() else None,
        once=f"view:{view['id']}" if view.get("id") else None,
    )
    await ack()
