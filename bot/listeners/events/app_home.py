"""App Home: the agent's recent verifications, the open ones in their channels that others started, and a button to
start one."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks import audit
from bot.listeners.common import log, user_channels
from bot.services import Services, services_of
from bot.slack_errors import error_code


async def publish_home(services: Services, client: AsyncWebClient, user_id: str) -> None:
    if not services.access.allows(user_id) or not await _of_an_allowed_team(services, client, user_id):
        _text, body = blocks.refusal()
        await client.views_publish(user_id=user_id, view={"type": "home", "blocks": body})
        return
    mine = services.store.executions.recent_started_by(user_id, limit=blocks.HOME_ROWS + 1)
    others = services.store.executions.open_in_channels(
        await _channels_of(client, user_id), not_started_by=user_id, limit=blocks.HOME_ROWS + 1
    )
    connection = (
        None
        if services.connect_url is None
        else (services.connect_url, services.store.secrets.user_token(user_id) is not None)
    )
    last_looked = services.store.events.looked_at_home(user_id)
    await client.views_publish(
        user_id=user_id, view=blocks.home_view(mine, others, connection=connection, last_looked=last_looked)
    )


async def _of_an_allowed_team(services: Services, client: AsyncWebClient, user_id: str) -> bool:
    """app_home_opened does not say the user's team: `users.info` does (a user Slack cannot describe is refused)."""
    if not services.access.teams:
        return True
    try:
        user = (await client.users_info(user=user_id)).get("user") or {}
    except SlackApiError as exc:
        log.info("App Home for a user Slack cannot describe: %s", error_code(exc))
        return False
    enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
    if services.access.allows_team(user.get("team_id"), enterprise):
        return True
    services.store.audit.add(user_id, audit.REFUSED, None, f"App Home for a user of team {user.get('team_id')}")
    return False


async def _channels_of(client: AsyncWebClient, user_id: str) -> list[str]:
    """The channels the agent is in (private ones only where the bot is too); none if Slack cannot say now."""
    try:
        return await user_channels(client, user_id, "public_channel,private_channel")
    except SlackApiError as exc:
        log.info("App Home without the agent's channels: %s", error_code(exc))
        return []


async def handle_app_home_opened(event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    if event.get("tab") != "home":
        return
    await publish_home(services_of(context), client, event["user"])
