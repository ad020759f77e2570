"""The /verify form: every field checked, errors shown under the field, nothing recorded until all is valid."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks import audit
from bot.listeners.start_request import check_start
from bot.services import services_of


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """Each input block's value by block id: text, the selected option, date, conversation or checkboxes."""
    values: dict[str, Any] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        element: dict[str, Any] = actions.get("value") or next(iter(actions.values()), {})
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


async def handle_start_submission(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
) -> None:
    services = services_of(context)
    user_id = body["user"]["id"]
    values = form_values(view)
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    channel_id = metadata.get("channel_id") or values.get("channel")
    if not services.access.allows(user_id, channel_id):
        services.store.audit.add(user_id, audit.REFUSED, None, f"form in {channel_id}")
        block = "channel" if "channel" in values else "customer_reference"
        await ack(response_action="errors", errors={block: blocks.refusal()[0]})
        return
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
