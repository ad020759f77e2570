"""Modal submissions."""

import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import blocks
from bot.listeners.views.erase import handle_erase_submission
from bot.listeners.views.photos import handle_photos_submission
from bot.listeners.views.start_form import handle_start_submission


async def handle_unknown_view(ack: Any) -> None:
    """A form from an older version of the bot (or a stale one): say so instead of failing silently."""
    await ack(response_action="update", view=blocks.stale_form())


def register(app: AsyncApp) -> None:
    app.view(blocks.VIEW_START)(handle_start_submission)
    app.view(blocks.VIEW_ERASE)(handle_erase_submission)
    app.view(blocks.VIEW_PHOTOS)(handle_photos_submission)
    app.view(re.compile(".*"))(handle_unknown_view)
