"""Slash commands."""

from slack_bolt.async_app import AsyncApp

from bot.listeners.access import may_verify_here
from bot.listeners.commands.verify import handle_verify


def register(app: AsyncApp) -> None:
    app.command("/verify", middleware=[may_verify_here])(handle_verify)
