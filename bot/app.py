"""The Bolt `AsyncApp`: its Web API client, the redelivery filter, and the listeners."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import listeners
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


def build_app(services: Services, client: AsyncWebClient, *, signing_secret: str | None, socket_mode: bool
              ) -> AsyncApp:
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=not socket_mode,
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("bot.slack"),
    )
    app.middleware(_services_and_redelivery_filter(services))
    listeners.register(app)
    return app


def _services_and_redelivery_filter(services: Services) -> Any:
    """One global middleware (each costs Bolt an argument injection per request): hand listeners the services
    through `context`, and drop an event Slack delivers again (same `event_id`) before any listener sees it."""

    async def services_and_redelivery_filter(body: dict[str, Any], context: dict[str, Any], next: Any
                                             ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        # Photos are not filtered here: their claims make a redelivery harmless, and marking the event seen before
        # the claims are written would let a crash in between turn Slack's redelivery into a lost photo.
        if (event_id and (body.get("event") or {}).get("subtype") != "file_share"
                and not services.store.first_sighting_of_event(str(event_id))):
            log.info("dropped a redelivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        context[CONTEXT_KEY] = services
        return await next()

    return services_and_redelivery_filter
