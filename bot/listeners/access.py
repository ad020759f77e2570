"""Who may act, checked once per surface as Bolt listener middleware: a refusal is answered in that surface's way
and audited once, and the listener behind it runs only for someone allowed.

| surface | middleware | refusal |
|---|---|---|
| `/verify` | `may_verify_here`: the user, in the command's channel; `erase`: IDV_ADMINS | ephemeral |
| message buttons | `may_click_here`: the clicker, in the click's channel | ephemeral in the thread |
| the /verify form | `may_submit_the_form`: the channel it was opened in, or the one chosen | under the field |
| App Home's start button | `may_open_the_form`: the user, somewhere | nothing opens |
| photos modal, Take over | `may_act_on_its_verification`: its own channel, which the modal came from | in the modal |
| the erase confirmation | `must_be_admin`: IDV_ADMINS | in the modal |

App Home itself (`publish_home`) shows a refusal to who may not use the bot; a file shared in a thread is checked
where it is recorded (`record_file_share`, before the ack); the workflow step fails with a sentence
(`start_request`). Nothing else checks access.

Slack Connect users of a team that may not use the bot are refused before any of these, by the app's global
middleware (`bot.app`).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks import audit
from bot.listeners.common import Next, form_values, tell
from bot.services import Services, services_of
from storage import Execution

# What each message button asks for, in the audit's words when it is refused.
BUTTON_WORDS = {
    blocks.ACTION_SUBMIT: "submit",
    blocks.ACTION_NEW_LINK: "new link",
    blocks.ACTION_SHOW_LINK: "customer link",
    blocks.ACTION_TAKE_OVER: "take over",
    blocks.ACTION_RETRY: "retry",
    blocks.ACTION_START_ANYWAY: "start anyway",
    blocks.ACTION_PRIVATE_PHOTOS: "private photos",
    blocks.ACTION_STATUS_PAGE: "status page",
    blocks.ACTION_STATUS_NEWER: "status page",
    blocks.ACTION_STATUS_OLDER: "status page",
}


def _ephemeral(text: str, body: list[dict[str, Any]] | None = None) -> BoltResponse:
    answer: dict[str, Any] = {"response_type": "ephemeral", "text": text}
    if body is not None:
        answer["blocks"] = body
    return BoltResponse(status=200, body=answer)


def _view_answer(answer: dict[str, Any]) -> BoltResponse:
    return BoltResponse(status=200, body=answer)


async def may_verify_here(command: dict[str, Any], context: AsyncBoltContext, next: Next) -> BoltResponse | None:
    """`/verify` (every sub-command): the user must be allowed in the command's channel, and `erase` is for
    IDV_ADMINS. A refusal is the command's answer (Bolt returns a listener middleware's response as the ack)."""
    services = services_of(context)
    user_id, channel_id = command["user_id"], command["channel_id"]
    if not services.access.allows(user_id, channel_id):
        services.store.audit.add(user_id, audit.REFUSED, None, f"/verify in {channel_id}")
        return _ephemeral(*blocks.refusal())
    if (command.get("text") or "").strip().partition(" ")[0].lower() == "erase" and not is_admin(services, user_id):
        return _ephemeral(blocks.NOT_AN_ADMIN)
    await next()
    return None


async def may_submit_the_form(
    body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext, next: Next
) -> BoltResponse | None:
    """The /verify form: the user must be allowed in the channel it names (the one it was opened in, or the one
    chosen in it); a refusal is an error under that field."""
    services = services_of(context)
    user_id, values = body["user"]["id"], form_values(view)
    try:
        channel_id = json.loads(view.get("private_metadata") or "{}").get("channel_id") or values.get("channel")
    except (ValueError, AttributeError):
        channel_id = values.get("channel")
    if services.access.allows(user_id, channel_id):
        await next()
        return None
    services.store.audit.add(user_id, audit.REFUSED, None, f"form in {channel_id}")
    block = "channel" if "channel" in values else "customer_reference"
    return _view_answer({"response_action": "errors", "errors": {block: blocks.refusal()[0]}})


async def may_open_the_form(body: dict[str, Any], context: AsyncBoltContext, next: Next) -> BoltResponse | None:
    """App Home's start button: the user must be allowed somewhere (the form asks where); nothing opens otherwise
    (App Home already tells them they cannot use the bot)."""
    services = services_of(context)
    user_id = body["user"]["id"]
    if services.access.allows(user_id):
        await next()
        return None
    services.store.audit.add(user_id, audit.REFUSED, None, "the form from App Home")
    return BoltResponse(status=200, body="")


def _its_verification(services: Services, body: dict[str, Any]) -> tuple[Execution, str | None] | None:
    """The verification a modal (or a button in one) acts on, and the channel the modal came from; None when the
    modal does not say (its listener answers that it is stale)."""
    view = body.get("view") or {}
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        value = ((body.get("actions") or [{}])[0]).get("value") if body.get("type") == "block_actions" else None
        execution = services.store.executions.get(int(value if value is not None else metadata["execution"]))
    except (ValueError, KeyError, TypeError, AttributeError, LookupError):
        return None
    return execution, metadata.get("channel_id")


async def may_act_on_its_verification(
    body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, next: Next
) -> BoltResponse | None:
    """The private photos modal and the link modal's Take over: the user must be allowed in the verification's own
    channel, and the modal must have come from it (a modal carries no channel of its own)."""
    services = services_of(context)
    user_id = body["user"]["id"]
    found = _its_verification(services, body)
    if found is None or (found[1] == found[0].channel_id and services.access.allows(user_id, found[0].channel_id)):
        await next()
        return None
    execution = found[0]
    if body.get("type") == "view_submission":
        services.store.audit.add(user_id, audit.REFUSED, execution.id, "private photos")
        refusal = blocks.notice_modal(blocks.UPLOAD_REFUSED, title="Customer photos")
        return _view_answer({"response_action": "update", "view": refusal})
    services.store.audit.add(user_id, audit.REFUSED, execution.id, "take over")
    view_id = (body.get("view") or {}).get("id")
    if view_id:
        with contextlib.suppress(SlackApiError):
            await client.views_update(view_id=view_id, view=blocks.no_link_modal(blocks.refusal()[0]))
    return BoltResponse(status=200, body="")


async def must_be_admin(body: dict[str, Any], context: AsyncBoltContext, next: Next) -> BoltResponse | None:
    """The erase confirmation: its submitter is checked again (IDV_ADMINS may have changed since the modal)."""
    if is_admin(services_of(context), body["user"]["id"]):
        await next()
        return None
    return _view_answer({"response_action": "update", "view": blocks.notice_modal(blocks.NOT_AN_ADMIN)})


def who_and_where(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """A click's user, channel and thread (None where the click has none, as in a modal)."""
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    return user_id, channel_id, message.get("thread_ts") or message.get("ts")


async def may_click_here(
    body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, next: Next
) -> BoltResponse | None:
    """A message button: the clicker must be allowed in the channel the click came from (a click without one is
    refused). What the button's value names is checked by the listener (it must be in the same channel)."""
    services = services_of(context)
    user_id, channel_id, thread_ts = who_and_where(body)
    if channel_id is not None and services.access.allows(user_id, channel_id):
        await next()
        return None
    action_id = str(((body.get("actions") or [{}])[0]).get("action_id") or "")
    what = BUTTON_WORDS.get(action_id, "choose part" if action_id.startswith(blocks.ACTION_CHOOSE_PART) else action_id)
    services.store.audit.add(user_id, audit.REFUSED, None, what)
    if channel_id:
        await tell(client, channel_id, user_id, blocks.refusal(), thread_ts)
    return BoltResponse(status=200, body="")  # the click's acknowledgement


def is_admin(services: Services, user_id: str) -> bool:
    """Whether `user_id` may erase (IDV_ADMINS); a refusal is audited here, answered by the caller's surface."""
    if user_id in services.access.admins:
        return True
    services.store.audit.add(user_id, audit.ERASE_REFUSED, None, "not in IDV_ADMINS")
    return False
