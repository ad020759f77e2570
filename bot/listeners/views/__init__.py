"""Modal submissions."""

import re

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import blocks
from bot.listeners.access import may_act_on_its_verification, may_submit_the_form, must_be_admin
from bot.listeners.views.erase import handle_erase_submission
from bot.listeners.views.photos import handle_photos_submission
from bot.listeners.views.start_form import handle_start_submission


async def handle_unknown_view(ack: AsyncAck) -> None:
    """A form from an older version of the bot (or a stale one): say so instead of failing silently."""
    await ack(response_action="update", view=blocks.stale_form())


def register(app: AsyncApp) -> None:
    app.view(blocks.VIEW_START, middleware=[may_submit_the_form])(handle_start_submission)
    app.view(blocks.VIEW_ERASE, middleware=[must_be_admin])(handle_erase_submission)
    app.view(blocks.VIEW_PHOTOS, middleware=[may_act_on_its_verification])(handle_photos_submission)
    app.view(re.compile(".*"))(handle_unknown_view)
