"""Modal submissions."""

from slack_bolt.async_app import AsyncApp

from bot import blocks
from bot.listeners.views.start_form import handle_start_submission


def register(app: AsyncApp) -> None:
    app.view(blocks.VIEW_START)(handle_start_submission)
