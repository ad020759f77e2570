"""Slack listeners, one package per surface, each with `register(app)`. Services reach them through `context`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, events, views


def register(app: AsyncApp, services: Any) -> None:
    async def provide_services(context: dict[str, Any], next: Any) -> None:
        context["services"] = services
        await next()

    app.middleware(provide_services)
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)  # last: it holds the catch-all for other messages
