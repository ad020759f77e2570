"""What the form and the Workflow Builder step check before a verification starts: the same rules as `/verify`, each
problem under the field (or input) it concerns."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, validation
from bot.services import Services
from bot.slack_errors import error_code

SUPPORTING_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone_number",
    "date_of_birth",
    "line1",
    "line2",
    "city",
    "postal_code",
    "subdivision",
    "country",
)
# The form must close within Slack's 3 s: a channel check that takes longer lets the form through (the start then
# tells the agent directly if it cannot post).
CHANNEL_CHECK_SECONDS = 1.5


@dataclass(frozen=True)
class StartRequest:
    """A start that passed every check: what `Journey.start` takes."""

    customer_ref: str
    channel_id: str
    user_id: str
    user_ref: str | None
    locale: str | None
    supporting_data: dict[str, Any] | None  # Prepared Data, Jumio's field names; personal data


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


def _checked(errors: dict[str, str], check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except validation.ValidationError as error:
        errors.setdefault(error.field, error.message)
        return None


async def check_start(
    services: Services,
    client: AsyncWebClient,
    *,
    user_id: str,
    channel_id: str | None,
    values: dict[str, Any],
    another_anyway: bool = False,
    already_open: Callable[[str, int], str],
) -> tuple[StartRequest | None, dict[str, str]]:
    """The start these values ask for, or each problem by field: the reference, the agent's caps, the optional
    fields, a customer with an open verification (unless `another_anyway`; `already_open(reference, id)` words it),
    and a channel the bot cannot post in (asked of Slack only when all else is right). Access is the caller's."""
    errors: dict[str, str] = {}
    if not channel_id:
        errors["channel"] = "Choose the channel where the verification should appear."
    reference = _checked(errors, validation.customer_reference, values.get("customer_reference"))
    too_many = services.journey.start_refusal(user_id)
    if too_many is not None:
        errors["customer_reference"] = blocks.plain(too_many)
    user_reference = _checked(errors, validation.user_reference, values.get("user_reference"))
    locale = _checked(errors, validation.locale, values.get("locale"))
    supporting, problems = validation.supporting_data_problems({name: values.get(name) for name in SUPPORTING_FIELDS})
    for problem in problems:
        errors.setdefault(problem.field, problem.message)
    if reference is not None and not another_anyway:
        open_execution = services.journey.open_verification(reference)
        if open_execution is not None:
            errors.setdefault("customer_reference", already_open(reference, open_execution.id))
    if channel_id and not errors:
        unreachable = await cannot_post_in(client, channel_id)
        if unreachable:
            errors["channel"] = unreachable
    if errors or reference is None or channel_id is None:
        return None, errors
    return StartRequest(
        customer_ref=reference,
        channel_id=channel_id,
        user_id=user_id,
        user_ref=user_reference,
        locale=locale,
        supporting_data=supporting.to_prepared_data() if supporting and not supporting.is_empty() else None,
    ), errors
