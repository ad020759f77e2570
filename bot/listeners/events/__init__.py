"""Events: photos shared in a verification's thread, App Home, and a catch-all for other messages."""

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.listeners.events.app_home import handle_app_home_opened
from bot.listeners.events.file_share import handle_file_share, record_file_share


async def ignore_other_messages() -> None:
    """Acknowledge messages the bot does not act on, so Slack does not redeliver them."""


def register(app: AsyncApp) -> None:
    app.event({"type": "message", "subtype": "file_share"}, middleware=[record_file_share])(handle_file_share)
    app.event("app_home_opened")(handle_app_home_opened)
    app.event("message")(ignore_other_messages)
    app.event("file_shared")(ignore_other_messages)


__all__: list[Any] = ["register"]
