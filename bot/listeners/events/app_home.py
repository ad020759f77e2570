"""App Home: the agent's recent verifications and a button to start one."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.services import Services, services_of


async def publish_home(services: Services, client: AsyncWebClient, user_id: str) -> None:
    if not services.access.allows(user_id):
        _text, body = blocks.refusal()
        await client.views_publish(user_id=user_id, view={"type": "home", "blocks": body})
        return
    executions = services.store.recent_executions_started_by(user_id, limit=40)
    await client.views_publish(user_id=user_id, view=blocks.home_view(executions))


async def handle_app_home_opened(event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
    if event.get("tab") != "home":
        return
    await publish_home(services_of(context), client, event["user"])
