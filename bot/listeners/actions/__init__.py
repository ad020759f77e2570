"""Buttons: which part a photo is, Submit, New link, Customer link, Take over, Retry, Start anyway, and the App Home
start button."""

import re

from slack_bolt.async_app import AsyncApp

from bot import blocks
from bot.listeners.access import may_act_on_its_verification, may_click_here, may_open_the_form
from bot.listeners.actions.buttons import (
    handle_choose_part,
    handle_disconnect,
    handle_link_button,
    handle_new_link,
    handle_open_start_modal,
    handle_private_photos,
    handle_retry,
    handle_show_link,
    handle_start_anyway,
    handle_status_page,
    handle_submit,
    handle_take_over,
    handle_unknown_action,
)


def register(app: AsyncApp) -> None:
    parts = re.compile(f"^{blocks.ACTION_CHOOSE_PART}_(front|back|face)$")
    app.action(parts, middleware=[may_click_here])(handle_choose_part)
    app.action(blocks.ACTION_SUBMIT, middleware=[may_click_here])(handle_submit)
    app.action(blocks.ACTION_NEW_LINK, middleware=[may_click_here])(handle_new_link)
    app.action(blocks.ACTION_SHOW_LINK, middleware=[may_click_here])(handle_show_link)
    app.action(blocks.ACTION_TAKE_OVER, middleware=[may_act_on_its_verification])(handle_take_over)  # in a modal
    pager = re.compile(f"^({blocks.ACTION_STATUS_PAGE}|{blocks.ACTION_STATUS_NEWER}|{blocks.ACTION_STATUS_OLDER})$")
    app.action(pager, middleware=[may_click_here])(handle_status_page)
    app.action(blocks.ACTION_PRIVATE_PHOTOS, middleware=[may_click_here])(handle_private_photos)
    app.action(blocks.ACTION_DISCONNECT)(handle_disconnect)
    app.action(blocks.ACTION_CONNECT)(handle_link_button)
    app.action(blocks.ACTION_RETRY, middleware=[may_click_here])(handle_retry)
    app.action(blocks.ACTION_START_ANYWAY, middleware=[may_click_here])(handle_start_anyway)
    app.action(blocks.ACTION_OPEN_START_MODAL, middleware=[may_open_the_form])(handle_open_start_modal)
    app.action(re.compile(".*"))(handle_unknown_action)
