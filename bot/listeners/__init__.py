"""Slack listeners, one package per surface, each with `register(app)`. Services reach them through `context`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, events, functions, views


def register(app: AsyncApp) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    functions.register(app)
    events.register(app)  # last: it holds the catch-all for other messages
