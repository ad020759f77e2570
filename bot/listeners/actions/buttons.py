"""Button handlers. Each checks who pressed it, stores or queues what the click asks for, then acks; none waits
on Jumio."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, validation
from bot.app import Services
from bot.listeners.common import tell
from storage import DEAD, FAILED, INITIATED, SESSION_EXPIRED, TOKEN_EXPIRED, Execution

T = TypeVar("T")

STALE = ":grey_question: That button belongs to something that no longer exists or has moved on; nothing was done."


def _who_and_where(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") or message.get("ts")
    return user_id, channel_id, thread_ts


async def _allowed(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any], what: str
                   ) -> Services | None:
    """The services when the clicker may use the bot here; otherwise the click is acked, refused politely, None."""
    services: Services = context["services"]
    user_id, channel_id, thread_ts = _who_and_where(body)
    if services.access.allows(user_id, channel_id):
        return services
    services.store.audit(user_id, "refused", None, what)
    await ack()
    if channel_id:
        await tell(client, channel_id, user_id, blocks.refusal(), thread_ts)
    return None


async def _clicked(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                   context: dict[str, Any], what: str, read: Callable[[Services, str], T]) -> tuple[Services, T] | None:
    """The services and what the button's value names (`read` raises KeyError or ValueError for something gone or
    malformed), when the clicker may use the bot; otherwise the click is answered here and None comes back."""
    services = await _allowed(ack, body, client, context, what)
    if services is None:
        return None
    try:
        return services, read(services, str(action.get("value") or ""))
    except (KeyError, ValueError):
        await _stale(ack, client, body)
        return None


def _an_execution(services: Services, value: str) -> Execution:
    return services.store.execution(int(value))


def _an_upload_and_part(_services: Services, value: str) -> tuple[int, str]:
    upload_id, _, part = value.partition(":")
    if part not in blocks.PART_LABELS or not upload_id.isdigit():
        raise ValueError(value)
    return int(upload_id), part


async def _stale(ack: Any, client: AsyncWebClient, body: dict[str, Any]) -> None:
    await ack()
    user_id, channel_id, thread_ts = _who_and_where(body)
    if channel_id:
        await tell(client, channel_id, user_id, blocks.notice(STALE), thread_ts)


# Each handler below stores what the click asks for before it acks, as /verify does: an acknowledged click is never
# lost to a crash. Only then does it talk to Slack.


async def handle_choose_part(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                             context: dict[str, Any]) -> None:
    clicked = await _clicked(ack, body, action, client, context, "choose part", _an_upload_and_part)
    if clicked is None:
        return
    services, (upload_id, part) = clicked
    user_id, channel_id, _ = _who_and_where(body)
    filename = str((body.get("message") or {}).get("text", "")).removeprefix("Which photo is ").rstrip("?")
    with services.store.transaction():
        upload = services.store.choose_upload_part(upload_id, part)
        if upload is not None:
            execution = services.store.execution(upload.execution)
            services.store.audit(user_id, "part_chosen", execution.id, f"{part} for Slack file {upload.slack_file_id}")
            file = {"id": upload.slack_file_id, "name": filename}
            services.journey.enqueue("relay_photo", {"execution": execution.id, "file": file},
                                     dedupe_key=f"relay:{upload.id}")
    await ack()
    if upload is None:
        return  # already chosen (a double click, or another agent was faster)
    text, message_blocks = blocks.part_chosen(filename or "The photo", part, user_id)
    if channel_id and body.get("container", {}).get("message_ts"):
        with contextlib.suppress(SlackApiError):  # if it fails the question stays; the relay goes ahead anyway
            await client.chat_update(channel=channel_id, ts=body["container"]["message_ts"], text=text,
                                     blocks=message_blocks)


async def handle_submit(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                        context: dict[str, Any]) -> None:
    clicked = await _clicked(ack, body, action, client, context, "submit", _an_execution)
    if clicked is None:
        return
    services, execution = clicked
    user_id, channel_id, thread_ts = _who_and_where(body)
    uploaded = services.store.uploaded_parts(execution.id)
    if execution.status == INITIATED and "FRONT" in uploaded and "FACE" in uploaded:
        services.journey.enqueue("finalize", {"execution": execution.id, "by": user_id},
                                 dedupe_key=f"finalize:{execution.id}")
        await ack()
        return
    await ack()
    if channel_id:
        why = ("This verification was already submitted." if execution.status != INITIATED
               else "Submit needs at least the ID front and the selfie in the thread.")
        await tell(client, channel_id, user_id, blocks.notice(why), thread_ts)


async def handle_new_link(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                          context: dict[str, Any]) -> None:
    clicked = await _clicked(ack, body, action, client, context, "new link", _an_execution)
    if clicked is None:
        return
    services, execution = clicked
    user_id = body["user"]["id"]
    if execution.status not in (TOKEN_EXPIRED, SESSION_EXPIRED):
        await _stale(ack, client, body)
        return
    replacement = services.store.execution_replacing(execution.id)
    if replacement is None or not replacement.workflow_execution_id:
        services.journey.enqueue("new_link", {"execution": execution.id, "by": user_id},
                                 dedupe_key=f"new_link:{execution.id}")
        await ack()
        return
    await ack()
    if replacement.status == INITIATED:
        await services.journey.send_link(replacement, user_id)  # the link was made; give it to this agent too


async def handle_retry(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                       context: dict[str, Any]) -> None:
    clicked = await _clicked(ack, body, action, client, context, "retry", lambda s, value: s.store.job(int(value)))
    if clicked is None:
        return
    services, job = clicked
    user_id, _, _ = _who_and_where(body)
    if job.state == DEAD:  # otherwise already retried
        execution_id = job.payload.get("execution")
        with services.store.transaction():
            if execution_id is not None and services.store.execution(execution_id).status == FAILED:
                services.store.reopen_failed(execution_id)
            services.store.requeue_dead_job(job.id)
            services.store.audit(user_id, "retry", execution_id, job.kind)
        services.journey.wake()
    await ack()


async def handle_start_anyway(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                              context: dict[str, Any]) -> None:
    clicked = await _clicked(ack, body, action, client, context, "start anyway",
                             lambda _s, value: validation.customer_reference(value))
    if clicked is None:
        return
    services, reference = clicked
    user_id, channel_id, _ = _who_and_where(body)
    if channel_id is not None:
        message_ts = (body.get("container") or {}).get("message_ts")
        services.journey.begin(customer_ref=reference, channel_id=channel_id, user_id=user_id,
                               team_id=(body.get("team") or {}).get("id"), response_url=body.get("response_url"),
                               once=f"start-anyway:{message_ts}:{user_id}:{reference}")  # a double click starts one
    await ack()


async def handle_open_start_modal(ack: Any, body: dict[str, Any], client: AsyncWebClient,
                                  context: dict[str, Any]) -> None:
    await ack()
    services: Services = context["services"]
    if not services.access.allows(body["user"]["id"]):
        return
    await client.views_open(trigger_id=body["trigger_id"], view=blocks.start_modal(None))


async def handle_unknown_action(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
    await _stale(ack, client, body)
