"""`verify_identity`: a workflow runs `/verify REF` in a channel for a person, with the same checks; what is wrong
fails the step at once with a sentence, and nothing is started at Jumio."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks import workflow_step as words
from bot.listeners.start_request import StartRequest, check_start
from bot.services import Services, services_of
from bot.slack_errors import error_code

log = logging.getLogger("bot.listeners")


def _text(value: Any) -> str | None:
    """An input's value as text (Workflow Builder may leave an optional input out, or empty)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


async def _refusal(
    services: Services, client: AsyncWebClient, user_id: str | None, channel_id: str | None, values: dict[str, Any]
) -> tuple[StartRequest | None, str | None, str | None]:
    """The start, or the refusal for the workflow (which may repeat a refused input's value) and what the audit
    keeps of it (input names and fixed sentences only: no personal data)."""
    if user_id is None:
        return None, words.NO_REQUESTER, words.NO_REQUESTER
    if channel_id is None:
        return None, words.NO_CHANNEL, words.NO_CHANNEL
    if not services.access.allows(user_id, channel_id):
        return None, words.REFUSED, words.REFUSED
    if services.access.teams:  # the workflow's workspace passed the global check; the person may be a guest
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
            if not services.access.allows_team(user.get("team_id"), user.get("enterprise_id")):
                return None, words.OTHER_TEAM, words.OTHER_TEAM
        except SlackApiError as exc:
            log.info("the step's requester's team is unknown: %s", error_code(exc))
    request, errors = await check_start(
        services, client, user_id=user_id, channel_id=channel_id, values=values, already_open=words.already_open
    )
    if request is None:
        sentence = " ".join(dict.fromkeys(blocks.plain(message) for message in errors.values()))
        return None, sentence, "inputs refused: " + ", ".join(sorted(errors))
    return request, None, None


async def handle_verify_identity(
    body: dict[str, Any], inputs: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    services = services_of(context)
    step_id = context.function_execution_id
    if not step_id or services.store.steps.get(step_id) is not None:
        return  # Slack delivered the same step again: it is under way
    values = {name: _text(value) for name, value in (inputs or {}).items()}
    user_id, channel_id = values.get("requested_by"), values.get("channel")
    request, refusal, audited = await _refusal(services, client, user_id, channel_id, values)
    start = (
        None
        if request is None
        else {
            "customer_ref": request.customer_ref,
            "user_ref": request.user_ref,
            "locale": request.locale,
            "supporting_data": request.supporting_data,
        }
    )
    services.journey.begin_step(
        step_id,
        token=context.function_bot_access_token,
        channel_id=channel_id,
        requested_by=user_id,
        team_id=body.get("team_id"),
        start=start,
        refusal=refusal,
        audited=audited,
    )
