"""The Bolt `AsyncApp`: its Web API client, the redelivery filter, and the listeners."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, listeners
from bot.blocks import audit
from bot.listeners.common import Next
from bot.services import CONTEXT_KEY, Services

log = logging.getLogger("bot.app")


def slack_client(token: str, base_url: str) -> AsyncWebClient:
    """The Web API client: `SLACK_API_URL`, with retries for rate limits, server errors and dropped connections."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


# What AsyncApp() reads from os.environ when it is built (slack_bolt/app/async_app.py): with SLACK_CLIENT_ID and
# SLACK_CLIENT_SECRET present, even empty (as compose's env_file and systemd's EnvironmentFile pass them), it turns on
# its own OAuth flow and drops the bot token, and every request then reads "please reinstall" (reference §13). The
# bot's settings are read once, by bot.config; Bolt gets them as arguments and never sees these.
BOLT_ENVIRONMENT = (
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "SLACK_INSTALLATION_STORE",
    "SLACK_STATE_STORE",
    "SLACK_SCOPES",
    "SLACK_USER_SCOPES",
    "SLACK_REDIRECT_URI",
)


@contextlib.contextmanager
def _hidden_from_bolt() -> Iterator[None]:
    """os.environ without Bolt's variables while Bolt is built (the process's environment is put back after)."""
    saved = {name: os.environ.pop(name) for name in BOLT_ENVIRONMENT if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def build_app(services: Services, client: AsyncWebClient, *, signing_secret: str | None, socket_mode: bool) -> AsyncApp:
    # Bolt's loggers copy this one's level: at WARNING, Bolt never prints an unsigned request's body (it does at
    # INFO), nor any listener payload (DEBUG).
    bolt_logger = logging.getLogger("bot.slack")
    bolt_logger.setLevel(max(bolt_logger.getEffectiveLevel(), logging.WARNING))
    with _hidden_from_bolt():
        app = AsyncApp(
            client=client,
            signing_secret=signing_secret or "",
            request_verification_enabled=not socket_mode,
            ignoring_self_events_enabled=True,
            logger=bolt_logger,
        )
    app.middleware(_services_and_redelivery_filter(services))
    listeners.register(app)
    return app


def _services_and_redelivery_filter(services: Services) -> Any:
    """One global middleware (each costs Bolt an argument injection per request): hand listeners the services
    through `context`, and drop an event Slack delivers again (same `event_id`) before any listener sees it."""

    async def services_and_redelivery_filter(
        body: dict[str, Any], context: AsyncBoltContext, next: Next
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        # Photos are not filtered here: their claims make a redelivery harmless, and marking the event seen before
        # the claims are written would let a crash in between turn Slack's redelivery into a lost photo.
        if (
            event_id
            and (body.get("event") or {}).get("subtype") != "file_share"
            and not services.store.events.first_sighting(str(event_id))
        ):
            log.info("dropped a redelivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        team_id, enterprise_id = acting_team(body)
        if not services.access.allows_team(team_id, enterprise_id):
            return _refuse_other_team(services, body, team_id)
        context[CONTEXT_KEY] = services
        return await next()

    return services_and_redelivery_filter


def acting_team(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The Slack team (and enterprise) of the person a request comes from: in a Slack Connect channel a message
    event's `user_team`, a click's `user.team_id`; a command's `team_id`."""
    if body.get("type") == "event_callback":
        event = body.get("event") or {}
        team = event.get("user_team") or event.get("team") or body.get("team_id")
        return (str(team) if team else None), None
    user = body.get("user")
    if isinstance(user, dict):  # clicks, modal submissions
        team = user.get("team_id") or (body.get("team") or {}).get("id")
        enterprise = body.get("enterprise")
        return (str(team) if team else None), enterprise.get("id") if isinstance(enterprise, dict) else None
    return body.get("team_id"), body.get("enterprise_id")  # slash commands


def _refuse_other_team(services: Services, body: dict[str, Any], team_id: str | None) -> BoltResponse:
    """Someone of a team that may not use the bot: refused like a user who is not allowed, nothing recorded but the
    refusal."""
    user = (
        body["user"].get("id")
        if isinstance(body.get("user"), dict)
        else (body.get("user_id") or (body.get("event") or {}).get("user"))
    )
    services.store.audit.add(
        str(user or "unknown"), audit.REFUSED, None, f"a user of team {team_id}, which may not use the bot"
    )
    text = blocks.refusal()[0]
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    if body.get("type") == "view_submission":
        return BoltResponse(status=200, body={"response_action": "errors", "errors": {"customer_reference": text}})
    return BoltResponse(status=200, body="")
