"""The /verify form: every field checked, errors shown under the field, nothing recorded until all is valid."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.common import form_values
from bot.listeners.start_request import check_start
from bot.services import services_of


async def handle_start_submission(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    services = services_of(context)
    user_id = body["user"]["id"]
    values = form_values(view)
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    channel_id = metadata.get("channel_id") or values.get("channel")  # `may_submit_the_form` allowed it
    request, errors = await check_start(
        services,
        client,
        user_id=user_id,
        channel_id=channel_id,
        values=values,
        another_anyway="force" in (values.get("force") or []),
        already_open=lambda reference, execution: (
            f"{reference} already has an open verification (#{execution}, started by another agent or earlier). "
            "Tick 'Start another anyway' below to start a second one."
        ),
    )
    if "channel" in errors and "channel" not in values:  # the form opened in a channel has no channel field
        errors.setdefault("customer_reference", errors.pop("channel"))
    if request is None:
        await ack(response_action="errors", errors=errors)
        return
    # Stored before the ack closes the form, as /verify does; the same form arriving twice starts one.
    services.journey.start(
        customer_ref=request.customer_ref,
        channel_id=request.channel_id,
        user_id=user_id,
        team_id=(body.get("team") or {}).get("id"),
        user_ref=request.user_ref,
        locale=request.locale,
        supporting_data=request.supporting_data,
        once=f"view:{view['id']}" if view.get("id") else None,
    )
    await ack()
