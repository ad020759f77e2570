"""Slash commands."""

from slack_bolt.async_app import AsyncApp

from bot.listeners.commands.verify import handle_verify


def register(app: AsyncApp) -> None:
    app.command("/verify")(handle_verify)
